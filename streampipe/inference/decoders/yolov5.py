"""YOLOv5/v7-style decoded output ``[1, N, 5+C]``: cx, cy, w, h (input pixels), objectness, class scores.

Preprocessing and thresholds follow Ultralytics (``UltralyticsDecoder``).
"""

from __future__ import annotations

import numpy as np

from ..preprocess import PreprocessMeta
from .base import Candidates, UltralyticsDecoder, best_class, check_n_by_5c


class Yolov5Decoder(UltralyticsDecoder):
    name = "yolov5"
    LAYOUT = "[1, N, 5+C] with N > 5+C"

    def __init__(self, outputs, input_hw=None):
        super().__init__(outputs, input_hw)
        check_n_by_5c(self.outputs, self.LAYOUT)

    def num_classes(self) -> int | None:
        last = self.outputs[0].shape[-1]
        return last - 5 if isinstance(last, int) else None

    def decode(self, outs, meta: PreprocessMeta, conf: float) -> Candidates:
        p = np.asarray(outs[0], np.float32)
        if p.ndim != 2 or not 6 <= p.shape[1] < p.shape[0]:  # dynamic outputs are only known now
            raise ValueError(f"yolov5: output {list(p.shape)} is not {self.LAYOUT}")
        return best_class(p[:, :4], p[:, 5:], p[:, 4], conf)

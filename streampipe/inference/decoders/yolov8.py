"""YOLOv8/YOLO11-style output ``[1, 4+C, N]``: cx, cy, w, h (input pixels) then class scores, no objectness.

Preprocessing and thresholds follow Ultralytics (``UltralyticsDecoder``).
"""

from __future__ import annotations

import numpy as np

from ..preprocess import PreprocessMeta
from ..signature import yolo_grid_count
from .base import Candidates, UltralyticsDecoder, best_class, describe, single_rank3


class Yolov8Decoder(UltralyticsDecoder):
    name = "yolov8"
    LAYOUT = "[1, 4+C, N] with 4+C < N"

    def __init__(self, outputs, input_hw=None):
        """4+C < N, or N = the stride-8/16/32 grid cell count of the known input size (tiny inputs)."""
        super().__init__(outputs, input_hw)
        d1, d2 = single_rank3(self.outputs, self.LAYOUT)
        on_grid = input_hw is not None and d2 == yolo_grid_count(*input_hw)
        if (d1 is not None and d1 < 5) or (d1 is not None and d2 is not None and d1 >= d2 and not on_grid):
            raise ValueError(f"expected one output {self.LAYOUT}, got {describe(self.outputs)}")

    def num_classes(self) -> int | None:
        ch = self.outputs[0].shape[1]
        return ch - 4 if isinstance(ch, int) else None

    def decode(self, outs, meta: PreprocessMeta, conf: float) -> Candidates:
        p = np.asarray(outs[0], np.float32).T  # [N, 4+C]
        if p.ndim != 2 or p.shape[1] < 5 or (
            p.shape[1] >= p.shape[0] and p.shape[0] != yolo_grid_count(meta.in_h, meta.in_w)
        ):  # outputs with dynamic shapes are only known here
            raise ValueError(f"yolov8: output {list(p.T.shape)} is not {self.LAYOUT}")
        cls = p[:, 4:]
        pre = cls.max(axis=1) >= conf
        return best_class(p[pre, :4], cls[pre], None, conf)

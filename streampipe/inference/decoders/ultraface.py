"""Ultra-Light-Fast face detector (RFB/slim 320x240, 640x480): ``scores`` [1,N,2] and ``boxes`` [1,N,4].

Boxes are already decoded to normalised x1,y1,x2,y2; preprocessing is a plain stretch to the network size,
RGB, (x - 127) / 128, as in the upstream ``run_video_face_detect_onnx.py``.
"""

from __future__ import annotations

import numpy as np

from ..preprocess import STRETCH, Plan, PreprocessMeta
from .base import Candidates, Decoder


class UltrafaceDecoder(Decoder):
    name = "ultraface"
    plan = Plan(STRETCH, rgb=True, mean=(127.0, 127.0, 127.0), std=(128.0, 128.0, 128.0))
    default_conf = 0.7
    default_nms = 0.3
    default_size = (240, 320)
    default_labels = ("face",)

    def __init__(self, outputs, input_hw=None):
        super().__init__(outputs, input_hw)
        self._scores = self.index_of("scores")
        self._boxes = self.index_of("boxes")

    def decode(self, outs, meta: PreprocessMeta, conf: float) -> Candidates:
        scores = np.asarray(outs[self._scores], np.float32)[:, 1]
        keep = scores >= conf
        boxes = np.asarray(outs[self._boxes], np.float32)[keep] * np.array(
            [meta.in_w, meta.in_h, meta.in_w, meta.in_h], np.float32
        )
        return Candidates(boxes, scores[keep], np.zeros(int(keep.sum()), np.int32))

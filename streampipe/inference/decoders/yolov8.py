"""YOLOv8/YOLO11-style output ``[1, 4+C, N]``: cx, cy, w, h (input pixels) then class scores, no objectness.

Preprocessing follows Ultralytics: centred letterbox, pad 114, RGB, /255.
"""

from __future__ import annotations

import numpy as np

from ..preprocess import LETTERBOX, Plan, PreprocessMeta
from .base import Candidates, Decoder, best_class


class Yolov8Decoder(Decoder):
    name = "yolov8"
    plan = Plan(LETTERBOX, rgb=True, std=(255.0, 255.0, 255.0), pad_value=114.0)
    default_conf = 0.25
    default_nms = 0.45
    default_size = (640, 640)

    def num_classes(self) -> int | None:
        ch = self.outputs[0].shape[1]
        return ch - 4 if isinstance(ch, int) else None

    def decode(self, outs, meta: PreprocessMeta, conf: float) -> Candidates:
        p = np.asarray(outs[0], np.float32).T  # [N, 4+C]
        cls = p[:, 4:]
        pre = cls.max(axis=1) >= conf
        return best_class(p[pre, :4], cls[pre], None, conf)

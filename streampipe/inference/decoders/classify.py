"""Image classifiers with a ``[N, C]`` output.

Results are returned as ``Detections`` so every sink can handle them: one FULL-FRAME box per top-k
class (k = 5), score = probability, best first. Logits are softmaxed when the row is not already a
probability distribution. Preprocessing is the torchvision/ImageNet convention: stretch to the network
size, RGB, (x/255 - mean) / std.
"""

from __future__ import annotations

import numpy as np

from ..preprocess import STRETCH, Plan, PreprocessMeta
from .base import Candidates, Decoder, describe

TOP_K = 5


class ClassifyDecoder(Decoder):
    name = "classify"
    plan = Plan(STRETCH, rgb=True, mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375))
    default_conf = 0.0
    default_size = (224, 224)
    uses_nms = False
    LAYOUT = "[1, C] with C > 1"

    def __init__(self, outputs, input_hw=None):
        super().__init__(outputs, input_hw)
        shape = self.outputs[0].shape if len(self.outputs) == 1 else ()
        if len(shape) != 2 or (isinstance(shape[1], int) and shape[1] < 2):
            raise ValueError(f"expected one output {self.LAYOUT}, got {describe(self.outputs)}")

    def num_classes(self) -> int | None:
        c = self.outputs[0].shape[-1]
        return c if isinstance(c, int) else None

    def decode(self, outs, meta: PreprocessMeta, conf: float) -> Candidates:
        row = np.asarray(outs[0], np.float64).reshape(-1)
        if row.min() < 0 or abs(row.sum() - 1.0) > 1e-3:
            e = np.exp(row - row.max())
            row = e / e.sum()
        top = np.argsort(-row)[:TOP_K]
        top = top[row[top] >= conf]
        boxes = np.repeat(meta.frame_box(), len(top), axis=0)
        return Candidates(boxes, row[top].astype(np.float32), top.astype(np.int32))

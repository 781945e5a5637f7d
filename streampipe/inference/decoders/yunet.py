"""YuNet (libfacedetection) per-stride heads cls/obj/bbox/kps for strides 8, 16, 32, with 5 landmarks.

Decoding mirrors OpenCV's ``FaceDetectorYN``: score = sqrt(clip(cls) * clip(obj)); centre = (cell +
offset) * stride; size = exp(p) * stride; landmarks = (cell + offset) * stride. The input is the frame
padded right/bottom to a multiple of 32 (BGR, 0..255) -- no resize unless ``input_size`` caps it.
"""

from __future__ import annotations

import numpy as np

from ..preprocess import LETTERBOX_TL, PAD32, Plan, PreprocessMeta
from .base import Candidates, Decoder

STRIDES = (8, 16, 32)


class YunetDecoder(Decoder):
    name = "yunet"
    plan = Plan(PAD32, rgb=False, pad_value=0.0)
    static_plan = Plan(LETTERBOX_TL, rgb=False, pad_value=0.0)  # for fixed-size exports
    default_conf = 0.6
    default_nms = 0.3
    default_size = None
    default_labels = ("face",)
    num_keypoints = 5

    def __init__(self, outputs, input_hw=None):
        super().__init__(outputs, input_hw)
        self._idx = {(k, s): self.index_of(f"{k}_{s}") for k in ("cls", "obj", "bbox", "kps") for s in STRIDES}

    def decode(self, outs, meta: PreprocessMeta, conf: float) -> Candidates:
        boxes, scores, kps = [], [], []
        for s in STRIDES:
            rows, cols = meta.in_h // s, meta.in_w // s
            cls = np.clip(np.asarray(outs[self._idx["cls", s]], np.float32).reshape(-1), 0, 1)
            obj = np.clip(np.asarray(outs[self._idx["obj", s]], np.float32).reshape(-1), 0, 1)
            score = np.sqrt(cls * obj)
            keep = np.flatnonzero(score >= conf)
            if len(keep) == 0:
                continue
            if len(score) != rows * cols:
                raise ValueError(f"yunet: stride {s} head has {len(score)} cells, expected {rows}x{cols}")
            cell = np.stack((keep % cols, keep // cols), axis=1).astype(np.float32)
            bb = np.asarray(outs[self._idx["bbox", s]], np.float32).reshape(-1, 4)[keep]
            centre = (cell + bb[:, :2]) * s
            half = np.exp(bb[:, 2:]) * s * 0.5
            boxes.append(np.concatenate((centre - half, centre + half), axis=1))
            lm = np.asarray(outs[self._idx["kps", s]], np.float32).reshape(-1, 5, 2)[keep]
            kps.append((lm + cell[:, None, :]) * s)
            scores.append(score[keep])
        if not boxes:
            return Candidates.empty(self.num_keypoints)
        sc = np.concatenate(scores).astype(np.float32)
        return Candidates(np.concatenate(boxes), sc, np.zeros(len(sc), np.int32), np.concatenate(kps))

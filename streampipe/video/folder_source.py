"""A directory (or glob) of still images as a video, in natural order (``img2`` before ``img10``).

Images are read with ``cv2.IMREAD_UNCHANGED`` so that nothing is decided behind our back, then
normalised by :func:`streampipe.video.convert.to_bgr8` (16-bit ``>> 8``, gray -> BGR, BGRA -> BGR).
EXIF orientation is not applied (``IMREAD_UNCHANGED`` ignores it); image sequences from cameras
and renderers are stored upright in practice. Frames carry ``pts=None`` (stills have no time)
unless ``fps`` is given, in which case ``pts = index / fps``.

Each image keeps its own size; a sink that needs one size reports the mismatch itself.
"""

from __future__ import annotations

import glob
import os
import re

import cv2
import numpy as np

from streampipe.errors import DecodeError, SourceOpenError
from streampipe.video.convert import to_bgr8
from streampipe.video.source import Source, SourceInfo

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pnm", ".jp2", ".exr"}
)
_DIGITS = re.compile(r"(\d+)")


def natural_key(path: str) -> list[object]:
    """Sort key that compares digit runs as numbers: ``img2.png`` < ``img10.png``."""
    return [int(tok) if tok.isdigit() else tok.lower() for tok in _DIGITS.split(path)]


def list_images(target: str) -> list[str]:
    """Image files in a directory, or matching a glob, naturally sorted."""
    if os.path.isdir(target):
        names = [os.path.join(target, n) for n in os.listdir(target)]
        files = [p for p in names if os.path.splitext(p)[1].lower() in IMAGE_EXTENSIONS]
    else:
        files = glob.glob(target)
    return sorted((p for p in files if os.path.isfile(p)), key=natural_key)


def read_image(path: str) -> np.ndarray | None:
    """Decode one image as 8-bit BGR, or None when OpenCV cannot decode it."""
    # np.fromfile + imdecode instead of imread: works for any path encoding and never prints.
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:
        return None
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    return None if img is None else to_bgr8(img)


class FolderSource(Source):
    """Images of a folder or glob, one frame each, read in the caller's thread."""

    def __init__(
        self, target: str, *, fps: float | None = None, live: bool | None = None, realtime: bool = False
    ) -> None:
        self._files = list_images(target)
        if not self._files:
            what = "no images in directory" if os.path.isdir(target) else "no files match this pattern"
            raise SourceOpenError(f"{target}: {what}")
        first = read_image(self._files[0])
        if first is None:
            raise SourceOpenError(f"{self._files[0]}: not an image (cannot decode)")
        info = SourceInfo(
            uri=target,
            width=first.shape[1],
            height=first.shape[0],
            fps=fps,
            frames_expected=len(self._files),
            is_live=bool(live),
            kind="folder",
        )
        super().__init__(info, realtime=realtime)
        self._pos = 0
        self._first: np.ndarray | None = first

    def _read(self) -> tuple[np.ndarray, float | None] | None:
        if self._pos >= len(self._files):
            return None
        path = self._files[self._pos]
        if self._first is not None:
            img, self._first = self._first, None
        else:
            img = read_image(path)
        if img is None:
            raise DecodeError(f"{path}: cannot decode image (frame {self._pos} of {self.info.uri})")
        pts = self._pos / self.info.fps if self.info.fps else None
        self._pos += 1
        return img, pts

    def _release(self) -> None:
        self._first = None

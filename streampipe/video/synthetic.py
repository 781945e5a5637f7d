"""A generated test pattern: ``synthetic:WxH@FPS[:COUNT]``, paced like a camera unless told not to.

Each frame shows a moving gradient, the frame number in large digits (for humans), and the frame
index as a row of 32 black/white blocks along the top edge (for machines): block ``i`` is white
when bit ``31 - i`` of the index is set. Blocks are at least ``W // 32`` pixels wide and 16 pixels
high, big enough to survive H.264 compression, so a test can write a synthetic clip, read it back
and check with :func:`decode_synthetic_index` that every frame is there and in order.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from streampipe.video.source import Source, SourceInfo

BITS = 32


def _bar_height(height: int) -> int:
    return max(4, min(16, height // 4))


def make_synthetic_frame(index: int, width: int, height: int) -> np.ndarray:
    """Frame ``index`` of the pattern (pure function of its arguments; usable without a source)."""
    # uint8 arithmetic wraps modulo 256, which is exactly the scrolling we want; cv2.merge of
    # broadcast planes keeps 1080p generation at a few milliseconds.
    x = (np.arange(width) % 256).astype(np.uint8) + np.uint8((4 * index) % 256)
    y = (np.arange(height) % 256).astype(np.uint8) + np.uint8((2 * index) % 256)
    img = cv2.merge(
        [
            np.ascontiguousarray(np.broadcast_to(x, (height, width))),
            np.ascontiguousarray(np.broadcast_to(y[:, None], (height, width))),
            np.full((height, width), 128, np.uint8),
        ]
    )
    bar = _bar_height(height)
    bw = width // BITS
    img[:bar] = 0
    for i in range(BITS):
        if (index >> (BITS - 1 - i)) & 1:
            img[:bar, i * bw : (i + 1) * bw] = 255
    scale = max(0.4, height / 160)
    thickness = max(1, int(scale * 2))
    cv2.putText(
        img,
        str(index),
        (4, bar + int(30 * scale)),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (255, 255, 255),
        thickness,
        cv2.LINE_AA,
    )
    return img


def decode_synthetic_index(image: np.ndarray) -> int:
    """Read back the index encoded by :func:`make_synthetic_frame` (robust to lossy compression:
    each bit is the mean of the middle of its block, thresholded at mid-gray)."""
    height, width = image.shape[:2]
    bar = _bar_height(height)
    bw = width // BITS
    y0, y1 = bar // 4, max(bar // 4 + 1, bar - bar // 4)
    strip = image[y0:y1].astype(np.float32)
    gray = strip.mean(axis=2) if strip.ndim == 3 else strip
    value = 0
    for i in range(BITS):
        x0, x1 = i * bw + bw // 4, max(i * bw + bw // 4 + 1, (i + 1) * bw - bw // 4)
        bit = float(gray[:, x0:x1].mean()) > 127.5
        value = (value << 1) | int(bit)
    return value


class SyntheticSource(Source):
    """Frames of the pattern; ``pts = index / fps``; ends after ``count`` frames (None: never)."""

    def __init__(
        self,
        uri: str,
        width: int,
        height: int,
        fps: float,
        count: int | None = None,
        *,
        realtime: bool = True,
        live: bool | None = None,
    ) -> None:
        info = SourceInfo(
            uri=uri,
            width=width,
            height=height,
            fps=fps,
            frames_expected=count,
            is_live=realtime if live is None else live,
            kind="synthetic",
        )
        super().__init__(info, realtime=realtime)
        self._count_limit = count
        self._next = 0
        self._skipped = 0
        self._t_start: float | None = None

    def _read(self) -> tuple[np.ndarray, float | None] | None:
        """Next frame; when paced, live and the consumer is late, skip to the newest due frame.

        A real camera keeps exposing frames whether or not anyone reads them, and its driver
        keeps only the newest. Emulating that (instead of producing overdue frames back to back)
        is what makes a paced synthetic source a fair stand-in for a camera in latency tests:
        skipped frames are counted in ``stats()["dropped"]``, and the frame handed out is fresh.
        A source that is not live (``live=False``) is lossless even when paced: no frame comes
        before its time, and a late consumer gets the overdue ones back to back.
        """
        assert self.info.fps
        if self._realtime and self.info.is_live and self._t_start is not None:
            due = int((time.monotonic() - self._t_start) * self.info.fps)
            if self._count_limit is not None:
                due = min(due, self._count_limit - 1)
            if due > self._next:
                self._skipped += due - self._next
                self._next = due
        if self._count_limit is not None and self._next >= self._count_limit:
            return None
        i = self._next
        self._next += 1
        if self._t_start is None:
            self._t_start = time.monotonic()
        return make_synthetic_frame(i, self.info.width, self.info.height), i / self.info.fps

    def stats(self) -> dict[str, int]:
        return {**super().stats(), "dropped": self._skipped}

"""Blocking capture backends behind one tiny protocol, so tests can swap in faulty fakes.

``CaptureBackend`` is what a live source's reader thread calls in a loop. OpenCV implements it
for cameras (V4L2 on Linux) and network streams (FFmpeg); tests implement it with cameras that
freeze, block forever or die, to provoke exactly the faults the watchdog must catch.

Contract that makes shutdown bounded:

* ``read()`` may block, but should return within the backend's read timeout
  (OpenCV: ``CAP_PROP_READ_TIMEOUT_MSEC``, honoured by the FFmpeg backend).
* ``release()`` is callable from ANY thread, never blocks, and makes a pending ``read()`` return
  as soon as the backend allows. ``OpenCVBackend`` cannot abort a native read, so it defers the
  real ``cap.release()`` to the reading thread once that read returns: releasing a
  ``cv2.VideoCapture`` while another thread is inside ``read()`` is a use-after-free.
"""

from __future__ import annotations

import threading
from typing import Protocol

import cv2
import numpy as np

from streampipe.errors import SourceOpenError


class CaptureBackend(Protocol):
    """One blocking frame reader. ``fps`` is the nominal rate, or None when unknown."""

    fps: float | None

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def release(self) -> None: ...


def _quiet_opencv() -> int | None:
    """Silence OpenCV's probing chatter (every backend it tries logs a WARN); returns old level."""
    try:
        old = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        return old
    except AttributeError:  # pragma: no cover - very old OpenCV
        return None


def _restore_opencv(level: int | None) -> None:
    if level is not None:
        cv2.utils.logging.setLogLevel(level)


class OpenCVBackend:
    """``cv2.VideoCapture`` with bounded open/read and a thread-safe, non-blocking ``release()``."""

    def __init__(self, cap: cv2.VideoCapture) -> None:
        self._cap = cap
        self._lock = threading.Lock()
        self._busy = False
        self._released = False
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps: float | None = float(fps) if fps and 0 < fps < 1000 else None

    @classmethod
    def open_camera(
        cls, index_or_path: int | str, *, open_timeout: float, read_timeout: float
    ) -> OpenCVBackend:
        level = _quiet_opencv()
        try:
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                int(open_timeout * 1000),
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                int(read_timeout * 1000),
            ]
            cap = cv2.VideoCapture(index_or_path, cv2.CAP_ANY, params)
        finally:
            _restore_opencv(level)
        if not cap.isOpened():
            cap.release()
            if isinstance(index_or_path, int):
                raise SourceOpenError(f"no camera at index {index_or_path}")
            raise SourceOpenError(f"{index_or_path}: no camera at this device")
        return cls(cap)

    @classmethod
    def open_stream(cls, url: str, *, open_timeout: float, read_timeout: float) -> OpenCVBackend:
        """Open a network stream via FFmpeg; both the open and every read are time-bounded."""
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            int(open_timeout * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            int(read_timeout * 1000),
        ]
        level = _quiet_opencv()
        try:
            cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        finally:
            _restore_opencv(level)
        if not cap.isOpened():
            cap.release()
            raise SourceOpenError(f"{url}: cannot open stream (unreachable, refused or not a video)")
        return cls(cap)

    def read(self) -> tuple[bool, np.ndarray | None]:
        with self._lock:
            if self._released:
                return False, None
            self._busy = True
        try:
            ok, image = self._cap.read()
        finally:
            with self._lock:
                self._busy = False
                if self._released:
                    self._cap.release()
        return (bool(ok), image) if ok else (False, None)

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
            if not self._busy:
                self._cap.release()

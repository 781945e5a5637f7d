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

Quiet native logging: a failed open or read is reported to the user as one line (``SourceOpenError``
or ``CameraLostError``), so the libraries' own chatter must not reach stderr as well:

* OpenCV's FFmpeg (its own copy, not PyAV's) logs ``[tcp @ 0x..] Connection refused``,
  ``[video4linux2,v4l2 @ ..] Cannot open video device``, ``[http @ ..] Stream ends prematurely``.
  OpenCV reads ``OPENCV_FFMPEG_LOGLEVEL`` once, when its FFmpeg backend is first used, so importing
  this module sets it to ``-8`` (AV_LOG_QUIET) unless the user set it (or ``OPENCV_FFMPEG_DEBUG``) to
  debug a stream. Child processes inherit it.
* OpenCV's own log (``[ WARN:0@..] ... Stream timeout triggered``, backend probing) is set to silent
  while any ``OpenCVBackend`` is open, from before its capture is created until the capture is
  really released; the level is process-wide, so it is reference-counted and restored after the last.
* PyAV (files) is left at its default, which drops every libav message: its opt-in Python log
  callback would print libav errors next to ours and takes the GIL inside FFmpeg's threads.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import Protocol

import cv2
import numpy as np

from streampipe.errors import SourceOpenError


class CaptureBackend(Protocol):
    """One blocking frame reader. ``fps`` is the nominal rate, or None when unknown."""

    fps: float | None

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def release(self) -> None: ...


AV_LOG_QUIET = "-8"


def quiet_opencv_ffmpeg() -> None:
    """Make OpenCV's FFmpeg silent (see the module docstring) unless the user asked for its logs."""
    if "OPENCV_FFMPEG_DEBUG" not in os.environ:
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", AV_LOG_QUIET)


quiet_opencv_ffmpeg()  # before any capture or writer of this process initialises OpenCV's FFmpeg

_quiet_lock = threading.Lock()
_quiet_users = 0
_saved_level: int | None = None


def quiet_opencv_acquire() -> None:
    """Silence OpenCV's own log until the matching :func:`quiet_opencv_release` (reference-counted)."""
    global _quiet_users, _saved_level
    with _quiet_lock:
        _quiet_users += 1
        if _quiet_users == 1:
            try:
                _saved_level = cv2.utils.logging.getLogLevel()
                cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
            except AttributeError:  # pragma: no cover - very old OpenCV
                _saved_level = None


def quiet_opencv_release() -> None:
    global _quiet_users
    with _quiet_lock:
        if _quiet_users == 0:
            return
        _quiet_users -= 1
        if _quiet_users == 0 and _saved_level is not None:
            cv2.utils.logging.setLogLevel(_saved_level)


@contextlib.contextmanager
def opencv_quiet() -> Iterator[None]:
    """OpenCV's own log silenced for the duration of the block."""
    quiet_opencv_acquire()
    try:
        yield
    finally:
        quiet_opencv_release()


def _timeout_params(open_timeout: float, read_timeout: float) -> list[int]:
    """OpenCV capture parameters that bound both the open and every read (milliseconds)."""
    return [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout * 1000),
    ]


class OpenCVBackend:
    """``cv2.VideoCapture`` with bounded open/read and a thread-safe, non-blocking ``release()``."""

    def __init__(self, cap: cv2.VideoCapture) -> None:
        """Takes over ``cap``; OpenCV's log stays silent until the capture is really released."""
        quiet_opencv_acquire()
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
        cap = cls._create(index_or_path, cv2.CAP_ANY, _timeout_params(open_timeout, read_timeout))
        if cap is None:
            if isinstance(index_or_path, int):
                raise SourceOpenError(f"no camera at index {index_or_path}")
            raise SourceOpenError(f"{index_or_path}: no camera at this device")
        return cls(cap)

    @classmethod
    def open_stream(cls, url: str, *, open_timeout: float, read_timeout: float) -> OpenCVBackend:
        """Open a network stream via FFmpeg; both the open and every read are time-bounded."""
        t0 = time.monotonic()
        cap = cls._create(url, cv2.CAP_FFMPEG, _timeout_params(open_timeout, read_timeout))
        if cap is None:
            if time.monotonic() - t0 >= 0.9 * open_timeout:  # FFmpeg gave up waiting, not refused
                raise SourceOpenError(f"{url}: no video within the open timeout of {open_timeout:g} s "
                                      "(the server accepted but sent nothing usable; see --open-timeout)")
            raise SourceOpenError(f"{url}: cannot open stream (unreachable, refused or not a video)")
        return cls(cap)

    @staticmethod
    def _create(target: int | str, api: int, params: list[int]) -> cv2.VideoCapture | None:
        """An opened capture, or None; OpenCV's backend probing is not logged either way."""
        quiet_opencv_ffmpeg()
        with opencv_quiet():
            cap = cv2.VideoCapture(target, api, params)
            if cap.isOpened():
                return cap
            cap.release()
        return None

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
                    self._release_cap()
        return (bool(ok), image) if ok else (False, None)

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
            if not self._busy:
                self._release_cap()

    def _release_cap(self) -> None:
        """The real release (under ``_lock``, once): frees the capture, then its quiet-log reference."""
        try:
            self._cap.release()
        finally:
            quiet_opencv_release()

"""The ``Source`` base class: what every input (file, folder, camera, URL, synthetic) looks like.

A source is an iterator of :class:`~streampipe.frame.Frame` driven by the pipeline's capture
thread; it owns no thread of its own except where a backend can block forever (cameras and
network streams keep a private reader thread, see ``live_source``)::

    capture thread:  for frame in source: ...      <- __next__ reads, converts, stamps
    any thread:      source.interrupt()            <- non-blocking; next __next__ ends (StopIteration)
    capture thread:  source.close()                <- idempotent; releases files/devices/threads

Subclasses implement ``_read()`` returning ``(image, pts)`` or ``None`` at end of stream; the
base class does the bookkeeping (index, ``t_capture``, stats, real-time pacing) once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from streampipe.frame import Frame
from streampipe.video._sync import Waker

if TYPE_CHECKING:  # typing.Self is 3.11+; typing_extensions comes with onnx
    from typing_extensions import Self


@dataclass(frozen=True)
class SourceInfo:
    """What is known about an input once it is open (``fps``/``frames_expected`` may be unknown)."""

    uri: str
    width: int
    height: int
    fps: float | None
    frames_expected: int | None
    is_live: bool
    kind: str


@dataclass(frozen=True)
class ReconnectPolicy:
    """How a network source retries after a disconnect or stall: ``attempts`` tries, waiting
    ``initial_delay`` then multiplying by ``backoff`` up to ``max_delay`` between tries."""

    attempts: int = 5
    initial_delay: float = 0.5
    max_delay: float = 5.0
    backoff: float = 2.0

    def delays(self) -> list[float]:
        out, d = [], self.initial_delay
        for _ in range(self.attempts):
            out.append(min(d, self.max_delay))
            d *= self.backoff
        return out


class Source:
    """Iterator of frames with ``info``, ``default_policy``, ``stats()``, ``interrupt()``, ``close()``."""

    info: SourceInfo

    def __init__(self, info: SourceInfo, *, realtime: bool = False) -> None:
        self.info = info
        self._waker = Waker()
        self._closed = False
        self._realtime = realtime
        self._t0: float | None = None
        self._pts0: float | None = None
        self._count = 0

    # -- public surface ---------------------------------------------------------------------
    @property
    def default_policy(self) -> str:
        """Backpressure the engine should use when the user does not say: live sources must stay
        fresh (drop the oldest queued frame), files must be lossless (block the reader)."""
        return "drop-oldest" if self.info.is_live else "block"

    def __iter__(self) -> Source:
        return self

    def __next__(self) -> Frame:
        if self._closed or self._waker.is_set():
            raise StopIteration
        item = self._read()
        if item is None or self._waker.is_set():
            raise StopIteration
        image, pts = item
        if self._realtime and self._pace(pts):
            raise StopIteration
        frame = Frame(
            index=self._count,
            image=image,
            pts=pts,
            t_capture=self._capture_time(),
            source_id=self.info.uri,
        )
        self._count += 1
        return frame

    def interrupt(self) -> None:
        """Make a pending or future ``next()`` end promptly. Non-blocking; safe from signal handlers."""
        self._waker.set()

    def close(self) -> None:
        """Release everything. Idempotent; safe after errors and half-finished opens."""
        if self._closed:
            return
        self._closed = True
        self._waker.set()
        self._release()

    def stats(self) -> dict[str, Any]:
        return {"frames_read": self._count, "reconnects": 0, "dropped": 0}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        i = self.info
        return f"<{type(self).__name__} {i.uri!r} {i.width}x{i.height} fps={i.fps} live={i.is_live}>"

    # -- for subclasses ---------------------------------------------------------------------
    def _read(self) -> tuple[np.ndarray, float | None] | None:
        raise NotImplementedError

    def _release(self) -> None:
        """Free backend resources; called once by ``close()``."""

    def _capture_time(self) -> float:
        """``perf_counter()`` when the frame just read was captured (live sources read earlier)."""
        return time.perf_counter()

    def _pace(self, pts: float | None) -> bool:
        """Wait until wall time catches up with ``pts`` (or index/fps); True when interrupted.
        A late consumer is never made to wait and frames are never skipped to catch up."""
        if pts is None:
            if not self.info.fps:
                return False
            pts = self._count / self.info.fps
        now = time.monotonic()
        if self._t0 is None or self._pts0 is None:
            self._t0, self._pts0 = now, pts
            return False
        delay = self._t0 + (pts - self._pts0) - now
        return delay > 0 and self._waker.wait(delay)

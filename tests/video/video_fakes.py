"""Fake capture backends that misbehave on purpose (the only fakes in the video tests)."""

from __future__ import annotations

import threading

import numpy as np

from streampipe.video import make_synthetic_frame


class FakeCamera:
    """A ``CaptureBackend`` producing synthetic frames at ``fps``, with scripted faults:

    ``freeze_after=n``: from frame n on, the same picture forever (a wedged USB camera);
    ``block_after=n``: the n-th read blocks until ``release()`` (a driver that hangs);
    ``fail_after=n``: the n-th read returns ``(False, None)`` (unplugged).
    """

    def __init__(
        self,
        *,
        fps: float = 200.0,
        size: tuple[int, int] = (64, 48),
        freeze_after: int | None = None,
        block_after: int | None = None,
        fail_after: int | None = None,
    ) -> None:
        self.fps = fps
        self.size = size
        self.freeze_after, self.block_after, self.fail_after = freeze_after, block_after, fail_after
        self.released = threading.Event()
        self.blocking = threading.Event()  # set while a read is blocked (lets tests sync on it)
        self.reads = 0

    def read(self) -> tuple[bool, np.ndarray | None]:
        n = self.reads
        self.reads += 1
        if self.released.is_set():
            return False, None
        if self.block_after is not None and n >= self.block_after:
            self.blocking.set()
            self.released.wait()  # only release() ends this read
            return False, None
        if self.released.wait(1.0 / self.fps):  # pacing, cut short by release()
            return False, None
        if self.fail_after is not None and n >= self.fail_after:
            return False, None
        if self.freeze_after is not None and n >= self.freeze_after:
            n = self.freeze_after
        w, h = self.size
        return True, make_synthetic_frame(n, w, h)

    def release(self) -> None:
        self.released.set()

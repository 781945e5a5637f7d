"""A stop flag whose ``set()`` never blocks, shared by every source's waits.

Why not a plain ``threading.Event``: ``Event.set()`` takes a non-reentrant lock, so calling it
from a signal handler that interrupted the main thread while *it* held that lock deadlocks.
``Waker.set()`` writes a flag (atomic under the GIL) and only *tries* to take the condition's
lock to notify waiters; when the lock is busy, waiters still notice the flag because every
wait is sliced into ``SLICE`` second naps. So ``interrupt()`` is safe from anywhere and still
wakes a waiting reader within ``SLICE`` seconds at worst, usually at once.

The same condition doubles as the "a new frame arrived" signal of live sources, so one wait
covers both reasons to wake up.
"""

from __future__ import annotations

import threading
import time

SLICE = 0.1


class Waker:
    """Interrupt flag + condition. ``set()`` is non-blocking and idempotent."""

    def __init__(self) -> None:
        self.cond = threading.Condition(threading.Lock())
        self._flag = False

    def set(self) -> None:
        self._flag = True
        if self.cond.acquire(blocking=False):
            try:
                self.cond.notify_all()
            finally:
                self.cond.release()

    def is_set(self) -> bool:
        return self._flag

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, returning early (True) when interrupted."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self.cond:
            while not self._flag:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.cond.wait(min(remaining, SLICE))
        return True

"""Restore delivery order after parallel workers, inside a bounded window.

Workers of one stage finish items out of order. Each item carries the *ticket* its input channel
gave it (0, 1, 2, ... with no gaps, since channel drops happen before delivery). The reorderer
releases items downstream strictly by ticket.

Bound: a worker whose ticket is ``window`` or more ahead of the oldest unreleased ticket waits
(backpressure) instead of parking its result, so a slow item at the head can hold back at most
``window`` finished items. The worker holding the head ticket never waits, so there is no
deadlock as long as ``window >= workers``.

Skipped items (per-item error policy ``skip``) are delivered as ``TOMBSTONE``: they advance the
order without producing output, so reassembly never waits for an item that will not come.

There is no reorder thread: whichever worker completes the head ticket becomes the flusher and
emits the consecutive run; others deposit and return. That saves a thread hop per item.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class _Tombstone:
    __slots__ = ()

    def __repr__(self) -> str:
        return "TOMBSTONE"


TOMBSTONE: Any = _Tombstone()


class Reorderer:
    """Bounded re-sequencer; ``emit`` is called in ticket order, never concurrently."""

    def __init__(self, window: int, emit: Callable[[Any], object], name: str = "") -> None:
        if window < 1:
            raise ValueError("reorder window must be >= 1")
        self.window = window
        self.name = name
        self._emit = emit
        self._pending: dict[int, Any] = {}
        self._next = 0  # lowest ticket not yet taken for emission
        self._released = 0  # tickets below this have been emitted (or were tombstones)
        self._flushing = False
        self._aborted = False
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self.max_pending = 0

    def deliver(self, ticket: int, item: Any) -> None:
        """Hand in the result for ``ticket`` (or ``TOMBSTONE``); may wait for window room."""
        with self._lock:
            while ticket >= self._released + self.window and not self._aborted:
                self._room.wait()
            if self._aborted:
                return
            self._pending[ticket] = item
            self.max_pending = max(self.max_pending, len(self._pending))
            if self._flushing or ticket != self._next:
                return
            self._flushing = True
        self._flush()

    def _flush(self) -> None:
        while True:
            with self._lock:
                ready = []
                pending = self._pending
                while self._next in pending:
                    ready.append(pending.pop(self._next))
                    self._next += 1
                if not ready or self._aborted:
                    self._flushing = False
                    return
            for item in ready:
                if item is not TOMBSTONE:
                    self._emit(item)
            with self._lock:
                self._released += len(ready)
                self._room.notify_all()

    def pending(self) -> int:
        return len(self._pending)

    def abort(self) -> None:
        """Wake every waiting worker; nothing more is emitted."""
        with self._lock:
            self._aborted = True
            self._room.notify_all()

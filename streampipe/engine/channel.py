"""Bounded channel between two pipeline stages.

A ``Channel`` is a FIFO with a fixed capacity and an explicit policy for what happens when it is
full:

* ``block``: the sender waits (lossless; right for files),
* ``drop-oldest``: the oldest queued item is evicted (live sources: the freshest frame wins and
  latency stays flat),
* ``drop-newest``: the new item is rejected.

Every drop is counted, so ``put == delivered + dropped + depth`` holds at all times.

End of stream is a state, not a sentinel object in the data: ``close()`` lets receivers drain what
is queued and then see an empty batch. ``abort()`` (pipeline stop) wakes every blocked sender and
receiver at once. Both are built on one lock and two condition variables, the way
``queue.Queue`` is, with no polling and no sleeps.

Receivers take items in batches (``get_batch``) so a fast consumer pays for one lock round trip
per batch rather than per item; each batch carries the *ticket* (delivery ordinal) of its first
item, which the stage uses to restore order after parallel workers. Tickets are contiguous
because drops happen before delivery, so a reorderer never waits for a dropped item.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Policy(str, Enum):
    """What ``put`` does when the channel is full."""

    BLOCK = "block"
    DROP_OLDEST = "drop-oldest"
    DROP_NEWEST = "drop-newest"

    @classmethod
    def parse(cls, value: str | Policy) -> Policy:
        """Accept ``"drop-oldest"``, ``"drop_oldest"`` or a ``Policy``; one-line error otherwise."""
        if isinstance(value, Policy):
            return value
        try:
            return cls(str(value).strip().lower().replace("_", "-"))
        except ValueError:
            choices = ", ".join(p.value for p in cls)
            raise ValueError(f"unknown backpressure policy {value!r} (choose from {choices})") from None


@dataclass(frozen=True)
class ChannelStats:
    """A consistent snapshot of a channel's counters."""

    name: str
    capacity: int
    policy: str
    put: int
    delivered: int
    dropped: int
    depth: int
    max_depth: int
    closed: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Channel(Generic[T]):
    """Bounded FIFO with a backpressure policy, close-for-end-of-stream and abort-for-stop."""

    def __init__(self, capacity: int, policy: Policy | str = Policy.BLOCK, name: str = "") -> None:
        if capacity < 1:
            raise ValueError(f"channel {name!r}: capacity must be >= 1, got {capacity}")
        self.name = name
        self.capacity = int(capacity)
        self.policy = Policy.parse(policy)
        self._items: collections.deque[T] = collections.deque()
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._closed = False
        self._aborted = False
        self._put = 0
        self._delivered = 0
        self._dropped = 0
        self._max_depth = 0
        self.on_drop: Any = None  # optional callable(item), called outside the lock for evicted items

    # -- sending ----------------------------------------------------------------------------
    def put(self, item: T) -> bool:
        """Queue ``item``; return False if it was not queued (dropped as newest, closed, aborted).

        With ``block`` this waits for room; the wait ends early on ``abort()``.
        """
        return self.put_many((item,)) == 1

    def put_many(self, items: Sequence[T]) -> int:
        """Queue several items in order with one lock round trip; returns how many were queued.

        Same policy as ``put`` item by item. With ``block``, receivers are woken before each wait
        for room, so a batch larger than the capacity flows through instead of deadlocking.
        """
        evicted: list[T] = []
        queued = 0
        with self._lock:
            if self._aborted or self._closed:
                return 0
            queue_ = self._items
            for item in items:
                self._put += 1
                if len(queue_) >= self.capacity:
                    if self.policy is Policy.BLOCK:
                        self._not_empty.notify(len(queue_))
                        while len(queue_) >= self.capacity and not self._aborted:
                            self._not_full.wait()
                        if self._aborted:
                            self._put -= 1
                            return queued
                    elif self.policy is Policy.DROP_OLDEST:
                        evicted.append(queue_.popleft())
                        self._dropped += 1
                    else:
                        evicted.append(item)
                        self._dropped += 1
                        continue
                queue_.append(item)
                queued += 1
            self._max_depth = max(self._max_depth, len(queue_))
            self._not_empty.notify(queued)
        if evicted and self.on_drop is not None:
            for item in evicted:
                self.on_drop(item)
        return queued

    def close(self) -> None:
        """Mark end of stream: receivers drain the queue, then get an empty batch."""
        with self._lock:
            self._closed = True
            self._not_empty.notify_all()
            self._not_full.notify_all()

    def abort(self) -> None:
        """Stop now: wake every waiter; further puts fail and gets return empty immediately."""
        with self._lock:
            self._aborted = True
            self._not_empty.notify_all()
            self._not_full.notify_all()

    # -- receiving --------------------------------------------------------------------------
    def get_batch(self, max_items: int = 1, linger: float = 0.0) -> tuple[int, list[T]]:
        """Wait for at least one item and return ``(ticket_of_first, items)``, up to ``max_items``.

        ``linger`` > 0 waits up to that many seconds for the batch to fill (micro-batching).
        An empty list means end of stream (closed and drained) or abort.
        """
        with self._lock:
            items = self._items
            while not items:
                if self._closed or self._aborted:
                    return self._delivered, []
                self._not_empty.wait()
            if self._aborted:
                return self._delivered, []
            if linger > 0 and len(items) < max_items:
                deadline = time.monotonic() + linger
                while len(items) < max_items and not (self._closed or self._aborted):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._not_empty.wait(remaining)
                if self._aborted:
                    return self._delivered, []
            n = min(max_items, len(items))
            if n == 1:
                batch = [items.popleft()]
            else:
                batch = [items.popleft() for _ in range(n)]
            ticket = self._delivered
            self._delivered += n
            self._not_full.notify(n)
            return ticket, batch

    def get(self) -> T | None:
        """Convenience for tests and simple consumers: one item, or None at end/abort."""
        _, batch = self.get_batch(1)
        return batch[0] if batch else None

    # -- observing --------------------------------------------------------------------------
    def depth(self) -> int:
        return len(self._items)

    @property
    def aborted(self) -> bool:
        return self._aborted

    def stats(self) -> ChannelStats:
        with self._lock:
            return ChannelStats(
                name=self.name,
                capacity=self.capacity,
                policy=self.policy.value,
                put=self._put,
                delivered=self._delivered,
                dropped=self._dropped,
                depth=len(self._items),
                max_depth=self._max_depth,
                closed=self._closed,
            )

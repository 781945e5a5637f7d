"""Stage: what one step of the pipeline does, how many threads do it, and what feeds it.

The simple case is a plain function ``Stage("resize", fn)``. When each worker thread needs its
own resource (a model session, a file writer), pass ``factory``: it is called once per worker
thread to build an object with ``process(item)`` and optional ``open()``/``close()``; ``close``
runs in that thread on every exit path, which is what makes an output file always finalized.

With ``batch_size > 1`` the function receives a list of up to that many items (gathered for at
most ``batch_wait_s``) and must return a list of the same length: micro-batching for models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .channel import Policy


@runtime_checkable
class Worker(Protocol):
    """Per-thread processor; ``open``/``close`` are optional."""

    def process(self, item: Any) -> Any: ...


class FunctionWorker:
    """Adapts a plain callable to the ``Worker`` protocol."""

    __slots__ = ("process",)

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.process = fn


ERROR_POLICIES = ("fail", "skip")


@dataclass
class Stage:
    """Declarative description of one pipeline step and of the channel in front of it."""

    name: str
    fn: Callable[[Any], Any] | None = None
    factory: Callable[[], Any] | None = None
    workers: int = 1
    queue_size: int = 8
    policy: Policy | str = Policy.BLOCK
    on_error: str = "fail"
    batch_size: int = 1
    batch_wait_s: float = 0.0
    reorder_window: int | None = None

    def __post_init__(self) -> None:
        if (self.fn is None) == (self.factory is None):
            raise ValueError(f"stage {self.name!r}: give exactly one of fn= or factory=")
        if self.fn is not None and not (callable(self.fn) or isinstance(self.fn, Worker)):
            raise ValueError(f"stage {self.name!r}: fn must be a callable or have process(), got {self.fn!r}")
        if self.factory is not None and not callable(self.factory):
            raise ValueError(f"stage {self.name!r}: factory must be a callable, got {self.factory!r}")
        for field_name in ("workers", "queue_size", "batch_size"):
            value = getattr(self, field_name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"stage {self.name!r}: {field_name} must be a whole number >= 1, got {value!r}")
        if self.on_error not in ERROR_POLICIES:
            raise ValueError(f"stage {self.name!r}: on_error must be one of {ERROR_POLICIES}")
        self.policy = Policy.parse(self.policy)
        if self.reorder_window is None:
            self.reorder_window = max(2 * self.workers, self.batch_size * self.workers, 4)
        if self.reorder_window < self.workers * self.batch_size:
            raise ValueError(f"stage {self.name!r}: reorder_window must be >= workers * batch_size")

    def make_worker(self) -> Any:
        """Build the per-thread worker (called inside the worker thread)."""
        if self.factory is not None:
            return self.factory()
        assert self.fn is not None
        if isinstance(self.fn, Worker) and not callable(self.fn):
            return self.fn
        return FunctionWorker(self.fn)

    @property
    def take_per_get(self) -> int:
        """How many items a worker may take per channel round trip.

        Batching the take amortises the lock, but only where it cannot hurt: a single worker
        on a lossless edge. With several workers it would starve siblings; with a drop policy
        it would hide items from eviction and let latency grow.
        """
        if self.batch_size > 1:
            return self.batch_size
        if self.workers == 1 and self.policy is Policy.BLOCK:
            return 32
        return 1

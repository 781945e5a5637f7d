"""Per-stage and end-to-end metrics with lock-free recording and immutable snapshots.

Each worker thread owns a ``WorkerRecorder`` and is its only writer, so the hot path takes no
lock. ``StageMetrics.snapshot()`` merges the recorders from any thread; the merge may be a few
items behind a running worker, which is fine for a progress line and exact once the pipeline has
stopped (the final report is taken after every thread has been joined).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .channel import Channel, ChannelStats
from .histogram import Histogram

Clock = Callable[[], float]


class WorkerRecorder:
    """Counters written by exactly one worker thread."""

    __slots__ = ("busy", "items_in", "items_out", "latency", "service", "skipped")

    def __init__(self) -> None:
        self.items_in = 0
        self.items_out = 0
        self.skipped = 0
        self.busy = 0.0
        self.service = Histogram()
        self.latency = Histogram()  # end-to-end, recorded only by the last stage


@dataclass(frozen=True)
class StageSnapshot:
    """One stage at one moment: what it did, how fast, how busy, how full its input was."""

    name: str
    workers: int
    items_in: int
    items_out: int
    skipped: int
    fps: float
    service_ms: dict[str, float]
    busy: float
    queue: dict[str, Any]

    @property
    def dropped(self) -> int:
        return int(self.queue.get("dropped", 0))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["dropped"] = self.dropped
        d["queue_max"] = self.queue.get("max_depth", 0)
        return d


class StageMetrics:
    """Collects the recorders of one stage and turns them into snapshots."""

    def __init__(self, name: str, workers: int, channel: Channel[Any] | None) -> None:
        self.name = name
        self.workers = workers
        self.channel = channel
        self.recorders: list[WorkerRecorder] = [WorkerRecorder() for _ in range(workers)]

    def snapshot(self, elapsed: float) -> StageSnapshot:
        recs = list(self.recorders)
        service = Histogram()
        for r in recs:
            service = service.merge(r.service)
        items_out = sum(r.items_out for r in recs)
        busy = sum(r.busy for r in recs)
        qstats: ChannelStats | None = self.channel.stats() if self.channel is not None else None
        return StageSnapshot(
            name=self.name,
            workers=self.workers,
            items_in=sum(r.items_in for r in recs),
            items_out=items_out,
            skipped=sum(r.skipped for r in recs),
            fps=round(items_out / elapsed, 3) if elapsed > 0 else 0.0,
            service_ms=service.summary_ms(),
            busy=round(min(1.0, busy / (elapsed * self.workers)), 4) if elapsed > 0 else 0.0,
            queue=qstats.to_dict() if qstats else {},
        )

    def latency(self) -> Histogram:
        out = Histogram()
        for r in list(self.recorders):
            out = out.merge(r.latency)
        return out


@dataclass(frozen=True)
class PipelineSnapshot:
    """Everything the pipeline measured, as an immutable, JSON-serialisable value.

    ``captured == processed + dropped + skipped + in_flight``; once the pipeline has finished
    normally ``in_flight`` is 0.
    """

    status: str
    elapsed_s: float
    captured: int
    processed: int
    dropped: int
    skipped: int
    in_flight: int
    fps: float
    latency_ms: dict[str, float]
    stages: list[StageSnapshot] = field(default_factory=list)
    error: str | None = None

    def stage(self, name: str) -> StageSnapshot:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stages"] = [s.to_dict() for s in self.stages]
        return d

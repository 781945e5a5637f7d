"""Pipeline: a source thread feeding a chain of stages through bounded channels.

Data flow::

    source iterator --(capture thread)--> [ch0] --> stage0 workers --(reorder)--> [ch1] --> ...
                                                                                       --> last stage (sink)

* Each item travels as ``(seq, t_created, payload)``; ``seq`` is its position in source order
  and ``t_created`` (when the source produced it, or ``created_at(payload)`` if given, e.g. the
  frame's capture time) feeds the end-to-end latency recorded when the last stage finishes it.
* End of stream flows as ``close()`` on each channel: the capture thread closes ``ch0``; the
  last worker of a stage to finish closes the next channel.
* Stop (``stop()``, a failure, a signal) sets one event, aborts every channel and reorderer and
  interrupts the source, so every blocking wait in the engine returns at once. Worker threads
  then run their ``close()`` hooks and exit; ``run()`` joins them all before returning.
* The first failure wins: it is stored as a ``StageError`` (stage, item index, original
  exception as ``__cause__``) and re-raised by ``run()`` in the caller's thread.
* A failure on item K does not throw away the work done before it: the pipeline stops reading
  the source and aborts everything upstream of the failing stage (those items all come after K),
  but lets the items before K already past it flow on to the sink, so an output file holds every
  frame 0..K-1 (a source failure at K drains everything captured). Items K and later are
  discarded (counted as in flight at stop). The drain is bounded: after ``drain_on_error_s`` the
  pipeline stops hard. ``drain_on_error_s=0`` stops hard at once, as ``stop()`` does.

The per-item loop of each worker thread (adaptive bulk hand-off, error policy, tombstones) is
``work_loop.WorkLoop``; this module owns the lifecycle.

No daemon threads: ``run()`` joins every thread it started, and raises ``ShutdownTimeout`` naming
the culprits if a stage ignores the stop for longer than ``shutdown_timeout``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .channel import Channel
from .errors import ShutdownTimeout, StageError
from .metrics import Clock, PipelineSnapshot, StageMetrics
from .reorder import Reorderer
from .stage import Stage
from .work_loop import WorkLoop

SOURCE_STAGE = "source"


class Pipeline:
    """Runs ``source -> stages[0] -> ... -> stages[-1]``; the last stage is the sink."""

    def __init__(
        self,
        source: Iterable[Any],
        stages: Sequence[Stage],
        *,
        clock: Clock = time.perf_counter,
        shutdown_timeout: float = 10.0,
        name: str = "pipeline",
        created_at: Callable[[Any], float] | None = None,
        drain_on_error_s: float = 1.0,
    ) -> None:
        if not stages:
            raise ValueError("a pipeline needs at least one stage (the last one is the sink)")
        not_stages = [s for s in stages if not isinstance(s, Stage)]
        if not_stages:
            raise ValueError(f"stages must be Stage objects (wrap a function: Stage('name', fn)); got {not_stages[0]!r}")
        for arg, value in (("shutdown_timeout", shutdown_timeout), ("drain_on_error_s", drain_on_error_s)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
                raise ValueError(f"{arg} must be a number of seconds >= 0, got {value!r}")
        names = [s.name for s in stages]
        if len(set(names)) != len(names) or SOURCE_STAGE in names:
            raise ValueError(f"stage names must be unique and not {SOURCE_STAGE!r}: {names}")
        if stages[-1].workers != 1:
            raise ValueError(
                f"the last stage ({stages[-1].name!r}) is the sink and runs in one thread so output stays "
                "in source order; put parallel work in an earlier stage"
            )
        self.name = name
        self.source = source
        self.stages = list(stages)
        self.clock = clock
        self.shutdown_timeout = shutdown_timeout
        self.created_at = created_at
        self.drain_on_error_s = drain_on_error_s
        self._cutoff: int | None = None  # after a failure on item K: items >= K are discarded
        self._drain_deadline: float | None = None
        self.stop_event = threading.Event()
        self.channels: list[Channel[Any]] = [
            Channel(s.queue_size, s.policy, name=f"{s.name}.in") for s in self.stages
        ]
        self.metrics = [StageMetrics(s.name, s.workers, ch) for s, ch in zip(self.stages, self.channels)]
        # The capture thread is measured like a stage: its service time is the time spent
        # inside the source's next() (read + decode for a video file).
        self.source_metrics = StageMetrics(SOURCE_STAGE, 1, None)
        self.reorderers: list[Reorderer | None] = [None] * len(self.stages)
        self._captured = 0
        self._error: StageError | None = None
        self._error_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._t_start: float | None = None
        self._t_end: float | None = None
        self._interrupted = False
        self._draining = False  # no more source reads; what was captured still flows
        self._ran = False
        self._stop_hooks: list[Callable[[], object]] = []

    # -- control ----------------------------------------------------------------------------
    def stop(self, *, drain: bool = False, interrupted: bool = False) -> None:
        """Ask the pipeline to stop; safe from any thread and from a signal handler.

        ``drain=False`` (default): stop now; queued items are discarded, every thread exits
        promptly and runs its ``close()``. ``drain=True``: stop reading the source but let the
        items already captured flow through (used for ``--max-frames`` or a key press).
        """
        if interrupted:
            self._interrupted = True
        interrupt = getattr(self.source, "interrupt", None)
        if drain:
            self._draining = True
        else:
            self.stop_event.set()
            for ch in self.channels:
                ch.abort()
            for r in self.reorderers:
                if r is not None:
                    r.abort()
            for hook in self._stop_hooks:
                hook()
        if interrupt is not None:
            interrupt()

    def add_stop_hook(self, hook: Callable[[], object]) -> None:
        """Call ``hook()`` on a hard stop, e.g. to cancel a long model run mid-item.

        Hooks run in the thread that stops the pipeline, possibly a signal handler: they must
        be quick and must not block.
        """
        self._stop_hooks.append(hook)

    def _fail(self, stage: str, index: int | None, exc: BaseException) -> None:
        """Record the first failure, then stop: drain items before ``index``, or stop hard."""
        with self._error_lock:
            if self._error is None:
                self._error = StageError(stage, index, exc)
            if index is not None and (self._cutoff is None or index < self._cutoff):
                self._cutoff = index
        if index is None or self.drain_on_error_s <= 0 or self.stop_event.is_set():
            self.stop()
            return
        if self._drain_deadline is None:
            self._drain_deadline = time.monotonic() + self.drain_on_error_s
        # Everything upstream of the failing stage holds items after ``index``: drop it now.
        self._draining = True
        k = -1 if stage == SOURCE_STAGE else [s.name for s in self.stages].index(stage)
        for ch in self.channels[: k + 1]:
            ch.abort()
        for r in self.reorderers[: max(k, 0)]:
            if r is not None:
                r.abort()
        interrupt = getattr(self.source, "interrupt", None)
        if interrupt is not None:
            interrupt()

    @property
    def error(self) -> StageError | None:
        return self._error

    # -- threads ----------------------------------------------------------------------------
    def _capture(self) -> None:
        out = self.channels[0]
        clock = self.clock
        recorder = self.source_metrics.recorders[0]
        created_at = self.created_at
        seq = 0
        iterator = None
        try:
            iterator = iter(self.source)
            while not self.stop_event.is_set() and not self._draining:
                t0 = clock()
                try:
                    payload = next(iterator)
                except StopIteration:
                    break
                t1 = clock()
                recorder.service.record(t1 - t0)
                recorder.busy += t1 - t0
                if self.stop_event.is_set():
                    break
                self._captured = seq + 1
                recorder.items_out += 1
                out.put((seq, t1 if created_at is None else created_at(payload), payload))
                seq += 1
        except BaseException as exc:  # noqa: BLE001 - any source failure stops the pipeline
            self._fail(SOURCE_STAGE, seq, exc)
        finally:
            out.close()
            for closer in (getattr(iterator, "close", None), getattr(self.source, "close", None)):
                if closer is None:
                    continue
                try:
                    closer()
                except BaseException as exc:  # noqa: BLE001
                    self._fail(SOURCE_STAGE, None, exc)

    def _start_threads(self) -> None:
        for k, stage in enumerate(self.stages):
            if stage.workers > 1 and k < len(self.stages) - 1:
                self.reorderers[k] = Reorderer(stage.reorder_window or 4, self.channels[k + 1].put, stage.name)
        threads = [threading.Thread(target=self._capture, name=f"{self.name}-{SOURCE_STAGE}")]
        for k, stage in enumerate(self.stages):
            out = self.channels[k + 1] if k + 1 < len(self.stages) else None
            on_exit = self._last_worker_closes(out, stage.workers)
            for w in range(stage.workers):
                loop = WorkLoop(stage, self.channels[k], out, self.reorderers[k], self.metrics[k].recorders[w],
                                stop=self.stop_event, clock=self.clock, cutoff=lambda: self._cutoff,
                                fail=self._fail, on_exit=on_exit)
                threads.append(threading.Thread(target=loop.run, name=f"{self.name}-{stage.name}-{w}"))
        self._threads = threads
        self._t_start = self.clock()
        for t in threads:
            t.start()

    @staticmethod
    def _last_worker_closes(out: Channel[Any] | None, workers: int) -> Callable[[], None]:
        """End of stream for the next stage: its input closes when the last worker of this one exits."""
        remaining = [workers]
        lock = threading.Lock()

        def on_exit() -> None:
            with lock:
                remaining[0] -= 1
                last_out = remaining[0] == 0
            if last_out and out is not None:
                out.close()

        return on_exit

    def _join_all(self, on_tick: Callable[[], object] | None, tick_s: float) -> None:
        """Wait for every thread; wakes every ``tick_s`` to run ``on_tick``, to enforce the drain
        deadline after a failure (a stage stuck while draining then gets a hard stop), and to
        bound the wait after a hard stop by ``shutdown_timeout``."""
        for t in self._threads:
            while t.is_alive():
                t.join(tick_s)
                if on_tick is not None:
                    on_tick()
                deadline = self._drain_deadline
                if deadline is not None and time.monotonic() > deadline:
                    self.stop()
                if self.stop_event.is_set():
                    self._join_after_stop()
                    return

    def _join_after_stop(self) -> None:
        deadline = time.monotonic() + self.shutdown_timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in self._threads if t.is_alive()]
        if stuck:
            raise ShutdownTimeout(f"threads still running {self.shutdown_timeout}s after stop: {stuck}")

    # -- running ----------------------------------------------------------------------------
    def run(self, on_tick: Callable[[], object] | None = None, tick_s: float = 0.05) -> PipelineSnapshot:
        """Start every thread, wait for the end, join them, return the final snapshot.

        ``on_tick`` runs in the calling thread every ``tick_s`` while waiting (a display window
        must be pumped from the main thread). Raises the first ``StageError``; a
        ``KeyboardInterrupt`` stops the pipeline, joins its threads and is re-raised.
        """
        if self._ran:
            raise RuntimeError("a Pipeline runs once; build a new one")
        self._ran = True
        self._start_threads()
        try:
            self._join_all(on_tick, tick_s)
        except ShutdownTimeout:  # already stopped and waited shutdown_timeout: do not wait again
            self._t_end = self.clock()
            raise
        except BaseException:
            self.stop(interrupted=True)
            self._join_after_stop()
            self._t_end = self.clock()
            raise
        self._t_end = self.clock()
        if self._error is not None:
            raise self._error
        return self.snapshot()

    def __enter__(self) -> Pipeline:  # noqa: PYI034 - Self needs Python 3.11
        return self

    def __exit__(self, *exc: object) -> None:
        if self._threads:
            self.stop()
            self._join_after_stop()

    # -- observing --------------------------------------------------------------------------
    def threads(self) -> list[threading.Thread]:
        return list(self._threads)

    def snapshot(self) -> PipelineSnapshot:
        """Metrics now (from any thread) or final (after ``run``)."""
        if self._t_start is None:
            elapsed = 0.0
        else:
            elapsed = (self._t_end if self._t_end is not None else self.clock()) - self._t_start
        stages = [m.snapshot(elapsed) for m in [self.source_metrics, *self.metrics]]
        processed = stages[-1].items_out
        dropped = sum(s.dropped for s in stages)
        skipped = sum(s.skipped for s in stages)
        captured = self._captured
        if self._error is not None:
            status = "error"
        elif self._interrupted:
            status = "interrupted"
        elif self._t_end is not None:
            status = "stopped" if self.stop_event.is_set() else "ok"
        else:
            status = "running" if self._t_start is not None else "new"
        return PipelineSnapshot(
            status=status,
            elapsed_s=round(elapsed, 4),
            captured=captured,
            processed=processed,
            dropped=dropped,
            skipped=skipped,
            in_flight=captured - processed - dropped - skipped,
            fps=round(processed / elapsed, 3) if elapsed > 0 else 0.0,
            latency_ms=self.metrics[-1].latency().summary_ms(),
            stages=stages,
            error=str(self._error) if self._error is not None else None,
        )

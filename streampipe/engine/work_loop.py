"""The loop one worker thread of a stage runs: take items, process them, pass them on.

Split from ``pipeline.py`` so the pipeline keeps the lifecycle (threads, stop, failure, drain) and
this module keeps the per-item path, the hot one. What the loop needs from its pipeline is passed
in explicitly (the stop event, the clock, the failure cut-off and the failure callback).

* **Adaptive take**: items that cost microseconds are taken and passed on in bulk (one lock round
  trip per batch), items that cost milliseconds one at a time, so the next stage starts on each as
  soon as it is done. Decided from the last batch's cost per item.
* **Sampled timing**: in a bulk batch one item in ``SAMPLE_EVERY`` is timed for the percentiles and
  the whole batch for busy time; timing each would cost more than the items. Counts stay exact.
* **Error policy**: ``fail`` reports the item's index to the pipeline (which drains items before
  it) after passing on the results finished before it; ``skip`` counts it and leaves a tombstone.
* **Void items**: after a failure on item K, items K and later are dropped with tombstones, so a
  reorderer after parallel workers moves past them instead of waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .channel import Channel
from .metrics import Clock, WorkerRecorder
from .reorder import TOMBSTONE, Reorderer
from .stage import Stage

FAST_ITEM_S = 200e-6  # items cheaper than this travel in bulk
SAMPLE_EVERY = 4  # in bulk batches, one item in this many is timed for the percentiles

Envelope = tuple[int, float, Any]  # (seq in source order, t_created, payload)


def void(reorder: Reorderer | None, ticket: int, n: int) -> None:
    """Tombstones for ``n`` tickets from ``ticket`` (skipped, failed or void items)."""
    if reorder is not None:
        for i in range(n):
            reorder.deliver(ticket + i, TOMBSTONE)


class WorkLoop:
    """One worker thread of ``stage``: ``run`` is the thread's target."""

    def __init__(
        self,
        stage: Stage,
        inp: Channel[Any],
        out: Channel[Any] | None,
        reorder: Reorderer | None,
        recorder: WorkerRecorder,
        *,
        stop: threading.Event,
        clock: Clock,
        cutoff: Callable[[], int | None],
        fail: Callable[[str, int | None, BaseException], None],
        on_exit: Callable[[], None],
    ) -> None:
        self.stage, self.inp, self.out, self.reorder, self.recorder = stage, inp, out, reorder, recorder
        self.stop, self.clock, self.cutoff, self.fail, self.on_exit = stop, clock, cutoff, fail, on_exit
        self.last = out is None  # the sink: records end-to-end latency
        self.batch_mode = stage.batch_size > 1
        self.take = stage.take_per_get
        self.adaptive = self.take > 1 and not self.batch_mode
        self.bulk = self.adaptive and out is not None and reorder is None
        self.skip_on_error = stage.on_error == "skip"
        self.process: Callable[[Any], Any] = lambda item: item

    def run(self) -> None:
        worker = None
        try:
            worker = self.stage.make_worker()
            opener = getattr(worker, "open", None)
            if opener is not None:
                opener()
            self.process = worker.process
            cur_take = 1 if self.adaptive else self.take
            while not self.stop.is_set():
                ticket, batch = self.inp.get_batch(cur_take, self.stage.batch_wait_s)
                if not batch:
                    break
                self.recorder.items_in += len(batch)
                cutoff = self.cutoff()
                if cutoff is not None:  # draining after a failure: items from K on are void
                    keep = [env for env in batch if env[0] < cutoff]  # a prefix: seqs increase
                    void(self.reorder, ticket + len(keep), len(batch) - len(keep))
                    batch = keep
                    if not batch:
                        continue
                t0 = self.clock()
                if not self._handle(ticket, batch):
                    return
                if self.adaptive:
                    cur_take = self.take if (self.clock() - t0) < FAST_ITEM_S * len(batch) else 1
        except BaseException as exc:  # noqa: BLE001 - open() or infrastructure failure
            self.fail(self.stage.name, None, exc)
        finally:
            closer = getattr(worker, "close", None)
            if closer is not None:
                try:
                    closer()
                except BaseException as exc:  # noqa: BLE001
                    self.fail(self.stage.name, None, exc)
            self.on_exit()

    def _handle(self, ticket: int, batch: list[Envelope]) -> bool:
        """Process one taken batch; False when the worker must exit (a failure or a stop)."""
        t0 = self.clock()
        results = None
        if self.batch_mode:
            try:
                results = self.process([env[2] for env in batch])
                if len(results) != len(batch):
                    raise ValueError(f"batch stage returned {len(results)} results for {len(batch)}")
            except Exception as exc:  # noqa: BLE001 - the stage's error policy decides
                return self._on_error(exc, batch[0][0], ticket, len(batch), len(batch), [])
        sampled = results is None and not self.last and len(batch) > 1
        # Locals: this loop runs once per item per stage, so every attribute lookup shows up.
        clock, process, recorder, stop, reorder = self.clock, self.process, self.recorder, self.stop, self.reorder
        pending: list[Envelope] = []
        for i, env in enumerate(batch):
            if stop.is_set():  # a hard stop does not wait for the rest of a taken batch
                break
            if results is None:
                timed = not sampled or i % SAMPLE_EVERY == 0
                t_item = clock() if timed else 0.0
                try:
                    payload = process(env[2])
                except Exception as exc:  # noqa: BLE001 - the stage's error policy decides
                    if not self._on_error(exc, env[0], ticket + i, 1, len(batch) - i, pending):
                        return False
                    continue
                t_done = clock() if timed else 0.0
                if timed:
                    recorder.service.record(t_done - t_item)
                    if not sampled:
                        recorder.busy += t_done - t_item
            else:
                payload = results[i]
                t_done = clock()
            # Pass the result on: latency at the sink, else the reorderer, a bulk batch or the channel.
            recorder.items_out += 1
            cutoff = self.cutoff()
            if self.last:
                recorder.latency.record(t_done - env[1])
            elif cutoff is not None and env[0] >= cutoff:
                recorder.items_out -= 1  # finished after a failure on an earlier item: void
                void(reorder, ticket + i, 1)
            elif reorder is not None:
                reorder.deliver(ticket + i, (env[0], env[1], payload))
            elif self.bulk:
                pending.append((env[0], env[1], payload))
            else:
                self.out.put((env[0], env[1], payload))  # type: ignore[union-attr] - not the sink
        if sampled:
            recorder.busy += clock() - t0
        if pending:
            self.out.put_many(pending)  # type: ignore[union-attr] - pending only when out exists
        if self.batch_mode:
            dt = clock() - t0
            recorder.service.record(dt)
            recorder.busy += dt
        return True

    def _on_error(self, exc: Exception, seq: int, ticket: int, n_failed: int, n_to_end: int,
                  pending: list[Envelope]) -> bool:
        """Apply the stage's error policy to ``n_failed`` items from ``ticket`` (one item, or a
        whole model batch); ``n_to_end`` tickets remain in the taken batch from that one on.

        Returns False when the worker must exit: the stop cancelled the item (e.g. a model run
        aborted mid-item, not a failure), or the policy is ``fail``. Under ``fail`` the results
        finished before the failing item still go downstream, the pipeline learns the failing
        item's ``seq``, and every remaining ticket of the taken batch gets a tombstone.
        """
        if self.stop.is_set():
            return False
        if not self.skip_on_error:
            if pending:
                self.out.put_many(pending)  # type: ignore[union-attr] - pending only when out exists
                pending.clear()
            self.fail(self.stage.name, seq, exc)
            void(self.reorder, ticket, n_to_end)
            return False
        self.recorder.skipped += n_failed
        void(self.reorder, ticket, n_failed)
        return True

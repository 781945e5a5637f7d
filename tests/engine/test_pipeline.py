"""Pipeline: order, exact counts, first-error propagation, bounded shutdown, no leaked threads."""

from __future__ import annotations

import json
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streampipe.engine import Pipeline, Policy, ShutdownTimeout, Stage, StageError

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("no_leaked_threads")]


class Collect:
    """A sink that records what reaches it."""

    def __init__(self) -> None:
        self.items: list = []

    def __call__(self, item):
        self.items.append(item)
        return item


def sleeper(seconds_for):
    def fn(x):
        time.sleep(seconds_for(x))
        return x

    return fn


stage_spec = st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(0, 3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(stage_spec, min_size=1, max_size=3), n=st.integers(0, 60), seed=st.integers(0, 10**6))
def test_block_policy_matches_the_sequential_reference(specs, n, seed) -> None:
    """For random stages/workers/sizes/delays, lossless output equals a plain sequential loop."""
    stages = []
    for k, (workers, qsize, delay_mod) in enumerate(specs):
        def fn(x, k=k, delay_mod=delay_mod):
            if delay_mod and (x * 7919 + seed + k) % 4 == 0:
                time.sleep(0.0005 * delay_mod)
            return x * 3 + k

        stages.append(Stage(f"s{k}", fn, workers=workers, queue_size=qsize))
    sink = Collect()
    stages.append(Stage("sink", sink))
    expected = []
    for x in range(n):
        for k in range(len(specs)):
            x = x * 3 + k
        expected.append(x)

    report = Pipeline(range(n), stages).run()

    assert sink.items == expected
    assert report.captured == report.processed == n
    assert report.dropped == report.skipped == report.in_flight == 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(st.tuples(st.integers(1, 3), st.integers(1, 4), st.sampled_from(list(Policy))), min_size=1,
                   max_size=3),
    n=st.integers(1, 200),
)
def test_drop_policies_give_an_increasing_subsequence_and_exact_counts(specs, n) -> None:
    stages = [
        Stage(f"s{k}", sleeper(lambda x: 0.0002 if x % 3 == 0 else 0), workers=w, queue_size=q, policy=pol)
        for k, (w, q, pol) in enumerate(specs)
    ]
    sink = Collect()
    stages.append(Stage("sink", sink, queue_size=2, policy="drop-oldest"))

    report = Pipeline(range(n), stages).run()

    assert all(a < b for a, b in zip(sink.items, sink.items[1:]))
    assert set(sink.items) <= set(range(n))
    assert report.captured == n
    assert report.captured == report.processed + report.dropped
    assert report.processed == len(sink.items)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_stages=st.integers(1, 3), workers=st.integers(1, 3), fail_stage=st.integers(0, 2),
       fail_at=st.integers(0, 40))
def test_an_injected_failure_names_its_stage_and_item(n_stages, workers, fail_stage, fail_at) -> None:
    fail_stage %= n_stages

    def make(k):
        def fn(x):
            if k == fail_stage and x == fail_at:
                raise ZeroDivisionError(f"boom at {x}")
            return x
        return fn

    stages = [Stage(f"s{k}", make(k), workers=workers, queue_size=2) for k in range(n_stages)]
    stages.append(Stage("sink", lambda x: x))
    t0 = time.monotonic()
    with pytest.raises(StageError) as info:
        Pipeline(range(50), stages).run()
    assert time.monotonic() - t0 < 2.0
    assert info.value.stage == f"s{fail_stage}"
    assert info.value.index == fail_at
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert info.value.__cause__.__traceback__ is not None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_stages=st.integers(1, 3), workers=st.integers(1, 3), fail_stage=st.integers(0, 3),
       fail_at=st.integers(0, 40), batch=st.sampled_from([1, 1, 3]))
def test_a_failure_at_item_k_still_delivers_items_0_to_k_minus_1(n_stages, workers, fail_stage, fail_at,
                                                                 batch) -> None:
    """Nothing finished before a fault is lost: the sink gets exactly 0..K-1, in order."""
    fail_stage %= n_stages + 1  # n_stages means the sink itself fails

    def make(k):
        def fn(x):
            if k == fail_stage and x == fail_at:
                raise ZeroDivisionError(f"boom at {x}")
            time.sleep(0.0005 * (x % 3))  # workers finish out of order
            return x
        return fn

    def batched(fn):
        return lambda xs: [fn(x) for x in xs]

    sink = Collect()
    stages = [Stage(f"s{k}", batched(make(k)) if batch > 1 else make(k), workers=workers, queue_size=2,
                    batch_size=batch) for k in range(n_stages)]
    fail_sink = make(n_stages)
    stages.append(Stage("sink", lambda x: sink(fail_sink(x))))
    t0 = time.monotonic()
    with pytest.raises(StageError) as info:
        Pipeline(range(100), stages).run()
    assert time.monotonic() - t0 < 2.0
    assert info.value.stage == (f"s{fail_stage}" if fail_stage < n_stages else "sink")
    k = info.value.index  # a failed micro-batch is reported at its first item
    assert k == fail_at if batch == 1 or fail_stage == n_stages else fail_at - batch < k <= fail_at
    assert sink.items == list(range(k))


def test_source_failure_drains_every_captured_item() -> None:
    def source():
        yield from range(30)
        raise OSError("decode error")

    sink = Collect()
    with pytest.raises(StageError, match="decode error") as info:
        Pipeline(source(), [Stage("a", sleeper(lambda x: 0.001), workers=3, queue_size=4),
                            Stage("sink", sink)]).run()
    assert info.value.index == 30 and sink.items == list(range(30))


def test_a_slow_drain_is_cut_short_at_the_deadline() -> None:
    def boom(x):
        if x == 20:
            raise RuntimeError("model failed")
        return x

    sink = Collect()
    p = Pipeline(range(100), [Stage("infer", boom, queue_size=30), Stage("slow", sleeper(lambda x: 0.05),
                              queue_size=30), Stage("out", sink)], drain_on_error_s=0.3)
    t0 = time.monotonic()
    with pytest.raises(StageError, match="model failed"):
        p.run()
    assert time.monotonic() - t0 < 0.3 + 0.5
    assert 0 < len(sink.items) < 20 and sink.items == list(range(len(sink.items)))


def test_source_failure_is_reported_as_the_source_stage() -> None:
    def source():
        yield 0
        yield 1
        raise OSError("camera unplugged")

    with pytest.raises(StageError, match="camera unplugged") as info:
        Pipeline(source(), [Stage("sink", lambda x: x)]).run()
    assert info.value.stage == "source" and info.value.index == 2


def test_skip_policy_turns_failures_into_counted_tombstones() -> None:
    def flaky(x):
        if x % 5 == 0:
            raise ValueError("bad frame")
        return x

    sink = Collect()
    report = Pipeline(range(50), [Stage("flaky", flaky, workers=3, on_error="skip"), Stage("sink", sink)]).run()
    assert sink.items == [x for x in range(50) if x % 5]
    assert report.skipped == 10 and report.stage("flaky").skipped == 10
    assert report.captured == report.processed + report.skipped


def endless():
    i = 0
    while True:
        yield i
        i += 1


def run_in_thread(pipeline: Pipeline):
    box: dict = {}

    def target():
        try:
            box["report"] = pipeline.run()
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    return t, box


def test_stop_while_the_producer_is_blocked_on_a_full_channel() -> None:
    gate = threading.Event()
    producing_overflow = threading.Event()

    def source():
        for i in range(10**6):
            if i == 3:  # item 0 is in the worker, 1 and 2 fill the channel: put(3) blocks
                producing_overflow.set()
            yield i

    p = Pipeline(source(), [Stage("slow", lambda x: gate.wait() and x, queue_size=2), Stage("sink", lambda x: x)])
    t, box = run_in_thread(p)
    assert producing_overflow.wait(5)
    t0 = time.monotonic()
    p.stop()
    gate.set()
    t.join(2.0)
    assert not t.is_alive() and time.monotonic() - t0 < 2.0
    assert box["report"].status == "stopped"
    assert box["report"].processed == 0 and box["report"].in_flight == box["report"].captured >= 4


def test_stop_while_workers_are_mid_item_runs_close_hooks() -> None:
    started = threading.Barrier(3)
    closed: list[int] = []

    class SlowWorker:
        def __init__(self) -> None:
            self.id = len(closed)

        def process(self, x):
            if x < 2:
                started.wait()
            time.sleep(0.2)
            return x

        def close(self) -> None:
            closed.append(1)

    p = Pipeline(endless(), [Stage("slow", factory=SlowWorker, workers=2), Stage("sink", lambda x: x)])
    t, _ = run_in_thread(p)
    started.wait(5)
    t0 = time.monotonic()
    p.stop()
    t.join(2.0)
    assert not t.is_alive() and time.monotonic() - t0 < 2.0
    assert len(closed) == 2


def test_drain_stop_lets_captured_items_finish() -> None:
    seen = threading.Event()
    sink = Collect()

    def mark(x):
        if x == 20:
            seen.set()
        return x

    p = Pipeline(endless(), [Stage("a", mark, workers=2), Stage("sink", sink)])
    t, box = run_in_thread(p)
    assert seen.wait(5)
    p.stop(drain=True)
    t.join(5)
    report = box["report"]
    assert report.status == "ok"
    assert sink.items == list(range(report.captured))
    assert report.in_flight == 0


def test_sink_close_runs_on_failure_elsewhere() -> None:
    events: list[str] = []

    class Sink:
        def open(self) -> None:
            events.append("open")

        def process(self, x):
            return x

        def close(self) -> None:
            events.append("close")

    def boom(x):
        if x == 10:
            raise RuntimeError("model exploded")
        return x

    with pytest.raises(StageError):
        Pipeline(range(100), [Stage("infer", boom), Stage("sink", factory=Sink)]).run()
    assert events == ["open", "close"]


def test_micro_batches_are_gathered_and_results_stay_in_order() -> None:
    sizes: list[int] = []

    def batch_fn(xs):
        sizes.append(len(xs))
        return [x * 2 for x in xs]

    sink = Collect()
    report = Pipeline(range(103), [Stage("model", batch_fn, batch_size=8, batch_wait_s=0.01, workers=2,
                                         queue_size=16), Stage("sink", sink)]).run()
    assert sink.items == [2 * x for x in range(103)]
    assert max(sizes) <= 8 and sum(sizes) == 103
    assert report.stage("model").items_out == 103


def test_metrics_snapshot_from_another_thread_is_json_serialisable() -> None:
    seen = threading.Event()
    go = threading.Event()

    def work(x):
        if x == 5:
            seen.set()
            go.wait()
        return x

    p = Pipeline(range(200), [Stage("work", work), Stage("sink", lambda x: x)])
    t, box = run_in_thread(p)
    assert seen.wait(5)
    live = p.snapshot()
    assert live.status == "running"
    json.dumps(live.to_dict())
    go.set()
    t.join(5)
    final = box["report"].to_dict()
    json.dumps(final)
    stage = final["stages"][0]
    assert stage["items_out"] == 200 and stage["service_ms"]["count"] == 200
    assert 0.0 <= stage["busy"] <= 1.0
    assert final["latency_ms"]["count"] == 200 and final["latency_ms"]["p99"] >= final["latency_ms"]["p50"]


def test_injected_clock_drives_service_times() -> None:
    ticks = iter(range(10**6))

    def clock() -> float:
        return float(next(ticks))

    report = Pipeline(range(10), [Stage("sink", lambda x: x)], clock=clock).run()
    assert report.stage("sink").service_ms["p50"] == pytest.approx(1000.0, rel=0.05)


def test_keyboard_interrupt_in_run_stops_and_joins() -> None:
    calls = []

    def tick():
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt

    p = Pipeline(endless(), [Stage("a", lambda x: x), Stage("sink", sleeper(lambda x: 0.001))])
    with pytest.raises(KeyboardInterrupt):
        p.run(on_tick=tick, tick_s=0.01)
    assert p.snapshot().status == "interrupted"
    assert not any(t.is_alive() for t in p.threads())


def test_a_stage_that_ignores_stop_is_named_in_shutdown_timeout() -> None:
    release = threading.Event()
    entered = threading.Event()

    def stubborn(x):
        entered.set()
        release.wait()
        return x

    p = Pipeline(endless(), [Stage("stubborn", stubborn), Stage("sink", lambda x: x)], shutdown_timeout=0.2)
    t, _ = run_in_thread(p)
    try:
        assert entered.wait(5)
        with pytest.raises(ShutdownTimeout, match="stubborn"):
            p.__exit__(None, None, None)  # what leaving a `with Pipeline(...)` block does
    finally:
        release.set()
        t.join(5)


def test_run_bounds_its_wait_after_an_outside_stop_by_shutdown_timeout() -> None:
    """``stop()`` from another thread while a stage ignores it: ``run()`` itself raises
    ``ShutdownTimeout`` after ``shutdown_timeout``, instead of waiting for the stage."""
    release = threading.Event()
    entered = threading.Event()

    def stubborn(x):
        entered.set()
        release.wait()
        return x

    p = Pipeline(endless(), [Stage("stubborn", stubborn), Stage("sink", lambda x: x)], shutdown_timeout=1.0)
    t, box = run_in_thread(p)
    try:
        assert entered.wait(5)
        t_stop = time.monotonic()
        p.stop()
        t.join(5)
        assert not t.is_alive() and time.monotonic() - t_stop < 1.0 + 0.8  # one timeout, not two
        assert isinstance(box.get("error"), ShutdownTimeout) and "stubborn" in str(box["error"])
        assert p.snapshot().status == "stopped"  # a stop from outside, not an interruption
    finally:
        release.set()
        for thread in p.threads():
            thread.join(5)


def test_bad_stage_configs_are_refused() -> None:
    with pytest.raises(ValueError, match="sink"):
        Pipeline([], [Stage("sink", lambda x: x, workers=2)])
    with pytest.raises(ValueError, match="exactly one"):
        Stage("x")
    with pytest.raises(ValueError, match="unique"):
        Pipeline([], [Stage("a", lambda x: x), Stage("a", lambda x: x)])
    for bad in ({"workers": "2"}, {"workers": 0}, {"queue_size": 2.5}, {"queue_size": 0}, {"batch_size": True}):
        with pytest.raises(ValueError, match=f"{next(iter(bad))} must be a whole number >= 1"):
            Stage("a", lambda x: x, **bad)
    for bad in ({"fn": 5}, {"fn": "notfn"}, {"factory": 5}):
        with pytest.raises(ValueError, match=f"{next(iter(bad))} must be a callable"):
            Stage("a", **bad)
    with pytest.raises(ValueError, match="Stage objects"):
        Pipeline([], [lambda x: x])
    for bad in ({"shutdown_timeout": -1}, {"shutdown_timeout": "x"}, {"drain_on_error_s": float("nan")}):
        with pytest.raises(ValueError, match=f"{next(iter(bad))} must be a number of seconds"):
            Pipeline([], [Stage("sink", lambda x: x)], **bad)


def test_stop_hooks_run_on_a_hard_stop_only() -> None:
    calls: list[str] = []
    p = Pipeline(range(10), [Stage("sink", lambda x: x)])
    p.add_stop_hook(lambda: calls.append("cancel"))
    p.run()
    assert calls == []  # a normal end is not a stop
    p.stop(drain=True)
    assert calls == []
    p.stop()
    assert calls == ["cancel"]


def test_an_item_aborted_by_the_stop_itself_is_not_reported_as_a_failure() -> None:
    """A stop hook that cancels in-flight work makes that work raise; the run is 'stopped', not failed."""
    started = threading.Event()
    cancelled = threading.Event()

    def cancellable(x):
        started.set()
        if cancelled.wait(5):
            raise RuntimeError("run cancelled")
        return x

    p = Pipeline(endless(), [Stage("model", cancellable), Stage("sink", lambda x: x)])
    p.add_stop_hook(cancelled.set)
    t, box = run_in_thread(p)
    assert started.wait(5)
    p.stop()
    t.join(5)
    assert "error" not in box and box["report"].status == "stopped" and box["report"].error is None

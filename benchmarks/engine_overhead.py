"""Engine overhead: the streampipe engine vs a plain chain of ``queue.Queue`` threads.

Both push the same integers through the same number of no-op stages, in the same process, one
after the other, so the ratio is meaningful on a noisy shared machine even if absolute rates are
not. Prints items/s for both, their ratio and the per-hop overhead in microseconds.

    python benchmarks/engine_overhead.py [--items 200000] [--stages 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import queue
import threading
import time

from streampipe.engine import Pipeline, Stage

_END = object()


def plain_queue_chain(n_items: int, n_stages: int, maxsize: int) -> float:
    """Reference: one thread per stage, ``queue.Queue`` between them, a sentinel at the end."""
    queues = [queue.Queue(maxsize) for _ in range(n_stages + 1)]

    def stage(q_in: queue.Queue, q_out: queue.Queue) -> None:
        while True:
            item = q_in.get()
            q_out.put(item)
            if item is _END:
                return

    threads = [threading.Thread(target=stage, args=(queues[i], queues[i + 1])) for i in range(n_stages)]
    sink_count = [0]

    def sink() -> None:
        q = queues[-1]
        while q.get() is not _END:
            sink_count[0] += 1

    threads.append(threading.Thread(target=sink))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for i in range(n_items):
        queues[0].put(i)
    queues[0].put(_END)
    for t in threads:
        t.join()
    assert sink_count[0] == n_items
    return time.perf_counter() - t0


def engine_chain(n_items: int, n_stages: int, maxsize: int) -> float:
    def noop(x):
        return x

    stages = [Stage(f"s{i}", noop, queue_size=maxsize) for i in range(n_stages)]
    stages.append(Stage("sink", noop, queue_size=maxsize))
    t0 = time.perf_counter()
    report = Pipeline(range(n_items), stages).run()
    elapsed = time.perf_counter() - t0
    assert report.processed == n_items
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--stages", type=int, default=4, help="no-op stages (a sink thread is added to both)")
    ap.add_argument("--queue-size", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs; the best of each is kept")
    args = ap.parse_args()

    best_plain = best_engine = float("inf")
    for _ in range(args.repeat):
        best_plain = min(best_plain, plain_queue_chain(args.items, args.stages, args.queue_size))
        best_engine = min(best_engine, engine_chain(args.items, args.stages, args.queue_size))
    hops = args.stages + 1
    plain_rate = args.items / best_plain
    engine_rate = args.items / best_engine
    print(f"items={args.items} stages={args.stages} (+sink) queue_size={args.queue_size} repeat={args.repeat}")
    print(f"plain queue.Queue chain : {plain_rate:12,.0f} items/s  ({best_plain / args.items / hops * 1e6:.2f} us/hop)")
    print(f"streampipe engine       : {engine_rate:12,.0f} items/s  ({best_engine / args.items / hops * 1e6:.2f} us/hop)")
    print(f"ratio engine/plain      : {engine_rate / plain_rate:.2f}  (goal >= 1.0)")


if __name__ == "__main__":
    main()

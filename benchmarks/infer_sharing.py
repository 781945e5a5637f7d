"""Does one ORT session shared by N threads beat one session per thread? 1 or 2 intra-op threads? Spin?

Runs YOLOX-Nano (416) on vtest.avi frames and CenterFace on 640x480 asl_again.mkv frames (real data from
$STREAMPIPE_TEST_DATA) through ``Model.detect`` in several configurations and prints frames/s, so the
defaults in ``streampipe.inference.session`` are chosen from numbers, not folklore.

    STREAMPIPE_TEST_DATA=../shared/data python benchmarks/infer_sharing.py [--seconds 2]

"busy" rows add one background thread doing OpenCV work (a stand-in for the decode/render stages) and
report its throughput too: spinning intra-op threads steal that core.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from streampipe.inference import available_cpus, load_model


def frames(path: Path, n: int, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while len(out) < n:
        ok, img = cap.read()
        if not ok:
            break
        out.append(cv2.resize(img, size) if size else img)
    cap.release()
    return out


def busy_loop(stop: threading.Event, counter: list[int]) -> None:
    img = np.random.default_rng(0).integers(0, 255, (576, 768, 3), np.uint8)
    while not stop.is_set():
        cv2.GaussianBlur(img, (15, 15), 0)
        counter[0] += 1


def run(models, imgs, seconds: float, busy: bool) -> tuple[float, float]:
    """Each model (one per worker thread; the same object when shared) detects until time is up."""
    stop = threading.Event()
    counts = [0] * len(models)
    bg = [0]

    def worker(k: int) -> None:
        m, i = models[k], k
        while not stop.is_set():
            m.detect(imgs[i % len(imgs)])
            i += 1
            counts[k] += 1

    for m in set(map(id, models)):  # warm up every distinct session once
        next(x for x in models if id(x) == m).detect(imgs[0])
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(models))]
    if busy:
        threads.append(threading.Thread(target=busy_loop, args=(stop, bg)))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    dt = time.perf_counter() - t0
    return sum(counts) / dt, bg[0] / dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="measurement time per configuration")
    ap.add_argument("--repeat", type=int, default=2, help="rounds per configuration; the best round is shown")
    args = ap.parse_args()
    data = Path(os.environ.get("STREAMPIPE_TEST_DATA", "../shared/data"))
    if not (data / "models").is_dir():
        print(f"no test data at {data}; set STREAMPIPE_TEST_DATA", file=sys.stderr)
        return 2
    cases = {
        "yolox-nano": (str(data / "models" / "yolox_nano.onnx"), frames(data / "videos" / "vtest.avi", 40)),
        "centerface": (None, frames(data / "videos" / "asl_again.mkv", 20, (640, 480))),
    }
    print(
        f"cpus available: {available_cpus()}, best of {args.repeat} x {args.seconds:.1f} s per row; "
        f"load average before: {os.getloadavg()[0]:.2f}; frames/s (higher is better)"
    )
    configs = [
        # label, worker threads, intra-op threads, per-thread sessions, spinning, background busy thread
        ("1 worker, intra 1", 1, 1, False, False, False),
        ("1 worker, intra 2, spin", 1, 2, False, True, False),
        ("1 worker, intra 2, no spin", 1, 2, False, False, False),
        ("2 workers shared session, intra 1", 2, 1, False, True, False),
        ("2 workers own sessions, intra 1", 2, 1, True, True, False),
        ("2 workers shared session, intra 2", 2, 2, False, False, False),
        ("4 workers shared session, intra 1", 4, 1, False, True, False),
        ("busy: 1 worker, intra 2, spin", 1, 2, False, True, True),
        ("busy: 1 worker, intra 2, no spin", 1, 2, False, False, True),
        ("busy: 1 worker, intra 1", 1, 1, False, False, True),
    ]
    for name, (spec, imgs) in cases.items():
        print(f"\n{name} ({imgs[0].shape[1]}x{imgs[0].shape[0]} frames)")
        print(f"  {'configuration':40s} {'fps':>7s} {'ms/frame':>9s} {'busy-thread it/s':>17s}")
        for label, workers, intra, own, spin, busy in configs:
            base = load_model(spec, intra_op_threads=intra, allow_spinning=spin)
            models = [base.clone() if own and k else base for k in range(workers)]
            # best of N: other processes on a shared box only ever make a round slower
            fps, bg = max(run(models, imgs, args.seconds, busy) for _ in range(args.repeat))
            extra = f"{bg:17.1f}" if busy else ""
            print(f"  {label:40s} {fps:7.1f} {1000 / fps:9.1f} {extra}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Goal 4: memory does not grow with video length.

Runs the real command line twice on one-by-one-person-detection.mp4 (1394 frames) with YOLOX-Nano,
H.264 output and JSONL, once stopped after 200 frames and once to the end, and compares the peak
resident set size of the two processes (``wait4`` rusage, so nothing is sampled or missed).

    python benchmarks/memory_growth.py [--short 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, data_dir, goal


def peak_rss_mb(args: list[str]) -> float:
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_stream.py"), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")
    return usage.ru_maxrss / 1024.0  # KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", type=int, default=200)
    args = ap.parse_args()
    data = data_dir()
    video = data / "videos/one-by-one-person-detection.mp4"
    with tempfile.TemporaryDirectory(prefix="streampipe-mem-") as tmp:
        common = ["run", "--source", str(video), "--model", str(data / "models/yolox_nano.onnx"),
                  "--output", str(Path(tmp, "o.mp4")), "--jsonl", str(Path(tmp, "d.jsonl")), "--no-progress"]
        short = peak_rss_mb([*common, "--max-frames", str(args.short)])
        full = peak_rss_mb(common)
    print(f"peak RSS: first {args.short} frames {short:.1f} MiB, all 1394 frames {full:.1f} MiB")
    print(goal("peak RSS full / short", full / short, 1.1, at_most=True))


if __name__ == "__main__":
    main()

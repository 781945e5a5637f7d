"""Goal 5: time from command to first frame out, and what opening model and source in parallel saves.

Runs the real command line (``--max-frames 5``) and reads the start-up timings from its report:
model load and source open (they overlap: the model loads in a helper thread), and the first
frame reaching the sink. Also prints the wall time of the whole command as seen from outside.
The first run of a model may include a one-off repair (cached afterwards); it is run once
before measuring.

    python benchmarks/startup.py [--model PATH_OR_NAME] [--source PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, data_dir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="default: the embedded CenterFace")
    ap.add_argument("--source", default=None, help="default: vtest.avi from the shared data")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    source = args.source or str(data_dir() / "videos/vtest.avi")
    with tempfile.TemporaryDirectory(prefix="streampipe-startup-") as tmp:
        report = Path(tmp, "r.json")
        cmd = [sys.executable, str(ROOT / "run_stream.py"), "run", "--source", source, "--max-frames", "5",
               "--output", str(Path(tmp, "o.mp4")), "--report", str(report), "--no-progress"]
        if args.model:
            cmd += ["--model", args.model]
        rows = []
        for i in range(args.repeat + 1):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, stdin=subprocess.DEVNULL)
            wall = time.perf_counter() - t0
            if i == 0:
                continue  # warm-up: file cache, model repair cache
            rows.append({**json.loads(report.read_text())["startup"], "command_wall_s": wall})
    best = min(rows, key=lambda r: r["first_frame_s"])
    serial = best["model_load_s"] + best["source_open_s"]
    print(f"model load {best['model_load_s'] * 1e3:.0f} ms and source open {best['source_open_s'] * 1e3:.0f} ms "
          f"overlap: {max(best['model_load_s'], best['source_open_s']) * 1e3:.0f} ms instead of "
          f"{serial * 1e3:.0f} ms one after the other")
    print(f"first frame out {best['first_frame_s'] * 1e3:.0f} ms after main() started; whole 5-frame command "
          f"{best['command_wall_s']:.2f} s (best of {args.repeat})")


if __name__ == "__main__":
    main()

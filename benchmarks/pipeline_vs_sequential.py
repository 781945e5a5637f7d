"""Goal 1: YOLOX-Nano on vtest.avi, H.264 output + JSONL, pipeline vs sequential loop vs machine limit.

Runs the same measurement as ``streampipe bench`` (each stage alone, a plain sequential loop doing
identical work, then the pipeline), all in this one process, and prints the ratios.

    python benchmarks/pipeline_vs_sequential.py [--frames 400] [--json out.json] [--infer-workers N]
"""

from __future__ import annotations

import argparse
import json

from _common import data_dir, goal

from streampipe.app.bench import format_bench, measure
from streampipe.app.options import RunOptions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=400)
    ap.add_argument("--source", default=None, help="default: vtest.avi from the shared data")
    ap.add_argument("--model", default=None, help="default: yolox_nano.onnx from the shared data")
    ap.add_argument("--infer-workers", type=int, default=None)
    ap.add_argument("--intra-op-threads", type=int, default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--json", help="write the measurement here")
    args = ap.parse_args()
    data = data_dir()
    options = RunOptions(
        source=args.source or str(data / "videos/vtest.avi"),
        model=args.model or str(data / "models/yolox_nano.onnx"),
        conf=0.3, output="h264", infer_workers=args.infer_workers, intra_op_threads=args.intra_op_threads,
        workers=args.workers, batch=args.batch,
    )
    result = measure(options, args.frames)
    print(format_bench(result))
    print(goal("speedup pipeline/sequential", result["speedup"], 1.6))
    print(goal("efficiency pipeline/limit", result["efficiency"], 0.85))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2, default=str)


if __name__ == "__main__":
    main()

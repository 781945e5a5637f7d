"""``streampipe batch``: many video files, one model load, one output set per input, an aggregate.

The model is loaded once and shared by every job (ORT sessions are thread-safe and reusable);
inputs run one after another, each on the full pipeline, so one file uses every core. A bad input
is reported and skipped; the exit code is 0 only when every input succeeded, else that of the
first failure (2 when inputs were unusable, 1 when something broke while running).
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import StreampipeError
from .report import write_json

VIDEO_EXTENSIONS = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".ts", ".mpg", ".mpeg", ".gif", ".flv", ".wmv"}


def expand_inputs(items: list[str]) -> list[str]:
    """Files as given, folders expanded to their video files, globs expanded; order kept, no duplicates."""
    out: list[str] = []
    for item in items:
        if os.path.isdir(item):
            found = sorted(str(p) for p in Path(item).iterdir() if p.suffix.lower() in VIDEO_EXTENSIONS)
        elif any(ch in item for ch in "*?["):
            found = sorted(glob.glob(item))
        else:
            found = [item]
        out.extend(f for f in found if f not in out)
    return out


def unique_stem(path: str, used: set[str]) -> str:
    stem = Path(path).stem or "input"
    name, n = stem, 1
    while name in used:
        n += 1
        name = f"{stem}-{n}"
    used.add(name)
    return name


def run_batch(args: argparse.Namespace, signals: Any) -> int:
    from ..cli import options_from_args
    from .runner import load_model_for, run_job

    out_dir = Path(args.out_dir)
    if not out_dir.is_dir():
        try:
            out_dir.mkdir(parents=True)
        except OSError as exc:
            raise _output_error(f"cannot create output directory {out_dir}: {exc.strerror}") from exc
    inputs = expand_inputs(args.inputs)
    if not inputs:
        raise _output_error(f"no inputs matched: {' '.join(args.inputs)}")
    model = load_model_for(options_from_args(args, source=inputs[0]))
    used: set[str] = set()
    results = []
    t0 = time.perf_counter()
    first_failure = 0
    for path in inputs:
        stem = unique_stem(path, used)
        options = options_from_args(args, source=path)
        options.output = str(out_dir / f"{stem}.mp4") if args.video else None
        options.jsonl = str(out_dir / f"{stem}.jsonl")
        options.report = str(out_dir / f"{stem}.report.json")
        print(f"[{len(results) + 1}/{len(inputs)}] {path}", file=sys.stderr)
        result = run_job(options, model=model, on_pipeline=signals.set_pipeline,
                         interrupted=lambda: signals.signum)
        rep = result.report
        results.append({"input": path, "status": result.status, "exit_code": result.exit_code,
                        "error": rep["error"], "frames": rep["frames"], "fps": rep["fps"],
                        "detections_total": rep["detections_total"], "report": options.report})
        if result.status != "ok":
            print(f"streampipe: error: {path}: {rep['error']}", file=sys.stderr)
            first_failure = first_failure or result.exit_code
        if result.status == "interrupted":
            break
    aggregate = {
        "inputs": len(inputs),
        "succeeded": sum(r["status"] == "ok" for r in results),
        "failed": sum(r["status"] != "ok" for r in results),
        "frames_processed": sum(r["frames"]["processed"] for r in results),
        "wall_s": round(time.perf_counter() - t0, 3),
        "model": model.info(),
        "results": results,
    }
    write_json(out_dir / "batch_report.json", aggregate)
    print(f"batch: {aggregate['succeeded']}/{len(inputs)} inputs ok, {aggregate['frames_processed']} frames, "
          f"{aggregate['wall_s']:.1f} s; aggregate report: {out_dir / 'batch_report.json'}", file=sys.stderr)
    return first_failure


def _output_error(message: str) -> StreampipeError:
    from ..errors import OutputError

    return OutputError(message)

"""``streampipe batch``: many video files, one model load, one output set per input, an aggregate.

The model is loaded once and shared by every job (ORT sessions are thread-safe and reusable);
inputs run one after another, each on the full pipeline, so one file uses every core. A bad input
is reported and skipped; the exit code is 0 only when every input succeeded, else the exit code
of the first input that failed (2: it was unusable, 1: it broke while running, 130/143: a
signal stopped the batch; inputs not started then are listed as "not run").
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
from .output_checks import same_file
from .report import write_json

VIDEO_EXTENSIONS = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".ts", ".mpg", ".mpeg", ".gif", ".flv", ".wmv"}


def expand_inputs(items: list[str]) -> tuple[list[str], list[str]]:
    """Files as given, folders expanded to their video files, globs expanded; order kept, no
    duplicates (an input named twice runs once, however it is spelled: ``a/x.mp4`` and
    ``./b/../a/x.mp4`` are one file). Also returns the folders and globs that matched nothing: a
    mistyped pattern is a failed input, not one silently left out."""
    out: list[str] = []
    seen: set[str] = set()
    unmatched: list[str] = []
    for item in items:
        if os.path.isdir(item):
            found = sorted(str(p) for p in Path(item).iterdir() if p.suffix.lower() in VIDEO_EXTENSIONS)
        elif any(ch in item for ch in "*?["):
            found = sorted(glob.glob(item))
        else:
            found = [item]
        if not found:
            unmatched.append(item)
        for f in found:
            key = os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out, unmatched


def unique_stem(path: str, used: set[str]) -> str:
    stem = Path(path).stem or "input"
    name, n = stem, 1
    while name in used:
        n += 1
        name = f"{stem}-{n}"
    used.add(name)
    return name


def plan_outputs(inputs: list[str], out_dir: Path, video: bool) -> list[tuple[str, dict[str, str | None]]]:
    """(input, {output, jsonl, report}) per input; refuses any output that would overwrite an input.

    ``batch videos/ --out-dir videos/`` would otherwise encode ``clip.mp4`` over itself while
    reading it; that is refused before any work starts.
    """
    used: set[str] = set()
    planned = []
    for path in inputs:
        stem = unique_stem(path, used)
        planned.append((path, {
            "output": str(out_dir / f"{stem}.mp4") if video else None,
            "jsonl": str(out_dir / f"{stem}.jsonl"),
            "report": str(out_dir / f"{stem}.report.json"),
        }))
    sources = [p for p in inputs if os.path.isfile(p)]
    for _, outs in planned:
        for target in outs.values():
            if target and any(same_file(target, src) for src in sources):
                raise _output_error(f"{target}: would overwrite an input; choose another --out-dir")
    return planned


def run_batch(args: argparse.Namespace, signals: Any) -> int:
    from ..cli import options_from_args
    from .runner import load_model_for, run_job

    out_dir = Path(args.out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise _output_error(f"{out_dir}: --out-dir is not a directory")
    if not out_dir.is_dir():
        try:
            out_dir.mkdir(parents=True)
        except OSError as exc:
            raise _output_error(f"{out_dir}: cannot create output directory ({exc.strerror})") from exc
    inputs, unmatched = expand_inputs(args.inputs)
    planned = plan_outputs(inputs, out_dir, args.video)
    t0 = time.perf_counter()
    results: list[dict[str, Any]] = []
    first_failure = 0
    for pattern in unmatched:
        error = f"{pattern}: no video files matched"
        print(f"streampipe: error: {error}", file=sys.stderr)
        results.append({"input": pattern, "status": "error", "exit_code": 2, "error": error, "frames": None,
                        "fps": None, "detections_total": None, "report": None})
        first_failure = first_failure or 2
    # Nothing to run: the aggregate still says which patterns matched nothing, and no model is loaded.
    model = load_model_for(options_from_args(args, source=inputs[0])) if inputs else None
    for path, outs in planned:
        if signals.signum is not None:
            results.append({"input": path, "status": "not run", "exit_code": None, "error": "batch interrupted",
                            "frames": None, "fps": None, "detections_total": None, "report": None})
            continue
        options = options_from_args(args, source=path)
        options.output, options.jsonl, options.report = outs["output"], outs["jsonl"], outs["report"]
        print(f"[{len(results) - len(unmatched) + 1}/{len(inputs)}] {path}", file=sys.stderr)
        result = run_job(options, model=model, on_pipeline=signals.set_pipeline,
                         interrupted=lambda: signals.signum)
        rep = result.report
        results.append({"input": path, "status": result.status, "exit_code": result.exit_code,
                        "error": rep["error"], "frames": rep["frames"], "fps": rep["fps"],
                        "detections_total": rep["detections_total"], "report": options.report})
        if result.status != "ok":
            error = rep["error"] or result.status
            print(f"streampipe: error: {error if path in error else f'{path}: {error}'}", file=sys.stderr)
            first_failure = first_failure or result.exit_code
    ran = [r for r in results if r["frames"] is not None]
    aggregate = {
        "inputs": len(results),
        "succeeded": sum(r["status"] == "ok" for r in results),
        "failed": sum(r["status"] not in ("ok", "not run") for r in results),
        "not_run": sum(r["status"] == "not run" for r in results),
        "frames_processed": sum(r["frames"]["processed"] for r in ran),
        "wall_s": round(time.perf_counter() - t0, 3),
        "model": model.info() if model else None,
        "results": results,
    }
    write_json(out_dir / "batch_report.json", aggregate)
    print(f"batch: {aggregate['succeeded']}/{len(results)} inputs ok, {aggregate['frames_processed']} frames, "
          f"{aggregate['wall_s']:.1f} s; aggregate report: {out_dir / 'batch_report.json'}", file=sys.stderr)
    return first_failure


def _output_error(message: str) -> StreampipeError:
    from ..errors import OutputError

    return OutputError(message)

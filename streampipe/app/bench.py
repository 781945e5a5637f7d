"""``streampipe bench``: where the time goes, measured three ways in one run.

1. **Standalone**: reading the source and each step alone, called from one thread, on the same
   frames (a chunk at a time, see ``_standalone``). Gives the per-frame cost of every step (wall and CPU seconds)
   and the machine limit ``cores / sum(per-frame CPU seconds)``: what perfect overlap on every
   core would reach. CPU rather than wall time, because a library may use threads of its own
   (libx264 does) and that work needs the same cores inside the pipeline.
2. **Sequential**: one plain loop doing identical work (decode, then the very same step
   objects one after another) -- the baseline a user would write first.
3. **Pipeline**: the same steps as engine stages with threads and bounded channels. The
   bottleneck is the stage whose workers were busiest.

Ratios (speedup = pipeline / sequential, efficiency = pipeline / limit) are what to compare
across machines; absolute FPS on a shared machine is noise.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

from ..engine import Pipeline
from ..errors import StartupError
from .report import write_json
from .runner import (
    Counters,
    build_plan,
    load_model_for,
    make_stages,
    one_thread_per_opencv_call,
    open_source_for,
)
from .sources import LimitedSource
from .stages import Step, build_steps


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _plan_for(options: Any, model: Any, source: Any, workdir: Path, tag: str) -> Any:
    """The job's plan with its outputs redirected to ``workdir/<tag>.*`` (each run its own files)."""
    opts = replace(options, output=str(workdir / f"{tag}.mp4") if options.output else None,
                   jsonl=str(workdir / f"{tag}.jsonl"))
    return build_plan(opts, model, source, Counters(), lambda: "")


def _steps(options: Any, model: Any, source: Any, workdir: Path, tag: str) -> list[Step]:
    return build_steps(model, _plan_for(options, model, source, workdir, tag))


@dataclass
class Cost:
    """Per-frame cost of one step run alone: wall seconds and CPU seconds (all threads)."""

    wall: float
    cpu: float


CHUNK = 8  # frames each step takes at a time in the standalone run: about a channel's worth


def _standalone(steps: list[Step], source: Any) -> tuple[dict[str, Cost], int]:
    """Per-frame cost of reading the source and of each step, each run alone in this thread.

    The frames go through in chunks of ``CHUNK``: the source reads a chunk (timed as ``source``),
    then each step processes the whole chunk in turn (timed as that step), its outputs being the
    next step's inputs. Chunks, not the whole clip step by step: holding every frame's output at
    once (hundreds of 2 MB tensors) makes each step fault in fresh memory, which measured
    preprocessing at 7.3 ms per frame instead of its 0.6 ms; a chunk reuses memory the way the
    pipeline's bounded channels do. A step's ``close()`` (the encoder's flush) counts as its work.

    CPU time is process-wide, so work a library does on its own threads (x264's encoder
    threads, ORT's pool) is counted: that is the work the cores must do in the pipeline too. An
    encoder thread still busy when the next chunk starts is counted there; the sum is exact.
    """
    names = ["source", *[step.name for step in steps]]
    wall, cpu = dict.fromkeys(names, 0.0), dict.fromkeys(names, 0.0)

    def timed(name: str, work: Any) -> Any:
        t0, c0 = time.perf_counter(), time.process_time()
        out = work()
        wall[name] += time.perf_counter() - t0
        cpu[name] += time.process_time() - c0
        return out

    workers = [step.make() for step in steps]
    for w in workers:
        if hasattr(w, "open"):
            w.open()
    frames = iter(source)
    n = 0
    while items := timed("source", lambda: list(islice(frames, CHUNK))):
        n += len(items)
        for step, w in zip(steps, workers):
            items = timed(step.name, lambda step=step, w=w, items=items: _process_chunk(step, w, items))
    for step, w in zip(steps, workers):
        if hasattr(w, "close"):
            timed(step.name, w.close)
    per = max(1, n)
    return {name: Cost(wall[name] / per, cpu[name] / per) for name in names}, n


def _process_chunk(step: Step, worker: Any, items: list[Any]) -> list[Any]:
    if step.batch_size == 1:
        return [worker.process(item) for item in items]
    out: list[Any] = []
    for i in range(0, len(items), step.batch_size):
        out.extend(worker.process(items[i : i + step.batch_size]))
    return out


def _sequential(steps: list[Step], source: Any) -> tuple[int, float]:
    workers = [s.make() for s in steps]
    for w in workers:
        if hasattr(w, "open"):
            w.open()
    n = 0
    t0 = time.perf_counter()
    for frame in source:
        for step, w in zip(steps, workers):
            frame = w.process([frame])[0] if step.batch_size > 1 else w.process(frame)
        n += 1
    for w in workers:
        if hasattr(w, "close"):
            w.close()
    source.close()
    return n, time.perf_counter() - t0


def run_bench(args: argparse.Namespace) -> int:
    from ..cli import options_from_args

    options = options_from_args(args)
    options.output = "bench.mp4" if args.write_video else None
    if args.json:
        from ..video import open_output_check

        open_output_check(args.json)  # fail before minutes of measuring, not after
    result = measure(options, args.frames)
    if args.json:
        write_json(args.json, result)  # first: the measurements outlive a closed stdout
    print(format_bench(result))
    return 0


def measure(options: Any, frames: int, model: Any = None) -> dict[str, Any]:
    """Standalone, sequential and pipeline runs over the first ``frames`` frames; see module doc.

    ``options.output`` set (any value) means "encode an H.264 video" in all three runs, into a
    temporary directory; a JSONL file is always written.
    """
    options = replace(options, progress=False, realtime=False)
    one_thread_per_opencv_call()  # as run_job does: all three measurements see the same setting
    model = model if model is not None else load_model_for(options)

    warm_src = LimitedSource(open_source_for(options), 1)
    first = next(iter(warm_src), None)
    warm_src.close()
    if first is None:
        raise StartupError(f"{options.source}: the source gave no frames to measure")
    for _ in range(3):  # ORT allocates and tunes on its first runs
        model.detect(first.image)
    del first

    with tempfile.TemporaryDirectory(prefix="streampipe-bench-") as tmp:
        work = Path(tmp)
        alone_src = LimitedSource(open_source_for(options), frames)
        try:
            per_frame, n = _standalone(_steps(options, model, alone_src, work, "standalone"), alone_src)
        finally:
            alone_src.close()

        seq_src = LimitedSource(open_source_for(options), n)
        seq_n, seq_s = _sequential(_steps(options, model, seq_src, work, "sequential"), seq_src)

        pipe_src = LimitedSource(open_source_for(options), n)
        stages = make_stages(options, model, pipe_src, _plan_for(options, model, pipe_src, work, "pipeline"))
        t0 = time.perf_counter()
        snap = Pipeline(pipe_src, stages, created_at=lambda f: f.t_capture).run()
        pipe_s = time.perf_counter() - t0

    cores = _cores()
    # The machine limit: every core busy, no overhead. CPU seconds, not wall: a stage whose library
    # runs threads of its own (x264) costs all of their time, not its shorter wall time.
    limit = cores / sum(c.cpu for c in per_frame.values())
    pipeline_fps = snap.processed / pipe_s
    sequential_fps = seq_n / seq_s
    by_name = {s.name: s for s in snap.stages}
    rows = []
    for name, cost in per_frame.items():
        s = by_name.get(name)
        rows.append({
            "name": name,
            "workers": s.workers if s else 1,
            "standalone_ms": round(cost.wall * 1e3, 3),
            "standalone_cpu_ms": round(cost.cpu * 1e3, 3),
            "standalone_fps": round(1.0 / cost.wall, 2) if cost.wall > 0 else None,
            "pipeline_fps": round(s.items_out / pipe_s, 2) if s else None,
            "pipeline_busy": s.busy if s else None,
            "pipeline_service_ms_p50": s.service_ms["p50"] if s else None,
        })
    return {
        "source": options.source,
        "model": model.info(),
        "frames": n,
        "cores": cores,
        "stages": rows,
        "pipeline_fps": round(pipeline_fps, 2),
        "sequential_fps": round(sequential_fps, 2),
        "speedup": round(pipeline_fps / sequential_fps, 3),
        "limit_fps": round(limit, 2),
        "efficiency": round(pipeline_fps / limit, 3),
        "latency_ms": snap.latency_ms,
        "bottleneck": max(rows, key=lambda r: r["pipeline_busy"] or 0.0)["name"],
    }


def format_bench(r: dict[str, Any]) -> str:
    head = f"{'stage':<12}{'workers':>8}{'alone ms':>10}{'cpu ms':>8}{'alone fps':>11}{'in pipe fps':>12}{'busy':>7}"
    lines = [f"bench: {r['frames']} frames of {r['source']} with {r['model'].get('name')} on {r['cores']} cores",
             head, "-" * len(head)]
    for s in r["stages"]:
        mark = "  <- bottleneck" if s["name"] == r["bottleneck"] else ""
        busy = f"{s['pipeline_busy'] * 100:>6.0f}%" if s["pipeline_busy"] is not None else f"{'':>7}"
        lines.append(f"{s['name']:<12}{s['workers']:>8}{s['standalone_ms']:>10.2f}{s['standalone_cpu_ms']:>8.2f}"
                     f"{s['standalone_fps']:>11.1f}"
                     f"{s['pipeline_fps']:>12.1f}{busy}{mark}")
    lines.append(
        f"pipeline {r['pipeline_fps']:.1f} FPS | sequential {r['sequential_fps']:.1f} FPS | speedup "
        f"{r['speedup']:.2f}x | machine limit {r['limit_fps']:.1f} FPS | efficiency {r['efficiency'] * 100:.0f}%"
    )
    return "\n".join(lines)


__all__ = ["format_bench", "measure", "run_bench"]

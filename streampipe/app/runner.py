"""Run one job end to end: open model and source, build the pipeline, run it, always report.

Start-up order, and why:

1. Output paths are checked first (cheap, and a typo there should not cost a model load).
2. The model loads in a helper thread while the source opens in this one: both can take
   hundreds of milliseconds (ORT graph optimisation, container probing) and they are
   independent. If both fail, the model's error wins, as if it had been checked first.
3. Only then are threads started. Whatever happens next (end of stream, a failure, a signal),
   every sink's ``close()`` runs in its worker thread, and the report is written.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..engine import Pipeline, ShutdownTimeout, Stage, StageError
from ..errors import StreampipeError
from ..frame import Frame
from .options import FILE_QUEUE_SIZE, LIVE_QUEUE_SIZE, RunOptions
from .outcome import describe_error, exit_code_for, failure_details, interrupted_text
from .output_checks import check_outputs, report_is_the_problem
from .progress import Progress
from .report import build_report, format_table, write_json
from .sources import LimitedSource
from .stages import StepPlan, build_steps

# After a stop, how long the run waits for a stage stuck in a call that ignores it (a model
# without cancel support, a hung file system) before reporting the stuck threads. Generous:
# finalizing the outputs (encoder flush, MP4 index) happens inside this bound too.
SHUTDOWN_TIMEOUT_S = 10.0

log = logging.getLogger("streampipe.app")


@dataclass
class JobResult:
    """What a job produced: the report (also written to ``--report``), its status and exit code."""

    report: dict[str, Any]
    status: str
    exit_code: int
    error: BaseException | None = None


class Counters:
    """Updated by the sink thread only; read by the report after the threads are joined."""

    def __init__(self) -> None:
        self.frames = 0
        self.detections = 0
        self.t_first: float | None = None

    def __call__(self, frame: Frame) -> None:
        if self.t_first is None:
            self.t_first = time.perf_counter()
        self.frames += 1
        if frame.detections is not None:
            self.detections += len(frame.detections)


def default_infer_workers(options: RunOptions) -> int:
    """Two inference threads sharing one session (1 intra-op thread each) on CPU; one on GPU.

    Measured on 2 cores (benchmarks/infer_sharing.py): two single-threaded runs in parallel beat
    one run with two intra-op threads, because ORT's pool spends much of a small model's time
    synchronising. A GPU serialises kernels anyway, so one worker feeding it is enough.
    """
    if options.infer_workers:
        return options.infer_workers
    return 1 if options.device not in ("cpu", "") else 2


def one_thread_per_opencv_call() -> None:
    """Make each OpenCV call single-threaded: the pipeline already runs one thread per busy stage.

    OpenCV parallelises resize/cvtColor over its own pool. Alone that helps; inside a pipeline
    whose stages already keep every core busy it oversubscribes them, and the pool's wake-ups and
    spinning cost more than they save. Measured with benchmarks/pipeline_vs_sequential.py on the
    2-core box, same run conditions: 33 -> 43 FPS for YOLOX-Nano on vtest.avi.
    """
    import cv2

    cv2.setNumThreads(1)


def load_model_for(options: RunOptions) -> Any:
    from ..inference import load_model

    workers = default_infer_workers(options)
    threads = options.intra_op_threads
    if threads is None and options.device == "cpu":
        threads = 1 if workers > 1 else None
    return load_model(
        options.model,
        decoder=options.decoder,
        device=options.device,
        device_strict=options.device_strict,
        intra_op_threads=threads,
        conf=options.conf,
        nms=options.nms,
        classes=options.classes,
        input_size=options.input_size,
        batch=options.batch,
        busy_other_stages=2,
    )


def open_source_for(options: RunOptions) -> Any:
    from ..video import ReconnectPolicy, open_source

    return open_source(
        options.source,
        live=options.live,
        open_timeout=options.open_timeout,
        read_timeout=options.read_timeout,
        reconnect=ReconnectPolicy(attempts=options.reconnect_attempts),
        realtime=options.realtime,
    )


def _timed(fn: Callable[[RunOptions], Any], options: RunOptions, key: str, timings: dict[str, float]) -> Any:
    t0 = time.perf_counter()
    try:
        return fn(options)
    finally:
        timings[key] = round(time.perf_counter() - t0, 4)


def open_model_and_source(
    options: RunOptions, model: Any = None, timings: dict[str, float] | None = None
) -> tuple[Any, Any]:
    """Load the model and open the source in parallel; the model's error takes precedence."""
    timings = {} if timings is None else timings
    if model is not None:
        return model, _timed(open_source_for, options, "source_open_s", timings)
    with ThreadPoolExecutor(1, thread_name_prefix="streampipe-model-load") as pool:
        future = pool.submit(_timed, load_model_for, options, "model_load_s", timings)
        source = None
        source_error: BaseException | None = None
        try:
            source = _timed(open_source_for, options, "source_open_s", timings)
        except BaseException as exc:  # noqa: BLE001 - reported after the model's verdict
            source_error = exc
        try:
            model = future.result()
        except BaseException:
            if source is not None:
                source.close()
            raise
    if source_error is not None:
        raise source_error
    return model, source


def make_stages(options: RunOptions, model: Any, source: Any, plan: StepPlan) -> list[Stage]:
    """Steps -> engine stages with the edge policies of this job.

    Live: the capture edge and the inference edge take the user's policy (default drop-oldest)
    and hold one frame, so a slow model makes the pipeline skip stale frames instead of queueing
    them; the later edges block (losing a frame after inference would waste the work done).
    Files: every edge blocks with room for a few frames to absorb jitter.
    """
    live = source.info.is_live if options.live is None else options.live
    policy = options.policy or source.default_policy
    size = options.queue_size or (LIVE_QUEUE_SIZE if live else FILE_QUEUE_SIZE)
    if live and policy == "block":
        log.warning(
            "policy 'block' on live source %s: when the model is slower than the camera, the camera "
            "drops frames and each shown frame is a few queue slots old (latency bounded, not minimal); "
            "'drop-oldest' keeps it at about one service time", source.info.uri,
        )
    stages = []
    for step in build_steps(model, plan):
        at_door = step.name in ("preprocess", "infer")
        stages.append(
            Stage(
                step.name,
                factory=step.make,
                workers=step.workers,
                queue_size=max(size, step.batch_size) if at_door else max(size, 2),
                policy=policy if at_door else "block",
                batch_size=step.batch_size,
                batch_wait_s=step.batch_wait_s,
            )
        )
    return stages


def _output_counts(options: RunOptions, plan: StepPlan | None) -> dict[str, dict[str, Any]]:
    """Each output file and the frames it holds. ``frames.written`` counts the frames every output
    took; when one output fails at frame K, those written before it in the sink (the video comes
    first) also hold frame K, and this says so exactly."""
    from ..video import JsonlSink

    held: dict[str, int] = {}
    if plan is not None and plan.encoder is not None:
        held["video"] = plan.encoder.frames_written
    for sink in plan.sinks if plan is not None else []:
        if isinstance(sink, JsonlSink):
            held["jsonl"] = sink.frames_written
    return {kind: {"path": path, "frames": held.get(kind, 0)}
            for kind, path in (("video", options.output), ("jsonl", options.jsonl)) if path}


def build_plan(options: RunOptions, model: Any, source: Any, counters: Counters,
               overlay_text: Callable[[], str]) -> StepPlan:
    """Renderer, encoder and sinks for this job."""
    from ..video import JsonlSink, VideoFileSink

    renderer = None
    if options.needs_render:
        from ..render import Renderer, RenderOptions

        renderer = Renderer(
            RenderOptions(anonymize=options.anonymize, overlay=options.overlay),
            overlay_text=overlay_text if options.overlay else None,
        )
    encoder = None
    if options.output:
        encoder = VideoFileSink(options.output, fps=source.info.fps, codec=options.codec)
    sinks: list[Any] = []
    if options.jsonl:
        sinks.append(JsonlSink(options.jsonl))
    if options.preview is not None:
        from ..video import MjpegPreviewServer

        server = MjpegPreviewServer(options.preview)
        print(f"streampipe: preview at {server.url}", file=sys.stderr)  # port 0 picks a free one
        sinks.append(server)
    return StepPlan(
        renderer=renderer,
        encoder=encoder,
        sinks=sinks,
        on_frame=counters,
        infer_workers=default_infer_workers(options),
        post_workers=max(1, options.workers),
        batch=options.batch,
        batch_wait_s=options.batch_wait_ms / 1000.0,
    )


def run_job(
    options: RunOptions,
    *,
    model: Any = None,
    on_pipeline: Callable[[Pipeline | None], None] | None = None,
    interrupted: Callable[[], int | None] = lambda: None,
    echo: Callable[[str], None] = print,
    t_origin: float | None = None,
) -> JobResult:
    """Run one job; never raises for job failures (they become the result's status/exit code).

    ``on_pipeline`` is told about the pipeline while it runs (signal handlers stop it);
    ``interrupted()`` returns the signal number that stopped it, if any.
    """
    t_start = time.perf_counter() if t_origin is None else t_origin
    one_thread_per_opencv_call()
    timings: dict[str, float] = {}
    source = None
    pipeline: Pipeline | None = None
    counters = Counters()
    plan: StepPlan | None = None
    status, error, exit_code = "ok", None, 0
    snapshot = None
    progress: Progress | None = None
    report_path = options.report
    try:
        try:
            check_outputs(options)
        except StreampipeError:
            if report_path and report_is_the_problem(report_path, options):
                report_path = None  # the report itself is the problem: do not try to write it
            raise
        model, source = open_model_and_source(options, model, timings)
        if options.max_frames is not None:
            source = LimitedSource(source, options.max_frames)
        progress = Progress(source.info, enabled=options.progress, max_frames=options.max_frames)
        plan = build_plan(options, model, source, counters, progress.overlay_text)
        stages = make_stages(options, model, source, plan)
        pipeline = Pipeline(source, stages, created_at=lambda f: f.t_capture, name="streampipe",
                            shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        if hasattr(model, "cancel"):
            # A stop must not wait for a long ONNX Runtime run (seconds per frame on big inputs).
            model.reset_cancel()
            pipeline.add_stop_hook(model.cancel)
        progress.attach(pipeline)
        display = None
        if options.display:
            from ..video import DisplaySink

            display = DisplaySink("streampipe", on_stop=lambda: pipeline.stop(drain=True))
            # The sink thread only publishes the newest frame; the window lives on this thread.
            plan.sinks.append(_PublishOnly(display))
        if on_pipeline is not None:
            on_pipeline(pipeline)

        def tick() -> None:
            progress.update()
            if display is not None:
                display.pump()

        try:
            snapshot = pipeline.run(on_tick=tick, tick_s=0.1)
        finally:
            if display is not None:
                display.close()
    except StageError as exc:
        status, error, exit_code = "error", describe_error(exc), exit_code_for(exc)
        failure: BaseException | None = exc
    except KeyboardInterrupt:
        status, error, exit_code = "interrupted", interrupted_text(interrupted()), 128 + (interrupted() or 2)
        failure = None
    except ShutdownTimeout as exc:  # a stage stuck in a call that ignores the stop (the report says which)
        sig = interrupted()
        status, exit_code = ("interrupted", 128 + sig) if sig else ("error", 1)
        error = f"{interrupted_text(sig)}; {exc}" if sig else str(exc)
        failure = exc
    except StreampipeError as exc:
        status, error, exit_code = "error", describe_error(exc), exc.exit_code
        failure = exc
    else:
        failure = None
    finally:
        if on_pipeline is not None:
            on_pipeline(None)
        if progress is not None:
            progress.close()
    if pipeline is not None:
        snapshot = pipeline.snapshot()
    if status == "ok" and (interrupted() or (snapshot is not None and snapshot.status == "interrupted")):
        # Stopped by a signal, or one arrived just after the end of the stream (outputs already
        # final): either way the run says so.
        status, error, exit_code = "interrupted", interrupted_text(interrupted()), 128 + (interrupted() or 2)
    source_stats = source.stats() if source is not None and hasattr(source, "stats") else {}
    report = build_report(
        status=status,
        error=error,
        source=_source_info(options, source),
        model=model.info() if model is not None and hasattr(model, "info") else None,
        snapshot=snapshot,
        source_dropped=int(source_stats.get("dropped", 0)),
        written=counters.frames,
        detections_total=counters.detections,
        wall_s=time.perf_counter() - t_start,
        outputs=_output_counts(options, plan),
    )
    report["failure"] = failure_details(failure)
    if counters.t_first is not None:
        timings["first_frame_s"] = round(counters.t_first - t_start, 4)
    report["startup"] = timings
    if report_path:
        try:
            write_json(report_path, report)
        except OSError as exc:
            log.error("could not write report %s: %s", report_path, exc.strerror or exc)
    if snapshot is not None and options.progress:
        echo(format_table(report))
    return JobResult(report=report, status=status, exit_code=exit_code, error=failure)


class _PublishOnly:
    """Hands frames to a main-thread display without letting the sink thread close its window."""

    def __init__(self, display: Any) -> None:
        self.process = display.process


def _source_info(options: RunOptions, source: Any) -> dict[str, Any]:
    if source is None:
        return {"uri": options.source}
    info = source.info
    return {
        "uri": info.uri,
        "kind": info.kind,
        "width": info.width,
        "height": info.height,
        "fps": info.fps,
        "frames_expected": info.frames_expected,
        "live": info.is_live,
    }


__all__ = ["JobResult", "RunOptions", "run_job"]

"""Command line: ``streampipe run | batch | bench | models``.

Exit codes (the contract scripts rely on):
  0 success; 1 failure while running (camera lost, model error mid-run, decode error, sink error);
  2 bad usage or bad input found at start-up (missing file, unusable model, no such camera,
  unwritable output); 130 interrupted by SIGINT (Ctrl+C); 143 terminated by SIGTERM.
Errors are one line on stderr; ``--verbose`` adds the traceback.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from .errors import StartupError, StreampipeError

EXAMPLES_RUN = """examples:
  streampipe run --source samples/astronaut.mp4 --blur --output anon.mp4 --report r.json
  streampipe run --source video.mp4 --model yolox-nano --output out.mp4 --jsonl dets.jsonl
  streampipe run --source 0 --model yolox-nano --display            # webcam, live
  streampipe run --source rtsp://cam.local/stream --preview 8080     # MJPEG preview on 127.0.0.1:8080
"""


class SignalState:
    """Turns SIGINT/SIGTERM into a prompt pipeline stop and remembers which signal it was.

    Before a pipeline runs (model loading, source opening) a signal raises ``KeyboardInterrupt``
    to abandon the start-up; while it runs, it stops the pipeline (a second signal raises); once it
    has run, the signal is only recorded: the outputs are final and the report must still be
    written, so nothing is interrupted, but the exit code still says 130/143.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.pipeline: Any = None
        self.finishing = False

    def set_pipeline(self, pipeline: Any) -> None:
        if pipeline is None and self.pipeline is not None:
            self.finishing = True
        self.pipeline = pipeline
        if pipeline is not None and self.signum is not None:  # signalled between two batch jobs
            pipeline.stop(interrupted=True)

    def handle(self, signum: int, _frame: Any) -> None:
        first = self.signum is None
        self.signum = signum
        if self.pipeline is not None and first:
            self.pipeline.stop(interrupted=True)
        elif not self.finishing:
            raise KeyboardInterrupt

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's one-line error: the usage block is one ``--help`` away, and a
    script reading stderr gets the problem, not a screenful of options."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"streampipe: error: {message} (see: {self.prog} --help)\n")


class _ClosedPipeTolerantStdout:
    """Wraps ``sys.stdout`` so that a reader that went away (``streampipe ... | head -1``) does not
    turn a finished job into a traceback and exit 1: the rest of the output is discarded, the job
    and its files complete, and the exit code still says how the job went."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._discard_from_now_on()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._discard_from_now_on()

    def _discard_from_now_on(self) -> None:
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())  # also quiets the interpreter's final flush
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x480, got {text!r}") from None


def _int_range(lo: int, hi: int | None = None):
    """argparse type: an int in [lo, hi]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            span = f">= {lo}" if hi is None else f"between {lo} and {hi}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {value}")
        return value

    return parse


def _seconds(minimum: float, *, inclusive: bool = False):
    """argparse type: a float above ``minimum`` (or equal to it when ``inclusive``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if math.isnan(value) or value < minimum or (value == minimum and not inclusive):
            raise argparse.ArgumentTypeError(f"must be {'>=' if inclusive else '>'} {minimum:g}, got {text}")
        return value

    return parse


def _nonempty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _label_list(text: str) -> list[str]:
    """``person, car`` -> ["person", "car"]; an empty list would silently mean "no filter"."""
    labels = [c.strip() for c in text.split(",") if c.strip()]
    if not labels:
        raise argparse.ArgumentTypeError(f"expected labels separated by commas such as person,car, got {text!r}")
    return labels


_positive = _int_range(1)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument("--model", type=_nonempty, help="catalog name (see `models list`) or path to an .onnx file (default: centerface)")
    g.add_argument("--decoder", help="output decoder when it cannot be recognised: yolox, yolov5, yolov8, "
                   "ultraface, yunet, centerface, classify")
    g.add_argument("--device", default="cpu", help="execution provider: cpu, cuda, tensorrt, openvino, ... (default: cpu)")
    g.add_argument("--device-strict", action="store_true", help="fail instead of falling back to CPU")
    g.add_argument("--conf", type=_fraction, help="score threshold (default: the model family's usual value)")
    g.add_argument("--nms", type=_fraction, help="NMS IoU threshold")
    g.add_argument("--classes", type=_label_list, help="keep only these labels, e.g. person,car")
    g.add_argument("--input-size", type=_size, help="network input WxH for dynamic-size models")
    g.add_argument("--batch", type=_positive, default=1, help="micro-batch size for inference (default: 1)")
    g.add_argument("--batch-wait-ms", type=_seconds(0, inclusive=True), default=5.0, help="max wait to fill a batch (default: 5)")
    g.add_argument("--infer-workers", type=_int_range(1, 64), help="parallel inference threads (default: 2 on CPU)")
    g.add_argument("--intra-op-threads", type=_positive, help="ONNX Runtime threads per run (default: 1 with "
                   "several inference workers, else the cores left by the other busy stages)")


def add_pipeline_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("pipeline and rendering")
    g.add_argument("--policy", choices=["block", "drop-oldest", "drop-newest"],
                   help="backpressure at the capture and inference edges (default: drop-oldest for live "
                   "sources, block for files)")
    g.add_argument("--queue-size", type=_positive, help="frames per channel (default: 1 live, 8 files)")
    g.add_argument("--workers", type=_int_range(1, 64), default=2, help="post-process/render threads (default: 2)")
    anon = g.add_mutually_exclusive_group()
    anon.add_argument("--blur", action="store_true", help="anonymise: blur every detected region (face models)")
    anon.add_argument("--pixelate", action="store_true", help="anonymise: pixelate every detected region")
    g.add_argument("--no-overlay", dest="overlay", action="store_false", help="no FPS/latency text on frames")
    g.add_argument("--codec", default="h264", choices=["h264", "mp4v", "mjpg"],
                   help="output video codec (default: h264 via PyAV)")
    g.add_argument("--max-frames", type=_positive,
                   help="stop after the pipeline has read this many frames from the source (output stays complete)")
    live = g.add_mutually_exclusive_group()
    live.add_argument("--live", dest="live", action="store_true", default=None,
                      help="treat the source as live (drop stale frames)")
    live.add_argument("--no-live", dest="live", action="store_false", help="treat the source as a file (lossless)")
    g.add_argument("--open-timeout", type=_seconds(0), default=10.0, help="seconds to open a source (default: 10)")
    g.add_argument("--read-timeout", type=_seconds(0), default=5.0, help="seconds without a new frame before a live "
                   "source counts as lost (default: 5)")
    g.add_argument("--reconnect-attempts", type=_int_range(0), default=5, help="network source retries (default: 5)")
    g.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar or table")


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = _Parser(prog="streampipe", description="Real-time video inference pipeline.",
                                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="log details and print tracebacks")
    # -v also works after the subcommand; SUPPRESS keeps a subparser from resetting the top-level value.
    common = _Parser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log details and print tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{run,batch,bench,models}")

    run = sub.add_parser("run", parents=[common], help="run a model on one source", epilog=EXAMPLES_RUN,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--source", required=True, help="file, folder/glob of images, webcam index, /dev/videoN, "
                     "rtsp:// http:// tcp:// udp:// URL, or synthetic:WxH@FPS[:COUNT]")
    out = run.add_argument_group("outputs")
    out.add_argument("--output", help="annotated video (.mp4, H.264)")
    out.add_argument("--jsonl", help="detections, one JSON line per frame")
    out.add_argument("--report", help="JSON report, written on every exit path")
    out.add_argument("--display", action="store_true", help="show a window (q or Esc stops)")
    out.add_argument("--preview", type=_int_range(0, 65535), metavar="PORT",
                     help="serve an MJPEG preview on 127.0.0.1:PORT (0 picks a free port and logs it)")
    add_model_options(run)
    add_pipeline_options(run)

    batch = sub.add_parser("batch", parents=[common], help="process many video files, one output set per input",
                           epilog="example:\n  streampipe batch videos/*.mp4 --out-dir out/ --model yolox-nano",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    batch.add_argument("inputs", nargs="+", help="video files, folders of videos, or globs")
    batch.add_argument("--out-dir", required=True, help="where <name>.mp4/.jsonl/.report.json go")
    batch.add_argument("--no-video", dest="video", action="store_false", help="write only JSONL and reports")
    add_model_options(batch)
    add_pipeline_options(batch)

    bench = sub.add_parser("bench", parents=[common], help="measure FPS per stage: pipeline vs sequential loop vs each stage alone",
                           epilog="example:\n  streampipe bench --source vtest.avi --model yolox-nano --frames 400 "
                           "--json bench.json", formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("--source", required=True, help="what to measure on (any source; a file is best)")
    bench.add_argument("--frames", type=_positive, default=300, help="frames to measure (default: 300)")
    bench.add_argument("--json", help="write the measurements as JSON")
    bench.add_argument("--no-output", dest="write_video", action="store_false",
                       help="measure without encoding an output video")
    add_model_options(bench)
    add_pipeline_options(bench)

    models = sub.add_parser("models", parents=[common], help="list or describe catalog models", formatter_class=fmt)
    msub = models.add_subparsers(dest="models_command", required=True, metavar="{list,info}")
    msub.add_parser("list", help="catalog names, decoders and where each file comes from")
    info = msub.add_parser("info", help="details of one model")
    info.add_argument("name")
    return parser


def options_from_args(args: argparse.Namespace, source: str | None = None) -> Any:
    from .app.options import RunOptions

    return RunOptions(
        source=source if source is not None else args.source,
        model=args.model, decoder=args.decoder, output=getattr(args, "output", None),
        jsonl=getattr(args, "jsonl", None), report=getattr(args, "report", None),
        display=getattr(args, "display", False), preview=getattr(args, "preview", None),
        policy=args.policy, queue_size=args.queue_size, workers=args.workers,
        infer_workers=args.infer_workers, batch=args.batch, batch_wait_ms=args.batch_wait_ms,
        device=args.device, device_strict=args.device_strict, intra_op_threads=args.intra_op_threads,
        conf=args.conf, nms=args.nms, classes=args.classes, input_size=args.input_size,
        blur=args.blur, pixelate=args.pixelate, max_frames=args.max_frames, live=args.live,
        open_timeout=args.open_timeout, read_timeout=args.read_timeout,
        reconnect_attempts=args.reconnect_attempts, codec=args.codec, progress=args.progress,
        overlay=args.overlay,
    )


def cmd_models(args: argparse.Namespace) -> int:
    import json

    from .inference import catalog

    if args.models_command == "list":
        print(f"{'name':<20}{'decoder':<12}{'here?':<7}description")
        for entry in catalog.list_models():
            d = catalog.describe(entry.name)
            default = " (default)" if d.get("default") else ""
            here = "yes" if d.get("available") or d.get("package") else "no"
            print(f"{entry.name:<20}{d.get('decoder', ''):<12}{here:<7}{d.get('description', '')}{default}")
        return 0
    print(json.dumps(catalog.describe(args.name), indent=2, default=str))
    return 0


def cmd_run(args: argparse.Namespace, signals: SignalState) -> int:
    from .app.runner import run_job

    result = run_job(options_from_args(args), on_pipeline=signals.set_pipeline, interrupted=lambda: signals.signum,
                     t_origin=args.t_origin)
    if result.status != "ok":
        _print_error(result.report.get("error") or result.status, result.error, args.verbose)
    if result.exit_code == 0 and signals.signum:  # the signal came after the report was written
        return 128 + signals.signum
    return result.exit_code


def _print_error(message: str, error: BaseException | None, verbose: bool) -> None:
    """The one-line error; with ``--verbose``, first the ONE traceback that matters.

    A stage failure arrives as the engine's ``StageError`` wrapping the original exception; its own
    frames (``Pipeline.run`` re-raising in the main thread) say nothing, so only the original is
    printed, from the worker thread where it was raised.
    """
    if verbose and error is not None:
        cause = error.__cause__ if getattr(error, "stage", None) is not None and error.__cause__ else error
        traceback.print_exception(type(cause), cause, cause.__traceback__, file=sys.stderr)
    print(f"streampipe: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    t_origin = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.t_origin = t_origin
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="streampipe: %(levelname)s: %(message)s")
    signals = SignalState()
    signals.install()
    try:
        if args.command == "run":
            return cmd_run(args, signals)
        if args.command == "batch":
            from .app.batch import run_batch

            return run_batch(args, signals)
        if args.command == "bench":
            from .app.bench import run_bench

            return run_bench(args)
        return cmd_models(args)
    except StreampipeError as exc:
        _print_error(str(exc), exc, args.verbose)
        return exc.exit_code
    except KeyboardInterrupt:
        print("streampipe: interrupted", file=sys.stderr)
        return 128 + (signals.signum or signal.SIGINT)


def entry() -> None:
    """Process entry point (``run_stream.py``, the ``streampipe`` script): ``main()``, then exit.

    When the job is over, outputs and report are final. A live source's reader thread may still be
    stuck in a native read that cannot be aborted (OpenCV on a stalled stream returns only at its
    read timeout, which may be long); a normal interpreter exit would wait for it, so Ctrl+C on a
    stalled camera would hang. In that case only, flush and leave with ``os._exit``.
    """
    import os
    import threading

    sys.stdout = _ClosedPipeTolerantStdout(sys.stdout)
    code = main()
    stuck = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if stuck:
        logging.getLogger("streampipe").debug("exiting past threads stuck in native reads: %s",
                                              [t.name for t in stuck])
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


__all__ = ["StartupError", "build_parser", "entry", "main"]


if __name__ == "__main__":
    entry()

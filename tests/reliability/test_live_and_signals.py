"""Live sources that fail (refused, stalled, frozen) and SIGINT/SIGTERM at awkward moments."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mjpeg_camera import Feeder, mjpeg_camera
from reliability_tools import ROOT, Cli, jsonl_lines, load_report, read_jsonl, read_video

from streampipe.video import MjpegPreviewServer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def camera() -> Iterator[tuple[MjpegPreviewServer, Feeder]]:
    with mjpeg_camera(size=(160, 120)) as pair:
        yield pair


def live_args(url: str, model: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["run", "--source", url, "--model", str(model), "--decoder", "classify", "--conf", "0.99", "--no-overlay",
            "--no-progress", "--output", str(tmp_path / "o.mp4"), "--jsonl", str(tmp_path / "d.jsonl"),
            "--report", str(tmp_path / "r.json"), *extra]


def check_outputs_final(tmp_path: Path) -> dict:
    """The report agrees with the outputs, and the video is finalized (opens, every frame decodes)."""
    report = load_report(tmp_path / "r.json")
    frames, _ = read_video(tmp_path / "o.mp4")
    assert len(frames) == report["frames"]["written"] == report["frames"]["processed"] > 0
    indices = [ln["index"] for ln in read_jsonl(tmp_path / "d.jsonl")]
    assert indices == sorted(indices) and len(indices) == report["frames"]["processed"]
    return report


def test_network_source_refusing_reconnects_retries_then_exits_1_naming_url_and_attempts(
        tmp_path, camera, failing_model) -> None:
    server, feeder = camera
    cli = Cli(*live_args(server.url, failing_model, tmp_path, "--read-timeout", "1", "--reconnect-attempts", "2"))
    cli.wait_until(lambda: jsonl_lines(tmp_path / "d.jsonl") >= 5, 20, "5 frames processed")
    feeder.close()
    server.close()  # the port now refuses connections
    t0 = time.monotonic()
    _, err = cli.proc.communicate(timeout=20)
    # read fails at once (EOF), then 2 attempts 0.5 s + 1 s apart, each refused
    assert cli.proc.returncode == 1 and time.monotonic() - t0 < 8.0
    last = err.strip().splitlines()[-1]
    assert server.url in last and "2 reconnect attempts failed" in last
    report = check_outputs_final(tmp_path)
    assert report["status"] == "error" and report["failure"]["stage"] == "source"


def test_network_source_that_stalls_is_detected_within_the_read_timeout(tmp_path, camera, failing_model) -> None:
    server, feeder = camera
    cli = Cli(*live_args(server.url, failing_model, tmp_path, "--read-timeout", "1", "--reconnect-attempts", "0"))
    cli.wait_until(lambda: jsonl_lines(tmp_path / "d.jsonl") >= 5, 20, "5 frames processed")
    feeder.close()  # the connection stays open, nothing more arrives
    t0 = time.monotonic()
    _, err = cli.proc.communicate(timeout=20)
    assert cli.proc.returncode == 1 and time.monotonic() - t0 < 1.0 + 2.0
    assert server.url in err.strip().splitlines()[-1]
    check_outputs_final(tmp_path)


def test_camera_repeating_one_frame_is_reported_frozen_in_process(tmp_path, failing_model, monkeypatch,
                                                                   no_leaked_threads) -> None:
    """The CLI cannot be given a fake camera, so the job runs in-process with a camera backend that
    repeats frame 10 forever (what a wedged USB camera does)."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "video"))
    from video_fakes import FakeCamera

    from streampipe.app import runner
    from streampipe.app.options import RunOptions
    from streampipe.video import LiveSource

    def frozen_camera(options):
        return LiveSource("0", "camera", lambda: FakeCamera(freeze_after=10, fps=100, size=(160, 120)),
                          read_timeout=options.read_timeout, detect_frozen=True)

    monkeypatch.setattr(runner, "open_source_for", frozen_camera)
    opts = RunOptions(source="0", model=str(failing_model), decoder="classify", conf=0.99, overlay=False,
                      progress=False, read_timeout=0.5, output=str(tmp_path / "o.mp4"),
                      jsonl=str(tmp_path / "d.jsonl"), report=str(tmp_path / "r.json"))
    t0 = time.monotonic()
    result = runner.run_job(opts, echo=lambda s: None)
    assert result.exit_code == 1 and "frozen" in result.report["error"]
    assert time.monotonic() - t0 < 0.5 + 2.0 + 1.0  # read timeout + 2 s, plus the model load
    check_outputs_final(tmp_path)


def test_sigint_while_the_source_is_stalled_exits_130_with_outputs_final(tmp_path, camera, failing_model) -> None:
    server, feeder = camera
    cli = Cli(*live_args(server.url, failing_model, tmp_path, "--read-timeout", "30"))
    cli.wait_until(lambda: jsonl_lines(tmp_path / "d.jsonl") >= 5, 20, "5 frames processed")
    feeder.close()  # from now on the source waits for a frame that does not come
    rc, took, err = cli.signal_and_wait(signal.SIGINT, 3.0)
    assert rc == 130 and took < 3.0, err
    assert load_report(tmp_path / "r.json")["status"] == "interrupted"
    check_outputs_final(tmp_path)


def test_sigterm_while_channels_are_full_exits_143_with_outputs_final(tmp_path, data_dir) -> None:
    """vtest decodes about ten times faster than YOLOX infers: with the lossless file policy the channel
    in front of inference fills. Not in the first frames, though: the first inferences are slow while
    the session warms up and decoding is still starting, so wait for 60 frames (then about 600 would
    have been decoded if the channels let them)."""
    cli = Cli("run", "--source", str(data_dir / "videos/vtest.avi"), "--model", str(data_dir / "models/yolox_nano.onnx"),
              "--output", str(tmp_path / "o.mp4"), "--jsonl", str(tmp_path / "d.jsonl"),
              "--report", str(tmp_path / "r.json"), "--no-progress")
    cli.wait_until(lambda: jsonl_lines(tmp_path / "d.jsonl") >= 60, 60, "60 frames processed")
    rc, took, err = cli.signal_and_wait(signal.SIGTERM, 3.0)
    assert rc == 143 and took < 3.0, err
    report = check_outputs_final(tmp_path)
    assert report["status"] == "interrupted" and report["frames"]["in_flight_at_stop"] > 0
    assert any(s["queue_max"] == s["queue_size"] for s in report["stages"][1:])  # a channel was full


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_just_after_end_of_stream_still_writes_the_report(tmp_path, failing_model, monkeypatch, signum) -> None:
    """In-process so the signal lands exactly between the end of the pipeline and the report: a real
    signal raised from the moment the CLI is told the pipeline is gone."""
    from streampipe import cli

    real = cli.SignalState.set_pipeline

    def set_pipeline(self, pipeline):
        real(self, pipeline)
        if pipeline is None:
            signal.raise_signal(signum)

    monkeypatch.setattr(cli.SignalState, "set_pipeline", set_pipeline)
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        rc = cli.main(["run", "--source", "synthetic:160x120@30:20", "--no-live", "--model", str(failing_model),
                       "--decoder", "classify", "--conf", "0.99", "--no-overlay", "--no-progress",
                       "--output", str(tmp_path / "o.mp4"), "--jsonl", str(tmp_path / "d.jsonl"),
                       "--report", str(tmp_path / "r.json")])
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    assert rc == 128 + signum
    report = check_outputs_final(tmp_path)
    assert report["status"] == "interrupted" and report["frames"]["written"] == 20

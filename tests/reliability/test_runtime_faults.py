"""Faults while frames flow: exit 1, the frames before the fault are all written, the report says where."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from reliability_tools import cut_file, load_report, read_jsonl, read_video, run_cli, synthetic_folder
from synthetic_clips import write_clip

from streampipe.app.options import RunOptions
from streampipe.errors import SinkError
from streampipe.frame import Detections, Frame
from streampipe.video import JsonlSink, decode_synthetic_index, make_synthetic_frame

pytestmark = pytest.mark.timeout(90)


def indices(frames: list[np.ndarray]) -> list[int]:
    return [decode_synthetic_index(f) for f in frames]


def run_args(src: Path | str, model: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["run", "--source", str(src), "--model", str(model), "--decoder", "classify", "--conf", "0.99",
            "--no-overlay", "--no-progress", "--output", str(tmp_path / "o.mp4"), "--jsonl", str(tmp_path / "d.jsonl"),
            "--report", str(tmp_path / "r.json"), *extra]


@pytest.mark.parametrize(("name", "fmt", "opts", "extra"),
                         [("fast.mp4", None, {"movflags": "+faststart"}, 0), ("s.ts", "mpegts", {}, 100)],
                         ids=["faststart-mp4", "mpeg-ts"])
def test_streamable_file_cut_at_60_percent_writes_its_frames_then_fails(tmp_path, failing_model, name, fmt, opts,
                                                                        extra) -> None:
    """The TS cut lands mid-packet, as 187 of 188 cut points do (a cut exactly on a packet boundary
    is a valid shorter file: see tests/video)."""
    clip = cut_file(write_clip(tmp_path / name, size=(160, 120), fmt=fmt, **opts), tmp_path / ("cut_" + name), 0.6,
                    extra)
    res = run_cli(*run_args(clip, failing_model, tmp_path), timeout=60)
    assert res.returncode == 1, res.stderr
    assert "truncated file" in res.stderr and str(clip) in res.stderr
    report = load_report(tmp_path / "r.json")
    n = report["frames"]["written"]
    assert report["status"] == "error" and report["failure"]["stage"] == "source"
    assert 0.5 * 90 <= n <= 0.65 * 90 and report["frames"]["processed"] == report["frames"]["captured"] == n
    frames, _ = read_video(tmp_path / "o.mp4")  # playable: finalized with its index
    assert indices(frames) == list(range(n))
    assert [ln["index"] for ln in read_jsonl(tmp_path / "d.jsonl")] == list(range(n))


K = 25


def test_model_failing_at_frame_k_keeps_frames_before_k_and_prints_one_traceback(tmp_path, failing_model) -> None:
    src = synthetic_folder(tmp_path / "frames", 60, white_at=K)
    t0 = time.monotonic()
    res = run_cli("--verbose", *run_args(src, failing_model, tmp_path), timeout=60)
    assert res.returncode == 1 and time.monotonic() - t0 < 15
    assert res.stderr.count("Traceback (most recent call last)") == 1
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("streampipe: error: infer failed at frame 25:") and "out of data bounds" in last
    report = load_report(tmp_path / "r.json")
    assert report["failure"] == {"stage": "infer", "frame": K, "type": "InvalidArgument", "output": None}
    f = report["frames"]
    assert f["processed"] == f["written"] == K and f["captured"] == f["processed"] + f["in_flight_at_stop"]
    frames, _ = read_video(tmp_path / "o.mp4")
    assert indices(frames) == list(range(K))
    assert [ln["index"] for ln in read_jsonl(tmp_path / "d.jsonl")] == list(range(K))


def test_model_failure_in_process_stops_every_thread_within_2_s(tmp_path, failing_model, no_leaked_threads,
                                                                monkeypatch) -> None:
    from streampipe.app import stages
    from streampipe.app.runner import run_job

    src = synthetic_folder(tmp_path / "frames", 60, white_at=K)
    opts = RunOptions(source=str(src), model=str(failing_model), decoder="classify", conf=0.99, overlay=False,
                      progress=False, output=str(tmp_path / "o.mp4"))
    failed_at: list[float] = []
    stopped_at: list[float] = []
    real_infer = stages.make_infer

    def timed_infer(model):  # only observes when ONNX Runtime raised; the fault itself is in the graph
        fn = real_infer(model)

        def infer(frame):
            try:
                return fn(frame)
            except Exception:
                failed_at.append(time.monotonic())
                raise
        return infer

    monkeypatch.setattr(stages, "make_infer", timed_infer)
    result = run_job(opts, on_pipeline=lambda p: p is None and stopped_at.append(time.monotonic()),
                     echo=lambda s: None)
    assert result.exit_code == 1 and result.report["frames"]["written"] == K
    assert stopped_at[0] - failed_at[0] < 2.0  # every pipeline thread joined by then
    assert not [t.name for t in threading.enumerate() if t.name.startswith("streampipe")]


def test_sink_failing_on_a_full_disk_names_the_sink(tmp_path, failing_model) -> None:
    """/dev/full answers every write with ENOSPC, like a full disk."""
    src = synthetic_folder(tmp_path / "frames", 30)
    args = run_args(src, failing_model, tmp_path)
    args[args.index("--jsonl") + 1] = "/dev/full"
    t0 = time.monotonic()
    res = run_cli(*args, timeout=30)
    assert res.returncode == 1 and time.monotonic() - t0 < 5.0
    assert "/dev/full" in res.stderr and "No space left on device" in res.stderr
    report = load_report(tmp_path / "r.json")
    assert report["failure"]["output"] == "/dev/full" and report["failure"]["type"] == "SinkError"
    frames, _ = read_video(tmp_path / "o.mp4")  # the other output is still finalized
    assert indices(frames) == list(range(len(frames)))
    # The video is written before the JSONL, so it also holds the frame the JSONL failed on; the
    # report counts what each output holds, and ``written`` what every output holds.
    assert report["outputs"]["video"] == {"path": str(tmp_path / "o.mp4"), "frames": len(frames)}
    assert report["outputs"]["jsonl"] == {"path": "/dev/full", "frames": 0}
    assert report["frames"]["written"] == report["frames"]["processed"] == len(frames) - 1


@pytest.fixture
def tiny_disk(tmp_path):
    """A 300 KiB tmpfs (we run as root in CI); skipped where mounting is not allowed."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mnt)], capture_output=True,
                         check=False)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=False)


def test_video_sink_filling_the_disk_mid_run_fails_fast_and_keeps_the_other_outputs(tmp_path, tiny_disk,
                                                                                     failing_model) -> None:
    src = tmp_path / "noisy"  # noise does not compress: the 300 KiB disk fills after a few frames
    src.mkdir()
    rng = np.random.default_rng(1)
    for i in range(60):
        img = make_synthetic_frame(i, 320, 240)
        img[40:] = rng.integers(0, 256, img[40:].shape, dtype=np.uint8)
        cv2.imwrite(str(src / f"n{i:03d}.png"), img)
    args = run_args(src, failing_model, tmp_path)
    args[args.index("--output") + 1] = str(tiny_disk / "o.mp4")
    t0 = time.monotonic()
    res = run_cli(*args, timeout=60)
    assert res.returncode == 1 and time.monotonic() - t0 < 15
    report = load_report(tmp_path / "r.json")
    assert report["failure"]["stage"] == "sink" and report["failure"]["output"] == str(tiny_disk / "o.mp4")
    assert "No space left on device" in report["error"]
    n = report["frames"]["processed"]
    assert report["failure"]["frame"] is not None  # mid-run, not at finalize
    assert 0 < n < 60 and [ln["index"] for ln in read_jsonl(tmp_path / "d.jsonl")] == list(range(n))


def test_jsonl_filling_the_disk_keeps_only_whole_lines(tmp_path, tiny_disk) -> None:
    """A write that fails half way (ENOSPC) is cut back, so every line left parses."""
    filler = tiny_disk / "filler"
    vfs = os.statvfs(tiny_disk)
    filler.write_bytes(b"\0" * ((vfs.f_bavail - 3) * vfs.f_frsize))  # three pages left
    sink = JsonlSink(tiny_disk / "d.jsonl")
    sink.open()
    dets = Detections(boxes=np.tile(np.array([[1, 2, 30, 40]], np.float32), (20, 1)),
                      scores=np.full(20, 0.5, np.float32), class_ids=np.zeros(20, np.int32), labels=("person",))
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(SinkError, match="No space left on device"):
        for i in range(1000):
            sink.process(Frame(i, img, i / 10, 0.0, detections=dets))
    sink.close()
    lines = (tiny_disk / "d.jsonl").read_text().splitlines()
    assert 0 < sink.frames_written == len(lines) < 1000
    assert [json.loads(line)["index"] for line in lines] == list(range(len(lines)))
    with pytest.raises(SinkError, match="earlier failure"):
        sink.process(Frame(len(lines), img, 0.0, 0.0))


@pytest.mark.parametrize("kind", ["odd-641x479", "gray", "bgra", "16-bit"])
def test_folder_of_unusual_images_is_processed_and_written(tmp_path, failing_model, kind) -> None:
    folder = tmp_path / kind
    folder.mkdir()
    w, h = (641, 479) if kind == "odd-641x479" else (320, 240)
    for i in range(12):
        img = make_synthetic_frame(i, w, h)
        if kind == "gray":
            img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        elif kind == "bgra":
            img = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
        elif kind == "16-bit":
            img = img.astype(np.uint16) * 257
        assert cv2.imwrite(str(folder / f"img{i}.png"), img)
    res = run_cli(*run_args(folder, failing_model, tmp_path), timeout=60)
    assert res.returncode == 0, res.stderr
    report = load_report(tmp_path / "r.json")
    assert report["frames"]["processed"] == report["frames"]["written"] == 12 and report["frames"]["skipped"] == 0
    frames, info = read_video(tmp_path / "o.mp4")
    assert indices(frames) == list(range(12))
    assert (info["width"], info["height"]) == ((642, 480) if kind == "odd-641x479" else (320, 240))
    assert frames[0][:h, :w].shape == (h, w, 3)


def test_black_frames_and_a_threshold_of_0_99_give_zero_detections_and_every_frame(tmp_path, data_dir) -> None:
    folder = tmp_path / "black"
    folder.mkdir()
    for i in range(10):
        cv2.imwrite(str(folder / f"b{i}.png"), np.zeros((240, 320, 3), np.uint8))
    for src, conf, n in ((folder, "0.3", 10), (data_dir / "videos/vtest.avi", "0.99", 40)):
        res = run_cli("run", "--source", str(src), "--model", str(data_dir / "models/yolox_nano.onnx"), "--conf", conf,
                      "--max-frames", "40", "--output", str(tmp_path / "o.mp4"), "--jsonl", str(tmp_path / "d.jsonl"),
                      "--report", str(tmp_path / "r.json"), "--no-progress", timeout=60)
        assert res.returncode == 0, res.stderr
        report = load_report(tmp_path / "r.json")
        assert report["detections_total"] == 0 and report["frames"]["written"] == n
        assert len(read_video(tmp_path / "o.mp4")[0]) == n
        assert all(ln["detections"] == [] for ln in read_jsonl(tmp_path / "d.jsonl"))


def test_a_stage_stuck_past_the_shutdown_bound_is_reported_not_waited_for(tmp_path, failing_model, monkeypatch) -> None:
    """A model call that ignores the stop (no cancel support, a hung driver): after SIGTERM the job
    gives up on it after the shutdown bound, names the stuck thread, and still finalizes the rest."""
    from streampipe.app import runner

    class StuckModel:
        """The real model, except that its 8th inference (warm-up runs included) never returns until released."""

        def __init__(self, model) -> None:
            self._model, self.calls = model, 0
            self.stuck, self.release = threading.Event(), threading.Event()

        def infer(self, tensor):
            self.calls += 1
            if self.calls == 8:
                self.stuck.set()
                self.release.wait()
            return self._model.infer(tensor)

        def __getattr__(self, name):
            if name in ("cancel", "reset_cancel"):  # a model that cannot be cancelled
                raise AttributeError(name)
            return getattr(self._model, name)

    monkeypatch.setattr(runner, "SHUTDOWN_TIMEOUT_S", 0.5)
    opts = RunOptions(source=str(synthetic_folder(tmp_path / "frames", 20)), model=str(failing_model),
                      decoder="classify", conf=0.99, overlay=False, progress=False, infer_workers=1,
                      jsonl=str(tmp_path / "d.jsonl"), output=str(tmp_path / "o.mp4"), report=str(tmp_path / "r.json"))
    model = StuckModel(runner.load_model_for(opts))
    pipelines: list = []

    def stop_when_stuck() -> None:
        if model.stuck.wait(30) and pipelines:
            pipelines[0].stop(interrupted=True)

    stopper = threading.Thread(target=stop_when_stuck)
    stopper.start()
    try:
        t0 = time.monotonic()
        result = runner.run_job(opts, model=model, on_pipeline=lambda p: p is not None and pipelines.append(p),
                                interrupted=lambda: 15, echo=lambda s: None)
        took = time.monotonic() - t0
    finally:
        model.release.set()
        stopper.join(10)
        for t in pipelines[0].threads() if pipelines else []:
            t.join(10)
    assert result.exit_code == 143 and result.status == "interrupted"
    assert "still running" in result.report["error"] and "infer" in result.report["error"]
    assert took < 0.5 + 5.0  # the bound, plus start-up and the frames before the stuck one
    assert load_report(tmp_path / "r.json")["status"] == "interrupted"
    frames, _ = read_video(tmp_path / "o.mp4")  # the sink finalized what reached it: a playable file
    assert 1 <= len(frames) == len(read_jsonl(tmp_path / "d.jsonl")) == result.report["frames"]["written"]

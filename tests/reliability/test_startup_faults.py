"""Bad input found at start-up: exit 2 fast, one line naming the input and the problem, nothing written."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from reliability_tools import cut_file, load_report, run_cli

pytestmark = pytest.mark.timeout(60)


def _no_outputs(tmp_path: Path) -> None:
    assert not (tmp_path / "o.mp4").exists() and not (tmp_path / "d.jsonl").exists()


def _one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda d: d / "missing.mp4", "no such file"),
        (lambda d: (d / "notes.txt").write_text("not a video\n") and d / "notes.txt", "not a video"),
        (lambda d: (d / "empty.mp4").write_bytes(b"") or d / "empty.mp4", "empty file (0 bytes)"),
    ],
    ids=["missing", "text", "zero-bytes"],
)
def test_bad_source_file_exits_2_within_2_s_and_leaves_no_output(tmp_path, data_dir, make, problem) -> None:
    src = make(tmp_path)
    t0 = time.monotonic()
    res = run_cli("run", "--source", str(src), "--model", str(data_dir / "models/yolox_nano.onnx"),
                  "--output", str(tmp_path / "o.mp4"), "--jsonl", str(tmp_path / "d.jsonl"),
                  "--report", str(tmp_path / "r.json"))
    elapsed = time.monotonic() - t0
    assert res.returncode == 2 and elapsed < 2.0, (res.returncode, elapsed, res.stderr)
    line = _one_line(res.stderr)
    assert str(src) in line and problem in line
    _no_outputs(tmp_path)
    report = load_report(tmp_path / "r.json")  # the report is written on every exit path
    assert report["status"] == "error" and problem in report["error"]
    assert report["frames"]["captured"] == report["frames"]["written"] == 0


def test_mp4_with_index_at_the_end_cut_at_60_percent_is_an_unreadable_container(tmp_path, data_dir) -> None:
    clip = cut_file(data_dir / "videos/carphone_pristine.mp4", tmp_path / "cut.mp4", 0.6)
    t0 = time.monotonic()
    res = run_cli("run", "--source", str(clip), "--model", str(data_dir / "models/yolox_nano.onnx"),
                  "--output", str(tmp_path / "o.mp4"), "--report", str(tmp_path / "r.json"))
    assert res.returncode in (1, 2) and time.monotonic() - t0 < 5.0
    line = _one_line(res.stderr)
    assert str(clip) in line and "unreadable container" in line
    _no_outputs(tmp_path)


def test_camera_index_with_no_camera_exits_2(tmp_path) -> None:
    res = run_cli("run", "--source", "7", "--report", str(tmp_path / "r.json"), "--output", str(tmp_path / "o.mp4"))
    assert res.returncode == 2
    assert _one_line(res.stderr) == "streampipe: error: no camera at index 7"
    _no_outputs(tmp_path)


def _bad_models(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    rank5 = tmp_path / "rank5.onnx"  # a 5-D input: no image decoder handles it
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "rank5",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 32, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 32, 32])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(rank5))
    return {"missing": (tmp_path / "nope.onnx", "not found"), "corrupt": (corrupt, str(corrupt)),
            "rank5": (rank5, str(rank5))}


@pytest.mark.parametrize("which", ["missing", "corrupt", "rank5"])
@pytest.mark.parametrize("source", ["good", "missing"])
def test_unusable_model_exits_2_and_wins_over_a_bad_source(tmp_path, which, source) -> None:
    """The model's error is reported even when the source is bad too, and no output is created."""
    model, needle = _bad_models(tmp_path)[which]
    src = "synthetic:64x48@30:10" if source == "good" else str(tmp_path / "no_such_video.mp4")
    t0 = time.monotonic()
    res = run_cli("run", "--source", src, "--model", str(model), "--no-live", "--output", str(tmp_path / "o.mp4"),
                  "--jsonl", str(tmp_path / "d.jsonl"), "--report", str(tmp_path / "r.json"))
    assert res.returncode == 2 and time.monotonic() - t0 < 5.0
    line = _one_line(res.stderr)
    assert needle in line and "no_such_video" not in line
    _no_outputs(tmp_path)
    report = load_report(tmp_path / "r.json")
    assert report["status"] == "error" and report["frames"]["captured"] == 0


@pytest.mark.parametrize("where", ["missing-dir", "under-a-file", "proc"])
def test_output_directory_missing_or_not_writable_exits_2_at_startup(tmp_path, where) -> None:
    """Root ignores permission bits, so "not writable" is made with paths no user can write:
    a directory that is a regular file (ENOTDIR) and /proc."""
    (tmp_path / "afile").write_text("x")
    out = {"missing-dir": tmp_path / "no/such/dir/o.mp4", "under-a-file": tmp_path / "afile/o.mp4",
           "proc": Path("/proc/o.mp4")}[where]
    t0 = time.monotonic()
    res = run_cli("run", "--source", "synthetic:64x48@30:10", "--no-live", "--output", str(out),
                  "--report", str(tmp_path / "r.json"))
    assert res.returncode == 2 and time.monotonic() - t0 < 2.0
    assert str(out) in _one_line(res.stderr)
    assert not out.exists() and not os.path.exists(tmp_path / "no")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["status"] == "error" and str(out) in report["error"]
    assert report["failure"] == {"stage": None, "frame": None, "type": "OutputError", "output": str(out)}

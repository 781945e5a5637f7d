"""The main job on real input, through the real command line (CI runs these with ../shared/data)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from clitools import read_jsonl, read_video, run_cli

from streampipe.render import sharpness

pytestmark = pytest.mark.timeout(300)


def test_yolox_on_vtest_writes_every_frame_with_persons_boxed(data_dir, tmp_path) -> None:
    out, dets, rep = tmp_path / "o.mp4", tmp_path / "d.jsonl", tmp_path / "r.json"
    res = run_cli("run", "--source", str(data_dir / "videos/vtest.avi"),
                  "--model", str(data_dir / "models/yolox_nano.onnx"), "--conf", "0.3",
                  "--output", str(out), "--jsonl", str(dets), "--report", str(rep), timeout=280)
    assert res.returncode == 0, res.stderr[-2000:]

    report = json.loads(rep.read_text())
    assert report["status"] == "ok" and report["error"] is None
    f = report["frames"]
    assert f["captured"] == f["processed"] == f["written"] == 795 and f["dropped"] == 0
    assert report["source"]["frames_expected"] == 795
    names = [s["name"] for s in report["stages"]]
    assert names[0] == "source" and names[-1] == "sink" and "infer" in names
    assert all(s["items"] == 795 for s in report["stages"])
    assert report["latency_ms"]["p99"] >= report["latency_ms"]["p50"] > 0

    frames, info = read_video(out)
    assert len(frames) == 795 and info["codec"] == "h264" and (info["width"], info["height"]) == (768, 576)
    assert info["duration_s"] == pytest.approx(79.5, abs=0.2)

    lines = read_jsonl(dets)
    assert [ln["index"] for ln in lines] == list(range(795))
    per_frame = [len(ln["detections"]) for ln in lines]
    with_person = sum(any(d["label"] == "person" for d in ln["detections"]) for ln in lines)
    assert with_person > 0.9 * 795
    assert 5 <= np.mean(per_frame) <= 20  # MANIFEST: about 10 boxes per frame at conf 0.3
    assert sum(per_frame) == report["detections_total"]
    assert "bottleneck" in res.stdout


def test_default_centerface_blurs_the_face_in_asl_again(data_dir, tmp_path) -> None:
    src = data_dir / "videos/asl_again.mkv"
    out, dets, rep = tmp_path / "anon.mp4", tmp_path / "d.jsonl", tmp_path / "r.json"
    res = run_cli("run", "--source", str(src), "--blur", "--output", str(out), "--jsonl", str(dets),
                  "--report", str(rep), "--no-overlay", timeout=280)
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.loads(rep.read_text())
    assert report["model"]["name"] == "centerface"
    assert report["frames"]["written"] == report["frames"]["processed"] == 77

    original, _ = read_video(src)
    blurred, info = read_video(out)
    assert len(blurred) == 77 and info["codec"] == "h264"
    ratios = []
    for line, before, after in zip(read_jsonl(dets), original, blurred):
        for d in line["detections"]:
            ratios.append(sharpness(after, d["box"]) / max(sharpness(before, d["box"]), 1e-6))
    assert len(ratios) >= 60, "the face should be found in most frames"
    assert np.median(ratios) < 0.2, f"face region not blurred: median sharpness ratio {np.median(ratios):.2f}"


def test_bench_prints_the_stage_table_and_writes_the_json(data_dir, tmp_path) -> None:
    out = tmp_path / "bench.json"
    res = run_cli("bench", "--source", str(data_dir / "videos/vtest.avi"),
                  "--model", str(data_dir / "models/yolox_nano.onnx"), "--frames", "40", "--json", str(out),
                  timeout=200)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "bottleneck" in res.stdout and "speedup" in res.stdout
    b = json.loads(out.read_text())
    for key in ("stages", "pipeline_fps", "sequential_fps", "speedup", "limit_fps", "efficiency", "frames", "cores"):
        assert key in b, key
    assert b["frames"] == 40 and b["cores"] >= 1
    assert {s["name"] for s in b["stages"]} == {"source", "preprocess", "infer", "postprocess", "render", "sink"}
    assert all(s["standalone_fps"] > 0 and s["pipeline_fps"] > 0 for s in b["stages"])
    assert b["speedup"] == pytest.approx(b["pipeline_fps"] / b["sequential_fps"], rel=0.01)
    assert b["efficiency"] == pytest.approx(b["pipeline_fps"] / b["limit_fps"], rel=0.01)

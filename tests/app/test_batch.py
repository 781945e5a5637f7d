"""``streampipe batch`` through the real CLI: one output set per input, bad inputs reported and
skipped while the others run, an aggregate report, and an exit code that says some failed."""

from __future__ import annotations

import json

import pytest
from clitools import read_jsonl, read_video, run_cli
from synthetic_clips import write_clip

pytestmark = pytest.mark.timeout(120)


def test_batch_runs_the_good_inputs_and_reports_the_bad_ones(tmp_path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_clip(tmp_path / "a" / "clip.mp4", n=12, size=(160, 120))
    write_clip(tmp_path / "b" / "clip.mkv", n=7, size=(160, 120))  # same name, other folder
    (tmp_path / "notes.mp4").write_text("not a video\n")
    out = tmp_path / "out"  # created by batch
    res = run_cli("batch", str(tmp_path / "a" / "clip.mp4"), str(tmp_path / "nothing*.mp4"),
                  str(tmp_path / "b" / "*.mkv"), str(tmp_path / "notes.mp4"), str(tmp_path / "missing.mp4"),
                  str(tmp_path / "b" / ".." / "a" / "clip.mp4"),  # named twice, spelled otherwise: runs once
                  "--out-dir", str(out), "--no-progress")
    assert res.returncode == 2, res.stderr  # the first failure: the glob that matched nothing
    errors = [line for line in res.stderr.splitlines() if line.startswith("streampipe: error:")]
    assert len(errors) == 3 and "nothing*.mp4: no video files matched" in errors[0]
    assert any("notes.mp4" in e for e in errors) and any("missing.mp4" in e for e in errors)

    for stem, n in (("clip", 12), ("clip-2", 7)):
        frames, _ = read_video(out / f"{stem}.mp4")
        report = json.loads((out / f"{stem}.report.json").read_text())
        assert len(frames) == len(read_jsonl(out / f"{stem}.jsonl")) == report["frames"]["written"] == n
        assert report["status"] == "ok"
    aggregate = json.loads((out / "batch_report.json").read_text())
    assert (aggregate["inputs"], aggregate["succeeded"], aggregate["failed"]) == (5, 2, 3)
    assert aggregate["frames_processed"] == 19
    by_input = {r["input"]: r for r in aggregate["results"]}
    assert by_input[str(tmp_path / "notes.mp4")]["exit_code"] == 2
    assert by_input[str(tmp_path / "nothing*.mp4")]["status"] == "error"
    assert not (out / "notes.mp4").exists() and not (out / "missing.mp4").exists()  # no output for a bad input


def test_batch_where_nothing_matches_reports_every_pattern_and_exits_2(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    patterns = [str(tmp_path / "empty"), str(tmp_path / "*.mp4")]
    res = run_cli("batch", *patterns, "--out-dir", str(tmp_path / "out"), "--no-progress")
    assert res.returncode == 2, res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("streampipe: error:")]
    assert [e.split("error: ")[1] for e in errors] == [f"{p}: no video files matched" for p in patterns]
    aggregate = json.loads((tmp_path / "out" / "batch_report.json").read_text())
    assert (aggregate["inputs"], aggregate["succeeded"], aggregate["failed"]) == (2, 0, 2)
    assert [r["input"] for r in aggregate["results"]] == patterns and aggregate["model"] is None

"""Guards found by trying to break the CLI: never overwrite inputs, refuse nonsense early."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time

import pytest
from clitools import read_video, run_cli

from streampipe.app.report import write_json

pytestmark = pytest.mark.timeout(120)


def test_output_over_the_source_is_refused_and_the_input_survives(data_dir, tmp_path) -> None:
    src = tmp_path / "clip.mp4"
    shutil.copy(data_dir / "videos/carphone_pristine.mp4", src)
    before = src.read_bytes()
    res = run_cli("run", "--source", str(src), "--output", str(src), "--no-progress")
    assert res.returncode == 2
    assert "source file" in res.stderr and res.stderr.strip().count("\n") == 0
    assert src.read_bytes() == before


def test_two_outputs_on_one_path_are_refused(tmp_path) -> None:
    same = tmp_path / "same.mp4"
    res = run_cli("run", "--source", "synthetic:64x48@30:3", "--output", str(same), "--jsonl", str(same))
    assert res.returncode == 2 and "same file" in res.stderr
    assert not same.exists()


def test_batch_refuses_an_out_dir_that_would_overwrite_its_inputs(data_dir, tmp_path) -> None:
    clip = tmp_path / "clip.mp4"
    shutil.copy(data_dir / "videos/carphone_pristine.mp4", clip)
    before = clip.read_bytes()
    res = run_cli("batch", str(tmp_path), "--out-dir", str(tmp_path), "--no-progress")
    assert res.returncode == 2 and "overwrite an input" in res.stderr
    assert clip.read_bytes() == before


@pytest.mark.parametrize("args", [
    ["--max-frames", "-1"], ["--max-frames", "0"], ["--preview", "99999"], ["--blur", "--pixelate"],
    ["--read-timeout", "-1"], ["--open-timeout", "0"], ["--reconnect-attempts", "-1"], ["--workers", "2000"],
    ["--batch-wait-ms", "-5"], ["--model", ""],
])
def test_nonsense_options_are_usage_errors(args) -> None:
    res = run_cli("run", "--source", "synthetic:64x48@30:3", *args)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr


def test_verbose_is_accepted_after_the_subcommand(tmp_path) -> None:
    res = run_cli("run", "--source", str(tmp_path / "missing.mp4"), "-v")
    assert res.returncode == 2 and "missing.mp4" in res.stderr


def test_bench_checks_its_json_path_before_measuring(tmp_path) -> None:
    t0 = time.monotonic()
    res = run_cli("bench", "--source", "synthetic:64x48@30:5", "--json", str(tmp_path / "nodir" / "b.json"))
    assert res.returncode == 2 and "nodir" in res.stderr
    assert "Traceback" not in res.stderr and time.monotonic() - t0 < 30


def test_display_without_a_screen_warns_once_and_the_run_succeeds(tmp_path) -> None:
    rep = tmp_path / "r.json"
    res = run_cli("run", "--source", "synthetic:64x48@30:10", "--no-live", "--display", "--report", str(rep),
                  "--output", str(tmp_path / "o.mp4"), env={"DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert res.returncode == 0, res.stderr
    assert res.stderr.lower().count("display") >= 1
    report = json.loads(rep.read_text())
    assert report["status"] == "ok" and report["frames"]["written"] == 10
    assert len(read_video(tmp_path / "o.mp4")[0]) == 10


def test_a_hard_link_to_the_source_is_the_source(data_dir, tmp_path) -> None:
    src = tmp_path / "in.mp4"
    shutil.copy(data_dir / "videos/carphone_pristine.mp4", src)
    os.link(src, tmp_path / "same.mp4")
    before = src.read_bytes()
    res = run_cli("run", "--source", str(src), "--output", str(tmp_path / "same.mp4"), "--no-progress")
    assert res.returncode == 2 and "source file" in res.stderr
    assert src.read_bytes() == before


def test_reports_are_written_through_symlinks_and_into_non_regular_files(tmp_path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link.json").symlink_to(real / "r.json")
    write_json(tmp_path / "link.json", {"a": 1})
    assert (tmp_path / "link.json").is_symlink() and json.loads((real / "r.json").read_text()) == {"a": 1}
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    got: list[str] = []
    reader.start()
    write_json(fifo, {"b": 2})
    reader.join(5)
    assert fifo.exists() and not fifo.is_file() and json.loads(got[0]) == {"b": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "pipe", "real"]  # no temp files left

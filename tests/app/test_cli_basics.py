"""Command-line contract: help on every subcommand, models list/info, usage errors exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from clitools import ROOT, run_cli

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("sub", [[], ["run"], ["batch"], ["bench"], ["models"]])
def test_help_shows_defaults_and_examples(sub) -> None:
    res = run_cli(*sub, "--help")
    assert res.returncode == 0
    assert "usage:" in res.stdout
    if sub in (["run"], ["batch"], ["bench"]):
        assert "example" in res.stdout and "default" in res.stdout


def test_models_list_and_info() -> None:
    res = run_cli("models", "list")
    assert res.returncode == 0
    for name in ("centerface", "yolox-nano", "yunet", "ultraface-rfb-320"):
        assert name in res.stdout
    info = run_cli("models", "info", "centerface")
    assert info.returncode == 0 and json.loads(info.stdout)["name"] == "centerface"


def test_unknown_model_name_is_a_one_line_startup_error() -> None:
    res = run_cli("models", "info", "no-such-model")
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "no-such-model" in res.stderr


@pytest.mark.parametrize(("args", "named"), [
    (["run"], "--source"),
    (["run", "--source", "x", "--policy", "sometimes"], "--policy"),
    (["run", "--source", "x", "--conf", "1.5"], "--conf"),
    (["run", "--source", "x", "--conf", "abc"], "--conf"),
    (["bench", "--source", "x", "--frames", "0"], "--frames"),
    (["run", "--source", "x", "--classes", " , "], "--classes"),  # an empty filter is not "no filter"
    (["models", "info"], "name"),
])
def test_bad_usage_exits_2_with_one_line_naming_the_option(args, named) -> None:
    res = run_cli(*args)
    assert res.returncode == 2
    line = res.stderr.strip()
    assert "\n" not in line and line.startswith("streampipe: error:") and named in line, res.stderr


@pytest.mark.parametrize("args", [["models", "list"], ["run", "--source", "synthetic:160x120@30:10", "--no-live"]])
def test_a_reader_that_goes_away_does_not_fail_the_job(tmp_path, args) -> None:
    """``streampipe ... | head -1``: stdout's reader has gone when the table is printed."""
    report = tmp_path / "r.json"
    extra = ["--report", str(report)] if args[0] == "run" else []
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_stream.py"), *args, *extra], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # nobody reads stdout: every write to it fails with EPIPE
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err and "BrokenPipe" not in err, err
    if extra:
        assert json.loads(report.read_text())["status"] == "ok"


def test_synthetic_source_runs_end_to_end_with_a_report(tmp_path) -> None:
    rep = tmp_path / "r.json"
    res = run_cli("run", "--source", "synthetic:320x240@30:45", "--no-live", "--report", str(rep),
                  "--jsonl", str(tmp_path / "d.jsonl"), "--output", str(tmp_path / "o.mp4"))
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.loads(rep.read_text())
    assert report["status"] == "ok"
    assert report["frames"]["processed"] == report["frames"]["written"] == 45
    assert len((tmp_path / "d.jsonl").read_text().splitlines()) == 45

"""Smoke runs of the benchmark scripts: they start, measure something and print their ratios.

Timings are never asserted (shared, noisy machines); only that the scripts work end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(300)


def run_script(name: str, *args: str, data: Path | None = None) -> str:
    env = {**os.environ, "STREAMPIPE_TEST_DATA": str(data)} if data is not None else None
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args], capture_output=True, env=env,
                          text=True, timeout=280, check=False, cwd=ROOT / "benchmarks", stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_engine_overhead_prints_both_rates_and_their_ratio() -> None:
    out = run_script("engine_overhead.py", "--items", "3000", "--repeat", "1")
    assert "plain queue.Queue chain" in out and "streampipe engine" in out and "ratio engine/plain" in out


def test_pipeline_vs_sequential_prints_the_goals(data_dir) -> None:
    out = run_script("pipeline_vs_sequential.py", "--frames", "12", data=data_dir)
    assert "speedup pipeline/sequential" in out and "efficiency pipeline/limit" in out


def test_live_overload_accounts_for_every_frame() -> None:
    out = run_script("live_overload.py", "--seconds", "2", "--size", "320x240")
    assert out.count("== offered: True") == 2

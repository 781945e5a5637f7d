"""Helpers to run the real command line in a subprocess and read what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> CliResult:
    """``python run_stream.py ARGS`` with a timeout; never inherits a terminal."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run_stream.py"), *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL, check=False,
        env={**os.environ, **(env or {})},
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def read_video(path: Path) -> tuple[list[np.ndarray], dict]:
    """Every frame of a video as BGR arrays, and facts about its stream."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(stream)]
        info = {"codec": stream.codec_context.name, "width": stream.width, "height": stream.height,
                "duration_s": float(stream.duration * stream.time_base) if stream.duration else None}
    return frames, info


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]



"""The sample generator writes a playable H.264 clip of the requested length."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from streampipe.video import open_source

SCRIPT = Path(__file__).resolve().parents[2] / "samples" / "make_sample.py"


def test_make_sample_writes_requested_clip(tmp_path: Path) -> None:
    pytest.importorskip("skimage")
    spec = importlib.util.spec_from_file_location("make_sample", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "a.mp4"
    assert module.main(["--out", str(out), "--seconds", "0.5", "--size", "320x240"]) == 0
    with open_source(str(out)) as src:
        frames = list(src)
    assert (src.info.width, src.info.height, len(frames)) == (320, 240, 15)
    assert frames[-1].pts == pytest.approx(14 / 30, abs=1e-3)
    assert frames[0].image.std() > 20  # a picture, not a blank frame

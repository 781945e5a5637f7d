"""The repair cache: the second load of a model needs neither the onnx package nor a re-repair."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from streampipe.inference import load_model, repair_cache

pytestmark = pytest.mark.timeout(120)

PROBE = (
    "import sys; from streampipe.inference import load_model; m = load_model(None); "
    "print(m.decoder_name, 'onnx' in sys.modules)"
)


def test_second_start_up_skips_the_onnx_import(tmp_path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = [
        subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True).stdout
        for _ in range(2)
    ]
    assert runs == ["centerface True\n", "centerface False\n"]
    assert len(list((tmp_path / "streampipe" / "repaired").glob("*.onnx"))) == 1


def test_models_needing_no_repair_leave_only_a_marker(tmp_path, monkeypatch, data_dir) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    data = (data_dir / "models" / "yolox_nano.onnx").read_bytes()
    first = load_model(str(data_dir / "models" / "yolox_nano.onnx"))
    assert repair_cache.lookup(data, None) == data
    assert [p.suffix for p in (tmp_path / "streampipe" / "repaired").iterdir()] == [".asis"]
    second = load_model(str(data_dir / "models" / "yolox_nano.onnx"))
    assert second.decoder_name == first.decoder_name == "yolox"


def test_a_stale_or_unwritable_cache_only_costs_time(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # cache dir cannot be created
    assert load_model(None).decoder_name == "centerface"

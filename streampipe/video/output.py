"""Startup validation of output paths, so a typo fails in milliseconds, not after an hour of video."""

from __future__ import annotations

import os
from pathlib import Path

from streampipe.errors import OutputError


def open_output_check(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` can be created or overwritten; raise ``OutputError`` (exit 2) if not.

    Checks only, creates nothing: the directory must exist (we do not guess whether the user
    meant to create it), be a directory and be writable, and ``path`` must not be a directory.
    """
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise OutputError(f"{p}: output path is a directory")
    if not parent.exists():
        raise OutputError(f"{p}: output directory {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"{p}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{p}: output directory {parent} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputError(f"{p}: output file exists and is not writable")
    return p

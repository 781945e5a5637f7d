"""How a local path is handed to FFmpeg, so a colon in a file name is never read as a protocol.

FFmpeg treats the text before the first ``:`` as a protocol when it is made of URL scheme
characters: ``a:b.mp4`` means protocol ``a`` ("Protocol not found"), ``o:x.mp4`` protocol ``o``.
``file:`` + the absolute path always means the local file, whatever the name contains.
"""

from __future__ import annotations

import os


def ffmpeg_local_path(path: str | os.PathLike[str]) -> str:
    """``file:/absolute/path`` for PyAV (``av.open``); URLs must not go through here."""
    return "file:" + os.path.abspath(os.fspath(path))

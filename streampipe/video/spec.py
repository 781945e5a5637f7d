"""Turn a user's source string into a typed ``SourceSpec``; no I/O beyond ``os.path`` checks.

Kept apart from the sources so the command line can validate and describe an input (and tests can
cover every spelling) without opening anything.

Accepted spellings:

==========================  ==========  ==============================================
spec                        kind        notes
==========================  ==========  ==============================================
``0``, ``1``                camera      OpenCV device index
``/dev/video2``             camera      V4L2 device path
``rtsp://...`` etc.         network     rtsp(s), http(s), tcp, udp, rtmp, srt
``synthetic:640x480@30:90`` synthetic   WxH@FPS with optional frame COUNT (>= 1)
``some/dir``                folder      every image file inside, natural sort
``frames/*.png``            folder      glob pattern, natural sort
anything else               file        whatever FFmpeg (PyAV) opens, GIF included
==========================  ==========  ==============================================
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

NETWORK_SCHEMES = ("rtsp", "rtsps", "http", "https", "tcp", "udp", "rtmp", "srt")
_SYNTHETIC = re.compile(r"synthetic:(\d+)x(\d+)@(\d+(?:\.\d+)?)(?::(\d+))?")
_DEV_VIDEO = re.compile(r"/dev/video(\d+)")
#: Synthetic frame size limits (W, H): the index bar needs 32 columns; 8K caps memory (a 99999x99999
#: frame is 30 GB, and every queue slot holds one), in either orientation.
MIN_SYNTHETIC = (32, 16)
MAX_SYNTHETIC = (7680, 4320)


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source string: ``kind`` plus the fields that kind needs."""

    raw: str
    kind: str  # "camera" | "network" | "synthetic" | "folder" | "file"
    target: str  # path, URL, glob or device path; "" for camera index / synthetic
    index: int | None = None  # camera index
    width: int = 0
    height: int = 0
    fps: float = 0.0
    count: int | None = None


def parse_spec(spec: str) -> SourceSpec:
    """Classify ``spec``; raises ``ValueError`` only for a malformed ``synthetic:`` spec."""
    raw = spec
    s = spec.strip()
    if s.isdigit():
        return SourceSpec(raw, "camera", "", index=int(s))
    m = _DEV_VIDEO.fullmatch(s)
    if m:
        return SourceSpec(raw, "camera", s, index=int(m.group(1)))
    if s.startswith("synthetic:"):
        m = _SYNTHETIC.fullmatch(s)
        if not m:
            raise ValueError(f"{raw!r}: expected synthetic:WxH@FPS[:COUNT], e.g. synthetic:640x480@30:90")
        w, h, fps = int(m.group(1)), int(m.group(2)), float(m.group(3))
        count = int(m.group(4)) if m.group(4) is not None else None
        if w < MIN_SYNTHETIC[0] or h < MIN_SYNTHETIC[1]:
            raise ValueError(f"{raw!r}: synthetic size {w}x{h} is too small (at least 32x16)")
        if max(w, h) > MAX_SYNTHETIC[0] or min(w, h) > MAX_SYNTHETIC[1]:
            raise ValueError(f"{raw!r}: synthetic size {w}x{h} is larger than 8K (7680x4320 or 4320x7680)")
        if fps <= 0:
            raise ValueError(f"{raw!r}: synthetic fps must be > 0")
        if count == 0:
            raise ValueError(f"{raw!r}: synthetic COUNT must be at least 1 (omit it for an endless source)")
        return SourceSpec(raw, "synthetic", "", width=w, height=h, fps=fps, count=count)
    scheme = s.split("://", 1)[0].lower() if "://" in s else ""
    if scheme in NETWORK_SCHEMES:
        return SourceSpec(raw, "network", s)
    if scheme == "file":
        s = s[len("file://") :]
    if os.path.isdir(s):
        return SourceSpec(raw, "folder", s)
    if any(c in s for c in "*?[") and not os.path.exists(s):
        return SourceSpec(raw, "folder", s)
    return SourceSpec(raw, "file", s)

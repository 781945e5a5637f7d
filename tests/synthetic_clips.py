"""Synthetic test clips written with plain PyAV (independent of streampipe's own sink).

Each frame carries its index in pixels (``decode_synthetic_index``), so a test can check exactly
which frames survived a cut, a fault or a stop. Importable from any test folder: ``tests/`` holds a
conftest and is on ``sys.path`` under pytest's default import mode.
"""

from __future__ import annotations

from pathlib import Path

import av

from streampipe.video import make_synthetic_frame


def write_clip(
    path: Path, n: int = 90, size: tuple[int, int] = (320, 240), fmt: str | None = None, **opts: str
) -> Path:
    """``n`` frames of ``size`` as H.264 at 30 fps; ``fmt``/``opts`` choose the container and muxer flags."""
    with av.open(str(path), "w", format=fmt, options=opts) as c:
        s = c.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        s.width, s.height, s.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(n):
            vf = av.VideoFrame.from_ndarray(make_synthetic_frame(i, *size), format="bgr24")
            vf.pts = i
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path

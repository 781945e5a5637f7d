"""Files through PyAV: real footage frame counts and timestamps, bad inputs, truncation, rotation."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import av
import numpy as np
import pytest
from synthetic_clips import write_clip

from streampipe.errors import DecodeError, SourceOpenError
from streampipe.video import decode_synthetic_index, open_source

MANIFEST = {  # file: (decoded frames, width, height) from shared/data/MANIFEST.md
    "vtest.avi": (795, 768, 576),
    "one-by-one-person-detection.mp4": (1394, 768, 432),
    "bottle-detection.mp4": (1189, 640, 360),
    "asl_again.mkv": (77, 640, 480),
    "face-demographics-walking.gif": (35, 480, 270),
    "carphone_pristine.mp4": (120, 176, 144),
    "bikes.mp4": (250, 640, 272),
}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_real_video_decodes_to_manifest_count_with_increasing_pts(videos: Path, name: str) -> None:
    count, width, height = MANIFEST[name]
    src = open_source(str(videos / name))
    assert (src.info.width, src.info.height, src.info.kind, src.info.is_live) == (
        width,
        height,
        "file",
        False,
    )
    assert src.default_policy == "block"
    n, last_pts = 0, -1.0
    with src:
        for frame in src:
            assert frame.index == n
            assert frame.pts is not None and frame.pts > last_pts
            last_pts = frame.pts
            n += 1
        image = frame.image
    assert n == count
    assert image.dtype == np.uint8 and image.shape == (height, width, 3) and image.flags.c_contiguous


def test_container_overreporting_by_one_ends_cleanly(videos: Path) -> None:
    src = open_source(str(videos / "asl_again.mkv"))
    assert src.info.frames_expected == 78
    assert sum(1 for _ in src) == 77  # and no DecodeError at the missing 78th
    src.close()


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda d: d / "missing.mp4", "no such file"),
        (
            lambda d: _write(d / "notes.txt", b"just some text, not a video\n"),
            "not a video (cannot open container)",
        ),
        (lambda d: _write(d / "empty.mp4", b""), "empty file (0 bytes)"),
        (lambda d: (d / "nothing_here").mkdir() or d / "nothing_here", "no images in directory"),
    ],
    ids=["missing", "text", "zero-bytes", "empty-dir"],
)
def test_bad_inputs_fail_at_open_with_one_line_naming_the_input(tmp_path: Path, make, problem: str) -> None:
    path = make(tmp_path)
    with pytest.raises(SourceOpenError) as exc:
        open_source(str(path))
    msg = str(exc.value)
    assert msg == f"{path}: {problem}"
    assert "\n" not in msg and exc.value.exit_code == 2


def test_missing_camera_index_fails_fast() -> None:
    t0 = time.monotonic()
    with pytest.raises(SourceOpenError, match="^no camera at index 7$"):
        open_source("7")
    assert time.monotonic() - t0 < 2.0


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def cut(path: Path, fraction: float) -> Path:
    data = path.read_bytes()
    out = path.with_name("cut_" + path.name)
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


@pytest.mark.parametrize(
    ("name", "fmt", "opts", "extra"),
    # the TS cut lands mid-packet (as 187 of 188 cut points do): 90 frames make 650 TS packets
    [("faststart.mp4", None, {"movflags": "+faststart"}, 0), ("stream.ts", "mpegts", {}, 100),
     ("clip.mkv", "matroska", {}, 0)],  # Matroska announces a duration, not a frame count
)
def test_truncated_streamable_file_yields_its_decodable_frames_then_a_decode_error(
    tmp_path: Path, name: str, fmt: str | None, opts: dict[str, str], extra: int
) -> None:
    """FFmpeg reports a file cut short as end of file; the source sees the evidence (fewer frames
    than the MP4 index announces, a TS file ending mid-packet) and raises after the good frames."""
    clip = write_clip(tmp_path / name, fmt=fmt, **opts)
    data = clip.read_bytes()
    (tmp_path / "cut").write_bytes(data[: int(len(data) * 0.6) + extra])
    content: list[int] = []
    with open_source(str(tmp_path / "cut")) as src, pytest.raises(DecodeError, match="truncated file") as exc:
        content.extend(decode_synthetic_index(f.image) for f in src)
    assert 0.4 * 90 <= len(content) <= 0.7 * 90
    assert content[0] == 0 and all(b > a for a, b in itertools.pairwise(content))
    assert f"decoded {len(content)} frames" in str(exc.value)


def test_ts_cut_exactly_at_a_packet_boundary_is_a_valid_shorter_file(tmp_path: Path) -> None:
    """The documented limit: TS has no index, so a cut on a 188-byte boundary leaves no evidence."""
    clip = write_clip(tmp_path / "s.ts", fmt="mpegts")
    data = clip.read_bytes()
    cut_at = int(len(data) * 0.6) // 188 * 188
    (tmp_path / "cut.ts").write_bytes(data[:cut_at])
    with open_source(str(tmp_path / "cut.ts")) as src:
        assert 0.4 * 90 <= sum(1 for _ in src) <= 0.7 * 90


@pytest.mark.parametrize("which", ["own", "carphone"])
def test_mp4_with_index_at_end_cut_short_is_an_unreadable_container(
    tmp_path: Path, which: str, request
) -> None:
    if which == "carphone":
        src_path = request.getfixturevalue("videos") / "carphone_pristine.mp4"
        clip = tmp_path / "carphone.mp4"
        clip.write_bytes(src_path.read_bytes())
    else:
        clip = write_clip(tmp_path / "moov_at_end.mp4")
    assert clip.read_bytes().rfind(b"moov") > clip.stat().st_size // 2  # index really is at the end
    truncated = cut(clip, 0.6)
    t0 = time.monotonic()
    with pytest.raises(SourceOpenError, match=r"unreadable container") as exc:
        open_source(str(truncated))
    assert time.monotonic() - t0 < 1.0
    assert str(truncated) in str(exc.value) and "\n" not in str(exc.value)


def test_display_matrix_rotation_is_applied(tmp_path: Path) -> None:
    """A phone-style clip stored 64x32 with a 90 degree display rotation comes out 32x64 upright."""
    path = tmp_path / "rotated.mp4"
    stored = np.zeros((32, 64, 3), np.uint8)
    stored[:, :32] = 255  # left half white as stored
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 32, "yuv420p"
        s.set_display_rotation(90)
        for i in range(3):
            vf = av.VideoFrame.from_ndarray(stored, format="bgr24")
            vf.pts = i
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    with open_source(str(path)) as src:
        frames = list(src)
    assert (src.info.width, src.info.height) == (32, 64)
    img = frames[0].image
    assert img.shape == (64, 32, 3)
    # 90 degrees counter-clockwise: the stored left half ends up at the bottom (what OpenCV's
    # CAP_PROP_ORIENTATION_AUTO shows for the same file)
    assert img[-8:].mean() > 200 and img[:8].mean() < 50


def test_realtime_file_is_paced_and_interrupt_ends_it(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", n=12)  # 30 fps -> 11 frame intervals = 0.367 s
    t0 = time.monotonic()
    with open_source(str(clip), realtime=True) as src:
        assert sum(1 for _ in src) == 12
    assert time.monotonic() - t0 >= 11 / 30 - 0.02
    src = open_source(str(clip))
    next(src)
    src.interrupt()
    with pytest.raises(StopIteration):
        next(src)
    src.close()
    src.close()

"""The synthetic pattern (index readable from pixels, real-time pacing) and spec parsing."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streampipe.errors import SourceOpenError
from streampipe.video import decode_synthetic_index, make_synthetic_frame, open_source, parse_spec


@settings(max_examples=40, deadline=None)
@given(index=st.integers(0, 2**32 - 1), w=st.integers(32, 400), h=st.integers(16, 300))
def test_index_round_trips_through_pixels(index: int, w: int, h: int) -> None:
    img = make_synthetic_frame(index, w, h)
    assert img.shape == (h, w, 3)
    assert decode_synthetic_index(img) == index


def test_synthetic_source_unpaced() -> None:
    with open_source("synthetic:160x120@1000:25", realtime=False) as src:
        assert (src.info.width, src.info.height, src.info.fps, src.info.frames_expected) == (
            160,
            120,
            1000.0,
            25,
        )
        assert not src.info.is_live and src.default_policy == "block"
        frames = list(src)
    assert [decode_synthetic_index(f.image) for f in frames] == list(range(25))
    assert [f.pts for f in frames] == [i / 1000 for i in range(25)]


@pytest.mark.timeout(10)
def test_synthetic_source_is_paced_like_a_camera_and_interruptible() -> None:
    src = open_source("synthetic:64x32@20")  # endless, 20 fps, live by default
    assert src.info.is_live and src.default_policy == "drop-oldest" and src.info.frames_expected is None
    t0 = time.monotonic()
    first = [next(src) for _ in range(5)]  # 4 intervals of 50 ms
    assert time.monotonic() - t0 >= 0.19
    assert [f.index for f in first] == list(range(5))
    src_slow = open_source("synthetic:64x32@0.5")  # next frame only in 2 s: interrupt must cut it
    next(src_slow)
    done = threading.Event()
    threading.Thread(target=lambda: (done.wait(5), src_slow.interrupt())).start()
    t1 = time.monotonic()
    done.set()
    with pytest.raises(StopIteration):
        next(src_slow)
    assert time.monotonic() - t1 < 0.5
    src.close()
    src_slow.close()


@pytest.mark.timeout(10)
def test_a_late_reader_gets_the_newest_frame_and_skips_are_counted() -> None:
    """Like a camera: frames that came due while nobody read are gone, and counted."""
    with open_source("synthetic:64x32@100") as src:
        first = next(src)
        time.sleep(0.2)  # a slow consumer (the behaviour under test), not thread settling
        second = next(src)
        skipped = round(second.pts * 100) - round(first.pts * 100) - 1
        assert skipped >= 10
        assert src.stats()["dropped"] == skipped
        assert decode_synthetic_index(second.image) == round(second.pts * 100)


@pytest.mark.timeout(10)
def test_a_paced_source_that_is_not_live_never_skips() -> None:
    """``live=False`` means lossless: paced, but a late reader still gets every frame, in order."""
    with open_source("synthetic:64x32@100:30", live=False) as src:
        assert not src.info.is_live and src.default_policy == "block"
        t0 = time.monotonic()
        first = next(src)
        time.sleep(0.15)  # a slow consumer (the behaviour under test): 15 frames come due meanwhile
        frames = [first, *src]
        elapsed = time.monotonic() - t0
    assert [decode_synthetic_index(f.image) for f in frames] == list(range(30))
    assert [f.pts for f in frames] == [i / 100 for i in range(30)]
    assert src.stats()["dropped"] == 0
    assert elapsed >= 0.29 - 0.01  # still paced: the last frame is due at 0.29 s


@pytest.mark.parametrize(
    ("spec", "kind", "target", "index"),
    [
        ("0", "camera", "", 0),
        ("/dev/video3", "camera", "/dev/video3", 3),
        ("rtsp://10.0.0.2/live", "network", "rtsp://10.0.0.2/live", None),
        ("HTTP://cam/x.mjpg", "network", "HTTP://cam/x.mjpg", None),
        ("udp://@:1234", "network", "udp://@:1234", None),
        ("movie.mp4", "file", "movie.mp4", None),
        ("file:///tmp/movie.mp4", "file", "/tmp/movie.mp4", None),
        ("frames/*.png", "folder", "frames/*.png", None),
    ],
)
def test_parse_spec(spec: str, kind: str, target: str, index: int | None) -> None:
    parsed = parse_spec(spec)
    assert (parsed.kind, parsed.target, parsed.index) == (kind, target, index)


def test_parse_synthetic_and_bad_synthetic() -> None:
    p = parse_spec("synthetic:641x479@29.97:100")
    assert (p.kind, p.width, p.height, p.fps, p.count) == ("synthetic", 641, 479, 29.97, 100)
    with pytest.raises(SourceOpenError, match="expected synthetic:WxH@FPS"):
        open_source("synthetic:big")


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("synthetic:99999x99999@30:2", "99999x99999 is larger than 8K"),
        ("synthetic:8000x8000@30", "8000x8000 is larger than 8K"),
        ("synthetic:7681x4320@30:1", "7681x4320 is larger than 8K"),
        ("synthetic:7680x4321@30:1", "7680x4321 is larger than 8K"),
        ("synthetic:8x8@30:5", "8x8 is too small"),
        ("synthetic:640x8@30:5", "640x8 is too small"),
        ("synthetic:640x480@30:0", "COUNT must be at least 1"),
        ("synthetic:640x480@0:5", "fps must be > 0"),
    ],
)
def test_absurd_synthetic_specs_are_refused_before_any_frame_exists(spec: str, problem: str) -> None:
    with pytest.raises(SourceOpenError, match=f"^'{spec}': synthetic .*{problem}") as err:
        open_source(spec)
    assert "\n" not in str(err.value)


def test_synthetic_size_limits_are_inclusive_in_both_orientations() -> None:
    for spec in ("synthetic:7680x4320@30:1", "synthetic:4320x7680@30:1", "synthetic:32x16@30:1"):
        p = parse_spec(spec)
        assert (p.kind, p.count) == ("synthetic", 1)

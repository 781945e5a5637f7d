"""Sinks: H.264 write/reopen fidelity, stop mid-write, crash, size checks, JSONL, output checks."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import av
import numpy as np
import pytest

from streampipe.errors import OutputError, SinkError
from streampipe.frame import Detections, Frame
from streampipe.video import (
    ALLOWED_EXTENSIONS,
    JsonlSink,
    VideoFileSink,
    check_container,
    decode_synthetic_index,
    open_output_check,
    open_source,
)


def container_duration(path: Path) -> float:
    with av.open(str(path)) as c:
        return c.duration / av.time_base


def copy_through_sink(spec: str, out: Path, **kw: object) -> int:
    src = open_source(spec, realtime=False)
    sink = VideoFileSink(out, fps=src.info.fps, **kw)  # type: ignore[arg-type]
    sink.open()
    try:
        for frame in src:
            sink.process(frame)
    finally:
        src.close()
        sink.close()
    return sink.frames_written


@pytest.mark.parametrize("name", ["carphone_pristine.mp4", "bikes.mp4"])
def test_h264_round_trip_keeps_count_size_and_duration(videos: Path, tmp_path: Path, name: str) -> None:
    original = videos / name
    out = tmp_path / "out.mp4"
    written = copy_through_sink(str(original), out)
    with open_source(str(original)) as a, open_source(str(out)) as b:
        assert (b.info.width, b.info.height) == (a.info.width, a.info.height)
        pts_b = [f.pts for f in b]
        n_a = sum(1 for _ in a)
    assert written == n_a == len(pts_b)
    frame_time = 1 / a.info.fps  # type: ignore[operator]
    assert abs(container_duration(out) - container_duration(original)) <= frame_time
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert (s.codec_context.name, s.codec_context.pix_fmt) == ("h264", "yuv420p")


def test_odd_size_synthetic_is_padded_to_even_and_keeps_every_frame(tmp_path: Path) -> None:
    out = tmp_path / "odd.mp4"
    assert copy_through_sink("synthetic:641x479@30:45", out) == 45
    with open_source(str(out)) as back:
        # yuv420p needs even sizes: one replicated column/row is added at the right/bottom edge
        assert (back.info.width, back.info.height) == (642, 480)
        frames = list(back)
    assert [decode_synthetic_index(f.image) for f in frames] == list(range(45))
    assert abs(container_duration(out) - 45 / 30) <= 1 / 30


def test_timestamps_survive_dropped_frames(tmp_path: Path) -> None:
    """Keep every 3rd frame of a 30 fps clip: output has 1/3 of the frames but the same duration."""
    out = tmp_path / "sparse.mp4"
    sink = VideoFileSink(out, fps=30)
    with open_source("synthetic:128x64@30:90", realtime=False) as src:
        for frame in src:
            if frame.index % 3 == 0:
                sink.process(frame)
    sink.close()
    with open_source(str(out)) as back:
        pts = [f.pts for f in back]
    assert len(pts) == 30
    assert pts[1] == pytest.approx(0.1, abs=1e-3) and pts[-1] == pytest.approx(87 / 30, abs=1e-3)


@pytest.mark.parametrize("codec", ["h264", "mp4v"])
def test_stop_mid_write_holds_exactly_n_frames(tmp_path: Path, codec: str) -> None:
    out = tmp_path / f"stopped_{codec}.mp4"
    sink = VideoFileSink(out, fps=25, codec=codec)
    sink.open()
    with open_source("synthetic:160x96@25", realtime=False) as src:  # endless source
        for frame in src:
            sink.process(frame)
            if frame.index == 36:
                break  # a stop request after N = 37 frames
    sink.close()
    sink.close()  # idempotent
    with open_source(str(out)) as back:
        assert sum(1 for _ in back) == 37


def test_sink_closed_after_a_crash_is_playable(tmp_path: Path) -> None:
    out = tmp_path / "crash.mp4"
    sink = VideoFileSink(out, fps=30)
    with pytest.raises(RuntimeError, match="model exploded"):
        try:
            for frame in open_source("synthetic:96x64@30:100", realtime=False):
                sink.process(frame)
                if frame.index == 19:
                    raise RuntimeError("model exploded")
        finally:
            sink.close()  # what the engine does on every exit path
    with open_source(str(out)) as back:
        assert [decode_synthetic_index(f.image) for f in back] == list(range(20))


def test_size_mismatch_is_a_sink_error_and_earlier_frames_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "mismatch.mp4"
    sink = VideoFileSink(out, fps=30)
    img = np.zeros((64, 96, 3), np.uint8)
    for i in range(5):
        sink.process(Frame(i, img, i / 30, 0.0))
    with pytest.raises(SinkError, match=r"frame 5 is 95x64 uint8.*expected 96x64"):
        sink.process(Frame(5, np.zeros((64, 95, 3), np.uint8), 5 / 30, 0.0))
    with pytest.raises(SinkError, match="expected 96x64 uint8"):
        sink.process(Frame(6, np.zeros((64, 96, 3), np.uint16), 6 / 30, 0.0))
    sink.close()  # must not raise after the failures
    with open_source(str(out)) as back:
        assert sum(1 for _ in back) == 5


def test_close_without_frames_and_half_open_states(tmp_path: Path) -> None:
    sink = VideoFileSink(tmp_path / "never.mp4")
    sink.open()  # size unknown: lazily opened by the first frame, which never comes
    sink.close()
    assert not (tmp_path / "never.mp4").exists()
    sized = VideoFileSink(tmp_path / "sized.mp4", width=64, height=32)
    sized.open()
    sized.close()
    sized.close()
    with pytest.raises(SinkError, match="write after close"):
        sized.process(Frame(0, np.zeros((32, 64, 3), np.uint8), 0.0, 0.0))


def test_output_checks(tmp_path: Path) -> None:
    assert open_output_check(tmp_path / "ok.mp4") == tmp_path / "ok.mp4"
    with pytest.raises(OutputError, match="output directory .*missing does not exist"):
        open_output_check(tmp_path / "missing" / "x.mp4")
    with pytest.raises(OutputError, match="is a directory"):
        VideoFileSink(tmp_path)
    if os.geteuid() != 0:  # root may write anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(OutputError, match="not writable"):
            JsonlSink(ro / "d.jsonl")


def test_jsonl_lines_are_flushed_per_frame(tmp_path: Path) -> None:
    path = tmp_path / "dets.jsonl"
    sink = JsonlSink(path)
    sink.open()
    dets = Detections(
        boxes=np.array([[1, 2, 30, 40]], np.float32),
        scores=np.array([0.91234], np.float32),
        class_ids=np.array([0], np.int32),
        labels=("person",),
    )
    img = np.zeros((8, 8, 3), np.uint8)
    sink.process(Frame(0, img, 0.0, 0.0, detections=dets))
    # readable before close: what a crash right now would leave behind
    first = json.loads(path.read_text().splitlines()[0])
    assert first == {
        "index": 0,
        "pts": 0.0,
        "detections": [{"label": "person", "class_id": 0, "score": 0.9123, "box": [1.0, 2.0, 30.0, 40.0]}],
    }
    sink.process(Frame(1, img, None, 0.0))
    sink.close()
    sink.close()
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert lines[1] == {"index": 1, "pts": None, "detections": []}


@pytest.mark.parametrize(("codec", "name"), [("h264", "o:x.mp4"), ("mp4v", "o:x.mp4"), ("mjpg", "o:x.avi")])
def test_colon_in_relative_paths_is_a_file_not_a_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, codec: str, name: str
) -> None:
    """FFmpeg reads ``o:`` in ``o:x.mp4`` as a protocol; sink and file source must not."""
    monkeypatch.chdir(tmp_path)
    assert copy_through_sink("synthetic:96x64@30:12", Path(name), codec=codec) == 12
    assert (tmp_path / name).is_file()
    with open_source(name) as back:  # relative, with the colon: the FileSource path
        assert back.info.kind == "file"
        assert [decode_synthetic_index(f.image) for f in back] == list(range(12))


WRITABLE = [(codec, ext) for codec, exts in ALLOWED_EXTENSIONS.items() for ext in exts]


@pytest.mark.parametrize(("codec", "ext"), WRITABLE)
def test_every_allowed_codec_and_container_writes_quietly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], codec: str, ext: str
) -> None:
    out = tmp_path / f"o{ext}"
    assert copy_through_sink("synthetic:96x64@30:8", out, codec=codec) == 8
    with open_source(str(out)) as back:
        assert [decode_synthetic_index(f.image) for f in back] == list(range(8))
        assert back.info.fps == pytest.approx(30, rel=0.01)  # no 600 fps AVI header
    assert capfd.readouterr().err == ""  # no OpenCV "tag not supported, fallback" lines


@pytest.mark.parametrize(
    ("codec", "name", "hint"),
    [
        ("h264", "o_noext", r"file without an extension; use one of \.mp4, \.m4v, \.mov, \.mkv"),
        ("h264", "o.txt", r"\.txt file; use one of \.mp4, \.m4v, \.mov, \.mkv"),
        ("h264", "o.avi", r"\.avi file; AVI cannot carry H\.264 .*use \.mp4, or codec mjpg"),
        ("mp4v", "o.webm", r"\.webm file; use one of \.mp4"),
        ("mjpg", "o.mp4", r"\.mp4 file; MP4 cannot carry MJPEG; use \.avi"),
        ("mjpg", "o", r"file without an extension; use one of \.avi, \.mkv, \.mov"),
    ],
)
def test_output_container_is_checked_at_construction(
    tmp_path: Path, codec: str, name: str, hint: str
) -> None:
    with pytest.raises(
        OutputError, match=f"^{re.escape(str(tmp_path / name))}: cannot write {codec} video to .*{hint}"
    ) as err:
        VideoFileSink(tmp_path / name, fps=30, codec=codec)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []  # refused before anything was created


def test_check_container_alone_touches_nothing(tmp_path: Path) -> None:
    """What a command line can call before loading a model: a pure check of the name."""
    assert check_container(tmp_path / "missing-dir" / "o.MKV", "mjpg") == ".mkv"
    with pytest.raises(OutputError, match=r"o\.mp4: cannot write mjpg video to a \.mp4 file"):
        check_container("o.mp4", "mjpg")
    assert list(tmp_path.iterdir()) == []

"""Native libraries stay quiet: a failure reaches the user as our one line, never with FFmpeg/OpenCV chatter.

Runs in a fresh interpreter because OpenCV reads ``OPENCV_FFMPEG_LOGLEVEL`` only once per process and
because the chatter is written by C code straight to file descriptor 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import logging, os, socket, sys, tempfile, threading
    logging.basicConfig(stream=sys.stdout, level=logging.INFO)  # our own messages go to stdout
    import av.logging
    from streampipe.errors import CameraLostError, SourceOpenError
    from streampipe.frame import Frame
    from streampipe.video import MjpegPreviewServer, ReconnectPolicy, VideoFileSink, make_synthetic_frame
    from streampipe.video import open_source

    def expect_open_error(spec):
        try:
            open_source(spec, open_timeout=2.0, read_timeout=0.5).close()
        except SourceOpenError as e:
            print("open error:", e)
        else:
            raise SystemExit(f"{spec} opened")

    sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
    for spec in (f"tcp://127.0.0.1:{port}", f"http://127.0.0.1:{port}/x.mjpg", f"rtsp://127.0.0.1:{port}/x"):
        expect_open_error(spec)
    if not os.path.exists("/dev/video63"):
        expect_open_error("/dev/video63")

    # a stream that stalls (OpenCV: "Stream timeout triggered"), then its server goes away
    server = MjpegPreviewServer(0)
    stop = threading.Event()
    def feed():
        i = 0
        while not stop.wait(0.02):
            server.publish(make_synthetic_frame(i, 160, 96)); i += 1
    feeder = threading.Thread(target=feed); feeder.start()
    try:
        src = open_source(server.url, open_timeout=2.0, read_timeout=0.5,
                          reconnect=ReconnectPolicy(attempts=1, initial_delay=0.05))
        try:
            for i, _ in enumerate(src):
                if i == 2:
                    stop.set()
        except CameraLostError as e:
            print("lost:", e)
        finally:
            src.close()
    finally:
        stop.set(); feeder.join(); server.close()

    # PyAV: damaged files fail with our one line only
    tmp = tempfile.mkdtemp()
    clip = os.path.join(tmp, "clip.mp4")
    with VideoFileSink(clip, fps=30) as sink:
        for i in range(30):
            sink.process(Frame(i, make_synthetic_frame(i, 160, 96), i / 30, 0.0))
    data = open(clip, "rb").read()
    cut = os.path.join(tmp, "cut.mp4")
    open(cut, "wb").write(data[: len(data) // 2])
    expect_open_error(cut)
    assert av.logging.get_level() is None, av.logging.get_level()
    print("DONE")
    """
)


@pytest.mark.timeout(60)
def test_failing_live_sources_and_damaged_files_write_nothing_to_stderr(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCV_FFMPEG", "OPENCV_LOG"))}
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=50,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "DONE" in res.stdout
    assert "connection lost" in res.stdout  # the stall really happened (and was reported by us)
    assert res.stderr == ""

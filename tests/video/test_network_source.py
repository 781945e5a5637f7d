"""A real HTTP MJPEG stream over 127.0.0.1 (served by our preview server), read as a network source."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from mjpeg_camera import Feeder, mjpeg_camera

from streampipe.errors import CameraLostError, SourceOpenError
from streampipe.video import (
    MjpegPreviewServer,
    ReconnectPolicy,
    decode_synthetic_index,
    open_source,
)


@pytest.fixture
def mjpeg() -> Iterator[tuple[MjpegPreviewServer, Feeder]]:
    with mjpeg_camera() as pair:
        yield pair


def take(src, n: int) -> list:
    out = []
    for frame in src:
        out.append(frame)
        if len(out) == n:
            break
    return out


@pytest.mark.timeout(30)
def test_stream_stall_then_reconnect_on_same_port(no_leaked_threads: None, video_log, mjpeg) -> None:
    server, feeder = mjpeg
    src = open_source(
        server.url,
        read_timeout=0.5,
        open_timeout=2.0,
        reconnect=ReconnectPolicy(attempts=10, initial_delay=0.1, max_delay=0.5),
    )
    assert (src.info.kind, src.info.is_live, src.info.width, src.info.height) == ("network", True, 320, 240)
    first = take(src, 10)
    assert [decode_synthetic_index(f.image) for f in first] == sorted(
        {decode_synthetic_index(f.image) for f in first}
    )

    port = server.port
    restarted: list[MjpegPreviewServer] = []
    feeders: list[Feeder] = []

    def restart_after_stall() -> None:
        # the server goes away; the source must notice within its read timeout ...
        t_down = time.monotonic()
        feeder.close()
        server.close()
        noticed = video_log.wait_for("reconnecting", timeout=5.0)
        restarted.append(time.monotonic() - t_down if noticed else float("inf"))  # type: ignore[arg-type]
        new_server = MjpegPreviewServer(port)  # ... and come back on the same port
        restarted.append(new_server)
        feeders.append(Feeder(new_server, start=100_000))

    helper = threading.Thread(target=restart_after_stall)
    helper.start()
    try:
        later = take(src, 10)
    finally:
        helper.join()
        src.close()
        for f in feeders:
            f.close()
        for s in restarted[1:]:
            s.close()  # type: ignore[union-attr]
    stall_detected_after = restarted[0]
    assert stall_detected_after <= 0.5 + 0.5  # type: ignore[operator]
    assert [f.index for f in first + later] == list(range(20))  # indices keep increasing, no gap
    assert all(decode_synthetic_index(f.image) >= 100_000 for f in later[1:])  # from the new server
    assert src.stats()["reconnects"] == 1
    assert any("reconnected on attempt" in m for m in video_log.messages())


@pytest.mark.timeout(30)
def test_silent_server_exhausts_reconnects_with_url_and_count(no_leaked_threads: None, mjpeg) -> None:
    server, feeder = mjpeg
    src = open_source(
        server.url,
        read_timeout=0.5,
        open_timeout=0.5,
        reconnect=ReconnectPolicy(attempts=2, initial_delay=0.05, max_delay=0.1),
    )
    take(src, 3)
    feeder.close()  # server stays up, connections stay open, but no frame ever comes again
    t0 = time.monotonic()
    with pytest.raises(CameraLostError, match=r"127\.0\.0\.1:\d+/stream.mjpg: .*2 reconnect attempts failed"):
        for _ in src:
            pass
    elapsed = time.monotonic() - t0
    src.close()
    # read timeout + 2 x (delay + open timeout) + slack
    assert elapsed < 0.5 + 2 * (0.1 + 0.5) + 2.0
    assert src.stats()["reconnect_attempts"] == 2


@pytest.mark.timeout(10)
def test_unreachable_url_fails_at_open() -> None:
    server = MjpegPreviewServer(0)
    port = server.port
    server.close()  # nothing listens on this port any more
    t0 = time.monotonic()
    with pytest.raises(SourceOpenError, match=f"http://127.0.0.1:{port}/x.mjpg: cannot open stream"):
        open_source(f"http://127.0.0.1:{port}/x.mjpg", open_timeout=2.0)
    assert time.monotonic() - t0 < 3.0


@pytest.mark.timeout(15)
def test_server_that_accepts_but_never_answers_is_an_open_timeout() -> None:
    """A wedged camera web server: the TCP connection is accepted, no HTTP response ever comes."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]  # the kernel completes the handshake from the backlog
        t0 = time.monotonic()
        with pytest.raises(SourceOpenError, match=f"127.0.0.1:{port}/s.mjpg: no video within the open timeout of 1 s"):
            open_source(f"http://127.0.0.1:{port}/s.mjpg", open_timeout=1.0)
        assert time.monotonic() - t0 < 1.0 + 2.0

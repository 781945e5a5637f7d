"""MJPEG preview server (slow clients never slow the pipeline; bounded close) and headless display."""

from __future__ import annotations

import socket
import time
import urllib.request

import cv2
import numpy as np
import pytest

from streampipe.frame import Frame
from streampipe.video import DisplaySink, MjpegPreviewServer, decode_synthetic_index, make_synthetic_frame


@pytest.mark.timeout(15)
def test_preview_serves_newest_frame_and_stalled_client_does_not_block(no_leaked_threads: None) -> None:
    server = MjpegPreviewServer(0)
    try:
        # a client that connects and never reads: publishing must stay O(1) regardless
        stalled = socket.create_connection(("127.0.0.1", server.port))
        stalled.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")
        t0 = time.perf_counter()
        for i in range(300):
            server.process(Frame(i, make_synthetic_frame(i, 320, 240), None, 0.0))
        assert time.perf_counter() - t0 < 0.5
        with urllib.request.urlopen(server.url, timeout=5) as resp:
            assert resp.headers["Content-Type"].startswith("multipart/x-mixed-replace")
            head = resp.read(200)
            start = head.index(b"\r\n\r\n") + 4
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            body = head[start:] + resp.read(length - (len(head) - start))
        image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (240, 320, 3)
        assert decode_synthetic_index(image) == 299  # the newest, not the first
    finally:
        t1 = time.monotonic()
        server.close()
        server.close()
        stalled.close()
    assert time.monotonic() - t1 < 2.0


def test_display_is_a_noop_when_headless(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    stops = []
    with caplog.at_level("WARNING", logger="streampipe.video"):
        sink = DisplaySink(on_stop=lambda: stops.append(1))
    assert not sink.available
    assert [r.getMessage() for r in caplog.records] == ["display disabled: no DISPLAY (headless)"]
    frame = Frame(0, np.zeros((8, 8, 3), np.uint8), None, 0.0)
    sink.open()
    assert sink.process(frame) is frame
    assert sink.pump() is True and sink.frames_shown == 0 and stops == []
    sink.close()

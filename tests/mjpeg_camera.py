"""A real HTTP MJPEG camera on 127.0.0.1 for the network-source tests: our preview server, fed numbered
synthetic frames at ~50 fps from a thread of its own.

Shared by the video and reliability tests; ``tests/`` holds the root conftest and is on ``sys.path``
under pytest's default import mode.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from streampipe.video import MjpegPreviewServer, make_synthetic_frame


class Feeder:
    """Publishes numbered synthetic frames (index ``start`` onwards) until closed."""

    def __init__(self, server: MjpegPreviewServer, start: int = 0, size: tuple[int, int] = (320, 240)) -> None:
        self.server, self.next, self.size = server, start, size
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="test-feeder")
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.02):
            self.server.publish(make_synthetic_frame(self.next, *self.size))
            self.next += 1

    def close(self) -> None:
        """Stop publishing (idempotent): the connection stays open, so readers see a stall."""
        self.stop.set()
        self.thread.join()


@contextmanager
def mjpeg_camera(size: tuple[int, int] = (320, 240)) -> Iterator[tuple[MjpegPreviewServer, Feeder]]:
    """A server on a free port with a feeder running; both closed on exit, whatever the test did."""
    server = MjpegPreviewServer(0)
    feeder = Feeder(server, size=size)
    try:
        yield server, feeder
    finally:
        feeder.close()
        server.close()

"""Live MJPEG preview over HTTP: open ``http://HOST:PORT/`` in a browser (or any MJPEG client).

Data flow::

    pipeline worker: process(frame) --(newest-frame slot, O(1), never blocks)--> _Latest
    one thread per client: wait for a newer version -> JPEG (encoded once per version,
                           shared by all clients) -> multipart/x-mixed-replace part -> socket

Design rules:

* The pipeline never waits for a client: ``process`` only swaps a reference. A slow client
  simply skips versions (it always gets the newest frame when it is ready again).
* JPEG encoding happens lazily in the client threads, and only once per frame version, so with
  no client connected the preview costs nothing.
* Bounded shutdown without daemon threads: ``close()`` flags the clients, shuts down their
  sockets (so a send blocked on a stalled client fails at once), stops ``serve_forever`` and
  joins every thread (``ThreadingHTTPServer`` with ``daemon_threads=False, block_on_close=True``).
"""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import cv2
import numpy as np

from streampipe.errors import OutputError
from streampipe.frame import Frame

if TYPE_CHECKING:
    from typing_extensions import Self

log = logging.getLogger("streampipe.video")

BOUNDARY = "streampipeframe"
_WAIT_SLICE = 0.25


class _Latest:
    """Newest frame + version counter + per-version JPEG cache."""

    def __init__(self, quality: int) -> None:
        self.cond = threading.Condition()
        self.version = 0
        self.image: np.ndarray | None = None
        self.closed = False
        self._quality = quality
        self._jpeg_version = -1
        self._jpeg = b""
        self._encode_lock = threading.Lock()

    def publish(self, image: np.ndarray) -> None:
        with self.cond:
            self.image = image
            self.version += 1
            self.cond.notify_all()

    def wait_newer(self, seen: int) -> int | None:
        """Block until a version newer than ``seen`` exists; None when closing."""
        with self.cond:
            while not self.closed and self.version <= seen:
                self.cond.wait(_WAIT_SLICE)
            return None if self.closed else self.version

    def jpeg(self) -> tuple[int, bytes]:
        with self._encode_lock:
            with self.cond:
                version, image = self.version, self.image
            if version != self._jpeg_version and image is not None:
                ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self._quality])
                if ok:
                    self._jpeg, self._jpeg_version = buf.tobytes(), version
            return self._jpeg_version, self._jpeg


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], latest: _Latest) -> None:
        self.latest = latest
        self.client_sockets: set[socket.socket] = set()
        self.clients_lock = threading.Lock()
        super().__init__(addr, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 5.0  # a client that stops reading fails a send after this, even without close()

    def log_message(self, format: str, *args: object) -> None:
        log.debug("preview %s: " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        if self.path not in ("/", "/stream.mjpg", "/stream"):
            self.send_error(404)
            return
        latest = self.server.latest
        with self.server.clients_lock:
            self.server.client_sockets.add(self.connection)
        try:
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("Cache-Control", "no-cache, no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            seen = 0
            while True:
                version = latest.wait_newer(seen)
                if version is None:
                    return
                seen, data = latest.jpeg()
                self.wfile.write(
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n".encode()
                    + data
                    + b"\r\n"
                )
                self.wfile.flush()
        except OSError:
            return  # client went away or we shut its socket down: normal end of a preview
        finally:
            with self.server.clients_lock:
                self.server.client_sockets.discard(self.connection)


class MjpegPreviewServer:
    """Serve the newest frame as MJPEG on ``host:port`` (port 0 picks a free one; see ``.port``)."""

    def __init__(self, port: int = 8080, host: str = "127.0.0.1", *, quality: int = 80) -> None:
        self._latest = _Latest(quality)
        try:
            self._server = _Server((host, port), self._latest)
        except OSError as e:
            url = f"http://{host}:{port}/"
            raise OutputError(f"preview {url}: cannot listen ({e.strerror})", output=url) from e
        self.host, self.port = host, self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"streampipe-preview:{self.port}",
            daemon=False,
        )
        self._thread.start()
        self._closed = False
        log.info("preview at %s", self.url)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/stream.mjpg"

    def open(self) -> None:
        """Stage protocol: the server is already listening."""

    def process(self, frame: Frame) -> Frame:
        self._latest.publish(frame.image)
        return frame

    def publish(self, image: np.ndarray) -> None:
        self._latest.publish(image)

    def close(self) -> None:
        """Stop serving and join every thread; idempotent."""
        if self._closed:
            return
        self._closed = True
        with self._latest.cond:
            self._latest.closed = True
            self._latest.cond.notify_all()
        with self._server.clients_lock:
            for sock in list(self._server.client_sockets):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._server.shutdown()  # returns once serve_forever has exited
        self._server.server_close()  # joins client threads (block_on_close)
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

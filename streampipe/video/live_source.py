"""Cameras and network streams: a private reader thread, a one-frame mailbox, a watchdog, reconnects.

Why a thread: a camera or socket read can block for an unbounded time, and the pipeline's
capture thread must still notice a stop request or a dead camera. So the blocking read happens
here, and the capture thread only ever waits on a condition with a timeout::

    reader thread (non-daemon, joined by close())        capture thread (engine)
    -------------------------------------------          ------------------------------
    loop: ok, img = backend.read()   # may block  ---->  next(source): wait <= read_timeout
          to_bgr8(img); frozen check                     for the mailbox; take newest frame
          put in mailbox (newest wins, old one           or raise the reader's error, or
          counted as dropped)                            CameraLostError on a stall
          on read failure: reconnect w/ backoff          (interrupt() ends the wait: StopIteration)
          or store CameraLostError for the consumer

Watchdog rules (each raises ``CameraLostError`` to the consumer, naming the source):

* stall: no new frame for ``read_timeout`` while no reconnect is in progress (the backend read
  may be blocked forever; we do not need its cooperation to notice). Network sources get one
  extra second of grace because their backend read timeout should fire first and reconnect.
* frozen (cameras only): the picture has been bit-identical for ``read_timeout`` - what a
  wedged USB camera looks like. Real sensors always have noise; a static network scene may not.
* read failure: a camera fails at once; a network source reconnects with ``ReconnectPolicy``
  (each attempt logged on ``streampipe.video``, successes counted in ``stats()["reconnects"]``)
  and fails after the last attempt with the URL and the attempt count. The attempt budget is
  refilled only once a new connection has delivered frames for ``read_timeout``, so a server
  that accepts, sends one stale frame and goes silent cannot keep us retrying forever.

Frames are indexed in the order this source yields them (contiguous, so the engine's reorderer
never waits for a gap); frames overwritten in the mailbox because the consumer was late are
counted in ``stats()["dropped"]``. ``pts`` is seconds since the first frame on the capture clock:
stream timestamps restart on every reconnect, the monotonic clock does not.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from streampipe.errors import CameraLostError, SourceOpenError, StreampipeError
from streampipe.video._sync import SLICE
from streampipe.video.capture import CaptureBackend
from streampipe.video.convert import to_bgr8
from streampipe.video.source import ReconnectPolicy, Source, SourceInfo

log = logging.getLogger("streampipe.video")

# How long close() waits for a reader stuck in a native read (OpenCV cannot abort one); short, so a
# stop (Ctrl+C on a stalled stream) stays within the pipeline's 2 s shutdown bound.
JOIN_TIMEOUT = 1.0
NETWORK_GRACE = 1.0


class LiveSource(Source):
    """A camera or stream read by a private thread; see the module docstring for the rules."""

    def __init__(
        self,
        uri: str,
        kind: str,
        open_backend: Callable[[], CaptureBackend],
        *,
        read_timeout: float = 5.0,
        open_timeout: float = 10.0,
        reconnect: ReconnectPolicy | None = None,
        detect_frozen: bool = False,
        live: bool | None = None,
    ) -> None:
        super().__init__(SourceInfo(uri, 0, 0, None, None, True if live is None else live, kind))
        self._open_backend = open_backend
        self._read_timeout = read_timeout
        self._grace = NETWORK_GRACE if reconnect is not None else 0.0
        self._policy = reconnect
        self._detect_frozen = detect_frozen
        self._slot: tuple[np.ndarray, float] | None = None
        self._error: StreampipeError | None = None
        self._reconnecting = False
        self._attempt = 0  # reconnect attempts since the link was last healthy (reader thread only)
        self._t_reconnected = 0.0
        self._t_first: float | None = None
        self._t_taken = 0.0
        self._n = {"frames_read": 0, "dropped": 0, "reconnects": 0, "reconnect_attempts": 0, "stalls": 0}
        self._backend = open_backend()  # SourceOpenError propagates: nothing started yet
        self._thread = threading.Thread(target=self._run, name=f"streampipe-reader:{uri}", daemon=False)
        self._thread.start()
        try:
            first = self._wait_first(open_timeout)
        except BaseException:
            self.close()
            raise
        h, w = first.shape[:2]
        self.info = SourceInfo(uri, w, h, self._backend.fps, None, self.info.is_live, kind)

    # -- consumer side ----------------------------------------------------------------------
    def _wait_first(self, timeout: float) -> np.ndarray:
        cond = self._waker.cond
        deadline = time.monotonic() + timeout
        with cond:
            while self._slot is None:
                if self._error is not None:
                    raise SourceOpenError(f"{self.info.uri}: opened but {self._error}")
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._waker.is_set():
                    raise SourceOpenError(
                        f"{self.info.uri}: opened but delivered no frame within {timeout:g} s"
                    )
                cond.wait(min(remaining, SLICE))
            return self._slot[0]

    def _read(self) -> tuple[np.ndarray, float | None] | None:
        cond = self._waker.cond
        patience = self._read_timeout + self._grace
        deadline = time.monotonic() + patience
        with cond:
            while True:
                if self._waker.is_set():
                    return None
                if self._slot is not None:
                    image, t = self._slot
                    self._slot = None
                    self._t_taken = t
                    return image, t - (self._t_first or t)
                if self._error is not None:
                    raise self._error
                now = time.monotonic()
                if self._reconnecting:
                    deadline = now + patience  # the reconnect loop is bounded and reports its own failure
                elif now >= deadline:
                    self._n["stalls"] += 1
                    raise CameraLostError(
                        f"{self.info.uri}: stalled, no frame for {patience:g} s (read_timeout {self._read_timeout:g} s)"
                    )
                cond.wait(min(SLICE, max(0.0, deadline - now)))

    def _capture_time(self) -> float:
        return self._t_taken

    def stats(self) -> dict[str, Any]:
        with self._waker.cond:
            return {**self._n, "frames_yielded": self._count}

    def _release(self) -> None:
        with self._waker.cond:
            backend = self._backend
        backend.release()  # non-blocking by contract; unblocks or defers
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(JOIN_TIMEOUT)
            if self._thread.is_alive():
                log.warning(
                    "reader thread of %s still blocked in the backend after %.1f s; it exits when "
                    "the backend read returns",
                    self.info.uri,
                    JOIN_TIMEOUT,
                )

    # -- reader thread ----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._read_loop()
        except Exception as e:  # noqa: BLE001 - a backend bug must reach the consumer, not die here
            self._fail(CameraLostError(f"{self.info.uri}: capture failed: {type(e).__name__}: {e}"))
        finally:
            with self._waker.cond:
                backend = self._backend
            backend.release()

    def _fail(self, error: StreampipeError) -> None:
        with self._waker.cond:
            if self._error is None:
                self._error = error
            self._reconnecting = False
            self._waker.cond.notify_all()

    def _read_loop(self) -> None:
        stop = self._waker.is_set
        prev: np.ndarray | None = None
        last_change = time.monotonic()
        while not stop():
            ok, raw = self._backend.read()
            if stop():
                return
            if not ok or raw is None:
                if self._policy is None:
                    self._fail(CameraLostError(f"{self.info.uri}: read failed (device disconnected?)"))
                    return
                if not self._reconnect("read failed or timed out"):
                    return
                prev, last_change = None, time.monotonic()
                continue
            image = to_bgr8(raw)
            t = time.perf_counter()
            if self._detect_frozen:
                sample = np.ascontiguousarray(image[::8, ::8])
                now = time.monotonic()
                if prev is not None and np.array_equal(sample, prev):
                    if now - last_change >= self._read_timeout:
                        self._fail(
                            CameraLostError(
                                f"{self.info.uri}: picture frozen (identical frames for {self._read_timeout:g} s)"
                            )
                        )
                        return
                else:
                    prev, last_change = sample, now
            with self._waker.cond:
                if self._slot is not None:
                    self._n["dropped"] += 1
                if self._t_first is None:
                    self._t_first = t
                self._slot = (image, t)
                self._n["frames_read"] += 1
                if self._attempt and time.monotonic() - self._t_reconnected >= self._read_timeout:
                    self._attempt = 0  # the new connection proved healthy: full budget again
                self._waker.cond.notify_all()

    def _reconnect(self, reason: str) -> bool:
        assert self._policy is not None
        uri, attempts = self.info.uri, self._policy.attempts
        with self._waker.cond:
            self._reconnecting = True
            old = self._backend
        old.release()
        log.warning("%s: %s; reconnecting (up to %d attempt%s)", uri, reason, attempts, "" if attempts == 1 else "s")
        delays = self._policy.delays()
        # The budget spans reconnects until a connection has delivered frames for read_timeout:
        # a server that accepts connections and sends one stale frame (MJPEG servers do) but
        # then nothing must exhaust it rather than be retried forever.
        while self._attempt < attempts:
            delay = delays[self._attempt]
            self._attempt += 1
            attempt = self._attempt
            if self._waker.wait(delay):
                return False
            with self._waker.cond:
                self._n["reconnect_attempts"] += 1
            try:
                backend = self._open_backend()
            except SourceOpenError as e:
                log.warning("%s: reconnect attempt %d/%d failed: %s", uri, attempt, attempts, e)
                continue
            with self._waker.cond:
                if self._waker.is_set():
                    backend.release()
                    return False
                self._backend = backend
                self._reconnecting = False
                self._n["reconnects"] += 1
                self._t_reconnected = time.monotonic()
            log.warning("%s: reconnected on attempt %d/%d", uri, attempt, attempts)
            return True
        self._fail(
            CameraLostError(f"{uri}: connection lost ({reason}); {attempts} reconnect attempts failed")
        )
        return False

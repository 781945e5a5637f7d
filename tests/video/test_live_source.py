"""Reader thread, watchdog, interrupt and reconnect of live sources, provoked with fake cameras."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from video_fakes import FakeCamera

from streampipe.errors import CameraLostError, SourceOpenError
from streampipe.video import LiveSource, ReconnectPolicy, decode_synthetic_index


def reader_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("streampipe-reader")]


def camera(fake: FakeCamera, *, read_timeout: float = 0.5, **kw: object) -> LiveSource:
    return LiveSource(
        "fake-camera",
        "camera",
        lambda: fake,
        read_timeout=read_timeout,
        open_timeout=2.0,
        detect_frozen=True,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.timeout(10)
def test_healthy_camera_yields_contiguous_upright_frames(no_leaked_threads: None) -> None:
    src = camera(FakeCamera(size=(96, 64)))
    assert (src.info.width, src.info.height, src.info.is_live, src.info.kind) == (96, 64, True, "camera")
    assert src.default_policy == "drop-oldest"
    frames = []
    for frame in src:
        frames.append(frame)
        if len(frames) == 20:
            break
    src.close()
    assert [f.index for f in frames] == list(range(20))
    # newest-wins mailbox: content indices increase (some may be skipped), never repeat
    content = [decode_synthetic_index(f.image) for f in frames]
    assert all(b > a for a, b in itertools.pairwise(content))
    assert all(b.pts > a.pts for a, b in itertools.pairwise(frames))  # type: ignore[operator]
    assert frames[0].image.shape == (64, 96, 3) and frames[0].image.flags.c_contiguous
    stats = src.stats()
    assert stats["frames_yielded"] == 20 and stats["frames_read"] >= 20
    # every frame read was yielded, overwritten (counted as dropped) or is still in the mailbox
    assert stats["frames_read"] - stats["dropped"] in (20, 21)
    assert reader_threads() == []


@pytest.mark.timeout(10)
def test_frozen_camera_is_detected_within_read_timeout(no_leaked_threads: None) -> None:
    src = camera(FakeCamera(freeze_after=3), read_timeout=0.5)
    t0 = time.monotonic()
    got = []
    with pytest.raises(CameraLostError, match="fake-camera: picture frozen") as exc:
        for frame in src:
            got.append(frame.index)
    elapsed = time.monotonic() - t0
    src.close()
    assert "\n" not in str(exc.value)
    assert 0.5 <= elapsed < 0.5 + 2.0
    assert len(got) >= 3
    assert reader_threads() == []


@pytest.mark.timeout(10)
def test_blocked_camera_read_is_a_stall_and_close_joins_the_reader(no_leaked_threads: None) -> None:
    fake = FakeCamera(block_after=3)
    src = camera(fake, read_timeout=0.5)
    got = []
    with pytest.raises(CameraLostError, match="stalled, no frame for 0.5 s") as exc:
        for frame in src:
            got.append(frame.index)
            if frame.index == 0:
                t0 = time.monotonic()
    elapsed = time.monotonic() - t0
    assert isinstance(exc.value, CameraLostError) and exc.value.exit_code == 1
    assert got == list(range(len(got))) and 1 <= len(got) <= 3  # newest-wins may skip some of the 3
    assert elapsed < 0.5 + 2.0
    assert fake.blocking.is_set() and reader_threads()  # reader is still stuck in read() ...
    src.close()  # ... until close() releases the backend and joins it
    assert reader_threads() == []
    src.close()  # idempotent


@pytest.mark.timeout(10)
def test_unplugged_camera_fails_at_once_with_no_reconnect(no_leaked_threads: None) -> None:
    src = camera(FakeCamera(fail_after=5), read_timeout=5.0)
    got = []
    t0 = time.monotonic()
    with pytest.raises(CameraLostError, match="read failed"):
        for frame in src:
            got.append(frame.index)
    assert time.monotonic() - t0 < 2.0  # not waiting for the 5 s watchdog
    src.close()
    assert got and got == list(range(len(got))) and src.stats()["reconnects"] == 0


@pytest.mark.timeout(10)
def test_interrupt_from_another_thread_ends_a_blocked_next_promptly(no_leaked_threads: None) -> None:
    fake = FakeCamera(block_after=2)
    src = camera(fake, read_timeout=30.0)  # watchdog far away: only interrupt() can end this
    interrupted_at: list[float] = []

    def interrupter() -> None:
        fake.blocking.wait(5)
        interrupted_at.append(time.monotonic())
        src.interrupt()
        src.interrupt()  # idempotent

    th = threading.Thread(target=interrupter)
    th.start()
    frames = list(src)  # ends with StopIteration, not an error
    ended_at = time.monotonic()
    th.join()
    src.close()
    # two frames were read; the mailbox keeps the newest, so one or both were yielded
    assert [f.index for f in frames] in ([0], [0, 1])
    assert src.stats()["frames_read"] == 2
    assert ended_at - interrupted_at[0] < 0.5
    with pytest.raises(StopIteration):
        next(src)


@pytest.mark.timeout(5)
def test_interrupt_never_blocks_even_while_its_lock_is_held() -> None:
    """What a signal handler does: interrupt while the interrupted thread holds the condition."""
    src = camera(FakeCamera())
    try:
        with src._waker.cond:  # simulate the main thread caught inside a wait's critical section
            t0 = time.monotonic()
            src.interrupt()
            assert time.monotonic() - t0 < 0.05
        with pytest.raises(StopIteration):
            next(src)
    finally:
        src.close()


@pytest.mark.timeout(10)
def test_camera_that_never_delivers_fails_at_open(no_leaked_threads: None) -> None:
    t0 = time.monotonic()
    with pytest.raises(SourceOpenError, match="fake-camera: opened but delivered no frame within 0.3 s"):
        LiveSource("fake-camera", "camera", lambda: FakeCamera(block_after=0), open_timeout=0.3)
    assert time.monotonic() - t0 < 2.5
    assert reader_threads() == []


@pytest.mark.timeout(10)
def test_reconnect_attempts_exhausted_names_url_and_count(no_leaked_threads: None, video_log) -> None:
    opened = []

    def opener() -> FakeCamera:
        if opened:
            raise SourceOpenError("rtsp://cam.invalid/live: connection refused")
        opened.append(1)
        return FakeCamera(fail_after=4)

    src = LiveSource(
        "rtsp://cam.invalid/live",
        "network",
        opener,
        read_timeout=0.5,
        reconnect=ReconnectPolicy(attempts=3, initial_delay=0.01, max_delay=0.05),
    )
    with pytest.raises(CameraLostError, match=r"rtsp://cam.invalid/live: .*3 reconnect attempts failed"):
        for _ in src:
            pass
    src.close()
    stats = src.stats()
    assert stats["reconnect_attempts"] == 3 and stats["reconnects"] == 0
    assert sum("reconnect attempt" in m for m in video_log.messages()) == 3


@pytest.mark.timeout(10)
def test_reconnect_succeeds_and_indices_keep_increasing(no_leaked_threads: None) -> None:
    backends = [FakeCamera(fail_after=5), FakeCamera(fail_after=5), FakeCamera()]
    src = LiveSource(
        "tcp://fake:1",
        "network",
        lambda: backends.pop(0),
        read_timeout=0.5,
        reconnect=ReconnectPolicy(attempts=2, initial_delay=0.01),
    )
    frames = []
    for frame in src:
        frames.append(frame)
        if len(frames) == 14:
            break
    src.close()
    assert [f.index for f in frames] == list(range(14))
    assert src.stats()["reconnects"] == 2
    assert all(b.pts > a.pts for a, b in itertools.pairwise(frames))  # type: ignore[operator]

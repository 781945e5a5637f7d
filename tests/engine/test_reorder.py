"""Reorderer: strict ticket order, tombstones, and a window that applies backpressure."""

from __future__ import annotations

import threading

import pytest

from streampipe.engine import TOMBSTONE, Reorderer

pytestmark = pytest.mark.timeout(10)


def test_out_of_order_deliveries_come_out_in_order_and_tombstones_vanish() -> None:
    out: list[int] = []
    r = Reorderer(8, out.append)
    for ticket in (3, 1, 2):
        r.deliver(ticket, ticket * 10)
    assert out == []
    r.deliver(0, TOMBSTONE)
    assert out == [10, 20, 30]
    r.deliver(4, 40)
    assert out == [10, 20, 30, 40]


def test_a_slow_head_item_cannot_grow_the_buffer_past_the_window() -> None:
    window = 4
    out: list[int] = []
    r = Reorderer(window, out.append)
    blocked = threading.Event()
    finished: list[int] = []

    def fast_worker() -> None:
        for ticket in range(1, 10):
            if ticket >= window:
                blocked.set()  # the next deliver must wait for the head
            r.deliver(ticket, ticket)
            finished.append(ticket)

    t = threading.Thread(target=fast_worker)
    t.start()
    assert blocked.wait(5)
    # The worker is now parked on ticket `window`: only tickets 1..window-1 are buffered.
    assert r.pending() <= window - 1
    assert r.max_pending <= window
    assert finished == list(range(1, window))
    r.deliver(0, 0)  # the slow head arrives
    t.join(5)
    assert out == list(range(10))
    assert r.max_pending <= window


def test_abort_releases_waiting_workers() -> None:
    r = Reorderer(1, lambda item: None)
    t = threading.Thread(target=r.deliver, args=(5, "x"))
    t.start()
    r.abort()
    t.join(2)
    assert not t.is_alive()

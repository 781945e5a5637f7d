"""Channel: policies, end of stream without sentinels, abort wake-ups, exact counters."""

from __future__ import annotations

import threading

import pytest

from streampipe.engine import Channel, Policy

pytestmark = pytest.mark.timeout(10)


def drain(ch: Channel) -> list:
    out = []
    while True:
        _, batch = ch.get_batch(100)
        if not batch:
            return out
        out.extend(batch)


def test_block_policy_keeps_everything_in_order() -> None:
    ch: Channel[int] = Channel(4, Policy.BLOCK)
    producer = threading.Thread(target=lambda: ([ch.put(i) for i in range(100)], ch.close()))
    producer.start()
    got = drain(ch)
    producer.join()
    assert got == list(range(100))
    st = ch.stats()
    assert (st.put, st.delivered, st.dropped, st.depth) == (100, 100, 0, 0)
    assert st.max_depth <= 4


def test_drop_oldest_keeps_the_newest_items() -> None:
    ch: Channel[int] = Channel(3, "drop-oldest")
    for i in range(10):
        assert ch.put(i) is True
    ch.close()
    assert drain(ch) == [7, 8, 9]
    st = ch.stats()
    assert st.put == st.delivered + st.dropped == 10 and st.dropped == 7


def test_drop_newest_rejects_new_items() -> None:
    ch: Channel[int] = Channel(3, "drop_newest")
    accepted = [ch.put(i) for i in range(10)]
    ch.close()
    assert accepted == [True] * 3 + [False] * 7
    assert drain(ch) == [0, 1, 2]
    assert ch.stats().dropped == 7


def test_repeated_equal_items_are_not_confused_with_evictions() -> None:
    ch: Channel[int] = Channel(1, "drop-oldest")
    assert ch.put(5) and ch.put(5)
    assert ch.get() == 5
    assert ch.stats().dropped == 1


def test_on_drop_sees_each_evicted_item() -> None:
    evicted: list[int] = []
    ch: Channel[int] = Channel(2, "drop-oldest")
    ch.on_drop = evicted.append
    for i in range(5):
        ch.put(i)
    assert evicted == [0, 1, 2]


def test_close_lets_receivers_drain_then_signals_end() -> None:
    ch: Channel[str] = Channel(5)
    ch.put("a")
    ch.put("b")
    ch.close()
    assert ch.put("c") is False
    assert ch.get() == "a" and ch.get() == "b"
    assert ch.get() is None


def test_tickets_are_contiguous_delivery_ordinals() -> None:
    ch: Channel[int] = Channel(10)
    for i in range(7):
        ch.put(i)
    assert ch.get_batch(3) == (0, [0, 1, 2])
    assert ch.get_batch(1) == (3, [3])
    assert ch.get_batch(10) == (4, [4, 5, 6])


@pytest.mark.parametrize("blocked_side", ["put", "get"])
def test_abort_wakes_a_blocked_sender_or_receiver(blocked_side: str) -> None:
    ch: Channel[int] = Channel(1)
    if blocked_side == "put":
        ch.put(0)
    entered = threading.Event()
    result: list = []

    def blocked() -> None:
        entered.set()
        result.append(ch.put(1) if blocked_side == "put" else ch.get_batch(1)[1])

    t = threading.Thread(target=blocked)
    t.start()
    entered.wait()
    ch.abort()
    t.join(2.0)
    assert not t.is_alive()
    assert result == [False] if blocked_side == "put" else result == [[]]


def test_linger_gathers_a_micro_batch_or_gives_up_at_the_deadline() -> None:
    ch: Channel[int] = Channel(10)
    ch.put(1)
    ticket, batch = ch.get_batch(4, linger=0.05)
    assert (ticket, batch) == (0, [1])
    for i in range(4):
        ch.put(i)
    assert ch.get_batch(4, linger=5.0)[1] == [0, 1, 2, 3]


def test_bad_arguments_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="capacity"):
        Channel(0)
    with pytest.raises(ValueError, match="drop-oldest"):
        Channel(1, "newest-wins")


def test_put_many_keeps_order_and_applies_the_policy_per_item() -> None:
    ch: Channel[int] = Channel(3, "drop-oldest")
    assert ch.put_many(list(range(5))) == 5
    ch.close()
    assert drain(ch) == [2, 3, 4]
    assert ch.stats().dropped == 2

    newest: Channel[int] = Channel(2, "drop-newest")
    assert newest.put_many([0, 1, 2, 3]) == 2
    assert newest.stats().dropped == 2


def test_put_many_larger_than_capacity_flows_through_a_blocking_channel() -> None:
    ch: Channel[int] = Channel(2)
    got: list[int] = []
    consumer = threading.Thread(target=lambda: got.extend(drain(ch)))
    consumer.start()
    assert ch.put_many(list(range(50))) == 50
    ch.close()
    consumer.join(5)
    assert got == list(range(50))

import pytest

import eventlib
from eventlib.hub import BlockingInMainLoopError
from eventlib.mailbox import Mailbox, MailboxClosed, MailboxFull


def test_receive_returns_messages_in_order(virtual_clock):
    """Without a match, receive takes messages in arrival order."""
    box = Mailbox()
    for n in range(3):
        box.put(n)
    assert [box.receive() for _ in range(3)] == [0, 1, 2]


def test_selective_receive_leaves_the_rest_in_order(virtual_clock):
    """receive(match) takes the first match and keeps the others in order."""
    box = Mailbox()
    for message in ["a", 1, "b", 2, "c"]:
        box.put(message)
    assert box.receive(lambda m: isinstance(m, int)) == 1
    assert box.receive(lambda m: isinstance(m, int)) == 2
    assert [box.receive() for _ in range(3)] == ["a", "b", "c"]


def test_receive_waits_for_a_matching_message(virtual_clock):
    """A receiver waiting for a match ignores other messages that arrive meanwhile."""
    box = Mailbox()

    def sender():
        for message in ["noise", "more noise", ("reply", 7)]:
            eventlib.sleep(1)
            box.put(message)

    eventlib.spawn(sender)
    assert box.receive(lambda m: isinstance(m, tuple)) == ("reply", 7)
    assert virtual_clock.now() == 3
    assert len(box) == 2


def test_receive_timeout_raises_timeout_error(virtual_clock):
    """No matching message within the timeout raises eventlib.TimeoutError."""
    box = Mailbox()
    box.put("other")
    with pytest.raises(eventlib.TimeoutError):
        box.receive(lambda m: m == "wanted", timeout=5)
    assert virtual_clock.now() == 5
    assert box.receive() == "other"


def test_receive_nowait_on_empty_mailbox_raises(virtual_clock):
    """receive_nowait never blocks."""
    with pytest.raises(eventlib.TimeoutError):
        Mailbox().receive_nowait()


def test_second_receiver_is_refused(virtual_clock):
    """A mailbox has one receiver; a second concurrent receive raises RuntimeError."""
    box = Mailbox()
    first = eventlib.spawn(box.receive)
    eventlib.sleep(0)
    with pytest.raises(RuntimeError, match="one receiver"):
        box.receive()
    box.put("x")
    assert first.wait() == "x"


def test_bounded_mailbox_blocks_a_green_sender(virtual_clock):
    """A green sender waits for room in a full bounded mailbox (back-pressure)."""
    box = Mailbox(capacity=2)
    box.put(1)
    box.put(2)
    sender = eventlib.spawn(box.put, 3)
    eventlib.sleep(1)
    assert not sender.dead
    assert box.receive() == 1
    sender.wait()
    assert [box.receive(), box.receive()] == [2, 3]


def test_bounded_mailbox_refuses_main_loop_sender(virtual_clock):
    """A sender in MAIN_LOOP gets MailboxFull at once instead of blocking."""
    box = Mailbox(capacity=1)
    box.put(1)
    outcome = eventlib.Event()

    def from_main_loop():
        try:
            box.put(2)
        except MailboxFull as exc:
            outcome.send(exc)

    eventlib.schedule_call_global(0, from_main_loop)
    error = outcome.wait()
    assert error.capacity == 1
    assert "mailbox full" in str(error)
    assert len(box) == 1


def test_put_timeout_on_full_mailbox_raises_mailbox_full(virtual_clock):
    """A green sender that waits too long gets MailboxFull; nothing was added."""
    box = Mailbox(capacity=1)
    box.put(1)
    with pytest.raises(MailboxFull):
        box.put(2, timeout=3)
    assert virtual_clock.now() == 3
    assert len(box) == 1


def test_blocked_senders_are_admitted_in_order(virtual_clock):
    """Senders waiting for room get in in the order they arrived."""
    box = Mailbox(capacity=1)
    box.put(0)
    for n in (1, 2, 3):
        eventlib.spawn(box.put, n)
    eventlib.sleep(1)
    assert [box.receive() for _ in range(4)] == [0, 1, 2, 3]


def test_closed_mailbox_refuses_messages(virtual_clock):
    """put on a closed mailbox raises MailboxClosed: nothing is dropped silently."""
    box = Mailbox()
    box.put("left")
    assert box.close() == ["left"]
    with pytest.raises(MailboxClosed):
        box.put("late")


def test_close_fails_blocked_senders(virtual_clock, hub_errors):
    """Senders blocked on a full mailbox get MailboxClosed when it closes."""
    hub_errors.expect(MailboxClosed)
    box = Mailbox(capacity=1)
    box.put(1)
    sender = eventlib.spawn(box.put, 2)
    eventlib.sleep(0)
    assert box.close() == [1, 2]
    with pytest.raises(MailboxClosed):
        sender.wait()


def test_receive_from_main_loop_raises(virtual_clock):
    """Receiving on an empty mailbox from MAIN_LOOP raises BlockingInMainLoopError."""
    box = Mailbox()
    outcome = eventlib.Event()

    def from_main_loop():
        try:
            box.receive()
        except BlockingInMainLoopError as exc:
            outcome.send(exc)

    eventlib.schedule_call_global(0, from_main_loop)
    assert isinstance(outcome.wait(), BlockingInMainLoopError)


@pytest.mark.parametrize("capacity", [0, -1])
def test_bad_capacity_is_rejected(capacity):
    """Capacity must be None or a positive int."""
    with pytest.raises(ValueError, match=r"Mailbox capacity must be None .* an int >= 1"):
        Mailbox(capacity)


@pytest.mark.parametrize("capacity", [1.5, True, "3"])
def test_capacity_that_is_not_an_int_is_a_type_error(capacity):
    """Mailbox(capacity=True) is a TypeError: a bool is not a capacity."""
    with pytest.raises(TypeError, match=r"Mailbox capacity must be None or an int >= 1, got .* \("):
        Mailbox(capacity)


def test_statistics_snapshot(virtual_clock):
    """statistics() reports depth, capacity and waiting parties."""
    box = Mailbox(capacity=3)
    box.put(1)
    stats = box.statistics()
    assert (stats.depth, stats.capacity, stats.blocked_senders, stats.closed) == (1, 3, 0, False)


@pytest.mark.parametrize(("timeout", "error"), [("soon", TypeError), (-1, ValueError)])
def test_put_rejects_a_bad_timeout_and_delivers_nothing(virtual_clock, timeout, error):
    """put(timeout=-1) is refused (0 is how to not wait) and the message is not delivered."""
    box = Mailbox()
    with pytest.raises(error, match=r"Mailbox\.put\(\) timeout must be"):
        box.put("m", timeout=timeout)
    assert len(box) == 0


@pytest.mark.parametrize(("timeout", "error"), [("soon", TypeError), (-1, ValueError)])
def test_receive_rejects_a_bad_timeout(virtual_clock, timeout, error):
    """receive(timeout="soon") names receive() and what it takes; the message stays."""
    box = Mailbox()
    box.put("m")
    with pytest.raises(error, match=r"receive\(\) timeout must be"):
        box.receive(timeout=timeout)
    assert len(box) == 1


def test_receive_rejects_a_match_that_is_not_callable(virtual_clock):
    """receive("reply") (a value instead of a predicate) is a TypeError saying what match is."""
    box = Mailbox()
    box.put("reply")
    with pytest.raises(TypeError, match="match must be None or a callable"):
        box.receive("reply")
    assert len(box) == 1

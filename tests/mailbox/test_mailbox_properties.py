"""Properties of Mailbox that must hold for any interleaving (hypothesis)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventlib
from eventlib.hub import Hub, VirtualClockReactor, set_hub
from eventlib.mailbox import Mailbox
from eventlib.testing import _close_reactor

SENDERS = 3

# A sender's script: (pause before sending, how many messages).
scripts = st.lists(
    st.tuples(st.sampled_from([0, 0, 0.5, 1]), st.integers(min_value=1, max_value=4)),
    min_size=1,
    max_size=6,
)
receives = st.lists(st.sampled_from(["any", *range(SENDERS)]), max_size=40)


def run_on_fresh_hub(function, *args):
    reactor = VirtualClockReactor(real_time_limit=20)
    hub = Hub(reactor)
    previous = set_hub(hub)
    try:
        return eventlib.spawn(function, *args).wait()
    finally:
        hub.close()
        set_hub(previous)
        _close_reactor(reactor)


def exchange(capacity, sender_scripts, receive_plan):
    box = Mailbox(capacity)
    sent = {sender: [] for sender in range(SENDERS)}

    def sender(number, script):
        counter = 0
        for pause, count in script:
            eventlib.sleep(pause)
            for _ in range(count):
                message = (number, counter)
                counter += 1
                box.put(message)
                sent[number].append(message)

    senders = [eventlib.spawn(sender, n, sender_scripts[n]) for n in range(SENDERS)]
    received = []
    for choice in receive_plan:
        match = None if choice == "any" else (lambda m, who=choice: m[0] == who)
        try:
            received.append(box.receive(match, timeout=2))
        except eventlib.TimeoutError:
            continue
    while True:
        try:
            received.append(box.receive(timeout=3))
        except eventlib.TimeoutError:
            break
    eventlib.waitall(senders)
    return sent, received


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    capacity=st.sampled_from([None, 1, 2, 5]),
    sender_scripts=st.lists(scripts, min_size=SENDERS, max_size=SENDERS),
    receive_plan=receives,
)
def test_no_message_lost_and_fifo_per_sender(capacity, sender_scripts, receive_plan):
    """Whatever the senders and selective receives do, every message arrives once, in order."""
    sent, received = run_on_fresh_hub(exchange, capacity, sender_scripts, receive_plan)
    assert sorted(received) == sorted(m for messages in sent.values() for m in messages)
    for number, messages in sent.items():
        assert [m for m in received if m[0] == number] == messages

"""Properties of Queue under random interleavings: FIFO, nothing lost, nothing duplicated.

Each hypothesis example runs on its own hub over a fresh autojumping virtual clock,
driven from the test's (main) greenlet; procs, MAIN_LOOP callbacks and timeouts
interleave as the drawn steps say.
"""

import contextlib
import itertools

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

import eventlib
from eventlib.hub import Hub, VirtualClockReactor, set_hub
from eventlib.queue import Empty, Full, Queue

SETTINGS = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

MAXSIZES = st.sampled_from([None, 0, 1, 2, 3])
TIMEOUTS = st.sampled_from([None, 0, 1, 2])
WAITING_TIMEOUTS = st.sampled_from([None, 1, 2])
BATCH_OPS = ["put", "kill-first", "kill-last"]
DELAYS = st.integers(min_value=0, max_value=3)


@contextlib.contextmanager
def fresh_hub():
    """Run the block on a new hub with an autojumping virtual clock; tear both down after."""
    reactor = VirtualClockReactor(real_time_limit=10)
    hub = Hub(reactor)
    errors = []
    hub.error_hook = lambda context, exc_info: errors.append((context, exc_info[1]))
    previous = set_hub(hub)
    try:
        yield hub, errors
        leftovers = [proc for proc in hub.procs.values() if not proc.dead]
        if leftovers:
            eventlib.killall(leftovers)
            eventlib.sleep(0)
    finally:
        hub.close()
        set_hub(previous)
        for call in reactor.getDelayedCalls():
            call.cancel()
        reactor.removeAll()
        waker = getattr(reactor, "waker", None)
        if waker is not None:
            reactor.removeReader(waker)
            waker.connectionLost(None)
        reactor._poller.close()
    assert errors == [], f"unexpected hub errors: {errors}"


class QueueMachine(RuleBasedStateMachine):
    """Putters, getters (with and without timeouts), kills and MAIN_LOOP batches on one Queue.

    Every put and get call takes a ticket (a sequence number) when it is made, and every
    return of a get and every interrupted get (killed, timed out) is a numbered event. At the
    end the queue is drained, then:

    * the items received are exactly the items of the puts that did not fail: nothing is
      lost or duplicated;
    * ordered by the tickets of their gets, they come in put order (FIFO, getters served in
      the order they asked), with one unavoidable exception: an item on its way to a getter
      that is then interrupted goes back to the queue, and a consumer that took a later item
      before that interruption has overtaken it. So an inversion (item ``b`` put after ``a``
      but received by an earlier ticket) is allowed only if some get was interrupted after
      ``b`` was received and before ``a`` was.
    """

    def __init__(self):
        super().__init__()
        self._hub_context = fresh_hub()
        self._hub_context.__enter__()
        self.q = Queue()
        self.tickets = itertools.count()
        self.values = itertools.count()  # values increase in put-call order
        self.events = itertools.count()
        self.puts = {}  # ticket -> value, for every put call
        self.failed_puts = set()  # tickets of puts that raised Full
        self.gets = {}  # ticket -> (value, event number of the return)
        self.interruptions = []  # event numbers of interrupted gets
        self.getters = []  # getter procs

    @initialize(maxsize=MAXSIZES)
    def make_queue(self, maxsize):
        self.q = Queue(maxsize)

    # -- what green threads do -------------------------------------------------

    def _put(self, timeout, *, block):
        ticket, value = next(self.tickets), next(self.values)
        self.puts[ticket] = value
        try:
            self.q.put(value, block, timeout)
        except Full:
            self.failed_puts.add(ticket)

    def _get(self, timeout, *, block):
        ticket = next(self.tickets)
        try:
            value = self.q.get(block, timeout)
        except Empty:
            if block and timeout != 0:
                self.interruptions.append(next(self.events))
        except BaseException:
            self.interruptions.append(next(self.events))
            raise
        else:
            self.gets[ticket] = (value, next(self.events))

    # -- rules -----------------------------------------------------------------

    @rule(timeout=TIMEOUTS)
    def spawn_putter(self, timeout):
        eventlib.spawn(self._put, timeout, block=True)

    @rule(timeout=WAITING_TIMEOUTS)
    def spawn_getter(self, timeout):
        self.getters.append(eventlib.spawn(self._get, timeout, block=True))

    @rule()
    def put_nowait(self):
        self._put(None, block=False)

    @precondition(lambda self: self.getters)
    @rule(data=st.data())
    def kill_getter(self, data):
        proc = data.draw(st.sampled_from(self.getters))
        proc.kill()

    @rule(delay=DELAYS, ops=st.lists(st.sampled_from(BATCH_OPS), max_size=4))
    def main_loop_batch(self, delay, ops):
        """After ``delay`` seconds, a hub timer (in MAIN_LOOP) does a few things in one go."""

        def batch():
            for op in ops:
                if op == "put":
                    self._put(None, block=False)
                elif op == "get":
                    self._get(None, block=False)
                else:
                    live = [proc for proc in self.getters if not proc.dead]
                    if live:
                        victim = live[0] if op == "kill-first" else live[-1]
                        victim.throw(eventlib.ProcExit)  # raised in the getter right now

        eventlib.schedule_call_global(delay, batch)

    @rule(seconds=DELAYS)
    def let_time_pass(self, seconds):
        eventlib.sleep(seconds)

    # -- the check -----------------------------------------------------------

    def teardown(self):
        try:
            self._drain()
            self._check()
        finally:
            self._hub_context.__exit__(None, None, None)

    def _drain(self):
        eventlib.sleep(100)  # every timeout and scheduled batch has fired
        while True:
            eventlib.sleep(0)
            ticket = next(self.tickets)
            try:
                self.gets[ticket] = (self.q.get_nowait(), next(self.events))
            except Empty:
                eventlib.sleep(0)
                if not self.q.putting and not self.q:
                    break
        assert self.q.statistics().putters == 0

    def _check(self):
        accepted = [self.puts[t] for t in sorted(self.puts) if t not in self.failed_puts]
        received = [self.gets[t] for t in sorted(self.gets)]
        values = [value for value, _ in received]
        assert sorted(values) == accepted, "an item was lost or duplicated"
        for i, (later_item, later_returned) in enumerate(received):
            for earlier_item, earlier_returned in received[i + 1 :]:
                if earlier_item < later_item:  # overtaken: only through an interruption
                    assert any(
                        later_returned < event < earlier_returned for event in self.interruptions
                    ), f"{earlier_item} was overtaken by {later_item}: received {values}"


class ChaosQueueMachine(QueueMachine):
    """QueueMachine plus consumers that never wait: get_nowait, get(timeout=0), MAIN_LOOP gets."""

    @rule()
    def get_nowait(self):
        self._get(None, block=False)

    @rule()
    def spawn_polling_getter(self):
        self.getters.append(eventlib.spawn(self._get, 0, block=True))

    @rule(delay=DELAYS, ops=st.lists(st.sampled_from([*BATCH_OPS, "get"]), max_size=4))
    def main_loop_batch_with_gets(self, delay, ops):
        self.main_loop_batch(delay, ops)


def test_queue_is_fifo_and_loses_nothing_under_random_interleavings():
    """Random puts, gets, timeouts and kills of getters never lose, duplicate or reorder items."""
    run_state_machine_as_test(QueueMachine, settings=SETTINGS)


def test_queue_is_fifo_and_loses_nothing_with_non_waiting_consumers():
    """The same holds with get_nowait, get(timeout=0) and gets from MAIN_LOOP in the mix."""
    run_state_machine_as_test(ChaosQueueMachine, settings=SETTINGS)


@SETTINGS
@given(
    maxsize=MAXSIZES,
    producer_sleeps=st.lists(DELAYS, max_size=20),
    consumer_sleeps=st.lists(DELAYS, max_size=20),
)
def test_one_producer_one_consumer_sees_every_item_in_order(
    maxsize, producer_sleeps, consumer_sleeps
):
    """A consumer proc gets exactly what a producer proc put, in order, for any bound and pacing."""
    count = len(producer_sleeps)
    with fresh_hub():
        q = Queue(maxsize)

        def produce():
            for n, pause in enumerate(producer_sleeps):
                eventlib.sleep(pause)
                q.put(n)

        def consume():
            got = []
            pauses = itertools.chain(consumer_sleeps, itertools.repeat(0))
            for _ in range(count):
                eventlib.sleep(next(pauses))
                got.append(q.get())
            return got

        producer = eventlib.spawn(produce)
        consumer = eventlib.spawn(consume)
        assert consumer.wait() == list(range(count))
        producer.wait()
        assert q.empty()

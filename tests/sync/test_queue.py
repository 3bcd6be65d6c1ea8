"""eventlib.Queue (also the classic coros.queue) and Channel."""

import queue as stdlib_queue

import pytest

import eventlib
from eventlib import coros
from eventlib.queue import Channel, Empty, Full, Queue, QueueStatistics


def _spawn_getters(q, count, log, timeout=None):
    """Spawn ``count`` procs doing one ``q.get(timeout=timeout)`` each, logging (index, outcome)."""

    def getter(index):
        try:
            log.append((index, q.get(timeout=timeout)))
        except Empty:
            log.append((index, "empty"))

    procs = [eventlib.spawn(getter, index) for index in range(count)]
    eventlib.sleep(0)  # let them park
    return procs


def test_classic_names_are_the_same_class():
    """coros.queue is eventlib.Queue; Empty and Full are the stdlib's."""
    assert coros.queue is Queue
    assert eventlib.Queue is Queue
    assert coros.Channel is Channel
    assert Empty is stdlib_queue.Empty
    assert Full is stdlib_queue.Full


def test_unbounded_put_never_blocks_or_switches(virtual_clock):
    """put() on an unbounded queue returns at once without yielding to other procs."""
    q = Queue()
    ran = []
    eventlib.spawn(ran.append, "other")
    for n in range(1000):
        q.put(n)
    assert ran == []
    assert len(q) == 1000
    assert virtual_clock.now() == 0
    eventlib.sleep(0)
    assert ran == ["other"]


def test_items_come_out_in_fifo_order(virtual_clock):
    """get() returns items in the order they were put."""
    q = Queue()
    for n in range(5):
        q.put(n)
    assert [q.get() for _ in range(5)] == [0, 1, 2, 3, 4]


def test_get_blocks_until_put(virtual_clock):
    """get() on an empty queue parks until another proc puts."""
    q = Queue()
    eventlib.spawn(lambda: (eventlib.sleep(4), q.put("late")))
    assert q.get() == "late"
    assert virtual_clock.now() == 4


def test_getters_are_served_in_arrival_order(virtual_clock):
    """Waiting getters receive items in the order they started waiting."""
    q = Queue()
    log = []
    procs = _spawn_getters(q, 3, log)
    assert q.getting == 3
    for item in "abc":
        q.put(item)
    eventlib.waitall(procs)
    assert log == [(0, "a"), (1, "b"), (2, "c")]


def test_put_does_not_switch_to_a_waiting_getter(virtual_clock):
    """put() to a waiting getter hands the item over but the putter keeps running."""
    q = Queue()
    order = []
    eventlib.spawn(lambda: order.append(("got", q.get())))
    eventlib.sleep(0)
    q.put(1)
    order.append("putter continues")
    eventlib.sleep(0)
    assert order == ["putter continues", ("got", 1)]


def test_bounded_put_blocks_when_full_and_resumes_when_space_frees(virtual_clock):
    """A put on a full bounded queue parks until a get makes room; FIFO is kept."""
    q = Queue(2)
    q.put(1)
    q.put(2)
    assert q.full()
    done = []
    putter = eventlib.spawn(lambda: (q.put(3), done.append(virtual_clock.now())))
    eventlib.sleep(10)
    assert done == []
    assert q.putting == 1
    assert q.get() == 1
    putter.wait()
    assert done == [10]
    assert [q.get(), q.get()] == [2, 3]


def test_blocked_putters_are_admitted_in_arrival_order(virtual_clock):
    """Putters waiting on a full queue are admitted in the order they arrived."""
    q = Queue(1)
    q.put("first")
    procs = [eventlib.spawn(q.put, item) for item in ("second", "third", "fourth")]
    eventlib.sleep(0)
    assert q.putting == 3
    got = [q.get() for _ in range(4)]
    eventlib.waitall(procs)
    assert got == ["first", "second", "third", "fourth"]


@pytest.mark.parametrize(
    "put",
    [
        pytest.param(lambda q: q.put(9, block=False), id="block=False"),
        pytest.param(lambda q: q.put_nowait(9), id="put_nowait"),
        pytest.param(lambda q: q.put(9, timeout=0), id="timeout=0"),
        pytest.param(lambda q: q.put(9, False, 5), id="block=False-with-timeout"),
    ],
)
def test_non_blocking_put_on_full_queue_raises_full(virtual_clock, put):
    """A non-blocking put on a full queue raises queue.Full at once and adds nothing."""
    q = Queue(1)
    q.put(1)
    with pytest.raises(Full):
        put(q)
    assert virtual_clock.now() == 0
    assert q.qsize() == 1


def test_put_with_timeout_on_full_queue_raises_full_after_timeout(virtual_clock):
    """put(timeout=t) on a queue that stays full raises queue.Full after t seconds."""
    q = Queue(1)
    q.put(1)
    with pytest.raises(Full):
        q.put(2, timeout=3)
    assert virtual_clock.now() == 3
    assert q.putting == 0
    assert [q.get_nowait()] == [1]
    assert q.empty()


def test_put_with_timeout_succeeds_when_room_appears_in_time(virtual_clock):
    """put(timeout=t) returns normally if a get makes room before t."""
    q = Queue(1)
    q.put(1)
    eventlib.spawn(lambda: (eventlib.sleep(1), q.get()))
    q.put(2, timeout=3)
    assert virtual_clock.now() == 1
    eventlib.sleep(5)
    assert q.get_nowait() == 2


@pytest.mark.parametrize(
    "get",
    [
        pytest.param(lambda q: q.get(block=False), id="block=False"),
        pytest.param(lambda q: q.get_nowait(), id="get_nowait"),
        pytest.param(lambda q: q.get(timeout=0), id="timeout=0"),
    ],
)
def test_non_blocking_get_on_empty_queue_raises_empty(virtual_clock, get):
    """A non-blocking get on an empty queue raises queue.Empty at once."""
    q = Queue()
    with pytest.raises(Empty):
        get(q)
    assert virtual_clock.now() == 0
    assert q.getting == 0


def test_get_with_timeout_raises_empty_after_timeout(virtual_clock):
    """get(timeout=t) on a queue that stays empty raises queue.Empty after t seconds."""
    q = Queue()
    with pytest.raises(Empty):
        q.get(timeout=2)
    assert virtual_clock.now() == 2
    assert q.getting == 0


def test_get_with_timeout_returns_item_put_in_time(virtual_clock):
    """get(timeout=t) returns an item put before t, and the timeout never fires later."""
    q = Queue()
    eventlib.spawn(lambda: (eventlib.sleep(1), q.put("x")))
    assert q.get(timeout=5) == "x"
    eventlib.sleep(10)


def test_getter_timed_out_consumes_nothing(virtual_clock, hub_errors):
    """A getter that timed out takes nothing: the next item goes to the next getter."""
    hub_errors.expect(Empty)
    q = Queue()
    log = []
    impatient = eventlib.spawn(lambda: log.append(("impatient", q.get(timeout=1))))
    eventlib.sleep(0)
    patient = eventlib.spawn(lambda: log.append(("patient", q.get())))
    eventlib.sleep(2)
    with pytest.raises(Empty):
        impatient.wait()
    q.put("item")
    patient.wait()
    assert log == [("patient", "item")]
    assert q.empty()


def test_item_arriving_as_getter_times_out_is_not_lost(virtual_clock, hub_errors):
    """An item put in the very instant a getter's timeout fires is either taken or stays queued."""
    hub_errors.expect(Empty)
    q = Queue()
    getter = eventlib.spawn(q.get, timeout=5)
    eventlib.sleep(0)
    eventlib.schedule_call_global(5, q.put, "edge")
    eventlib.sleep(6)
    try:
        got = [getter.wait()]
    except Empty:
        got = []
    got.extend(q.get_nowait() for _ in range(q.qsize()))
    assert got == ["edge"]


def test_item_handed_to_a_getter_killed_before_it_ran_goes_to_the_next_getter(
    virtual_clock, in_main_loop
):
    """A getter killed after an item was handed to it (but before it resumed) loses nothing."""
    q = Queue()
    log = []
    first, second = _spawn_getters(q, 2, log)

    def put_then_kill():
        q.put("precious")
        first.throw(eventlib.ProcExit)  # from MAIN_LOOP: raised in `first` right now

    in_main_loop(put_then_kill)
    eventlib.waitall([first, second], trap_errors=True)
    assert first.exit_reason is eventlib.ExitReason.KILLED
    assert log == [(1, "precious")]


def test_killed_getter_item_goes_to_the_next_getter_before_later_items(virtual_clock, in_main_loop):
    """Items handed to several getters keep their order when an earlier getter is killed."""
    q = Queue()
    log = []
    first, second, third = _spawn_getters(q, 3, log)

    def put_then_kill():
        q.put("a")
        q.put("b")
        first.throw(eventlib.ProcExit)

    in_main_loop(put_then_kill)
    q.put("c")
    eventlib.waitall([first, second, third], trap_errors=True)
    assert log == [(1, "a"), (2, "b")]
    assert q.get_nowait() == "c"


def test_items_of_two_killed_getters_keep_their_order(virtual_clock, in_main_loop):
    """Killing the first two of three getters after three hand-overs keeps FIFO order."""
    q = Queue()
    log = []
    procs = _spawn_getters(q, 3, log)

    def put_then_kill():
        for item in "abc":
            q.put(item)
        procs[1].throw(eventlib.ProcExit)
        procs[0].throw(eventlib.ProcExit)

    in_main_loop(put_then_kill)
    eventlib.waitall(procs, trap_errors=True)
    assert log == [(2, "a")]
    assert [q.get_nowait(), q.get_nowait()] == ["b", "c"]


def test_item_handed_to_a_killed_getter_stays_queued_without_other_getters(
    virtual_clock, in_main_loop
):
    """With no other getter waiting, the item of a killed getter goes back to the queue."""
    q = Queue()
    q_log = []
    (getter,) = _spawn_getters(q, 1, q_log)

    def put_then_kill():
        q.put("a")
        q.put("b")
        getter.throw(eventlib.ProcExit)

    in_main_loop(put_then_kill)
    eventlib.sleep(0)
    assert getter.dead
    assert q_log == []
    assert [q.get_nowait(), q.get_nowait()] == ["a", "b"]


def test_killed_getter_is_forgotten(virtual_clock):
    """A getter killed while waiting is removed from the queue's getters."""
    q = Queue()
    getter = eventlib.spawn(q.get)
    eventlib.sleep(0)
    getter.kill()
    assert q.getting == 0
    q.put(1)
    assert q.qsize() == 1


def test_rendezvous_put_waits_for_a_getter(virtual_clock):
    """Queue(0): put() parks until a getter takes the item; nothing is ever stored."""
    q = Queue(0)
    done = []
    putter = eventlib.spawn(lambda: (q.put("x"), done.append(virtual_clock.now())))
    eventlib.sleep(5)
    assert done == []
    assert q.qsize() == 0
    assert q.ready()
    assert q.get() == "x"
    putter.wait()
    assert done == [5]


def test_rendezvous_put_to_a_waiting_getter_does_not_block(virtual_clock):
    """Queue(0): put_nowait() succeeds when a getter is already waiting."""
    q = Queue(0)
    log = []
    procs = _spawn_getters(q, 1, log)
    q.put_nowait("direct")
    eventlib.waitall(procs)
    assert log == [(0, "direct")]


def test_rendezvous_put_nowait_without_getter_raises_full(virtual_clock):
    """Queue(0): put_nowait() with no getter waiting raises queue.Full."""
    q = Queue(0)
    assert q.full()
    with pytest.raises(Full):
        q.put_nowait(1)


def test_rendezvous_serves_putters_in_order(virtual_clock):
    """Queue(0): several parked putters hand over their items in arrival order."""
    q = Queue(0)
    procs = [eventlib.spawn(q.put, n) for n in range(3)]
    eventlib.sleep(0)
    assert [q.get() for _ in range(3)] == [0, 1, 2]
    eventlib.waitall(procs)


def test_classic_send_and_wait(virtual_clock):
    """send() queues a value and wait() returns it (classic coros.queue)."""
    q = coros.queue()
    q.send("a")
    q.send()
    assert q.wait() == "a"
    assert q.wait() is None


def test_classic_send_exception_is_raised_by_wait(virtual_clock):
    """send_exception() queues an exception that the getter taking it raises, in order."""
    q = coros.queue()
    q.send(1)
    q.send_exception(ValueError("second"))
    q.send(exc=KeyError("third"))
    q.send(4)
    assert q.wait() == 1
    with pytest.raises(ValueError, match="second"):
        q.wait()
    with pytest.raises(KeyError, match="third"):
        q.get()
    assert q.wait() == 4


def test_send_exception_needs_an_exception():
    """send_exception() with no arguments is a TypeError and queues nothing."""
    q = Queue()
    with pytest.raises(TypeError):
        q.send_exception()
    assert len(q) == 0


def test_classic_bounded_send_blocks(virtual_clock):
    """coros.queue(max_size) send() parks while max_size items are pending."""
    q = coros.queue(max_size=1)
    q.send(1)
    sender = eventlib.spawn(q.send, 2)
    eventlib.sleep(3)
    assert not sender.dead
    assert q.wait() == 1
    sender.wait()
    assert q.wait() == 2


def test_max_size_keyword_is_an_alias_of_maxsize():
    """max_size= (classic spelling) sets maxsize."""
    assert Queue(max_size=3).maxsize == 3
    assert Queue(3).maxsize == 3
    assert Queue().maxsize is None


def test_maxsize_and_max_size_together_is_a_type_error():
    """Giving both maxsize and max_size is a TypeError."""
    with pytest.raises(TypeError):
        Queue(2, max_size=3)


def test_negative_maxsize_is_a_value_error():
    """A negative maxsize is a ValueError naming maxsize and the range allowed."""
    with pytest.raises(
        ValueError, match=r"maxsize must be None \(no limit\) or an int >= 0, got -1"
    ):
        Queue(-1)
    with pytest.raises(ValueError, match="maxsize"):
        Queue(max_size=-1)


@pytest.mark.parametrize("maxsize", [1.5, "3", True])
def test_maxsize_that_is_not_an_int_is_a_type_error(maxsize):
    """A maxsize that is not an int (a bool is not a capacity) is a TypeError naming it."""
    with pytest.raises(TypeError, match=r"maxsize must be None or an int >= 0, got .* \("):
        Queue(maxsize)
    with pytest.raises(TypeError, match="maxsize"):
        Queue(max_size=maxsize)


def test_sizes_of_a_bounded_queue(virtual_clock):
    """len, bool, qsize, empty, full and ready track the items held."""
    q = Queue(2)
    assert (len(q), bool(q), q.qsize(), q.empty(), q.full(), q.ready()) == (
        0,
        False,
        0,
        True,
        False,
        False,
    )
    q.put("a")
    assert (len(q), bool(q), q.qsize(), q.empty(), q.full(), q.ready()) == (
        1,
        True,
        1,
        False,
        False,
        True,
    )
    q.put("b")
    assert (len(q), q.full()) == (2, True)


def test_len_and_bool_count_items_offered_by_blocked_putters(virtual_clock):
    """len() and bool() count pending items, blocked putters' included, like ready() (classic)."""
    q = Queue(1)
    q.put("held")
    putter = eventlib.spawn(q.put, "offered")
    eventlib.sleep(0)
    assert (len(q), bool(q), q.ready(), q.qsize()) == (2, True, True, 1)
    rendezvous = Queue(0)
    eventlib.spawn(rendezvous.put, "offered")
    eventlib.sleep(0)
    assert (len(rendezvous), bool(rendezvous), rendezvous.ready()) == (1, True, True)
    assert rendezvous.qsize() == 0
    assert [q.get(), q.get(), rendezvous.get()] == ["held", "offered", "offered"]
    putter.wait()
    assert (len(q), bool(q), q.ready()) == (0, False, False)


def test_classic_bounded_queue_scenario(virtual_clock):
    """The classic coros.queue(max_size=2) walk-through: ready(), wait() and a blocked send."""
    printed = []
    q = coros.queue(max_size=2)
    eventlib.spawn(q.send, "first")
    assert not q.ready()
    assert q.wait() == "first"
    assert not q.ready()
    q.send("second")
    assert q.ready()
    q.send("third")
    eventlib.spawn(lambda: printed.append(q.wait()))
    q.send("fourth")  # the queue is full: blocks until the getter takes "second"
    assert printed == ["second"]
    assert [q.wait(), q.wait()] == ["third", "fourth"]


def test_unbounded_queue_is_never_full():
    """An unbounded queue never reports full()."""
    q = Queue()
    for n in range(100):
        q.put(n)
    assert not q.full()


def test_statistics_reports_size_bound_getters_and_putters(virtual_clock):
    """statistics() is a frozen snapshot: size, maxsize, getters and putters."""
    empty = Queue(1)
    _spawn_getters(empty, 2, [])
    assert empty.statistics() == QueueStatistics(size=0, maxsize=1, getters=2, putters=0)

    full = Queue(1)
    full.put(0)
    eventlib.spawn(full.put, 1)
    eventlib.sleep(0)
    stats = full.statistics()
    assert stats == QueueStatistics(size=1, maxsize=1, getters=0, putters=1)
    with pytest.raises(AttributeError):
        stats.size = 0  # type: ignore[misc]
    empty.put("x")
    empty.put("y")
    full.get()
    eventlib.sleep(0)


def test_channel_send_waits_for_receive(virtual_clock):
    """Channel.send() parks until receive() takes the item."""
    channel = Channel()
    assert channel.maxsize == 0
    done = []
    sender = eventlib.spawn(lambda: (channel.send("msg"), done.append(virtual_clock.now())))
    eventlib.sleep(2)
    assert done == []
    assert channel.receive() == "msg"
    sender.wait()
    assert done == [2]


def test_channel_receive_waits_for_send(virtual_clock):
    """Channel.receive() parks until a sender comes."""
    channel = Channel()
    eventlib.spawn(lambda: (eventlib.sleep(7), channel.send("late")))
    assert channel.receive() == "late"
    assert virtual_clock.now() == 7


def test_channel_receive_with_timeout_raises_empty(virtual_clock):
    """Channel.receive(timeout=t) with no sender raises queue.Empty after t."""
    channel = Channel()
    with pytest.raises(Empty):
        channel.receive(timeout=1)
    assert virtual_clock.now() == 1


def test_repr_shows_bound_and_size():
    """repr() names the bound and the size."""
    assert "unbounded" in repr(Queue())
    q = Queue(3)
    q.put(1)
    assert "maxsize=3" in repr(q)
    assert "size=1" in repr(q)

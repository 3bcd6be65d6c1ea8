"""What each kind of listener gets: link x link_value x link_exception x listener kind."""

import pytest
from greenlet import GreenletExit

from eventlib import Event, Queue, proc
from eventlib.hub import sleep
from eventlib.proc import (
    LinkedCompleted,
    LinkedExited,
    LinkedFailed,
    LinkedKilled,
    ProcError,
    ProcExit,
    Source,
    getLinkedFailed,
)

NOTHING = "nothing"
ERROR = ValueError("boom")


class Listener:
    """A listener of one kind and a way to see what it received (NOTHING if nothing)."""

    def __init__(self, kind):
        self.kind = kind
        self.received = []
        self.greenlet = None
        make = getattr(self, f"_make_{kind}")
        self.listener = make()

    def _wait_for_linked_exit(self):
        try:
            sleep(3600)
        except LinkedExited as error:
            self.received.append(error)

    def _make_proc(self):
        return proc.spawn(self._wait_for_linked_exit)

    def _make_greenlet(self):
        self.greenlet = proc.spawn_greenlet(self._wait_for_linked_exit)
        return self.greenlet

    def _make_event(self):
        return Event()

    def _make_queue(self):
        return Queue()

    def _make_source(self):
        return Source()

    def _make_callable(self):
        return self.received.append

    def observe(self):
        """What arrived: a LinkedExited, ("value", v), ("exception", e), the proc, or NOTHING."""
        listener = self.listener
        if self.kind in {"event", "source"}:
            return _outcome(listener.wait) if listener.ready() else NOTHING
        if self.kind == "queue":
            return NOTHING if listener.empty() else _outcome(listener.get_nowait)
        assert len(self.received) <= 1
        return self.received[0] if self.received else NOTHING

    def close(self):
        if self.greenlet is not None and not self.greenlet.dead:
            proc.kill(self.greenlet)


def _outcome(function):
    try:
        return ("value", function())
    except BaseException as error:
        return ("exception", error)


def _fail():
    raise ERROR


def _finish(outcome, hub_errors):
    """Spawn a proc that ends with ``outcome``; return it (not yet finished)."""
    if outcome == "return":
        return proc.spawn(lambda: 42)
    if outcome == "raise":
        hub_errors.expect(ValueError)
        return proc.spawn(_fail)
    p = proc.spawn(sleep, 100)
    return p


def _run(method, outcome, kind, hub_errors):
    listener = Listener(kind)
    p = _finish(outcome, hub_errors)
    getattr(p, method)(listener.listener)
    sleep(0)  # the listener proc / greenlet is now waiting
    if outcome == "kill":
        p.kill()
    sleep(1)  # the proc has ended and its links have fired
    assert p.dead
    try:
        return p, listener.observe()
    finally:
        listener.close()


KINDS = ["proc", "greenlet", "event", "queue", "source", "callable"]
FIRING = [
    ("link", "return"),
    ("link", "raise"),
    ("link", "kill"),
    ("link_value", "return"),
    ("link_exception", "raise"),
    ("link_exception", "kill"),
]
SILENT = [
    ("link_value", "raise"),
    ("link_value", "kill"),
    ("link_exception", "return"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("method", "outcome"), FIRING)
def test_link_delivers_the_outcome_to_each_listener_kind(
    virtual_clock, hub_errors, method, outcome, kind
):
    """Each listener kind gets the outcome in its own form when the link kind matches."""
    p, received = _run(method, outcome, kind, hub_errors)
    if kind in {"proc", "greenlet"}:
        expected_type = {
            "return": LinkedCompleted,
            "raise": LinkedFailed,
            "kill": LinkedKilled,
        }[outcome]
        assert type(received) is expected_type
        assert received.name == p.name
        if outcome == "raise":
            assert received.typ is ValueError
            assert received.value is ERROR
        elif outcome == "kill":
            assert received.typ is ProcExit
            assert isinstance(received.value, ProcExit)
    elif kind == "callable":
        assert received is p
    elif outcome == "return":
        assert received == ("value", 42)
    elif outcome == "raise":
        assert received == ("exception", ERROR)
        assert received[1] is ERROR
    else:
        assert received[0] == "exception"
        assert isinstance(received[1], ProcExit)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("method", "outcome"), SILENT)
def test_link_stays_silent_for_the_other_outcome(virtual_clock, hub_errors, method, outcome, kind):
    """link_value ignores failures and kills; link_exception ignores returns, for every kind."""
    _p, received = _run(method, outcome, kind, hub_errors)
    assert received == NOTHING


def test_listener_with_throw_and_send_is_thrown_into(virtual_clock):
    """A listener with both throw() and send() is linked as a greenlet (throw wins)."""
    calls = []

    class Both:
        def throw(self, error):
            calls.append(("throw", type(error)))

        def send(self, value):
            calls.append(("send", value))

        def send_exception(self, *args):
            calls.append(("send_exception", args))

    source = Source()
    source.link(Both())
    source.send(1)
    sleep(0)
    assert calls == [("throw", LinkedCompleted)]


def test_listener_with_send_and_call_gets_send(virtual_clock):
    """A callable listener that also has send() is linked as a send listener."""
    calls = []

    class Both:
        def send(self, value):
            calls.append(("send", value))

        def send_exception(self, *args):
            calls.append(("send_exception", args))

        def __call__(self, source):
            calls.append(("call", source))

    source = Source()
    source.link(Both())
    source.send(1)
    sleep(0)
    assert calls == [("send", 1)]


@pytest.mark.parametrize("bound", [False, True], ids=["function", "bound_method"])
def test_function_with_a_send_attribute_is_linked_as_a_send_listener(virtual_clock, bound):
    """A function (or a method of one) given send/send_exception attributes gets send."""
    calls = []

    def listener(*args):
        calls.append(("call", args))

    listener.send = lambda value: calls.append(("send", value))
    listener.send_exception = lambda *args: calls.append(("send_exception", args))

    class Owner:
        method = listener

    source = Source()
    source.link(Owner().method if bound else listener)
    source.send(1)
    sleep(0)
    assert calls == [("send", 1)]


def test_send_listener_gets_exc_info_on_failure(virtual_clock):
    """A send listener's send_exception gets (type, value, traceback)."""
    calls = []

    class Sink:
        def send(self, value):
            calls.append(("send", value))

        def send_exception(self, *args):
            calls.append(("send_exception", args))

    source = Source()
    source.link(Sink())
    error = KeyError("k")
    source.send_exception(error)
    sleep(0)
    assert calls == [("send_exception", (KeyError, error, None))]


def test_callable_listener_gets_one_argument_the_proc(virtual_clock):
    """A callable listener is called with exactly one argument: the proc."""
    calls = []
    p = proc.spawn(lambda: 1)
    p.link(lambda *args: calls.append(args))
    p.wait()
    sleep(0)
    assert calls == [(p,)]


def test_link_to_a_finished_proc_listener_is_a_noop(virtual_clock):
    """Throwing LinkedExited into a listener proc that already ended does nothing."""
    listener = proc.spawn(lambda: "done")
    listener.wait()
    p = proc.spawn(lambda: 1)
    p.link(listener)
    p.wait()
    sleep(1)
    assert listener.value == "done"


def test_link_to_a_dead_raw_greenlet_is_a_noop(virtual_clock):
    """Throwing LinkedExited into a raw greenlet that already ended does nothing."""
    g = proc.spawn_greenlet(lambda: None)
    sleep(0)
    assert g.dead
    p = proc.spawn(lambda: 1)
    p.link(g)
    p.wait()
    sleep(1)


def test_linked_proc_that_does_not_catch_fails_with_linked_failed(virtual_clock, hub_errors):
    """A listener proc that does not catch LinkedFailed dies of it (Erlang-style propagation)."""
    hub_errors.expect(ValueError, LinkedFailed)
    listener = proc.spawn(sleep, 3600)
    p = proc.spawn(_fail)
    p.link(listener)
    with pytest.raises(LinkedFailed):
        listener.wait()
    assert listener.exit_reason is proc.ExitReason.ERROR


def test_linked_proc_killed_by_linked_killed_is_an_error_not_a_kill(virtual_clock, hub_errors):
    """LinkedKilled is not a GreenletExit: a listener that does not catch it ends with ERROR."""
    hub_errors.expect(LinkedKilled)
    listener = proc.spawn(sleep, 3600)
    p = proc.spawn(sleep, 100)
    p.link(listener)
    sleep(0)
    p.kill()
    with pytest.raises(LinkedKilled):
        listener.wait()
    assert listener.exit_reason is proc.ExitReason.ERROR


# -- the exception classes ----------------------------------------------------


def test_linked_exited_default_message_names_the_proc():
    """LinkedExited(name) says '<name> exited' and keeps the name."""
    error = LinkedExited("p")
    assert error.name == "p"
    assert str(error) == "'p' exited"


def test_linked_exited_custom_message():
    """LinkedExited(name, msg) uses msg."""
    assert str(LinkedExited("p", "gone")) == "gone"


def test_linked_exited_default_name_is_none():
    """LinkedExited() has name None."""
    error = LinkedExited()
    assert error.name is None
    assert str(error) == "None exited"


def test_linked_completed_message():
    """LinkedCompleted says the proc completed successfully."""
    assert str(LinkedCompleted("p")) == "'p' completed successfully"


def test_linked_failed_message_and_attributes():
    """LinkedFailed names the exception type and keeps typ, value, tb."""
    value = ValueError("v")
    error = LinkedFailed("p", ValueError, value, None)
    assert str(error) == "'p' failed with ValueError"
    assert (error.name, error.typ, error.value, error.tb) == ("p", ValueError, value, None)


def test_linked_killed_message():
    """LinkedKilled says the proc was killed with the exception type."""
    assert str(LinkedKilled("p", ProcExit)) == "'p' was killed with ProcExit"


@pytest.mark.parametrize(
    ("typ", "expected"),
    [
        (ValueError, LinkedFailed),
        (GreenletExit, LinkedKilled),
        (ProcExit, LinkedKilled),
        (KeyboardInterrupt, LinkedFailed),
    ],
)
def test_get_linked_failed_picks_killed_for_greenlet_exit(typ, expected):
    """getLinkedFailed returns LinkedKilled for GreenletExit subclasses, else LinkedFailed."""
    error = getLinkedFailed("p", typ)
    assert type(error) is expected
    assert error.typ is typ


def test_linked_exception_hierarchy():
    """LinkedKilled < LinkedFailed < LinkedExited (> LinkedCompleted) < ProcError < Exception."""
    assert issubclass(LinkedKilled, LinkedFailed)
    assert issubclass(LinkedFailed, LinkedExited)
    assert issubclass(LinkedCompleted, LinkedExited)
    assert issubclass(LinkedExited, ProcError)
    assert issubclass(ProcError, Exception)

"""Name resolution in eventlib.green.socket: the stdlib's answers, without blocking the reactor."""

import socket as stdlib_socket
import threading
import time

import pytest
from greenhelpers import outcome

import eventlib
from eventlib.green import _resolver, socket
from eventlib.hub import BlockingInMainLoopError, get_hub

N = 100


def test_getaddrinfo_localhost_matches_stdlib(real_reactor):
    """getaddrinfo('localhost') gives exactly the stdlib's answer."""
    assert socket.getaddrinfo("localhost", 80) == stdlib_socket.getaddrinfo("localhost", 80)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("gethostbyname", ("localhost",)),
        ("gethostbyname_ex", ("localhost",)),
        ("gethostbyaddr", ("127.0.0.1",)),
        ("getnameinfo", (("127.0.0.1", 80), 0)),
        ("getnameinfo", (("127.0.0.1", 80), stdlib_socket.NI_NUMERICHOST | 2)),
        ("getfqdn", ("localhost",)),
    ],
)
def test_lookups_match_stdlib(real_reactor, name, args):
    """Every green lookup returns what the stdlib's does."""
    assert outcome(getattr(socket, name), *args) == outcome(getattr(stdlib_socket, name), *args)


def test_lookup_runs_in_a_resolver_thread(real_reactor, monkeypatch):
    """A name lookup runs off the reactor's thread."""
    threads = []
    real = _resolver._std_getaddrinfo

    def recording(*args):
        threads.append(threading.current_thread())
        return real(*args)

    monkeypatch.setattr(_resolver, "_std_getaddrinfo", recording)
    socket.getaddrinfo("localhost", 80)
    assert threads
    assert threads[0] is not threading.current_thread()


def test_numeric_addresses_resolve_inline(real_reactor, monkeypatch):
    """IP literals need no thread: they are converted at once."""
    monkeypatch.setattr(_resolver, "call_in_thread", None)  # would fail if called
    assert socket.getaddrinfo("127.0.0.1", 80, socket.AF_INET, socket.SOCK_STREAM) == (
        stdlib_socket.getaddrinfo("127.0.0.1", 80, socket.AF_INET, socket.SOCK_STREAM)
    )
    assert socket.gethostbyname("127.0.0.1") == "127.0.0.1"
    assert socket.getaddrinfo("::1", None)[0][4][0] == "::1"


def test_hundred_slow_lookups_do_not_block_reactor(real_reactor, heartbeat, monkeypatch):
    """N concurrent lookups held up in the resolver leave the timer firing until let go."""
    real = _resolver._std_getaddrinfo
    released = threading.Event()
    deadline = time.monotonic() + 10

    def slow(*args):
        # A DNS server that answers when the test says so (or in 10 s, to fail, not hang).
        if not released.wait(max(0.0, deadline - time.monotonic())):
            raise TimeoutError("the lookup was never let go")
        return real(*args)

    monkeypatch.setattr(_resolver, "_std_getaddrinfo", slow)
    lookups = [eventlib.spawn(socket.getaddrinfo, "localhost", 80) for _ in range(N)]
    try:
        heartbeat.wait_for_ticks(20)
        assert not [lookup for lookup in lookups if lookup.ready()], "a lookup ended early"
    finally:
        released.set()
    results = eventlib.waitall(lookups)
    assert results == [stdlib_socket.getaddrinfo("localhost", 80)] * N


def test_unknown_name_raises_gaierror_like_stdlib(real_reactor):
    """A name that does not resolve raises the stdlib's gaierror (same errno)."""
    name = "no-such-host.invalid"
    assert outcome(socket.getaddrinfo, name, 80) == outcome(stdlib_socket.getaddrinfo, name, 80)
    assert outcome(socket.gethostbyname, name) == outcome(stdlib_socket.gethostbyname, name)


@pytest.mark.parametrize(
    "args",
    [(123, 80), ("localhost", 80, "x"), ("localhost", object()), ("localhost", -1, 0, 0, 0, "x")],
    ids=["int-host", "str-family", "object-port", "str-flags"],
)
def test_bad_arguments_raise_like_stdlib(real_reactor, args):
    """Wrong argument types raise the stdlib's exception types."""
    assert outcome(socket.getaddrinfo, *args)[0] == outcome(stdlib_socket.getaddrinfo, *args)[0]


def test_lookup_from_main_loop_raises(real_reactor):
    """A lookup that needs a thread, called from a reactor callback, fails at once."""
    seen = eventlib.Event()

    def in_main_loop():
        try:
            socket.getaddrinfo("localhost", 80)
        except BlockingInMainLoopError as exc:
            seen.send(exc)

    get_hub().schedule_call_global(0, in_main_loop)
    assert isinstance(seen.wait(timeout=5), BlockingInMainLoopError)


def test_lookup_interrupted_by_timeout(real_reactor, monkeypatch):
    """An eventlib.Timeout interrupts a slow lookup; the thread's late answer is dropped."""
    release = threading.Event()
    real = _resolver._std_getaddrinfo

    def stuck(*args):
        release.wait(5)
        return real(*args)

    monkeypatch.setattr(_resolver, "_std_getaddrinfo", stuck)
    with pytest.raises(eventlib.TimeoutError), eventlib.Timeout(0.05):
        socket.getaddrinfo("localhost", 80)
    release.set()  # the thread's answer then reaches a waiter nobody waits on: dropped

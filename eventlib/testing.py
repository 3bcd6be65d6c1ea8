"""pytest plugin: run tests as green procs, on a virtual clock or on the real reactor.

Installed with eventlib (entry point ``pytest11``), so any project that
depends on eventlib gets these fixtures:

``virtual_clock``
    The test body runs as a proc on a fresh hub whose clock is virtual and
    *autojumps*: whenever every green thread is blocked and only timers are
    pending, time jumps to the next timer. ``sleep(3600)`` takes no real
    time and timers fire in a deterministic order. The fixture's value is a
    :class:`VirtualClock` (``now()``, ``advance(seconds)``). If every green
    thread blocks with nothing left to wake one, the test fails with
    :class:`~eventlib.hub.DeadlockError` instead of hanging.

``real_reactor``
    The test body runs as a proc on a fresh hub over the installed Twisted
    reactor, for tests that do real I/O (loopback sockets, subprocesses).
    ``pytest --eventlib-reactor=asyncio`` installs Twisted's asyncio reactor
    first, so a suite can run under either reactor (``default`` is the
    platform's, epoll on Linux); ``eventlib_reactor`` in the ini file sets it too.

``hub_errors``
    An :class:`ErrorRecorder`. With either fixture, an error reported to the
    hub's error hook (a proc that crashed, a link listener that raised) fails
    the test unless the test expected it: ``hub_errors.expect(ValueError)``,
    or received it itself from the proc's ``wait()``.

Every test run through these fixtures has a real-time limit (30 s unless the
``eventlib_time_limit`` ini option or ``@pytest.mark.eventlib(time_limit=...)``
says otherwise), so a hang fails instead of stalling the run. The marker also
takes ``autojump=False`` (time moves only through ``advance``) and
``autojump_threshold`` (real seconds to wait for I/O before jumping).

Example::

    def test_timer_fires_after_an_hour(virtual_clock):
        start = virtual_clock.now()
        eventlib.sleep(3600)
        assert virtual_clock.now() - start == 3600
"""

from __future__ import annotations

import asyncio
import functools
import sys
import traceback
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from twisted.internet.error import ConnectionAborted
from twisted.python.failure import Failure

from eventlib.hub import (
    Hub,
    RealTimeLimitError,
    VirtualClockReactor,
    check_duration,
    set_hub,
    sleep,
)
from eventlib.proc import Proc, killall, waitall
from eventlib.sync import Timeout

__all__ = ["ErrorRecorder", "HubError", "VirtualClock"]

REACTORS = ("default", "asyncio")
_DEFAULT_TIME_LIMIT = 30.0
_TEARDOWN_GRACE = 5.0


@attrs.frozen
class HubError:
    """One error the hub reported: where (``context``) and what (``exception``)."""

    context: object
    exception: BaseException
    formatted: str


class ErrorRecorder:
    """Collects errors sent to the hub's error hook during a test."""

    def __init__(self) -> None:
        self.errors: list[HubError] = []
        self._expected: list[type[BaseException]] = []

    def expect(self, *exception_types: type[BaseException]) -> None:
        """Let errors of these types reach the hub without failing the test."""
        self._expected.extend(exception_types)

    def record(self, context: object, exc_info: Any) -> None:
        _typ, value, tb = exc_info
        formatted = "".join(traceback.format_exception(type(value), value, tb))
        self.errors.append(HubError(context=context, exception=value, formatted=formatted))

    @property
    def unexpected(self) -> list[HubError]:
        """Errors neither expected nor received by the test itself.

        A crashed proc whose exception the test got back from ``wait()`` (or
        ``waitall``) was handled by the test, so it is not unexpected.
        """
        expected = tuple(self._expected)
        return [
            error
            for error in self.errors
            if not isinstance(error.exception, expected)
            and not getattr(error.context, "exception_observed", False)
        ]

    def check(self) -> None:
        """Fail the current test if an unexpected error was reported."""
        unexpected = self.unexpected
        if unexpected:
            details = "\n".join(f"in {error.context!r}:\n{error.formatted}" for error in unexpected)
            pytest.fail(
                f"{len(unexpected)} unexpected error(s) reported to the hub "
                f"(use hub_errors.expect(...) if they are intended):\n{details}",
                pytrace=False,
            )


class VirtualClock:
    """Control of the virtual clock of the ``virtual_clock`` fixture."""

    def __init__(self, reactor: VirtualClockReactor) -> None:
        self.reactor = reactor

    def now(self) -> float:
        """The virtual time in seconds."""
        return self.reactor.seconds()

    @property
    def autojump(self) -> bool:
        return bool(self.reactor.autojump)

    @autojump.setter
    def autojump(self, value: bool) -> None:
        self.reactor.autojump = value

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass, running every timer due on the way.

        Works with autojump off too: the clock jumps from timer to timer up to
        the target, and the caller resumes at the target time.
        """
        check_duration(seconds, "VirtualClock.advance() seconds")
        self.reactor.allow_jump_until(self.now() + seconds)
        sleep(seconds)


@attrs.define
class _GreenSession:
    hub: Hub
    errors: ErrorRecorder
    time_limit: float
    virtual: bool
    previous_hub: Hub | None = None


_MARKER_OPTIONS = ("autojump", "autojump_threshold", "time_limit")


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The ``eventlib`` marker's options; a misspelt or positional one is a usage error."""
    if "virtual_clock" in request.fixturenames and "real_reactor" in request.fixturenames:
        raise pytest.UsageError(
            f"{request.node.nodeid} asks for both virtual_clock and real_reactor; a test runs "
            "on one hub: use virtual_clock (loopback I/O works on it too) or real_reactor "
            "(real time), not both"
        )
    marker = request.node.get_closest_marker("eventlib")
    if marker is None:
        return {}
    unknown = sorted(set(marker.kwargs) - set(_MARKER_OPTIONS))
    if marker.args or unknown:
        raise pytest.UsageError(
            f"{request.node.nodeid}: @pytest.mark.eventlib takes keyword options "
            f"{', '.join(_MARKER_OPTIONS)}; got "
            + ", ".join([*map(repr, marker.args), *(f"{name}=" for name in unknown)])
        )
    return dict(marker.kwargs)


def _time_limit(request: pytest.FixtureRequest, options: dict[str, Any]) -> float:
    if "time_limit" in options:
        return float(options["time_limit"])
    value = request.config.getini("eventlib_time_limit")
    return float(value) if value else _DEFAULT_TIME_LIMIT


def _open_session(
    request: pytest.FixtureRequest, hub: Hub, time_limit: float, *, virtual: bool
) -> _GreenSession:
    errors: ErrorRecorder = request.getfixturevalue("hub_errors")
    hub.error_hook = errors.record
    session = _GreenSession(hub=hub, errors=errors, time_limit=time_limit, virtual=virtual)
    session.previous_hub = set_hub(hub)
    request.node.stash[_SESSION_KEY] = session
    return session


def _close_session(session: _GreenSession) -> None:
    hub = session.hub
    try:
        _kill_leftovers(hub)
    finally:
        hub.close()
        set_hub(session.previous_hub)
    session.errors.check()


def _kill_leftovers(hub: Hub) -> None:
    """Kill the procs a test left running, so their cleanup runs inside the test's hub."""
    leftovers = [proc for proc in hub.procs.values() if not proc.dead]
    if not leftovers or hub._reactor_finished():
        return
    reactor = hub.reactor
    if isinstance(reactor, VirtualClockReactor):
        reactor.extend_real_time_limit(_TEARDOWN_GRACE)
    killall(leftovers)
    grace = None if isinstance(reactor, VirtualClockReactor) else _TEARDOWN_GRACE
    with Timeout(grace, False):
        waitall(leftovers, trap_errors=True)


_SESSION_KEY = pytest.StashKey[_GreenSession]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "eventlib_time_limit",
        "real-time limit in seconds for tests run by eventlib's fixtures (default 30)",
        default="",
    )
    parser.addini(
        "eventlib_reactor",
        "Twisted reactor the tests run on: default (the platform's) or asyncio",
        default="default",
    )
    parser.addoption(
        "--eventlib-reactor",
        choices=REACTORS,
        default=None,
        help="Twisted reactor the tests run on: the platform default or asyncio",
    )


def selected_reactor(config: pytest.Config) -> str:
    """The reactor chosen by ``--eventlib-reactor`` or the ``eventlib_reactor`` ini option."""
    value = config.getoption("--eventlib-reactor", default=None) or config.getini(
        "eventlib_reactor"
    )
    if value not in REACTORS:
        raise pytest.UsageError(
            f"eventlib_reactor = {value!r}: choose one of {', '.join(REACTORS)}"
        )
    return str(value)


def _install_asyncio_reactor() -> None:
    if "twisted.internet.reactor" in sys.modules:
        from twisted.internet import reactor  # noqa: PLC0415 - only to name it in the error

        if getattr(reactor, "_asyncioEventloop", None) is not None:
            return  # installed already, e.g. by a conftest: nothing to do
        raise pytest.UsageError(
            f"--eventlib-reactor=asyncio: {type(reactor).__name__} is installed already "
            "(something imported twisted.internet.reactor before pytest configured); "
            "import it lazily, inside the tests"
        )
    from twisted.internet import asyncioreactor  # noqa: PLC0415 - installs on demand only

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    asyncioreactor.install(loop)  # type: ignore[no-untyped-call]


def pytest_report_header(config: pytest.Config) -> str:
    return f"eventlib reactor: {selected_reactor(config)}"


def pytest_unconfigure(config: pytest.Config) -> None:
    reactor = sys.modules.get("twisted.internet.reactor")
    pool = getattr(reactor, "threadpool", None)
    if pool is not None and pool.started:
        pool.stop()  # its threads are not daemons: stop them, or the interpreter cannot exit
    if selected_reactor(config) != "asyncio":
        return
    loop = getattr(reactor, "_asyncioEventloop", None)
    if loop is not None and not loop.is_running():
        asyncio.set_event_loop(None)
        loop.close()


def pytest_configure(config: pytest.Config) -> None:
    if selected_reactor(config) == "asyncio":
        _install_asyncio_reactor()
    config.addinivalue_line(
        "markers",
        "eventlib(time_limit=30, autojump=True, autojump_threshold=0.0): options of "
        "eventlib's virtual_clock / real_reactor fixtures",
    )


@pytest.fixture
def hub_errors() -> ErrorRecorder:
    """Errors reported to the hub during the test (see :class:`ErrorRecorder`)."""
    return ErrorRecorder()


@pytest.fixture
def virtual_clock(request: pytest.FixtureRequest) -> Iterator[VirtualClock]:
    """Run the test as a proc on a fresh hub with an autojumping virtual clock."""
    options = _marker_options(request)
    time_limit = _time_limit(request, options)
    reactor = VirtualClockReactor(
        autojump=options.get("autojump", True),
        autojump_threshold=options.get("autojump_threshold", 0.0),
        real_time_limit=time_limit,
    )
    session = _open_session(request, Hub(reactor), time_limit, virtual=True)
    try:
        yield VirtualClock(reactor)
    finally:
        try:
            _close_session(session)
        finally:
            _close_reactor(reactor)


def _close_reactor(reactor: VirtualClockReactor) -> None:
    for call in reactor.getDelayedCalls():
        call.cancel()
    reactor.removeAll()
    waker = getattr(reactor, "waker", None)
    if waker is not None:
        reactor.removeReader(waker)
        waker.connectionLost(None)
    reactor._poller.close()


@pytest.fixture
def real_reactor(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Run the test as a proc on a fresh hub over the installed Twisted reactor.

    The fixture's value is the reactor. Timers and descriptors the test left
    behind are removed afterwards.
    """
    from twisted.internet import reactor as installed  # noqa: PLC0415 - installs the default

    reactor: Any = installed
    options = _marker_options(request)
    time_limit = _time_limit(request, options)
    before_calls = set(reactor.getDelayedCalls())
    before_readers = set(reactor.getReaders())
    before_writers = set(reactor.getWriters())
    session = _open_session(request, Hub(reactor), time_limit, virtual=False)
    try:
        yield reactor
    finally:
        try:
            _close_session(session)
        finally:
            for call in reactor.getDelayedCalls():
                if call not in before_calls and call.active():
                    call.cancel()
            leftovers = (set(reactor.getReaders()) - before_readers) | (
                set(reactor.getWriters()) - before_writers
            )
            for selectable in leftovers:
                _drop_selectable(reactor, selectable)


def _drop_selectable(reactor: Any, selectable: Any) -> None:
    """Unregister a connection or port a test left open, and close its socket."""
    reactor.removeReader(selectable)
    reactor.removeWriter(selectable)
    if hasattr(selectable, "socket") and hasattr(selectable, "connectionLost"):
        try:
            reason = Failure(ConnectionAborted("left open by the test"))  # type: ignore[no-untyped-call]
            selectable.connectionLost(reason)
        except Exception:
            return


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run the test function as a proc when it uses virtual_clock or real_reactor."""
    session = pyfuncitem.stash.get(_SESSION_KEY, None)
    if session is None:
        return None
    hub = session.hub
    set_hub(hub)
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    body = Proc(name=pyfuncitem.name)
    # Bound first: a test argument may be called `function`, like run()'s own parameter.
    body.run(functools.partial(pyfuncitem.obj, **kwargs))
    # A virtual clock's real-time limit is enforced by its reactor; a real one needs a timer.
    limit = (
        None
        if session.virtual
        else hub.schedule_call_global(session.time_limit, _over_time, body, session.time_limit)
    )
    try:
        body.wait()
    finally:
        if limit is not None:
            limit.cancel()
        # The body's own failure is the test's failure, not an unexpected hub error.
        session.errors.errors = [e for e in session.errors.errors if e.context is not body]
    return True


def _over_time(body: Proc, time_limit: float) -> None:
    body.throw(RealTimeLimitError(f"the test did not finish within {time_limit} real seconds"))

"""The two run modes and the reactors, each in a fresh interpreter (reactors don't mix)."""

import subprocess
import sys
import textwrap

import pytest


def run_script(source: str, timeout: float = 60) -> str:
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_implicit_mode_starts_reactor_on_first_blocking_call():
    """Without join_reactor, MAIN_LOOP is a child of the main greenlet started on demand."""
    out = run_script(
        """
        from greenlet import getcurrent
        import eventlib
        main = getcurrent()
        hub = eventlib.get_hub()
        assert not hub.greenlet, "MAIN_LOOP must not run before the first blocking call"
        assert hub.greenlet.parent is main
        p = eventlib.spawn(lambda: (eventlib.sleep(0.01), 42)[1])
        print(p.wait())
        q = eventlib.Queue()
        eventlib.spawn(q.put, "from a proc")
        print(q.get())
        """
    )
    assert out.split() == ["42", "from", "a", "proc"]


def test_join_reactor_makes_main_greenlet_main_loop():
    """With join_reactor the program runs reactor.run() and blocks only inside procs."""
    out = run_script(
        """
        from greenlet import getcurrent
        from eventlib.twistedutil import join_reactor
        from twisted.internet import reactor
        import eventlib
        from eventlib.hub import BlockingInMainLoopError

        assert eventlib.get_hub().greenlet is getcurrent()
        try:
            eventlib.sleep(0)
        except BlockingInMainLoopError:
            print("refused")

        def main():
            eventlib.sleep(0.01)
            results = eventlib.waitall([eventlib.spawn(lambda n=n: n * n) for n in range(4)])
            print(results)
            reactor.stop()

        eventlib.spawn(main)
        reactor.run()
        print("done")
        """
    )
    assert out.splitlines() == ["refused", "[0, 1, 4, 9]", "done"]


def test_join_reactor_twice_is_an_error():
    """Importing join_reactor when the thread already has a hub raises RuntimeError."""
    out = run_script(
        """
        import eventlib
        eventlib.get_hub()
        try:
            from eventlib.twistedutil import join_reactor
        except RuntimeError as exc:
            print(exc)
        """
    )
    assert "already has a hub" in out


@pytest.mark.parametrize("mode", ["implicit", "joined"])
def test_asyncio_reactor_runs_green_code_beside_coroutines(mode):
    """Under Twisted's asyncio reactor, procs and asyncio coroutines run side by side."""
    out = run_script(
        f"""
        import asyncio
        from twisted.internet import asyncioreactor
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        asyncioreactor.install(loop)
        if {mode!r} == "joined":
            from eventlib.twistedutil import join_reactor
        from twisted.internet import reactor
        import eventlib

        # Each side waits for the other (no race of two timers): the proc sleeps on a
        # hub timer, then wakes the coroutine, which sleeps on an asyncio timer and answers.
        async def coroutine(q, woken):
            await woken
            await asyncio.sleep(0.01)
            q.put("coroutine")

        def green(q, woken):
            eventlib.sleep(0.01)
            q.put("green")
            woken.set_result(None)

        def main():
            q = eventlib.Queue()
            woken = loop.create_future()
            asyncio.ensure_future(coroutine(q, woken))
            eventlib.spawn(green, q, woken)
            print(q.get(), q.get())

        if {mode!r} == "joined":
            eventlib.spawn(main).link(lambda p: reactor.stop())
            reactor.run()
        else:
            main()
        """
    )
    assert out.split() == ["green", "coroutine"]


def test_close_ends_main_loop_that_woke_main_from_an_asyncio_timer():
    """Under the asyncio reactor, close() returns after MAIN_LOOP woke main from a timer."""
    # MAIN_LOOP is then suspended inside Twisted's timed-call runner, which swallows the
    # GreenletExit close() throws: the loop used to run on and close() never returned.
    out = run_script(
        """
        import asyncio
        from twisted.internet import asyncioreactor
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        asyncioreactor.install(loop)
        import eventlib

        eventlib.sleep(0.01)
        hub = eventlib.get_hub()
        hub.close()
        print("closed", hub.greenlet.dead)
        """,
        timeout=20,
    )
    assert out.split() == ["closed", "True"]


def test_reactor_stop_in_implicit_mode_raises_hub_stopped():
    """A green wait in progress when the reactor stops gets HubStoppedError, not a hang."""
    out = run_script(
        """
        from twisted.internet import reactor
        import eventlib
        from eventlib.hub import HubStoppedError
        eventlib.spawn_after(0.01, reactor.stop)
        try:
            eventlib.sleep(10)
        except HubStoppedError as exc:
            print("stopped")
        try:
            eventlib.sleep(0)
        except HubStoppedError as exc:
            print("still stopped")
        """
    )
    assert out.split("\n")[:2] == ["stopped", "still stopped"]


def test_keyboard_interrupt_in_a_proc_reaches_main():
    """KeyboardInterrupt raised in a proc propagates out of the hub to the main greenlet."""
    out = run_script(
        """
        import eventlib
        import structlog
        structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
        def interrupt():
            raise KeyboardInterrupt
        eventlib.spawn(interrupt)
        try:
            eventlib.sleep(1)
        except KeyboardInterrupt:
            print("interrupted")
        """
    )
    assert out.strip() == "interrupted"


def test_blocking_after_reactor_stop_is_an_assertion_error_as_in_the_original():
    """Classic code catching AssertionError ('reactor is not running') still catches it."""
    out = run_script(
        """
        from twisted.internet import reactor
        from eventlib import api
        api.call_after_global(0.01, reactor.stop)
        try:
            api.sleep(10)
        except AssertionError as exc:
            print(type(exc).__name__)
        """
    )
    assert out.split("\n")[0] == "HubStoppedError"

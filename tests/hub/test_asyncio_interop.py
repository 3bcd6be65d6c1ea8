"""Procs and events awaited from asyncio coroutines under Twisted's asyncio reactor."""

import subprocess
import sys
import textwrap


def run_script(source: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", PRELUDE + textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


PRELUDE = """
import asyncio
from twisted.internet import asyncioreactor
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
asyncioreactor.install(loop)
import eventlib
"""


def test_coroutine_awaits_a_proc():
    """await proc gives a coroutine the proc's value without blocking the loop."""
    out = run_script(
        """
        def green():
            eventlib.sleep(0.01)
            return 42

        async def coroutine():
            return await eventlib.spawn(green)

        task = asyncio.ensure_future(coroutine())
        done = eventlib.Event()
        task.add_done_callback(lambda t: done.send(t.result()))
        print(done.wait())
        """
    )
    assert out.split() == ["42"]


def test_coroutine_gets_the_procs_exception():
    """await proc re-raises the proc's exception in the coroutine."""
    out = run_script(
        """
        eventlib.get_hub().error_hook = lambda context, exc_info: None

        def green():
            raise KeyError("lost")

        async def coroutine():
            try:
                await eventlib.spawn(green)
            except KeyError as exc:
                return f"caught {exc}"

        task = asyncio.ensure_future(coroutine())
        done = eventlib.Event()
        task.add_done_callback(lambda t: done.send(t.result()))
        print(done.wait())
        """
    )
    assert out.strip() == "caught 'lost'"


def test_coroutine_awaits_a_green_event():
    """await event returns what the green side sent."""
    out = run_script(
        """
        event = eventlib.Event()

        async def coroutine():
            return await event

        task = asyncio.ensure_future(coroutine())
        eventlib.spawn_after(0.01, event.send, "sent by a proc")
        done = eventlib.Event()
        task.add_done_callback(lambda t: done.send(t.result()))
        print(done.wait())
        """
    )
    assert out.strip() == "sent by a proc"


def test_cancelled_coroutine_leaves_no_waiter():
    """Cancelling a coroutine awaiting an event removes it from the event's waiters."""
    out = run_script(
        """
        event = eventlib.Event()

        async def coroutine():
            await event

        task = asyncio.ensure_future(coroutine())
        eventlib.sleep(0.01)
        print(event.statistics().waiters)
        task.cancel()
        eventlib.sleep(0.01)
        print(event.statistics().waiters)
        """
    )
    assert out.split() == ["1", "0"]


def test_proc_blocks_on_a_coroutine():
    """block_on(coroutine) from a proc returns the coroutine's result."""
    out = run_script(
        """
        from eventlib.twistedutil import block_on

        async def later():
            await asyncio.sleep(0.01)
            return "from asyncio"

        print(eventlib.spawn(lambda: block_on(later())).wait())
        """
    )
    assert out.strip() == "from asyncio"


def test_block_on_coroutine_raises_its_exception():
    """block_on(coroutine) re-raises what the coroutine raised."""
    out = run_script(
        """
        from eventlib.twistedutil import block_on

        async def failing():
            raise LookupError("nope")

        try:
            block_on(failing())
        except LookupError as exc:
            print("raised", exc)
        """
    )
    assert out.strip() == "raised nope"


def test_block_on_coroutine_needs_the_asyncio_reactor():
    """Without the asyncio reactor, block_on(coroutine) is a clear TypeError."""
    completed = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            textwrap.dedent(
                """
                import asyncio, eventlib
                from eventlib.twistedutil import block_on
                try:
                    block_on(asyncio.sleep(0))
                except TypeError as exc:
                    print(exc)
                """
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "asyncio reactor" in completed.stdout


def test_asyncio_mix_example_runs():
    """examples/asyncio_mix.py: green clients of an asyncio server, a coroutine awaiting procs."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-m", "examples.asyncio_mix"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "lengths: [8, 2, 7]" in completed.stdout
    assert "awaiting procs: 45" in completed.stdout


def test_close_ends_main_loop_parked_inside_a_twisted_timed_call():
    """hub.close() returns when MAIN_LOOP last switched out from a Twisted timed call.

    A sleep's timer wakes the main greenlet from inside Twisted's runUntilCurrent,
    whose error handler swallows the GreenletExit that close() throws; the asyncio
    loop must stop by itself instead of running forever.
    """
    completed = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            PRELUDE + "eventlib.sleep(0.01)\neventlib.get_hub().close()\nprint('closed')\n",
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["closed"]
    assert "GreenletExit" not in completed.stderr

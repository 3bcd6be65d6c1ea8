"""The eventlib.testing pytest plugin, exercised the way a user's test suite uses it."""

import pytest

pytestmark = pytest.mark.timeout(120)


def run(pytester, source, *args):
    pytester.makepyfile(source)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", *args)


def test_virtual_clock_runs_body_as_a_proc(pytester):
    """A test using virtual_clock runs inside a proc, with instant virtual sleeps."""
    result = run(
        pytester,
        """
        import time
        import eventlib

        def test_hour(virtual_clock):
            assert eventlib.current_proc() is not None
            started = time.monotonic()
            eventlib.sleep(3600)
            assert virtual_clock.now() == 3600
            assert time.monotonic() - started < 1
        """,
    )
    result.assert_outcomes(passed=1)


def test_advance_with_autojump_off(pytester):
    """With autojump off, time moves only through advance(), timers firing on the way."""
    result = run(
        pytester,
        """
        import pytest
        import eventlib

        @pytest.mark.eventlib(autojump=False)
        def test_manual(virtual_clock):
            fired = []
            eventlib.schedule_call_global(5, fired.append, "five")
            eventlib.schedule_call_global(15, fired.append, "fifteen")
            virtual_clock.advance(10)
            assert virtual_clock.now() == 10
            assert fired == ["five"]
        """,
    )
    result.assert_outcomes(passed=1)


def test_unexpected_proc_crash_fails_the_test(pytester):
    """A proc crash nobody expected fails the test and shows the traceback."""
    result = run(
        pytester,
        """
        import eventlib

        def test_crash(virtual_clock):
            eventlib.spawn(lambda: 1 / 0)
            eventlib.sleep(1)
        """,
    )
    result.assert_outcomes(errors=1, passed=1)
    result.stdout.fnmatch_lines(
        ["*unexpected error(s) reported to the hub*", "*ZeroDivisionError*"]
    )


def test_expected_crash_passes(pytester):
    """hub_errors.expect() lets an intended crash through."""
    result = run(
        pytester,
        """
        import eventlib

        def test_crash(virtual_clock, hub_errors):
            hub_errors.expect(ZeroDivisionError)
            eventlib.spawn(lambda: 1 / 0)
            eventlib.sleep(1)
            assert len(hub_errors.errors) == 1
        """,
    )
    result.assert_outcomes(passed=1)


def test_body_exception_is_the_test_failure(pytester):
    """An assertion in the body fails the test once, not also as a hub error."""
    result = run(
        pytester,
        """
        def test_fails(virtual_clock):
            assert 1 == 2
        """,
    )
    result.assert_outcomes(failed=1)
    assert "reported to the hub" not in result.stdout.str()


def test_deadlock_fails_instead_of_hanging(pytester):
    """Waiting forever on the virtual clock fails with DeadlockError."""
    result = run(
        pytester,
        """
        import eventlib

        def test_stuck(virtual_clock):
            eventlib.Event().wait()
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*DeadlockError*"])


def test_real_time_limit_fails_a_hanging_io_test(pytester):
    """A real-reactor test that waits too long fails with RealTimeLimitError."""
    result = run(
        pytester,
        """
        import pytest
        import eventlib

        @pytest.mark.eventlib(time_limit=0.2)
        def test_slow(real_reactor):
            eventlib.sleep(30)
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RealTimeLimitError*0.2 real seconds*"])


def test_virtual_time_limit_catches_busy_ping_pong(pytester):
    """Procs that wake each other forever trip the virtual hub's real-time limit."""
    result = run(
        pytester,
        """
        import pytest
        import eventlib

        @pytest.mark.eventlib(time_limit=0.3)
        def test_busy(virtual_clock):
            while True:
                eventlib.sleep(0)
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RealTimeLimitError*"])


def test_leftover_procs_are_killed_at_teardown(pytester):
    """Procs a test leaves running are killed, and their cleanup runs."""
    result = run(
        pytester,
        """
        import eventlib

        cleaned = []

        def forever():
            try:
                eventlib.sleep(10**6)
            finally:
                cleaned.append(True)

        def test_leaves_a_proc(virtual_clock):
            eventlib.spawn(forever)
            eventlib.sleep(1)

        def test_cleanup_ran():
            assert cleaned == [True]
        """,
    )
    result.assert_outcomes(passed=2)


def test_real_reactor_fixture_does_io(pytester):
    """real_reactor gives the installed reactor and real time."""
    result = run(
        pytester,
        """
        import time
        import eventlib
        from twisted.internet import reactor as installed

        def test_io(real_reactor):
            assert real_reactor is installed
            started = time.monotonic()
            eventlib.sleep(0.05)
            assert time.monotonic() - started >= 0.04
        """,
    )
    result.assert_outcomes(passed=1)


def test_ini_time_limit(pytester):
    """The eventlib_time_limit ini option sets the default limit."""
    pytester.makeini("[pytest]\neventlib_time_limit = 0.2\n")
    result = run(
        pytester,
        """
        import eventlib

        def test_slow(real_reactor):
            eventlib.sleep(30)
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RealTimeLimitError*"])


def test_crash_the_test_waited_for_is_not_unexpected(pytester):
    """A crash whose exception the test received from wait() needs no expect()."""
    result = run(
        pytester,
        """
        import pytest
        import eventlib

        def test_waits_for_the_crash(virtual_clock):
            proc = eventlib.spawn(lambda: 1 / 0)
            with pytest.raises(ZeroDivisionError):
                proc.wait()
        """,
    )
    result.assert_outcomes(passed=1)


def test_asking_for_both_clocks_is_a_usage_error(pytester):
    """A test that asks for virtual_clock and real_reactor errors out naming both."""
    result = run(
        pytester,
        """
        def test_both(virtual_clock, real_reactor):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*UsageError*both virtual_clock and real_reactor*"])


def test_misspelt_marker_option_is_a_usage_error(pytester):
    """An unknown option of the eventlib marker errors out instead of being ignored."""
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.eventlib(autojmp=False)
        def test_typo(virtual_clock):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*UsageError*autojump*got autojmp=*"])


def test_a_test_argument_named_function_is_passed_through(pytester):
    """A parametrized argument called `function` reaches the test (no clash with Proc.run)."""
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.parametrize("function", [len])
        def test_named_function(virtual_clock, function):
            assert function("ab") == 2
        """,
    )
    result.assert_outcomes(passed=1)


REACTOR_TEST = """
def test_reactor(real_reactor):
    print("reactor:", type(real_reactor).__name__)
"""


@pytest.mark.parametrize(
    ("args", "ini", "reactor"),
    [
        ((), "", "EPollReactor"),
        (("--eventlib-reactor=asyncio",), "", "AsyncioSelectorReactor"),
        ((), "[pytest]\neventlib_reactor = asyncio\n", "AsyncioSelectorReactor"),
        (("--eventlib-reactor=default",), "[pytest]\neventlib_reactor = asyncio\n", "EPollReactor"),
    ],
)
def test_reactor_option_picks_the_reactor(pytester, args, ini, reactor):
    """--eventlib-reactor (or the eventlib_reactor ini option) picks the installed reactor."""
    if ini:
        pytester.makeini(ini)
    result = run(pytester, REACTOR_TEST, "-s", *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*reactor: {reactor}*"])


def test_bad_reactor_name_in_the_ini_file_is_a_usage_error(pytester):
    """An unknown eventlib_reactor value stops the run with the choices."""
    pytester.makeini("[pytest]\neventlib_reactor = uvloop\n")
    result = run(pytester, REACTOR_TEST)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*eventlib_reactor = 'uvloop': choose one of default, asyncio*"])


def test_asyncio_reactor_after_another_reactor_was_installed_is_a_usage_error(pytester):
    """A conftest that installed the default reactor first makes the option fail clearly."""
    pytester.makeconftest("from twisted.internet import reactor\n")
    result = run(pytester, REACTOR_TEST, "--eventlib-reactor=asyncio")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*EPollReactor is installed already*"])

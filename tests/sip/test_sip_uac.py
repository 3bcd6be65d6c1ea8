"""The green UAC example (examples/sip_uac.py): argument errors are refused at once."""

from __future__ import annotations

import pytest

from examples.sip_uac import main, run_calls

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(("calls", "concurrency"), [(5, 0), (5, -1), (-1, 2), (5, 1.5)])
def test_run_calls_refuses_counts_that_could_never_run(calls, concurrency):
    """A concurrency below 1 would block forever on its semaphore: ValueError instead."""
    with pytest.raises(ValueError, match="must be an integer"):
        run_calls(("127.0.0.1", 5060), calls, concurrency)


@pytest.mark.parametrize("target", ["127.0.0.1", "127.0.0.1:port", ":5060", "h:70000"])
def test_main_refuses_a_target_that_is_not_host_and_port(target, capsys):
    """--target must be host:port; anything else exits with a usage error naming the form."""
    with pytest.raises(SystemExit) as exited:
        main(["--target", target])
    assert exited.value.code == 2
    assert "--target must be host:port" in capsys.readouterr().err

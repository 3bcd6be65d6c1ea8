"""Bad supervisor arguments fail at once with a sentence naming the fix (issue 11.5, 11.6)."""

import pytest

import eventlib
from eventlib.hub import get_hub
from eventlib.mailbox import Actor
from eventlib.supervisor import (
    Backoff,
    ChildSpec,
    DynamicSupervisor,
    InvalidChildSpec,
    InvalidSupervisorFlags,
    Supervisor,
)


def loop():
    eventlib.sleep(100)


def start():
    return eventlib.spawn(loop)


class Echo(Actor):
    def handle(self, message):
        return message


# -- child specs: the message is a sentence, the OTP atom an attribute ------


@pytest.mark.parametrize(
    ("kwargs", "reason", "phrases"),
    [
        ({"restart": "forever"}, "invalid_restart_type", ["'permanent', 'transient'"]),
        ({"shutdown": -1}, "invalid_shutdown", ["seconds >= 0", "BRUTAL_KILL"]),
        ({"type": "manager"}, "invalid_child_type", ["'worker' or 'supervisor'"]),
        ({"significant": "yes"}, "invalid_significant", ["True or False"]),
        ({"significant": True}, "bad_combination", ["cannot be permanent", "'transient'"]),
        ({"args": "xy"}, "invalid_args", ["tuple", "args=(value,)"]),
        ({"args": 5}, "invalid_args", ["tuple", "got 5 (int)"]),
    ],
)
def test_invalid_field_message_says_what_is_allowed(virtual_clock, kwargs, reason, phrases):
    """Each invalid field gives a sentence with what is allowed; the atom stays in .reason."""
    with pytest.raises(InvalidChildSpec) as caught:
        ChildSpec("a", start, **kwargs)
    assert caught.value.reason == reason
    message = str(caught.value)
    assert reason not in message
    for phrase in phrases:
        assert phrase in message


def test_start_given_a_running_proc_names_the_lambda_pattern(virtual_clock):
    """start=<a Proc> says start must return a Proc and shows lambda: eventlib.spawn(...)."""
    proc = eventlib.spawn(loop)
    with pytest.raises(InvalidChildSpec) as caught:
        ChildSpec("a", proc)
    assert caught.value.reason == "invalid_mfa"
    assert "start must be a callable that returns a Proc; got a Proc" in str(caught.value)
    assert "lambda: eventlib.spawn(loop)" in str(caught.value)
    proc.kill()


def test_start_given_an_actor_instance_names_its_spawn(virtual_clock):
    """start=<an Actor instance> points at the class's spawn."""
    with pytest.raises(InvalidChildSpec, match=r"start=Echo\.spawn"):
        ChildSpec("a", Echo())


def test_args_list_is_accepted_as_a_tuple(virtual_clock):
    """args may be a list; it is kept as a tuple."""
    assert ChildSpec("a", start, args=[1, 2]).args == (1, 2)


def test_significant_child_under_never_names_auto_shutdown(virtual_clock):
    """A significant child under auto_shutdown='never' says which auto_shutdown to set."""
    spec = ChildSpec("a", start, restart="transient", significant=True)
    with pytest.raises(InvalidChildSpec, match="auto_shutdown='any_significant'"):
        Supervisor([spec])


def test_duplicate_ids_message_names_the_id(virtual_clock):
    """Two children with one id: the message names the id and the rule."""
    with pytest.raises(InvalidChildSpec, match="two children have the id 'a'"):
        Supervisor([ChildSpec("a", start), ChildSpec("a", start)])


# -- supervisor arguments ---------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reason", "phrase"),
    [
        ({"backoff": 5}, "invalid_backoff", "backoff must be None or a Backoff; got 5 (int)"),
        ({"strategy": "one_for_some"}, "invalid_strategy", "'one_for_one', 'one_for_all'"),
        ({"max_restarts": True}, "invalid_intensity", "max_restarts must be an int >= 0"),
        ({"max_seconds": "5"}, "invalid_period", "max_seconds must be a number of seconds > 0"),
        ({"auto_shutdown": "x"}, "invalid_auto_shutdown", "'never', 'any_significant'"),
    ],
)
def test_bad_supervisor_argument_fails_before_anything_runs(virtual_clock, kwargs, reason, phrase):
    """A bad argument raises in the constructor, names what is allowed, and starts no proc."""
    before = set(get_hub().procs)
    with pytest.raises(InvalidSupervisorFlags) as caught:
        Supervisor([ChildSpec("a", start)], **kwargs)
    assert caught.value.reason == reason
    assert phrase in str(caught.value)
    assert set(get_hub().procs) == before


def test_one_spec_instead_of_a_list_says_to_wrap_it(virtual_clock):
    """Supervisor(spec) instead of Supervisor([spec]) says to wrap it in a list."""
    with pytest.raises(InvalidSupervisorFlags, match=r"Wrap one spec in a list: \[spec\]"):
        Supervisor(ChildSpec("a", start))


@pytest.mark.parametrize("max_children", [-1, True, "3", 1.5])
def test_dynamic_supervisor_rejects_a_bad_max_children(virtual_clock, max_children):
    """max_children is None or an int >= 0 (not a bool, not a str)."""
    with pytest.raises(InvalidSupervisorFlags, match="max_children must be None") as caught:
        DynamicSupervisor(ChildSpec("s", start), max_children=max_children)
    assert caught.value.reason == "invalid_max_children"


def test_dynamic_supervisor_rejects_a_template_that_is_not_a_spec(virtual_clock):
    """DynamicSupervisor(start) instead of a ChildSpec says so at once."""
    with pytest.raises(InvalidSupervisorFlags, match="spec must be a ChildSpec"):
        DynamicSupervisor(start)


def test_dynamic_supervisor_accepts_zero_max_children(virtual_clock):
    """max_children=0 is valid (Elixir's rule): every start is refused."""
    sup = DynamicSupervisor(ChildSpec("s", start), max_children=0)
    assert sup.max_children == 0
    sup.stop()


# -- Backoff ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "phrase"),
    [
        ({"initial": "1"}, TypeError, "Backoff initial must be a number of seconds"),
        ({"initial": -1}, ValueError, "Backoff initial must be a number of seconds >= 0"),
        ({"factor": 0.5}, ValueError, "Backoff factor must be a number >= 1"),
        ({"factor": None}, TypeError, "Backoff factor must be a number >= 1"),
        ({"maximum": 1, "initial": 5}, ValueError, "maximum (1) must be >= initial (5)"),
        ({"reset_after": 0}, ValueError, "Backoff reset_after must be a number of seconds > 0"),
    ],
)
def test_backoff_rejects_bad_fields(kwargs, error, phrase):
    """Backoff checks every field when built, naming the field and the range allowed."""
    with pytest.raises(error) as caught:
        Backoff(**kwargs)
    assert phrase in str(caught.value)

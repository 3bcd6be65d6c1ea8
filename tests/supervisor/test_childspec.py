"""Child specs and supervisor flags: defaults and validation (OTP_SUPERVISOR.md §3-§6)."""

import pytest
from supervisor_helpers import Lab

import eventlib
from eventlib.hub import get_hub
from eventlib.supervisor import (
    BRUTAL_KILL,
    INFINITY,
    AutoShutdown,
    ChildSpec,
    ChildType,
    InvalidChildSpec,
    InvalidSupervisorFlags,
    Restart,
    Strategy,
    Supervisor,
    check_childspecs,
)


def start():
    return eventlib.spawn(eventlib.sleep, 1)


# -- child spec defaults ----------------------------------------------------


def test_child_spec_defaults_to_a_permanent_worker(virtual_clock):
    """OTP §4: restart defaults to permanent and type to worker."""
    spec = ChildSpec("a", start)
    assert spec.restart is Restart.PERMANENT
    assert spec.type is ChildType.WORKER


def test_worker_shutdown_defaults_to_five_seconds(virtual_clock):
    """OTP §4: a worker's shutdown defaults to 5000 ms (5 s here)."""
    assert ChildSpec("a", start).shutdown == 5.0


def test_supervisor_shutdown_defaults_to_infinity(virtual_clock):
    """OTP §4: a supervisor child's shutdown defaults to infinity."""
    assert ChildSpec("a", start, type="supervisor").shutdown is INFINITY


def test_significant_defaults_to_false(virtual_clock):
    """OTP §4: significant defaults to false."""
    assert ChildSpec("a", start).significant is False


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("restart", "transient", Restart.TRANSIENT),
        ("restart", "temporary", Restart.TEMPORARY),
        ("type", "supervisor", ChildType.SUPERVISOR),
        ("shutdown", "brutal_kill", BRUTAL_KILL),
        ("shutdown", "infinity", INFINITY),
        ("shutdown", float("inf"), INFINITY),
        ("shutdown", 0, 0.0),
        ("shutdown", 2.5, 2.5),
    ],
)
def test_child_spec_accepts_otp_values(virtual_clock, field, value, expected):
    """OTP §4: restart, type and shutdown accept OTP's atoms (as strings) and times >= 0."""
    assert getattr(ChildSpec("a", start, **{field: value}), field) == expected


# -- child spec errors ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"restart": "sometimes"}, "invalid_restart_type"),
        ({"shutdown": -1}, "invalid_shutdown"),
        ({"shutdown": "soon"}, "invalid_shutdown"),
        ({"shutdown": True}, "invalid_shutdown"),
        ({"shutdown": float("nan")}, "invalid_shutdown"),
        ({"type": "manager"}, "invalid_child_type"),
        ({"significant": "yes"}, "invalid_significant"),
        ({"significant": 1}, "invalid_significant"),
    ],
)
def test_invalid_child_spec_field_is_rejected_with_otp_reason(virtual_clock, kwargs, reason):
    """OTP §6: an invalid field is rejected with OTP's reason (invalid_restart_type, ...)."""
    with pytest.raises(InvalidChildSpec) as caught:
        ChildSpec("a", start, **kwargs)
    assert caught.value.reason == reason


def test_missing_id_is_rejected(virtual_clock):
    """OTP §6: a spec without an id is rejected with missing_id."""
    with pytest.raises(InvalidChildSpec) as caught:
        ChildSpec(None, start)
    assert caught.value.reason == "missing_id"


def test_missing_start_is_rejected(virtual_clock):
    """OTP §6: a spec without a start function is rejected with missing_start."""
    with pytest.raises(InvalidChildSpec) as caught:
        ChildSpec("a")
    assert caught.value.reason == "missing_start"


def test_uncallable_start_is_rejected_as_invalid_mfa(virtual_clock):
    """OTP §6: a start that cannot be called is rejected with invalid_mfa."""
    with pytest.raises(InvalidChildSpec) as caught:
        ChildSpec("a", "not callable")
    assert caught.value.reason == "invalid_mfa"


def test_permanent_significant_child_is_a_bad_combination(virtual_clock):
    """OTP §5: permanent + significant is {bad_combination, [{restart,permanent}, ...]}."""
    with pytest.raises(InvalidChildSpec) as caught:
        ChildSpec("a", start, significant=True)
    assert caught.value.reason == "bad_combination"
    assert caught.value.detail == [("restart", "permanent"), ("significant", True)]


@pytest.mark.parametrize("restart", ["transient", "temporary"])
def test_significant_transient_or_temporary_spec_is_valid(virtual_clock, restart):
    """OTP §5: a transient or temporary child may be significant."""
    assert ChildSpec("a", start, restart=restart, significant=True).significant


# -- supervisor flags -------------------------------------------------------


def test_supervisor_flags_default_to_otp_defaults(virtual_clock):
    """OTP §3: strategy one_for_one, intensity 1, period 5, auto_shutdown never."""
    sup = Supervisor()
    assert sup.strategy is Strategy.ONE_FOR_ONE
    assert sup.max_restarts == 1
    assert sup.max_seconds == 5
    assert sup.auto_shutdown is AutoShutdown.NEVER
    sup.stop()


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        ({"strategy": "one_for_some"}, "invalid_strategy"),
        ({"strategy": "simple_one_for_one"}, "invalid_strategy"),
        ({"max_restarts": -1}, "invalid_intensity"),
        ({"max_restarts": 1.5}, "invalid_intensity"),
        ({"max_restarts": True}, "invalid_intensity"),
        ({"max_restarts": "3"}, "invalid_intensity"),
        ({"max_seconds": 0}, "invalid_period"),
        ({"max_seconds": -5}, "invalid_period"),
        ({"max_seconds": "5"}, "invalid_period"),
        ({"max_seconds": False}, "invalid_period"),
        ({"auto_shutdown": "sometimes"}, "invalid_auto_shutdown"),
    ],
)
def test_invalid_supervisor_flags_fail_the_start(virtual_clock, flags, reason):
    """OTP §3: bad flags fail the start with {supervisor_data, {invalid_..., _}}."""
    before = set(get_hub().procs)
    with pytest.raises(InvalidSupervisorFlags) as caught:
        Supervisor(**flags)
    assert caught.value.reason == reason
    assert set(get_hub().procs) == before


def test_intensity_zero_is_a_valid_flag(virtual_clock):
    """OTP §3: intensity is an integer >= 0, so 0 is allowed."""
    sup = Supervisor(max_restarts=0)
    assert sup.max_restarts == 0
    sup.stop()


def test_duplicate_child_ids_fail_the_start(virtual_clock, lab: Lab):
    """OTP §6/§7: two init specs with one id fail with {duplicate_child_name, Id}."""
    with pytest.raises(InvalidChildSpec) as caught:
        Supervisor([lab.spec("a"), lab.spec("a")])
    assert caught.value.reason == "duplicate_child_name"
    assert caught.value.detail == "a"
    assert lab.starts == []


def test_significant_child_under_auto_shutdown_never_fails_the_start(virtual_clock, lab: Lab):
    """OTP §5: significant under never is {bad_combination, [{auto_shutdown,never}, ...]}."""
    with pytest.raises(InvalidChildSpec) as caught:
        Supervisor([lab.spec("a", restart="transient", significant=True)])
    assert caught.value.reason == "bad_combination"
    assert caught.value.detail == [("auto_shutdown", "never"), ("significant", True)]
    assert lab.starts == []


def test_child_that_is_not_a_spec_fails_the_start(virtual_clock):
    """OTP §7: a bad child spec fails the start ({start_spec, R}); nothing is started."""
    with pytest.raises(InvalidChildSpec):
        Supervisor([("a", start)])


# -- check_childspecs -------------------------------------------------------


def test_check_childspecs_accepts_valid_specs(virtual_clock, lab: Lab):
    """OTP §6: check_childspecs returns ok for valid specs."""
    check_childspecs([lab.spec("a"), lab.spec("b", restart="temporary")])


def test_check_childspecs_reports_a_duplicate_id(virtual_clock, lab: Lab):
    """OTP §6: check_childspecs reports {duplicate_child_name, Id}."""
    with pytest.raises(InvalidChildSpec) as caught:
        check_childspecs([lab.spec("a"), lab.spec("b"), lab.spec("a")])
    assert caught.value.reason == "duplicate_child_name"


def test_check_childspecs_rejects_significant_under_never(virtual_clock, lab: Lab):
    """OTP §5: check_childspecs(Specs, never) rejects a significant child."""
    specs = [lab.spec("a", restart="transient", significant=True)]
    with pytest.raises(InvalidChildSpec) as caught:
        check_childspecs(specs)
    assert caught.value.reason == "bad_combination"


@pytest.mark.parametrize("auto_shutdown", ["any_significant", "all_significant"])
def test_check_childspecs_accepts_significant_under_auto_shutdown(
    virtual_clock, lab: Lab, auto_shutdown
):
    """OTP §5: check_childspecs(Specs, AutoShutdown) accepts a significant transient child."""
    check_childspecs([lab.spec("a", restart="transient", significant=True)], auto_shutdown)

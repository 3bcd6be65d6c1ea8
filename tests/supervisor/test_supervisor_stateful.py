"""The OTP restart rules as a hypothesis state machine (OTP_SUPERVISOR.md §1-§3, §6).

Random sequences of child exits (normal / shutdown / error / killed), clock jumps and
dynamic-API calls run against a real Supervisor and against a small model of the OTP
rules. After every step: the supervisor is alive exactly when the model says, it lists the
children the model lists, in the model's order, alive as the model says, with the model's
restart counts, and no proc runs that the supervisor does not list (no orphans).

Each example runs on its own hub over a fresh autojumping virtual clock, driven from the
main greenlet (hypothesis and function-scoped fixtures do not mix).
"""

from __future__ import annotations

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from supervisor_helpers import Crash, Lab, settle

import eventlib
from eventlib.hub import Hub, VirtualClockReactor, set_hub
from eventlib.proc import Proc
from eventlib.supervisor import (
    AlreadyPresent,
    AlreadyStarted,
    ChildRunning,
    ChildSpec,
    DynamicSupervisor,
    Supervisor,
)
from eventlib.testing import _close_reactor

SETTINGS = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

RESTARTS = st.sampled_from(["permanent", "transient", "temporary"])
REASONS = st.sampled_from(["normal", "shutdown", "error", "killed"])
PICK = st.integers(min_value=0, max_value=1_000)


@attrs.define
class ModelChild:
    id: str
    restart: str
    alive: bool = True
    restarts: int = 0


class SupervisorModel:
    """OTP's rules, as plainly as they can be written."""

    def __init__(self, strategy: str, max_restarts: int, max_seconds: float) -> None:
        self.strategy = strategy
        self.max_restarts = max_restarts
        self.max_seconds = max_seconds
        self.children: list[ModelChild] = []  # start order
        self.restart_times: list[float] = []
        self.dead = False

    def child_exited(self, child: ModelChild, reason: str, now: float) -> None:
        """§1: a child ended by itself; §3: count the restart; §2: apply the strategy."""
        child.alive = False
        restart = child.restart == "permanent" or (
            child.restart == "transient" and reason in ("error", "killed")
        )
        if child.restart == "temporary":
            self.children.remove(child)
        if not restart:
            return
        self.restart_times = [t for t in self.restart_times if t >= now - self.max_seconds]
        self.restart_times.append(now)
        if len(self.restart_times) > self.max_restarts:
            self.give_up()
            return
        if self.strategy == "one_for_one":
            group = [child]
        elif self.strategy == "one_for_all":
            group = list(self.children)
        else:
            group = self.children[self.children.index(child) :]
        for other in group:
            if other is not child and other.restart == "temporary":
                self.children.remove(other)  # terminated with the group, not restarted
            else:
                other.alive = True
                other.restarts += 1

    def give_up(self) -> None:
        self.dead = True
        for child in list(self.children):
            child.alive = False
            if child.restart == "temporary":
                self.children.remove(child)

    def terminate(self, child: ModelChild) -> None:
        child.alive = False
        if child.restart == "temporary":
            self.children.remove(child)


class SupervisorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.reactor = VirtualClockReactor(real_time_limit=20)
        self.hub = Hub(self.reactor)
        self.errors: list[BaseException] = []
        self.hub.error_hook = lambda _context, exc_info: self.errors.append(exc_info[1])
        self.previous = set_hub(self.hub)
        self.lab = Lab()
        self.sup: Supervisor | None = None
        self.model: SupervisorModel | None = None
        self.new_ids = 0

    # -- setup / teardown ------------------------------------------------

    @initialize(
        strategy=st.sampled_from(["one_for_one", "one_for_all", "rest_for_one"]),
        kinds=st.lists(RESTARTS, min_size=1, max_size=4),
        max_restarts=st.integers(min_value=0, max_value=4),
        max_seconds=st.integers(min_value=1, max_value=5),
    )
    def start(self, strategy, kinds, max_restarts, max_seconds):
        specs = [self.lab.spec(f"c{i}", restart=kind) for i, kind in enumerate(kinds)]
        self.sup = Supervisor(
            specs, strategy=strategy, max_restarts=max_restarts, max_seconds=max_seconds
        )
        self.model = SupervisorModel(strategy, max_restarts, max_seconds)
        self.model.children = [ModelChild(f"c{i}", kind) for i, kind in enumerate(kinds)]

    def teardown(self) -> None:
        try:
            if self.sup is not None and not self.sup.dead:
                self.sup.stop()
            settle()
            leaked = [proc for proc in self.hub.procs.values() if not proc.dead]
            eventlib.killall(leaked)
            settle()
            assert leaked == [], f"procs left running after the supervisor stopped: {leaked}"
            unexpected = [e for e in self.errors if not isinstance(e, Crash)]
            assert unexpected == [], f"unexpected errors reported to the hub: {unexpected}"
        finally:
            self.hub.close()
            set_hub(self.previous)
            _close_reactor(self.reactor)

    # -- helpers -----------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.model is not None and not self.model.dead

    def pick(self, index: int, *, alive: bool | None = None) -> ModelChild | None:
        assert self.model is not None
        candidates = [c for c in self.model.children if alive is None or c.alive == alive]
        return candidates[index % len(candidates)] if candidates else None

    # -- rules -------------------------------------------------------------

    @precondition(lambda self: self.running)
    @rule(index=PICK, reason=REASONS)
    def child_exits(self, index, reason):
        """A live child ends by itself with an OTP exit reason."""
        assert self.model is not None
        child = self.pick(index, alive=True)
        if child is None:
            return
        self.lab.exit(child.id, reason)
        self.model.child_exited(child, reason, self.hub.clock())

    @rule(seconds=st.sampled_from([0.5, 1, 2.5, 5]))
    def time_passes(self, seconds):
        """Virtual time moves on (also after the supervisor gave up: nothing may happen)."""
        eventlib.sleep(seconds)
        settle()

    @precondition(lambda self: self.running)
    @rule(restart=RESTARTS)
    def start_new_child(self, restart):
        assert self.model is not None
        assert self.sup is not None
        if len(self.model.children) >= 6:
            return
        self.new_ids += 1
        child = ModelChild(f"n{self.new_ids}", restart)
        proc = self.sup.start_child(self.lab.spec(child.id, restart=restart))
        assert proc is self.lab.proc(child.id)
        self.model.children.append(child)
        settle()

    @precondition(lambda self: self.running)
    @rule(index=PICK)
    def start_existing_child(self, index):
        """§6: start_child of a known id is already_started / already_present."""
        assert self.sup is not None
        child = self.pick(index)
        if child is None:
            return
        expected = AlreadyStarted if child.alive else AlreadyPresent
        with pytest.raises(expected):
            self.sup.start_child(self.lab.spec(child.id, restart=child.restart))

    @precondition(lambda self: self.running)
    @rule(index=PICK)
    def terminate_child(self, index):
        assert self.model is not None
        assert self.sup is not None
        child = self.pick(index)
        if child is None:
            return
        self.sup.terminate_child(child.id)
        self.model.terminate(child)
        settle()

    @precondition(lambda self: self.running)
    @rule(index=PICK)
    def restart_child(self, index):
        assert self.sup is not None
        child = self.pick(index)
        if child is None:
            return
        if child.alive:
            with pytest.raises(ChildRunning):
                self.sup.restart_child(child.id)
            return
        self.sup.restart_child(child.id)
        child.alive = True
        settle()

    @precondition(lambda self: self.running)
    @rule(index=PICK)
    def delete_child(self, index):
        assert self.model is not None
        assert self.sup is not None
        child = self.pick(index)
        if child is None:
            return
        if child.alive:
            with pytest.raises(ChildRunning):
                self.sup.delete_child(child.id)
            return
        self.sup.delete_child(child.id)
        self.model.children.remove(child)

    # -- invariants ----------------------------------------------------------

    @invariant()
    def supervisor_alive_as_modelled(self):
        if self.model is not None and self.sup is not None:
            assert self.sup.dead == self.model.dead

    @invariant()
    def children_match_the_model(self):
        if self.model is None or self.sup is None:
            return
        rows = self.sup.which_children()
        assert [row.id for row in rows] == [c.id for c in reversed(self.model.children)]
        assert [isinstance(row.proc, Proc) for row in rows] == [
            c.alive for c in reversed(self.model.children)
        ]
        assert all(row.proc is None or not row.proc.dead for row in rows)

    @invariant()
    def restarts_counted_as_modelled(self):
        if self.model is None or self.sup is None:
            return
        rows = self.sup.which_children()
        assert [row.restarts for row in rows] == [c.restarts for c in reversed(self.model.children)]

    @invariant()
    def no_orphan_procs(self):
        if self.sup is None:
            return
        listed = {row.proc for row in self.sup.which_children() if isinstance(row.proc, Proc)}
        if not self.sup.dead:
            listed.add(self.sup)
        live = {proc for proc in self.hub.procs.values() if not proc.dead}
        assert live == listed


def test_supervisor_follows_the_otp_rules():
    """OTP §1-§3/§6: random exits, clock jumps and API calls agree with a model of the rules."""
    run_state_machine_as_test(SupervisorMachine, settings=SETTINGS)


class DynamicSupervisorMachine(RuleBasedStateMachine):
    """The same rules for a DynamicSupervisor (OTP simple_one_for_one): children by proc."""

    def __init__(self) -> None:
        super().__init__()
        self.reactor = VirtualClockReactor(real_time_limit=20)
        self.hub = Hub(self.reactor)
        self.errors: list[BaseException] = []
        self.hub.error_hook = lambda _context, exc_info: self.errors.append(exc_info[1])
        self.previous = set_hub(self.hub)
        self.lab = Lab()
        self.sup: DynamicSupervisor | None = None
        self.model: SupervisorModel | None = None
        self.current: dict[str, Proc] = {}  # child key -> its newest proc
        self.keys = 0

    @initialize(
        restart=RESTARTS,
        max_restarts=st.integers(min_value=0, max_value=4),
        max_seconds=st.integers(min_value=1, max_value=5),
    )
    def start(self, restart, max_restarts, max_seconds):
        template = ChildSpec("session", self.start_session, restart=restart)
        self.sup = DynamicSupervisor(template, max_restarts=max_restarts, max_seconds=max_seconds)
        self.model = SupervisorModel("one_for_one", max_restarts, max_seconds)
        self.restart = restart

    def start_session(self, key: str) -> Proc | None:
        proc = self.lab.start(key)
        self.current[key] = proc
        return proc

    teardown = SupervisorMachine.teardown

    @property
    def running(self) -> bool:
        return self.model is not None and not self.model.dead

    def pick(self, index: int) -> ModelChild | None:
        assert self.model is not None
        children = self.model.children
        return children[index % len(children)] if children else None

    @precondition(lambda self: self.running)
    @rule()
    def start_child(self):
        assert self.model is not None
        assert self.sup is not None
        if len(self.model.children) >= 6:
            return
        self.keys += 1
        key = f"k{self.keys}"
        assert self.sup.start_child(key) is self.current[key]
        self.model.children.append(ModelChild(key, self.restart))
        settle()

    @precondition(lambda self: self.running)
    @rule(index=PICK, reason=REASONS)
    def child_exits(self, index, reason):
        assert self.model is not None
        child = self.pick(index)
        if child is None:
            return
        self.lab.exit(child.id, reason)
        self.model.child_exited(child, reason, self.hub.clock())
        if not child.alive and child in self.model.children:
            self.model.children.remove(child)  # a dynamic child that is not restarted is gone

    @precondition(lambda self: self.running)
    @rule(index=PICK)
    def terminate_child(self, index):
        assert self.model is not None
        assert self.sup is not None
        child = self.pick(index)
        if child is None:
            return
        self.sup.terminate_child(self.current[child.id])
        self.model.children.remove(child)
        settle()

    @rule(seconds=st.sampled_from([0.5, 1, 2.5, 5]))
    def time_passes(self, seconds):
        eventlib.sleep(seconds)
        settle()

    @invariant()
    def supervisor_alive_as_modelled(self):
        if self.model is not None and self.sup is not None:
            assert self.sup.dead == self.model.dead

    @invariant()
    def children_match_the_model(self):
        if self.model is None or self.sup is None:
            return
        rows = self.sup.which_children()
        if self.model.dead:
            assert rows == []
            return
        expected = [(self.current[c.id], c.restarts) for c in reversed(self.model.children)]
        assert [(row.proc, row.restarts) for row in rows] == expected
        assert all(not proc.dead for proc, _ in expected)
        assert self.sup.count_children().active == len(expected)

    @invariant()
    def no_orphan_procs(self):
        if self.sup is None:
            return
        listed = {row.proc for row in self.sup.which_children() if isinstance(row.proc, Proc)}
        if not self.sup.dead:
            listed.add(self.sup)
        live = {proc for proc in self.hub.procs.values() if not proc.dead}
        assert live == listed


def test_dynamic_supervisor_follows_the_otp_rules():
    """OTP §1-§3/§6 (simple_one_for_one): random exits and API calls agree with the model."""
    run_state_machine_as_test(DynamicSupervisorMachine, settings=SETTINGS)

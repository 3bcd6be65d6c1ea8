"""which_children, count_children, statistics and format_tree (OTP §6, DESIGN.md)."""

import re

from supervisor_helpers import Crash, Lab, wait_until

from eventlib.supervisor import (
    ChildInfo,
    ChildSpec,
    ChildType,
    DynamicSupervisor,
    Supervisor,
)


def tree(lab: Lab) -> Supervisor:
    """root: db (worker), inner (supervisor: w), sessions (dynamic), t (transient worker)."""

    def inner():
        return Supervisor([lab.spec("w")])

    def sessions():
        return DynamicSupervisor(lab.spec("session"), max_restarts=5)

    return Supervisor(
        [
            lab.spec("db"),
            ChildSpec("inner", inner, type="supervisor"),
            ChildSpec("sessions", sessions, type="supervisor"),
            lab.spec("t", restart="transient"),
        ],
        name="root",
        max_restarts=5,
    )


def test_which_children_lists_newest_started_first(virtual_clock, lab):
    """OTP §6: which_children lists children in reverse start order."""
    sup = Supervisor([lab.spec(cid) for cid in "abc"])
    sup.start_child(lab.spec("d"))
    assert [row.id for row in sup.which_children()] == ["d", "c", "b", "a"]
    sup.stop()


def test_which_children_rows_name_id_proc_type_and_restarts(virtual_clock, hub_errors, lab):
    """OTP §6: each row is (id, pid | restarting | undefined, type, ...) plus the restart count."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a"), lab.spec("t", restart="transient")], max_restarts=5)
    lab.exit("a", "error")
    lab.exit("t", "normal")
    assert sup.which_children() == [
        ChildInfo("t", None, ChildType.WORKER, 0),
        ChildInfo("a", lab.proc("a"), ChildType.WORKER, 1),
    ]
    sup.stop()


def test_which_children_shows_a_child_supervisor_as_supervisor(virtual_clock, lab):
    """OTP §6: a supervisor child's row has type supervisor."""
    sup = tree(lab)
    assert sup.which_child("inner").type is ChildType.SUPERVISOR
    assert sup.which_child("db").type is ChildType.WORKER
    sup.stop()


def test_count_children_counts_specs_active_and_types(virtual_clock, lab):
    """OTP §6: count_children: specs (dead too), active (live pid), supervisors, workers by type."""
    sup = tree(lab)
    sup.terminate_child("t")
    counts = sup.count_children()
    assert (counts.specs, counts.active, counts.supervisors, counts.workers) == (4, 3, 2, 2)
    sup.stop()


def test_count_children_of_an_empty_supervisor_is_all_zero(virtual_clock):
    """OTP §6: an empty supervisor counts no specs, no active children."""
    sup = Supervisor()
    counts = sup.count_children()
    assert (counts.specs, counts.active, counts.supervisors, counts.workers) == (0, 0, 0, 0)
    sup.stop()


def test_statistics_reports_children_and_restarts(virtual_clock, hub_errors, lab):
    """DESIGN.md: statistics() is a frozen snapshot: children, active, restarts in window, total."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a"), lab.spec("b")], max_restarts=5)
    lab.exit("a", "error")
    sup.terminate_child("b")
    stats = sup.statistics()
    assert (stats.children, stats.active, stats.restarts_in_window, stats.total_restarts) == (
        2,
        1,
        1,
        1,
    )
    sup.stop()


def test_format_tree_names_every_supervisor_and_child(virtual_clock, lab):
    """DESIGN.md: format_tree prints the whole hierarchy, nested children indented."""
    sup = tree(lab)
    sup.which_child("sessions").proc.start_child("alice")
    lines = sup.format_tree().splitlines()
    assert lines[0].startswith("root [Supervisor one_for_one")
    names = [line.strip().split(" ")[0] for line in lines[1:]]
    assert names == ["db", "inner", "w", "sessions", "session['alice']", "t"]
    indents = [len(line) - len(line.lstrip()) for line in lines]
    assert indents == [0, 2, 2, 4, 2, 4, 2]
    sup.stop()


def test_format_tree_shows_proc_ids(virtual_clock, lab):
    """DESIGN.md: format_tree shows each running child's proc id and the supervisor's."""
    sup = tree(lab)
    text = sup.format_tree()
    assert f"proc={sup.id} " in text.splitlines()[0]
    for cid in ("db", "w", "t"):
        assert f"proc={lab.proc(cid).id} running" in text
    assert f"proc={sup.which_child('inner').proc.id} running" in text
    sup.stop()


def test_format_tree_shows_state_and_restart_counts(virtual_clock, hub_errors, lab):
    """DESIGN.md: format_tree shows stopped / restarting / running states and restart counts."""
    hub_errors.expect(Crash)
    sup = tree(lab)
    lab.exit("db", "error")
    lab.exit("t", "normal")
    text = sup.format_tree()
    assert re.search(r"^  db \[worker permanent proc=\d+ running restarts=1\]$", text, re.MULTILINE)
    assert re.search(r"^  t \[worker transient stopped restarts=0\]$", text, re.MULTILINE)
    assert "restarts=1]" in text.splitlines()[0]
    sup.stop()


def test_format_tree_shows_a_restarting_child(virtual_clock, hub_errors, lab):
    """OTP §7/DESIGN.md: a child whose restart failed is shown as restarting."""
    hub_errors.expect(Crash)
    sup = Supervisor([lab.spec("a")], max_restarts=100_000, name="root")
    lab.start_plan["a"] = ["fail"] * 100_000
    lab.exit("a", "error", wait=False)
    wait_until(lambda: sup.which_child("a").proc == "restarting")
    assert "  a [worker permanent restarting restarts=0]" in sup.format_tree()
    sup.terminate_child("a")
    sup.stop()


def test_format_tree_of_a_stopped_supervisor_shows_its_exit(virtual_clock, lab):
    """DESIGN.md: a supervisor that has exited shows its exit reason and stopped children."""
    sup = Supervisor([lab.spec("a")], name="root")
    sup.stop()
    lines = sup.format_tree().splitlines()
    assert " normal " in lines[0]
    assert lines[1] == "  a [worker permanent stopped restarts=0]"


def test_format_tree_labels_a_dynamic_supervisor(virtual_clock, lab):
    """OTP §2/DESIGN.md: a DynamicSupervisor prints as simple_one_for_one, children by args."""
    sup = DynamicSupervisor(lab.spec("session"), name="sessions")
    sup.start_child("bob")
    lines = sup.format_tree().splitlines()
    assert lines[0].startswith("sessions [DynamicSupervisor simple_one_for_one")
    assert lines[1].startswith("  session['bob'] [worker permanent proc=")
    sup.stop()


def test_repr_names_the_supervisor_path_and_child_count(virtual_clock, lab):
    """DESIGN.md: a supervisor's repr names its path, proc id and number of children."""
    sup = Supervisor([lab.spec("a"), lab.spec("b")], name="root")
    assert repr(sup) == f"<Supervisor 'root' proc={sup.id} children=2>"
    sup.stop()


def test_format_tree_shows_restarts_made_by_a_nested_supervisor(virtual_clock, hub_errors):
    """A nested supervisor's line shows how many restarts it made (made=N)."""
    import eventlib
    from eventlib.supervisor import ChildSpec, Supervisor

    hub_errors.expect(RuntimeError)

    def crash_once(state={"crashed": False}):  # noqa: B006 - shared on purpose
        if not state["crashed"]:
            state["crashed"] = True
            raise RuntimeError("once")
        eventlib.sleep(100)

    inner = []

    def start_inner():
        sup = Supervisor(
            [ChildSpec("flaky", start=lambda: eventlib.spawn(crash_once))], max_restarts=3
        )
        inner.append(sup)
        return sup

    root = Supervisor([ChildSpec("inner", start=start_inner, type="supervisor")], name="root")
    eventlib.sleep(1)
    tree = root.format_tree()
    assert "inner [supervisor permanent" in tree
    assert "restarts=0 made=1" in tree
    assert "flaky [worker permanent" in tree
    root.stop()

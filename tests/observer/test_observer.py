import json
import os
import socket
import stat
import subprocess
import sys
import textwrap

import pytest

import eventlib
from eventlib.mailbox import Actor
from eventlib.observer import disable_profiling, enable_profiling, serve, snapshot
from eventlib.observer._client import render_text
from eventlib.supervisor import ChildSpec, DynamicSupervisor, Supervisor


class Sink(Actor):
    capacity = 10

    def handle(self, message):
        eventlib.sleep(100)


def build_tree():
    sessions = []

    def start_sessions():
        sup = DynamicSupervisor(
            ChildSpec("session", start=lambda n: eventlib.spawn(eventlib.sleep, 100)),
            max_restarts=5,
        )
        sessions.append(sup)
        return sup

    root = Supervisor(
        [
            ChildSpec("sessions", start=start_sessions, type="supervisor"),
            ChildSpec("sink", start=Sink.spawn),
        ],
        name="root",
    )
    for n in range(3):
        sessions[0].start_child(n)
    return root


def test_snapshot_shows_tree_procs_and_mailboxes(virtual_clock):
    """snapshot() lists supervisors with their children, every proc, and actor mailboxes."""
    root = build_tree()
    sink = root._by_id["sink"].handle
    sink.cast("a")
    sink.cast("b")
    eventlib.sleep(1)
    snap = snapshot()
    paths = [sup.path for sup in snap.supervisors]
    assert paths == ["root", "root/sessions"]
    [sessions] = [sup for sup in snap.supervisors if sup.kind == "dynamic"]
    assert len(sessions.children) == 3
    assert {proc.sup_path for proc in snap.procs} >= {"root/sessions", "root/sink"}
    [actor] = snap.actors
    assert actor.mailbox_depth == 1  # one being handled, one waiting
    assert actor.capacity == 10
    root.stop()


def test_snapshot_is_json_serialisable(virtual_clock):
    """to_json() gives plain JSON data."""
    root = build_tree()
    data = json.loads(json.dumps(snapshot().to_json()))
    assert data["supervisors"][0]["path"] == "root"
    root.stop()


def test_profiling_ranks_busiest_procs(virtual_clock):
    """With profiling on, the proc that switched most often ranks first."""
    enable_profiling()
    try:
        queue = eventlib.Queue()

        def busy():
            for _ in range(200):
                queue.put(1)
                eventlib.sleep(0.001)
            eventlib.sleep(100)

        lazy = eventlib.spawn(eventlib.sleep, 100)
        worker = eventlib.spawn(busy)
        eventlib.sleep(1)
        snap = snapshot()
        assert snap.profiling
        [top] = [info for info in snap.busiest if info.id == worker.id]
        assert top.switches >= 200
        assert top.switches > max(i.switches for i in snap.busiest if i.id == lazy.id)
        eventlib.killall([lazy, worker], wait=True)
    finally:
        disable_profiling()


def test_render_text_mentions_everything(virtual_clock):
    """The plain-text view shows tree paths, children, actors and procs."""
    root = build_tree()
    text = render_text(snapshot().to_json())
    assert "root/sessions" in text
    assert "depth=" in text
    assert "procs:" in text
    root.stop()


def test_server_requires_the_token(real_reactor, tmp_path):
    """The endpoint answers the right token with a snapshot and refuses a wrong one."""
    server = serve(state_dir=tmp_path, profile=False)
    try:
        data = eventlib.spawn(_fetch_in_thread, server.port, server.token).wait()
        assert data["pid"] == os.getpid()
        refused = eventlib.spawn(_fetch_in_thread, server.port, "wrong").wait()
        assert refused == {"error": "bad token"}
    finally:
        server.stop()


def _fetch_in_thread(port, token):
    from twisted.internet.threads import deferToThread

    from eventlib.twistedutil import block_on

    def get():
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(token.encode() + b"\n")
            return json.loads(b"".join(iter(lambda: conn.recv(65536), b"")))

    return block_on(deferToThread(get))


def test_state_file_is_private_and_removed(real_reactor, tmp_path):
    """The endpoint's state file is readable by this user only and removed on stop."""
    server = serve(state_dir=tmp_path, profile=False)
    mode = stat.S_IMODE(server.state_file.stat().st_mode)
    assert mode == 0o600
    assert json.loads(server.state_file.read_text())["port"] == server.port
    server.stop()
    assert not server.state_file.exists()


def test_only_loopback_is_allowed(real_reactor, tmp_path):
    """serve() refuses a non-loopback address."""
    with pytest.raises(ValueError, match="loopback"):
        serve(host="0.0.0.0", state_dir=tmp_path)


def observed_program(tmp_path):
    """A subprocess with a supervised worker and an observer endpoint; prints ready."""
    program = textwrap.dedent(
        f"""
        import sys, eventlib, eventlib.observer
        from pathlib import Path
        from eventlib.supervisor import ChildSpec, Supervisor
        sup = Supervisor([ChildSpec("worker", start=lambda: eventlib.spawn(eventlib.sleep, 60))],
                         name="app")
        eventlib.observer.serve(state_dir=Path({str(tmp_path)!r}))
        print("ready", flush=True)
        eventlib.sleep(30)  # serve observers; the test terminates us
        """
    )
    target = subprocess.Popen(
        [sys.executable, "-c", program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert target.stdout.readline().strip() == "ready"
    return target


def run_cli(target, tmp_path, *options):
    """Run python -m eventlib.observer against ``target``, output to a pipe, then stop it."""
    try:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "eventlib.observer",
                str(target.pid),
                "--state-dir",
                str(tmp_path),
                *options,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        target.terminate()
        target.wait(timeout=30)
        target.stdin.close()
        target.stdout.close()


def test_cli_attaches_to_a_running_program(tmp_path):
    """python -m eventlib.observer PID --once prints the program's tree."""
    completed = run_cli(observed_program(tmp_path), tmp_path, "--once")
    assert completed.returncode == 0, completed.stderr
    assert "app" in completed.stdout
    assert "worker" in completed.stdout


def test_dynamic_children_are_labelled_by_their_arguments(virtual_clock):
    """A DynamicSupervisor's children are labelled spec id + arguments, as format_tree does."""
    root = build_tree()
    [sessions] = [sup for sup in snapshot().supervisors if sup.kind == "dynamic"]
    assert sorted(child.label for child in sessions.children) == [
        "session[0]",
        "session[1]",
        "session[2]",
    ]
    assert "session[1]" in render_text(snapshot().to_json())
    assert "session[1]" in root._by_id["sessions"].proc.format_tree()
    root.stop()


def test_dynamic_strategy_has_one_name_everywhere(virtual_clock):
    """The observer names a DynamicSupervisor's strategy simple_one_for_one, as format_tree does."""
    root = build_tree()
    [sessions] = [sup for sup in snapshot().supervisors if sup.kind == "dynamic"]
    assert sessions.strategy == "simple_one_for_one"
    assert "DynamicSupervisor simple_one_for_one" in render_text(snapshot().to_json())
    assert "DynamicSupervisor simple_one_for_one" in root._by_id["sessions"].proc.format_tree()
    root.stop()


def test_actor_rows_show_the_registered_name(virtual_clock):
    """An actor registered under a name is shown by that name."""
    from eventlib.mailbox import register

    sink = Sink.spawn()
    register("audit-sink", sink)
    [actor] = snapshot().actors
    assert actor.name == "audit-sink"
    assert actor.registered == "audit-sink"
    assert "audit-sink" in render_text(snapshot().to_json())
    sink.stop()


def test_unregistered_actor_rows_show_the_proc_name(virtual_clock):
    """An actor with no registered name is shown by its proc's name."""
    sink = Sink.spawn()
    [actor] = snapshot().actors
    assert actor.registered is None
    assert actor.name == str(sink.proc.name)
    sink.stop()


def test_cli_writes_no_terminal_codes_to_a_pipe(tmp_path):
    """Refreshing into a pipe prints plain snapshots, without clear-screen codes."""
    completed = run_cli(observed_program(tmp_path), tmp_path, "--count", "2", "--interval", "0.1")
    assert completed.returncode == 0, completed.stderr
    assert "\x1b" not in completed.stdout
    assert completed.stdout.count("supervision trees:") == 2

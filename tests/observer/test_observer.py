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


def test_cli_attaches_to_a_running_program(tmp_path):
    """python -m eventlib.observer PID --once prints the program's tree."""
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
    try:
        assert target.stdout.readline().strip() == "ready"
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "eventlib.observer",
                str(target.pid),
                "--once",
                "--state-dir",
                str(tmp_path),
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
    assert completed.returncode == 0, completed.stderr
    assert "app" in completed.stdout
    assert "worker" in completed.stdout

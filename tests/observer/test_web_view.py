"""The web view's data, in process: bounded pages, diffs between frames, proc details."""

import json
import time

import pytest

import eventlib
from eventlib.observer import serve
from eventlib.observer._web import LOGIN_TTL, PAGE_SIZE, SESSION_TTL, WebView, _Stream
from eventlib.supervisor import ChildSpec, DynamicSupervisor, Supervisor


class FakeRequest:
    """What _Stream needs of a twisted.web request: write() and channel."""

    channel = None

    def __init__(self):
        self.writes = []

    def write(self, data):
        self.writes.append(data)

    def last_frame(self):
        data = self.writes[-1].decode()
        assert data.startswith("event: frame\n")
        return json.loads(data.split("data: ", 1)[1])


@pytest.fixture
def view(virtual_clock, tmp_path):
    server = serve(state_dir=tmp_path / "state", profile=False)
    yield server.open_web()
    server.stop()


def sessions_tree(count):
    holder = []

    def start_sessions():
        holder.append(
            DynamicSupervisor(
                ChildSpec("session", start=lambda n: eventlib.spawn(eventlib.sleep, 3600))
            )
        )
        return holder[0]

    root = Supervisor(
        [
            ChildSpec("worker", start=lambda: eventlib.spawn(eventlib.sleep, 3600)),
            ChildSpec("sessions", start=start_sessions, type="supervisor"),
        ],
        name="app",
    )
    for n in range(count):
        holder[0].start_child(n)
    return root, holder[0]


def frame(view, stream):
    view._send_frame(stream, None)
    return stream.request.last_frame()


@pytest.mark.timeout(120)
def test_ten_thousand_children_send_one_bounded_page(view):
    """With 10,000 dynamic children a frame carries counts and one page of rows, not the tree."""
    root, _ = sessions_tree(10_000)
    stream = _Stream(FakeRequest(), {})
    started = time.perf_counter()
    first = frame(view, stream)
    took = time.perf_counter() - started
    [sup_row] = [r for r in first["upsert"] if r["kind"] == "supervisor" and r["dynamic"]]
    assert sup_row["children"] == 10_000
    assert sup_row["counts"]["running"] == 10_000
    assert sup_row["pages"] == 10_000 // PAGE_SIZE
    children = [r for r in first["upsert"] if r["kind"] == "child" and r["sup"] == sup_row["key"]]
    assert len(children) == PAGE_SIZE
    assert len(stream.request.writes[-1]) < 30_000
    assert took < 2.0  # generous: about 20 ms alone on this machine
    root.stop()


def test_an_unchanged_tree_sends_no_rows(view):
    """A frame after an unchanged second sends no tree rows at all."""
    root, _ = sessions_tree(200)
    stream = _Stream(FakeRequest(), {})
    frame(view, stream)
    second = frame(view, stream)
    assert second["upsert"] == []
    assert second["remove"] == []
    assert second["reset"] is False
    root.stop()


def test_a_restart_sends_only_the_changed_rows(view, hub_errors):
    """After a child's crash and restart, the frame carries that child and its supervisor only."""
    hub_errors.expect(RuntimeError)
    root, _ = sessions_tree(200)
    stream = _Stream(FakeRequest(), {})
    frame(view, stream)
    [worker] = [row.proc for row in root.which_children() if row.id == "worker"]
    worker.kill(RuntimeError("crash"))
    eventlib.sleep(0.1)
    changed = frame(view, stream)
    keys = sorted(row["key"] for row in changed["upsert"])
    assert keys == sorted([f"s{root.id}", f"c{root.id}:worker"])
    [child] = [row for row in changed["upsert"] if row["kind"] == "child"]
    assert child["restarts"] == 1
    root.stop()


def test_a_page_is_chosen_per_stream(view):
    """The stream's page choice selects which children are sent."""
    root, sessions = sessions_tree(120)
    stream = _Stream(FakeRequest(), {sessions.id: 2})
    rows = frame(view, stream)["upsert"]
    labels = [r["label"] for r in rows if r["kind"] == "child" and r["sup"] == f"s{sessions.id}"]
    assert labels == [f"session[{n}]" for n in range(100, 120)]
    root.stop()


def test_children_leaving_a_page_are_removed(view):
    """Children that end are sent as removed rows."""
    root, sessions = sessions_tree(3)
    stream = _Stream(FakeRequest(), {})
    frame(view, stream)
    [last] = [row.proc for row in sessions.which_children()][:1]
    sessions.terminate_child(last)
    removed = frame(view, stream)["remove"]
    assert removed == [f"c{sessions.id}:session[2]"]
    root.stop()


def test_proc_details_show_where_it_is_parked_and_its_links(view):
    """A proc's details include the stack where it waits and who is linked to it."""

    def parked_here():
        eventlib.sleep(3600)

    proc = eventlib.spawn(parked_here)
    watcher = eventlib.spawn(eventlib.sleep, 3600)
    proc.link(watcher)
    eventlib.sleep(0)
    details = view.proc_details(proc.id)
    assert "parked_here" in details["parked_at"]
    assert details["links"] == [f"proc {watcher.id} sleep"]
    assert details["state"] == "running"
    assert view.proc_details(10**9) is None
    eventlib.killall([proc, watcher], wait=True)


def test_web_connections_over_the_cap_are_closed_at_once(virtual_clock, tmp_path):
    """Past max_connections, the web port closes new connections at once."""
    from eventlib.green import socket

    server = serve(state_dir=tmp_path / "state", profile=False)
    view = server.web = WebView(server, max_connections=2)
    virtual_clock.autojump = False  # "at once": before any timer
    held = [socket.create_connection(("127.0.0.1", view.port)) for _ in range(2)]
    try:
        virtual_clock.advance(0.1)
        with socket.create_connection(("127.0.0.1", view.port)) as extra:
            assert extra.recv(100) == b""
    finally:
        for conn in held:
            conn.close()
        server.stop()


def test_idle_web_connections_are_closed(virtual_clock, tmp_path):
    """A connection that sends no request is closed after the idle timeout (hub clock)."""
    from eventlib.green import socket

    server = serve(state_dir=tmp_path / "state", profile=False)
    view = server.web = WebView(server, idle_timeout=7.0)
    virtual_clock.autojump = False
    with socket.create_connection(("127.0.0.1", view.port)) as idle:
        idle.setblocking(False)
        virtual_clock.advance(6.5)
        with pytest.raises(BlockingIOError):
            idle.recv(100)  # still open
        virtual_clock.advance(1.0)
        assert idle.recv(100) == b""
    server.stop()


class CookieRequest:
    def __init__(self, cookie):
        self.cookie = cookie

    def getCookie(self, name):
        return self.cookie


def test_login_links_expire(view, virtual_clock):
    """A login link not used within LOGIN_TTL seconds no longer logs in."""
    view.metrics.stop()  # no sampling through the long wait
    code = view.login_link().split("once=", 1)[1]
    virtual_clock.advance(LOGIN_TTL + 1)
    assert view._redeem(code) is None


def test_sessions_expire(view, virtual_clock):
    """A browser session ends after SESSION_TTL seconds."""
    view.metrics.stop()
    session_id = view._redeem(view.login_link().split("once=", 1)[1])
    request = CookieRequest(session_id.encode())
    assert view.session_of(request) is not None
    virtual_clock.advance(SESSION_TTL + 1)
    assert view.session_of(request) is None


def raw_get(family, address, host_header):
    """The status line of a bare HTTP GET / sent with the given Host header."""
    from eventlib.green import socket

    with socket.socket(family, socket.SOCK_STREAM) as conn:
        conn.connect(address)
        conn.sendall(f"GET / HTTP/1.0\r\nHost: {host_header}\r\n\r\n".encode())
        data = b"".join(iter(lambda: conn.recv(65536), b""))
    return data.split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    ("host", "family_name", "good_host"),
    [("127.0.0.1", "AF_INET", "127.0.0.1:{port}"), ("::1", "AF_INET6", "[::1]:{port}")],
)
def test_the_view_answers_only_its_own_host_name(
    virtual_clock, tmp_path, host, family_name, good_host
):
    """On 127.0.0.1 or ::1, a request naming the view's address gets an answer; another is 421."""
    from eventlib.green import socket

    server = serve(host=host, state_dir=tmp_path / "state", profile=False)
    view = server.open_web()
    try:
        family = getattr(socket, family_name)
        address = (host, view.port)
        assert view.url.startswith(f"http://{good_host.format(port=view.port)}")
        assert b" 403 " in raw_get(family, address, good_host.format(port=view.port))
        assert b" 421 " in raw_get(family, address, f"rebound.example:{view.port}")
    finally:
        server.stop()

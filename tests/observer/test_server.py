"""The observer endpoint defends the program: token deadline, connection cap, slow refusals."""

import json

import pytest

import eventlib
from eventlib.green import socket
from eventlib.hub import get_hub
from eventlib.observer import serve


def exchange(port, send=b""):
    """Connect, send ``send``, read to EOF; return (answer, virtual seconds it took)."""
    started = get_hub().clock()
    with socket.create_connection(("127.0.0.1", port)) as conn:
        if send:
            conn.sendall(send)
        data = b"".join(iter(lambda: conn.recv(65536), b""))
    return (json.loads(data) if data else None), get_hub().clock() - started


@pytest.fixture
def server(virtual_clock, tmp_path):
    server = serve(
        state_dir=tmp_path / "state",
        profile=False,
        token_deadline=5.0,
        max_connections=3,
        bad_token_delay=2.0,
    )
    yield server
    server.stop()


def test_silent_connection_is_closed_at_the_token_deadline(server):
    """A client that never sends the token is answered and closed after token_deadline."""
    answer, took = exchange(server.port)
    assert answer == {"error": "no token in time"}
    assert 5.0 <= took < 6.0


def test_right_token_is_answered_at_once(server):
    """The right token gets a snapshot without delay."""
    answer, took = exchange(server.port, server.token.encode() + b"\n")
    assert "supervisors" in answer
    assert took < 1.0


def test_wrong_token_is_answered_after_the_delay(server):
    """A wrong token is refused only after bad_token_delay."""
    answer, took = exchange(server.port, b"guess\n")
    assert answer == {"error": "bad token"}
    assert 2.0 <= took < 3.0


def test_connections_over_the_cap_are_refused_at_once(server, virtual_clock):
    """Past max_connections, a new connection is refused at once; a freed slot is reused."""
    # The clock stands still: "at once" means before any timer, not "soon".
    virtual_clock.autojump = False
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
    try:
        virtual_clock.advance(0.1)  # let the server accept them
        assert server.connections == 3
        answer, took = exchange(server.port)
        assert answer["error"].startswith("too many observer connections")
        assert took == 0
    finally:
        for conn in idle:
            conn.close()
    virtual_clock.advance(0.1)
    assert server.connections == 0
    answer, _ = exchange(server.port, server.token.encode() + b"\n")
    assert "supervisors" in answer


def test_a_flood_of_wrong_tokens_cannot_exceed_the_cap(server):
    """Connections waiting for their slow refusal count against the cap."""
    procs = [eventlib.spawn(exchange, server.port, b"guess\n") for _ in range(5)]
    answers = [proc.wait()[0]["error"] for proc in procs]
    assert answers.count("bad token") == 3
    assert sum(a.startswith("too many") for a in answers) == 2


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("token_deadline", 0, ValueError),
        ("bad_token_delay", -1, ValueError),
        ("max_connections", 0, ValueError),
        ("max_connections", 2.5, TypeError),
        ("token_deadline", "5", ValueError),
    ],
)
def test_bad_limits_are_refused(virtual_clock, tmp_path, option, value, error):
    """serve() refuses limits that are not positive numbers, naming the option."""
    with pytest.raises(error, match=option):
        serve(state_dir=tmp_path, profile=False, **{option: value})

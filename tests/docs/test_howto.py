"""The how-to programs in docs/howto/ run as written: started, used over loopback, then signalled.

A how-to's program is the fenced block ```python title="NAME.py"```. Each one
prints one line when it is ready, "listening on HOST:PORT" for a server (the
port given as its argument, 0: any free one) or "ready", and stops cleanly on
SIGTERM; the scenario for its file name plays a client against it and names
the lines the program must end with.
"""

import contextlib
import pathlib
import re
import signal
import socket
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROGRAM = re.compile(r'```python title="([\w-]+\.py)"\n(.*?)```', re.DOTALL)
READY = re.compile(r"listening on 127\.0\.0\.1:(\d+)|ready")
TIMEOUT = 20


def programs():
    found = {}
    for page in sorted((ROOT / "docs" / "howto").glob("*.md")):
        for name, code in PROGRAM.findall(page.read_text()):
            assert name not in found, f"two how-to programs are called {name}"
            found[name] = code
    return found


class Client:
    """A blocking line client with a timeout on every read."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.stream = self.sock.makefile("rwb")

    def send(self, line):
        self.stream.write(line.encode() + b"\n")
        self.stream.flush()

    def line(self):
        return self.stream.readline().decode().rstrip("\n")

    def close(self):
        self.stream.close()
        self.sock.close()


def shout_scenario(port):
    """Two clients at once each get their own lines back in capitals."""
    first, second = Client(port), Client(port)
    first.send("hello")
    second.send("green world")
    assert second.line() == "GREEN WORLD"
    assert first.line() == "HELLO"
    first.close()
    second.send("still here")
    assert second.line() == "STILL HERE"
    return [second]


def chat_scenario(port):
    """Nicknames are registered, messages reach their addressee, unknown and taken names err."""
    alice, bob = Client(port), Client(port)
    alice.send("alice")
    assert alice.line() == "welcome alice"
    bob.send("bob")
    assert bob.line() == "welcome bob"
    alice.send("to bob hi there")
    assert bob.line() == "alice says: hi there"
    bob.send("to carol hello?")
    assert bob.line() == "ERR no such user carol"
    impostor = Client(port)
    impostor.send("alice")
    assert impostor.line() == "ERR alice is taken"
    assert impostor.line() == ""  # the session stopped itself and closed the connection
    bob.send("quit")
    assert bob.line() == "bye"
    assert bob.line() == ""
    return [alice, impostor, bob]


def no_client_scenario(_port):
    """Nothing to talk to: the program only waits for its signal."""
    return []


SCENARIOS = {
    "echo_green.py": (shout_scenario, ["stopped"]),
    "echo_twisted.py": (shout_scenario, ["stopped"]),
    "chat.py": (chat_scenario, ["stopped by SIGTERM"]),
    # Reverse start order: the ticker stops before the journal it writes to saves.
    "shutdown.py": (
        no_client_scenario,
        ["ticker: stopped", r"journal: saved \d+ entries", "stopped by SIGTERM"],
    ),
}


def test_every_howto_program_has_a_scenario():
    """A new how-to program cannot go untested: each one has a scenario here."""
    assert sorted(programs()) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_howto_program_serves_and_stops_on_sigterm(name, tmp_path):
    """The program serves its scenario's clients, then exits 0 on SIGTERM with its last lines."""
    source = tmp_path / name
    source.write_text(programs()[name])
    scenario, last_lines = SCENARIOS[name]
    server = subprocess.Popen(
        [sys.executable, str(source), "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    clients = []
    try:
        first = server.stdout.readline()
        ready = READY.match(first)
        assert ready, first + server.stderr.read()
        clients = scenario(int(ready.group(1)) if ready.group(1) else None)
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=TIMEOUT)
    finally:
        for client in clients:
            client.close()
        with contextlib.suppress(ProcessLookupError):
            server.kill()
        server.wait(TIMEOUT)
    assert server.returncode == 0, err
    tail = out.splitlines()[-len(last_lines) :]
    assert len(tail) == len(last_lines), out + err
    assert all(re.fullmatch(p, line) for p, line in zip(last_lines, tail, strict=True)), out + err
    assert "Traceback" not in err, err

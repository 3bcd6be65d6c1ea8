"""install_reactor and EVENTLIB_REACTOR: one switch to Twisted's asyncio reactor over uvloop.

Installing a reactor is once per process, so each case runs in a fresh interpreter.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from eventlib.hub import REACTOR_CHOICES, install_reactor

# A green TCP echo and a GreenTransport round trip: the I/O paths the reactor drives.
ECHO = """
import eventlib
from eventlib.green import socket
from eventlib.twistedutil.protocol import GreenClientCreator, SpawnFactory

def serve(server):
    conn, _ = server.accept()
    with conn:
        while data := conn.recv(100):
            conn.sendall(data)

with socket.create_server(("127.0.0.1", 0)) as server:
    proc = eventlib.spawn(serve, server)
    with socket.create_connection(server.getsockname()) as client:
        for i in range(100):
            client.sendall(b"%d" % i)
            assert client.recv(100) == b"%d" % i
    proc.wait()

def echo(conn):
    while data := conn.recv():
        conn.write(data)
    conn.loseConnection()

creator = GreenClientCreator()
port = creator.reactor.listenTCP(0, SpawnFactory(echo), interface="127.0.0.1")
conn = creator.connectTCP("127.0.0.1", port.getHost().port)
conn.write(b"ping")
assert conn.read(4) == b"ping"
conn.loseConnection()
loop = getattr(eventlib.get_hub().reactor, "_asyncioEventloop", None)
print(type(eventlib.get_hub().reactor).__name__, type(loop).__module__ if loop else None)
"""


def run_python(code, env_value=None):
    """Run ``code`` in a new interpreter (EVENTLIB_REACTOR set to ``env_value``)."""
    env = {key: value for key, value in os.environ.items() if key != "EVENTLIB_REACTOR"}
    if env_value is not None:
        env["EVENTLIB_REACTOR"] = env_value
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=50,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("default", "EPollReactor None"),
        ("asyncio", "AsyncioSelectorReactor asyncio.unix_events"),
        ("uvloop", "AsyncioSelectorReactor uvloop"),
    ],
)
def test_environment_variable_selects_reactor(name, expected):
    """EVENTLIB_REACTOR installs that reactor, and green sockets and transports run on it."""
    result = run_python(ECHO, env_value=name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_install_reactor_uvloop_runs_green_io():
    """install_reactor("uvloop") before the first hub is the switch in code."""
    result = run_python('import eventlib\neventlib.install_reactor("uvloop")\n' + ECHO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "AsyncioSelectorReactor uvloop"


def test_install_reactor_is_idempotent_for_the_same_kind():
    """Installing the kind already installed returns that reactor."""
    result = run_python(
        """
        import eventlib
        first = eventlib.install_reactor("uvloop")
        assert eventlib.install_reactor("uvloop") is first
        print("same")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "same"


def test_install_reactor_after_another_reactor_names_the_fix():
    """Asking for uvloop once the default reactor is installed raises HubError saying when."""
    result = run_python(
        """
        from twisted.internet import reactor
        import eventlib
        try:
            eventlib.install_reactor("uvloop")
        except eventlib.hub.HubError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "a default reactor (EPollReactor) is already installed" in result.stdout
    assert "before anything imports twisted.internet.reactor" in result.stdout


def test_unknown_environment_value_is_rejected_when_the_hub_starts():
    """A misspelt EVENTLIB_REACTOR raises ValueError listing the choices."""
    result = run_python("import eventlib\neventlib.sleep(0)", env_value="uvlop")
    assert result.returncode != 0
    assert "EVENTLIB_REACTOR='uvlop' names no reactor" in result.stderr
    assert "default, asyncio, uvloop" in result.stderr


def test_install_reactor_rejects_unknown_name():
    """An unknown name raises ValueError at once, before touching the installed reactor."""
    with pytest.raises(ValueError, match="unknown reactor 'libev'"):
        install_reactor("libev")
    assert REACTOR_CHOICES == ("default", "asyncio", "uvloop")

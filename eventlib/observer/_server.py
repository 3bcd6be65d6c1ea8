"""The opt-in observer endpoint: snapshots as JSON over loopback TCP, behind a token.

Any local user can connect to a loopback port, so the endpoint defends the
observed program: a client has ``token_deadline`` seconds to send the token,
at most ``max_connections`` connections are open at once, and a wrong token is
answered only after ``bad_token_delay`` seconds. All three run on the hub's
clock (the reactor's), so they are virtual under eventlib.testing.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from twisted.internet.protocol import Factory
from twisted.protocols.basic import LineOnlyReceiver

from eventlib.hub import Hub, get_hub
from eventlib.observer._snapshot import disable_profiling, enable_profiling, snapshot
from eventlib.observer._statefile import default_state_dir, write_state_file
from eventlib.observer._web import WebView

__all__ = ["ObserverServer", "default_state_dir", "serve"]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class _SnapshotProtocol(LineOnlyReceiver):
    delimiter = b"\n"
    MAX_LENGTH = 256
    server: ObserverServer
    _deadline: Any = None
    _answered = False
    _token_seen = False
    _counted = False

    def connectionMade(self) -> None:  # noqa: N802 - Twisted's interface
        server = self.server
        if server.connections >= server.max_connections:
            self._reply({"error": "too many observer connections; try again later"})
            return
        server.connections += 1
        self._counted = True
        self._deadline = server.hub.reactor.callLater(
            server.token_deadline, self._reply, {"error": "no token in time"}
        )

    def connectionLost(self, reason: Any = None) -> None:  # noqa: N802, ARG002 - Twisted's
        self._cancel_deadline()
        if self._counted:
            self._counted = False
            self.server.connections -= 1

    def _cancel_deadline(self) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None

    def _reply(self, payload: dict[str, Any]) -> None:
        self._cancel_deadline()
        if self._answered:
            return
        self._answered = True
        self.sendLine(json.dumps(payload).encode())  # type: ignore[no-untyped-call]
        transport: Any = self.transport
        transport.loseConnection()

    def lineReceived(self, line: bytes) -> None:  # noqa: N802 - Twisted's interface
        if self._answered or self._token_seen:
            return  # one token per connection; the answer is on its way
        self._token_seen = True
        self._cancel_deadline()
        server = self.server
        token, _, command = line.strip().partition(b" ")
        if server.check_token(token):
            if command == b"web":
                self._reply({"url": server.web_login_link()})
            elif command:
                self._reply({"error": f"unknown command {command[:20]!r}; known: web"})
            else:
                self._reply(snapshot(server.hub).to_json())
        else:
            # Answer a wrong guess late: guessing costs time, and the cap bounds the rate.
            self._deadline = server.hub.reactor.callLater(
                server.bad_token_delay, self._reply, {"error": "bad token"}
            )

    def lineLengthExceeded(self, line: bytes) -> None:  # noqa: N802, ARG002 - Twisted's interface
        self._reply({"error": "line too long"})


class _SnapshotFactory(Factory):
    def __init__(self, server: ObserverServer) -> None:
        self.server = server

    def buildProtocol(self, addr: Any) -> _SnapshotProtocol:  # noqa: N802, ARG002 - Twisted's
        protocol = _SnapshotProtocol()
        protocol.server = self.server
        protocol.factory = self
        return protocol


class ObserverServer:
    """A listening observer endpoint; :meth:`stop` closes it and removes its state file.

    Attributes:
        connections: how many clients are connected now.
    """

    def __init__(
        self,
        hub: Hub,
        host: str,
        port: int,
        token: str,
        state_dir: Path,
        *,
        token_deadline: float = 5.0,
        max_connections: int = 16,
        bad_token_delay: float = 1.0,
    ) -> None:
        self.hub = hub
        self.token = token
        self.token_deadline = token_deadline
        self.max_connections = max_connections
        self.bad_token_delay = bad_token_delay
        self.connections = 0
        self._port = hub.reactor.listenTCP(port, _SnapshotFactory(self), interface=host)
        self.host = host
        self.port: int = self._port.getHost().port
        self.web: WebView | None = None
        try:
            self.state_file = write_state_file(
                state_dir, {"pid": os.getpid(), "host": host, "port": self.port, "token": token}
            )
        except BaseException:
            self._port.stopListening()
            raise

    def check_token(self, candidate: bytes | str) -> bool:
        """True if ``candidate`` is the token (a constant-time comparison)."""
        if isinstance(candidate, str):
            candidate = candidate.encode()
        return hmac.compare_digest(candidate, self.token.encode())

    def open_web(self, port: int = 0, *, actions: bool = False) -> WebView:
        """Start the web dashboard (once; later calls return the running one)."""
        if self.web is None:
            self.web = WebView(self, port, actions=actions)
        return self.web

    def web_login_link(self) -> str:
        """A one-time login link for the web dashboard, starting it (read-only) if needed."""
        return self.open_web().login_link()

    def stop(self) -> None:
        if self.web is not None:
            self.web.stop()
            self.web = None
        self._port.stopListening()
        self.state_file.unlink(missing_ok=True)
        disable_profiling()


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def serve(
    port: int = 0,
    host: str = "127.0.0.1",
    token: str | None = None,
    *,
    profile: bool = True,
    state_dir: Path | None = None,
    token_deadline: float = 5.0,
    max_connections: int = 16,
    bad_token_delay: float = 1.0,
    web: bool = False,
    web_port: int = 0,
    web_actions: bool = False,
) -> ObserverServer:
    """Let ``python -m eventlib.observer`` attach to this program.

    Listens on a loopback address only; a client must first send the token,
    which is random by default and written, with the port, to a state file
    only this user can read (``<state_dir>/observer-<pid>.json``).

    Args:
        port: TCP port (0: any free port).
        host: a loopback address (127.0.0.1 or ::1).
        token: the shared secret; a random one by default.
        profile: also count CPU time per proc for the "busiest" view.
        state_dir: where to write the state file (see :func:`default_state_dir`).
        token_deadline: seconds a new connection has to send the token.
        max_connections: connections open at once; more are refused at once.
        bad_token_delay: seconds before a wrong token is answered.
        web: also start the web dashboard and print a one-time login link to stderr
            (``python -m eventlib.observer --web PID`` prints a new link any time).
        web_port: the dashboard's TCP port (0: any free port).
        web_actions: let the dashboard kill procs and restart children (off: read-only).

    Raises:
        ValueError: ``host`` is not a loopback address, or a limit is not positive.
        TypeError: ``max_connections`` is not an int.
        StateFileError: the state directory is not private to this user.
    """
    if host not in _LOOPBACK:
        raise ValueError(f"the observer listens on loopback only, not {host!r}")
    _check_positive("token_deadline", token_deadline)
    _check_positive("bad_token_delay", bad_token_delay)
    if isinstance(max_connections, bool) or not isinstance(max_connections, int):
        raise TypeError(f"max_connections must be a positive int, got {max_connections!r}")
    _check_positive("max_connections", max_connections)
    server = ObserverServer(
        get_hub(),
        host,
        port,
        token or secrets.token_urlsafe(24),
        state_dir or default_state_dir(),
        token_deadline=token_deadline,
        max_connections=max_connections,
        bad_token_delay=bad_token_delay,
    )
    if profile:
        enable_profiling()
    if web or web_actions:
        link = server.open_web(web_port, actions=web_actions).login_link()
        sys.stderr.write(f"eventlib observer: open {link}\n")
        sys.stderr.flush()
    return server

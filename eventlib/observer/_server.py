"""The opt-in observer endpoint: snapshots as JSON over loopback TCP, behind a token."""

from __future__ import annotations

import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from twisted.internet.protocol import Factory
from twisted.protocols.basic import LineOnlyReceiver

from eventlib.hub import Hub, get_hub
from eventlib.observer._snapshot import disable_profiling, enable_profiling, snapshot

__all__ = ["ObserverServer", "default_state_dir", "serve"]


def default_state_dir() -> Path:
    """Where a program advertises its observer endpoint (private to this user)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) if runtime else Path(tempfile.gettempdir()) / f"eventlib-{os.getuid()}"
    return base / "eventlib"


class _SnapshotProtocol(LineOnlyReceiver):
    delimiter = b"\n"
    MAX_LENGTH = 256

    def lineReceived(self, line: bytes) -> None:  # noqa: N802 - Twisted's interface
        server: ObserverServer = self.factory.server
        if hmac.compare_digest(line.strip(), server.token.encode()):
            payload: dict[str, Any] = snapshot(server.hub).to_json()
        else:
            payload = {"error": "bad token"}
        self.sendLine(json.dumps(payload).encode())  # type: ignore[no-untyped-call]
        transport: Any = self.transport
        transport.loseConnection()

    def lineLengthExceeded(self, line: bytes) -> None:  # noqa: N802, ARG002 - Twisted's interface
        transport: Any = self.transport
        transport.loseConnection()


class ObserverServer:
    """A listening observer endpoint; :meth:`stop` closes it and removes its state file."""

    def __init__(self, hub: Hub, host: str, port: int, token: str, state_dir: Path) -> None:
        self.hub = hub
        self.token = token
        factory = Factory.forProtocol(_SnapshotProtocol)
        factory.server = self  # type: ignore[attr-defined]
        self._port = hub.reactor.listenTCP(port, factory, interface=host)
        self.host = host
        self.port: int = self._port.getHost().port
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.state_file = state_dir / f"observer-{os.getpid()}.json"
        descriptor = os.open(self.state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump({"pid": os.getpid(), "host": host, "port": self.port, "token": token}, handle)

    def stop(self) -> None:
        self._port.stopListening()
        self.state_file.unlink(missing_ok=True)
        disable_profiling()


def serve(
    port: int = 0,
    host: str = "127.0.0.1",
    token: str | None = None,
    *,
    profile: bool = True,
    state_dir: Path | None = None,
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

    Raises:
        ValueError: ``host`` is not a loopback address.
    """
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError(f"the observer listens on loopback only, not {host!r}")
    if profile:
        enable_profiling()
    return ObserverServer(
        get_hub(),
        host,
        port,
        token or secrets.token_urlsafe(24),
        state_dir or default_state_dir(),
    )

"""The worker's side: what a process started by a WorkerPool was handed, and its duties.

A worker (1) adopts the listening sockets it was handed into the reactor,
(2) says it is ready, (3) answers the parent's heartbeat while it serves,
and (4) drains and exits when the parent asks, on SIGTERM, or when its
parent is gone. :class:`Worker` does the protocol; what "drain" means
(stop taking new work, finish the running work) is the program's.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from eventlib.hub import get_hub
from eventlib.log import get_logger
from eventlib.proc import Proc, spawn
from eventlib.sync import Event, Timeout
from eventlib.workers._channel import ENV_VAR, Channel
from eventlib.workers._errors import NotAWorker

__all__ = ["StopRequest", "Worker", "add_worker_field", "current_worker_index"]

_log = get_logger()

_PR_SET_PDEATHSIG = 1
# A worker whose parent is gone exits after this long even if its program does not.
PARENT_GONE_GRACE = 2.0
# The deadline a SIGTERM sent to the worker itself gives its running work.
SIGTERM_DRAIN = 5.0


class _State:
    index: int | None = None


_STATE = _State()


def current_worker_index() -> int | None:
    """This process's worker index, or None in a process that is not a pool's worker."""
    return _STATE.index


def add_worker_field(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: every event of a worker process carries ``worker=<index>``.

    Add it to ``structlog.configure(processors=[...])`` in the worker (and the
    parent: it does nothing there).
    """
    index = _STATE.index
    if index is not None:
        event_dict.setdefault("worker", index)
    return event_dict


@attrs.frozen
class StopRequest:
    """Why and how a worker is asked to stop."""

    deadline: float
    """Seconds its running work may take to finish."""
    restarting: bool
    """A successor takes over its sockets at once (a rolling restart), so new work
    that arrives meanwhile may be left to it rather than refused."""
    parent_gone: bool = False
    """Its parent's channel closed: nobody supervises it any more; exit now."""


def _set_parent_death_signal(parent_pid: int) -> None:
    """Linux: die with the parent even if the channel is never read (a second guard)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl here: the channel's EOF is the guard
            pass
    if os.getppid() != parent_pid:  # the parent died before the guard was set
        os._exit(1)


class Worker:
    """The link from a worker process to its pool: sockets, readiness, heartbeat, stop.

    Example (the whole of a UDP echo worker)::

        worker = Worker.from_environ()
        worker.adopt_udp(EchoProtocol())
        worker.ready()
        request = worker.wait_for_stop()   # parks; the heartbeat is answered meanwhile
        # ... stop taking new work, finish the running work within request.deadline ...
    """

    def __init__(
        self,
        index: int,
        generation: int,
        control_fd: int,
        sockets: Mapping[str, int],
        family: int | None,
    ) -> None:
        self.index = index
        self.generation = generation
        self.sockets = dict(sockets)
        self.family = family
        self.channel = Channel.from_fd(control_fd)
        self.status: Callable[[], dict[str, Any]] | None = None
        """Called for each heartbeat answer; its dict reaches the parent's ``WorkerProc.status``."""
        self._stop = Event()
        self._responder: Proc | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Worker:
        """The worker this process is, from what its pool handed it.

        Also makes the process die with its parent (Linux: PR_SET_PDEATHSIG)
        and ignore SIGINT (the parent handles Ctrl-C and stops its workers).

        Raises:
            NotAWorker: the process was not started by a WorkerPool.
        """
        environ = os.environ if environ is None else environ
        raw = environ.get(ENV_VAR)
        if not raw:
            raise NotAWorker(
                f"{ENV_VAR} is not set: this process was not started by a WorkerPool; "
                "start it with WorkerPool(command, ...) or run the program without workers"
            )
        try:
            handed = json.loads(raw)
            worker = cls(
                int(handed["index"]),
                int(handed["generation"]),
                int(handed["control"]),
                {str(k): int(v) for k, v in handed["sockets"].items()},
                None if handed.get("family") is None else int(handed["family"]),
            )
            parent_pid = int(handed["parent_pid"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise NotAWorker(f"{ENV_VAR} is malformed ({exc!r}): {raw!r}") from None
        _STATE.index = worker.index
        _set_parent_death_signal(parent_pid)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        return worker

    # -- sockets -------------------------------------------------------------

    def socket_fd(self, kind: str) -> int:
        """The descriptor of the ``kind`` ("udp" or "tcp") socket this worker was handed."""
        try:
            return self.sockets[kind]
        except KeyError:
            raise NotAWorker(
                f"worker {self.index} was handed no {kind} socket (it has {sorted(self.sockets)}); "
                f"give the pool's SharedSockets a {kind}_port"
            ) from None

    def _adopted(self, kind: str) -> tuple[int, int]:
        fd = self.socket_fd(kind)
        os.set_blocking(fd, False)
        assert self.family is not None
        return fd, self.family

    def adopt_udp(self, protocol: Any, max_packet_size: int = 65536) -> Any:
        """Serve the handed UDP socket with a Twisted DatagramProtocol; returns the port."""
        fd, family = self._adopted("udp")
        port = get_hub().reactor.adoptDatagramPort(fd, family, protocol, max_packet_size)
        os.close(fd)  # Twisted holds its own duplicate
        return port

    def adopt_tcp(self, factory: Any) -> Any:
        """Accept on the handed TCP socket with a Twisted factory; returns the port."""
        fd, family = self._adopted("tcp")
        port = get_hub().reactor.adoptStreamPort(fd, family, factory)
        os.close(fd)
        return port

    # -- the protocol with the parent ---------------------------------------

    def ready(self) -> None:
        """Tell the parent this worker serves; from now on answer its heartbeat.

        Also turns SIGTERM into a stop request (with a 5 s deadline).
        """
        reactor = get_hub().reactor
        signal.signal(
            signal.SIGTERM,
            lambda *_: reactor.callFromThread(self._request, StopRequest(SIGTERM_DRAIN, False)),
        )
        self._responder = spawn(self._respond)
        self._responder.name = "worker-control"
        self.channel.send({"op": "ready", "pid": os.getpid()})

    def _respond(self) -> None:
        channel = self.channel
        while True:
            messages = channel.receive(None)
            if messages is None:
                self._parent_gone()
                return
            for message in messages:
                op = message.get("op")
                if op == "ping":
                    answer: dict[str, Any] = {"op": "pong"}
                    if self.status is not None:
                        answer["status"] = self.status()
                    channel.send(answer)
                elif op == "stop":
                    self._request(
                        StopRequest(
                            float(message.get("deadline", SIGTERM_DRAIN)),
                            bool(message.get("restarting", False)),
                        )
                    )

    def _parent_gone(self) -> None:
        _log.warning("worker.parent_gone", worker=self.index, pid=os.getpid())
        self._request(StopRequest(0.0, False, parent_gone=True))
        get_hub().schedule_call_global(PARENT_GONE_GRACE, os._exit, 1)

    def _request(self, request: StopRequest) -> None:
        if not self._stop.ready():
            self._stop.send(request)

    def wait_for_stop(self, timeout: float | None = None) -> StopRequest | None:
        """Park until the worker is asked to stop; None if ``timeout`` passed first."""
        with Timeout(timeout, False):
            return self._stop.wait()  # type: ignore[no-any-return]
        return None

    @property
    def stopping(self) -> bool:
        return self._stop.ready()

    def close(self) -> None:
        """Close the control channel (the parent sees the worker gone at once)."""
        if self._responder is not None:
            self._responder.kill()
        self.channel.close()

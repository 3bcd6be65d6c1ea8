"""The parent's side: WorkerPool, a Supervisor whose children own OS worker processes.

Each child is a :class:`WorkerProc`: a proc that owns one process started
with the green ``subprocess`` and its control channel. The pool is a plain
:class:`~eventlib.supervisor.Supervisor` (one_for_one by default), so the
restart types, the intensity, the shutdown grace then kill and the tree are
the supervisor's own; this module only maps a process's life onto its proc's:

- the process exits 0: the proc returns (exit reason *normal*);
- it exits non-zero, by a signal, or stops answering its heartbeat (then it
  is killed with SIGKILL): the proc raises :class:`WorkerExited` /
  :class:`WorkerUnresponsive` (exit reason *error*);
- the proc gets ``Shutdown`` (the supervisor's grace period begins): it asks
  the worker to drain and stop, and waits; ``Killed`` (grace over): SIGKILL.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from greenlet import GreenletExit

from eventlib.green import subprocess
from eventlib.hub import get_hub, sleep
from eventlib.log import get_logger
from eventlib.proc import Proc, spawn
from eventlib.supervisor import Backoff, ChildNotFound, ChildSpec, Killed, Restart, Supervisor
from eventlib.workers._channel import ENV_VAR, Channel
from eventlib.workers._errors import (
    WorkerExited,
    WorkerStartError,
    WorkerUnresponsive,
    describe_status,
)
from eventlib.workers._sockets import SharedSockets

__all__ = ["WorkerPool", "WorkerProc", "python_command"]

_log = get_logger()

# After its control channel closes, a process gets this long to be reaped before SIGKILL.
_EXIT_WAIT = 5.0

Command = Sequence[str] | Callable[[int], Sequence[str]]


class WorkerProc(Proc):
    """The proc that owns one worker process: heartbeat, exit status, graceful stop.

    Attributes:
        index: the worker's slot in the pool (it is handed socket ``index``).
        generation: how many processes this slot had before this one.
        pid: the process id.
        status: the last status the worker reported with its heartbeat answer.
    """

    def __init__(
        self,
        pool: WorkerPool,
        index: int,
        generation: int,
        process: subprocess.Popen[Any],
        channel: Channel,
    ) -> None:
        super().__init__(f"worker-{index} pid={process.pid}")
        self.pool = pool
        self.index = index
        self.generation = generation
        self.process = process
        self.pid: int = process.pid
        self.channel = channel
        self.status: dict[str, Any] = {}
        self.restarting = False
        self._stop_sent = False
        self._exit_logged = False
        self.link(self._finished)
        self.run(self._main)

    # -- requests from the pool (never block) ------------------------------

    def request_stop(self, *, restarting: bool = False) -> None:
        """Ask the worker to stop accepting, finish its running work, and exit. Once."""
        if self._stop_sent:
            return
        self._stop_sent = True
        self.channel.send(
            {"op": "stop", "deadline": self.pool.drain_seconds, "restarting": restarting}
        )

    # -- the proc ----------------------------------------------------------

    def _main(self) -> None:
        try:
            self._watch()
        except GreenletExit as exc:
            if not isinstance(exc, Killed):
                self._stop_gracefully()  # Killed may interrupt it: the finally kills
            raise
        finally:
            self._kill_and_reap()
            self.channel.close()

    def _finished(self, _proc: Proc) -> None:
        """A proc killed before it started never ran ``_main``'s cleanup: do it here."""
        if self.process.returncode is None and self.process.poll() is None:
            self.process.kill()  # from MAIN_LOOP: no waiting here; a proc reaps it
            self.channel.close()
            spawn(self._reap, _EXIT_WAIT)

    def _watch(self) -> None:
        pool, clock = self.pool, get_hub().clock
        interval, limit = pool.heartbeat_interval, pool.heartbeat_timeout
        last_heard = clock()
        next_ping = last_heard + interval
        while True:
            now = clock()
            if now - last_heard > limit:
                self._unresponsive(now - last_heard)
            if now >= next_ping:
                self.channel.send({"op": "ping"})  # a full channel shows up as silence
                next_ping = now + interval
            wait = max(0.0, min(next_ping, last_heard + limit) - now)
            messages = self.channel.receive(wait)
            if messages is None:
                self._exited()
                return
            if messages:
                last_heard = clock()
                for message in messages:
                    status = message.get("status")
                    if isinstance(status, dict):
                        self.status = status

    def _exited(self) -> None:
        """The worker closed its channel: reap it; a non-zero status is an error."""
        returncode = self._reap(_EXIT_WAIT)
        if returncode is None:  # closed the channel but lives on: not a worker any more
            self.process.kill()
            returncode = self._reap(None)
        assert returncode is not None
        if returncode != 0:
            raise WorkerExited(self.index, self.pid, returncode)

    def _unresponsive(self, silent_for: float) -> None:
        _log.error("worker.unresponsive", worker=self.index, pid=self.pid, silent_for=silent_for)
        self.process.kill()
        self._reap(None)
        raise WorkerUnresponsive(self.index, self.pid, silent_for)

    def _stop_gracefully(self) -> None:
        """Shutdown: ask the worker to drain and exit, then wait (the supervisor bounds it)."""
        self.request_stop(restarting=self.restarting)
        while self.channel.receive(None) is not None:
            pass
        self._reap(None)

    def _reap(self, timeout: float | None) -> int | None:
        process = self.process
        if process.returncode is None:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                return None
        self._log_exit(process.returncode)
        return process.returncode

    def _kill_and_reap(self) -> None:
        if self.process.returncode is None and self.process.poll() is None:
            self.process.kill()
        if self._reap(_EXIT_WAIT) is None:
            _log.error("worker.kill_ignored", worker=self.index, pid=self.pid, waited=_EXIT_WAIT)

    def _log_exit(self, returncode: int) -> None:
        if self._exit_logged:
            return
        self._exit_logged = True
        log = _log.info if returncode == 0 or self._stop_sent else _log.warning
        log(
            "worker.exited",
            worker=self.index,
            pid=self.pid,
            status=describe_status(returncode),
            returncode=returncode,
        )


class WorkerPool(Supervisor):
    """A supervisor of ``count`` OS worker processes, sharing the parent's listening sockets.

    Worker ``i`` runs ``command`` (or ``command(i)``) with socket ``i`` of each
    kind in ``sockets`` and one end of a control channel, handed down by
    descriptor; it tells the parent it is ready, answers a heartbeat, and
    drains and exits when the parent asks or its channel closes (see
    :class:`~eventlib.workers.Worker`). Everything else is the supervisor's:
    restart type, intensity (``max_restarts`` in ``max_seconds``), optional
    back-off, one_for_one, shutdown grace then SIGKILL, ``format_tree`` (each
    worker's line also shows its pid), the observer.

    Args:
        command: the worker's argv, or a function of its index returning one.
        count: how many workers (default: ``sockets.count``).
        sockets: the parent-owned listening sockets (:class:`SharedSockets`), or None.
        restart: the workers' restart type (``permanent`` by default).
        drain_seconds: how long a stopping worker may take to finish its running work.
        shutdown: the grace period before SIGKILL (default ``drain_seconds + 5``).
        heartbeat_interval: seconds between two pings.
        heartbeat_timeout: silence after which a worker is killed and replaced.
        start_timeout: seconds a new worker has to report ready.
        env: the workers' environment (default: the parent's).
        cwd: their working directory.

    Raises:
        ValueError: ``count`` and ``sockets`` disagree, or a timing is not positive.

    Example (in a proc)::

        shared = SharedSockets(2, "127.0.0.1", udp_port=0)
        pool = WorkerPool([sys.executable, "-m", "myapp.worker"], sockets=shared,
                          max_restarts=3, max_seconds=10)
        print(pool.format_tree())
        pool.stop()       # drain every worker, then stop them
        shared.close()
    """

    def __init__(
        self,
        command: Command,
        count: int | None = None,
        *,
        sockets: SharedSockets | None = None,
        restart: Restart | str = Restart.PERMANENT,
        drain_seconds: float = 5.0,
        shutdown: float | None = None,
        heartbeat_interval: float = 1.0,
        heartbeat_timeout: float = 5.0,
        start_timeout: float = 10.0,
        max_restarts: int = 1,
        max_seconds: float = 5,
        backoff: Backoff | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        name: str | None = "workers",
    ) -> None:
        if count is None:
            if sockets is None:
                raise ValueError("give count, or sockets (one worker per socket)")
            count = sockets.count
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be an int >= 1, not {count!r}")
        if sockets is not None and sockets.count != count:
            raise ValueError(
                f"count={count} but sockets has {sockets.count} per kind: one socket per worker"
            )
        for label, value in (
            ("drain_seconds", drain_seconds),
            ("heartbeat_interval", heartbeat_interval),
            ("heartbeat_timeout", heartbeat_timeout),
            ("start_timeout", start_timeout),
        ):
            if not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{label} must be a number of seconds > 0, not {value!r}")
        if heartbeat_timeout <= heartbeat_interval:
            raise ValueError(
                f"heartbeat_timeout ({heartbeat_timeout}) must exceed heartbeat_interval "
                f"({heartbeat_interval}), or every worker would be killed between two pings"
            )
        self.command = command
        self.sockets = sockets
        self.count = count
        self.drain_seconds = float(drain_seconds)
        self.heartbeat_interval = float(heartbeat_interval)
        self.heartbeat_timeout = float(heartbeat_timeout)
        self.start_timeout = float(start_timeout)
        self.env = env
        self.cwd = cwd
        self._generations = [0] * count
        grace = self.drain_seconds + 5.0 if shutdown is None else shutdown
        specs = [
            ChildSpec(f"worker-{i}", start=partial(self._start_worker, i), restart=restart,
                      shutdown=grace)
            for i in range(count)
        ]  # fmt: skip
        super().__init__(
            specs,
            strategy="one_for_one",
            max_restarts=max_restarts,
            max_seconds=max_seconds,
            name=name,
            backoff=backoff,
        )

    # -- starting a worker (runs in the supervisor's proc) -------------------

    def _argv(self, index: int) -> list[str]:
        command = self.command(index) if callable(self.command) else self.command
        argv = list(command)
        if not argv or not all(isinstance(arg, str) for arg in argv):
            raise TypeError(f"a worker command is a non-empty list of str, not {command!r}")
        return argv

    def _start_worker(self, index: int) -> WorkerProc:
        generation = self._generations[index]
        self._generations[index] += 1
        fds = self.sockets.fds(index) if self.sockets is not None else {}
        parent_end, child_end = socket.socketpair()
        handed = {
            "index": index,
            "generation": generation,
            "control": child_end.fileno(),
            "sockets": fds,
            "family": int(self.sockets.family) if self.sockets is not None else None,
            "parent_pid": os.getpid(),
        }
        env = dict(os.environ if self.env is None else self.env)
        env[ENV_VAR] = json.dumps(handed)
        try:
            process = subprocess.Popen(
                self._argv(index),
                pass_fds=(child_end.fileno(), *fds.values()),
                env=env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()
        channel = Channel(parent_end)
        try:
            self._await_ready(index, process, channel)
        except BaseException:
            channel.close()
            if process.poll() is None:
                process.kill()
            try:
                process.wait(_EXIT_WAIT)
            except subprocess.TimeoutExpired:
                _log.error("worker.kill_ignored", worker=index, pid=process.pid)
            raise
        proc = WorkerProc(self, index, generation, process, channel)
        while proc.greenlet is None and not proc.dead:
            sleep(0)  # let it start: a Shutdown that came first would skip its cleanup
        _log.info(
            "worker.restarted" if generation else "worker.started",
            worker=index,
            pid=process.pid,
            generation=generation,
            sup_path=self.path,
        )
        return proc

    def _await_ready(self, index: int, process: subprocess.Popen[Any], channel: Channel) -> None:
        clock = get_hub().clock
        deadline = clock() + self.start_timeout
        while True:
            remaining = deadline - clock()
            if remaining <= 0:
                raise WorkerStartError(
                    index, process.pid, f"not ready after {self.start_timeout} s"
                )
            messages = channel.receive(remaining)
            if messages is None:
                try:
                    returncode = process.wait(_EXIT_WAIT)
                except subprocess.TimeoutExpired:
                    raise WorkerStartError(
                        index, process.pid, "closed its control channel before it was ready"
                    ) from None
                raise WorkerStartError(
                    index,
                    process.pid,
                    f"exited with {describe_status(returncode)} before it was ready",
                )
            if any(message.get("op") == "ready" for message in messages):
                return

    # -- the pool's own API --------------------------------------------------

    def workers(self) -> list[WorkerProc]:
        """The running worker procs, in slot order."""
        procs = [child.proc for child in self._children]
        running = [p for p in procs if isinstance(p, WorkerProc) and not p.dead]
        return sorted(running, key=lambda proc: proc.index)

    def stop(self, timeout: float | None = None) -> None:
        """Graceful stop: every worker stops accepting and drains at once, then they are stopped.

        Each worker gets ``drain_seconds`` to finish its running work; one that
        is still there at the end of its shutdown grace is killed (SIGKILL).
        """
        if not self.dead:
            for proc in self.workers():
                proc.request_stop()
        # No yield since the requests: the supervisor reads "stop" before any worker's exit.
        super().stop(timeout)

    def rolling_restart(self) -> None:
        """Replace the workers one at a time: drain one, start its successor, then the next.

        The successor is handed the same sockets, so what arrives meanwhile waits
        for it. Restarts made this way do not count toward the intensity. Slots
        without a running worker (stopped, restarting, or a temporary one that
        ended) are left as they are.
        """
        for index in range(self.count):
            child_id = f"worker-{index}"
            try:
                proc = self.which_child(child_id).proc
            except ChildNotFound:
                continue  # a temporary worker that ended: nothing to replace
            if not isinstance(proc, WorkerProc):
                continue  # stopped, or being restarted by the supervisor already
            proc.restarting = True
            spec = self.get_childspec(child_id)
            self.terminate_child(child_id)
            if spec.restart is Restart.TEMPORARY:
                self.start_child(spec)  # terminating a temporary child forgets its spec
            else:
                self.restart_child(child_id)

    def _format_children(self, lines: list[str], indent: str) -> None:
        first = len(lines)
        super()._format_children(lines, indent)
        for offset, child in enumerate(self._children):  # one line per child: no subtrees
            proc = child.proc
            if isinstance(proc, WorkerProc) and first + offset < len(lines):
                line = lines[first + offset]
                lines[first + offset] = f"{line[:-1]} pid={proc.pid}]"


def python_command(module: str, *args: str) -> list[str]:
    """``[sys.executable, "-m", module, *args]``: a worker that is a module of this program."""
    return [sys.executable, "-m", module, *args]

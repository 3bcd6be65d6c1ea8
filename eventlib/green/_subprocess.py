"""Popen whose pipes, wait() and communicate() park the green thread.

The child is started by the stdlib (fork and exec: the parent waits only
until the child has exec'd or failed to); then its pipes are replaced by
green files (:func:`eventlib.green._os.green_pipe`), ``wait`` parks on a pidfd
(or polls with growing green sleeps where there is none), and
``communicate`` feeds stdin and drains stdout/stderr in procs of its own.
"""

from __future__ import annotations

import io
import os
import subprocess as _stdlib_subprocess
from typing import Any

from eventlib.green._os import GreenFileIO, wait_for_exit
from eventlib.hub import get_hub, sleep
from eventlib.proc import Proc, spawn
from eventlib.sync import Timeout

__all__ = [
    "Popen",
    "call",
    "check_call",
    "check_output",
    "getoutput",
    "getstatusoutput",
    "run",
]

PIPE = _stdlib_subprocess.PIPE
STDOUT = _stdlib_subprocess.STDOUT
TimeoutExpired = _stdlib_subprocess.TimeoutExpired
CalledProcessError = _stdlib_subprocess.CalledProcessError
CompletedProcess = _stdlib_subprocess.CompletedProcess

_POLL_FIRST = 0.001
_POLL_MAX = 0.05


class _Expired(Exception):
    """This module's own timeout marker (never confused with a caller's Timeout)."""


def _green_stream(stream: Any, writing: bool) -> Any:
    """The same kind of file object as ``stream`` (raw, buffered or text), but green."""
    if stream is None:
        return None
    text = stream if isinstance(stream, io.TextIOWrapper) else None
    buffered = text.buffer if text is not None else stream
    raw_only = isinstance(buffered, io.RawIOBase)
    fd = os.dup(stream.fileno())
    stream.close()
    result: Any = GreenFileIO(fd, "w" if writing else "r")
    if raw_only:
        return result
    size = getattr(buffered, "_CHUNK_SIZE", io.DEFAULT_BUFFER_SIZE)
    result = io.BufferedWriter(result, size) if writing else io.BufferedReader(result, size)
    if text is not None:
        result = io.TextIOWrapper(
            result,
            encoding=text.encoding,
            errors=text.errors,
            line_buffering=text.line_buffering,
            write_through=writing,
        )
    return result


class Popen(_stdlib_subprocess.Popen[Any]):
    """``subprocess.Popen`` with green pipes, ``wait()`` and ``communicate()``.

    ``stdin``/``stdout``/``stderr`` are green file objects of the kinds the
    stdlib gives (binary, text, unbuffered); every other method is the stdlib's.

    Example::

        with Popen(["cat"], stdin=PIPE, stdout=PIPE) as proc:
            out, _ = proc.communicate(b"data", timeout=5)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._green_readers: list[Proc | None] | None = None
        self.stdin = _green_stream(self.stdin, writing=True)
        self.stdout = _green_stream(self.stdout, writing=False)
        self.stderr = _green_stream(self.stderr, writing=False)

    def wait(self, timeout: float | None = None) -> int:
        """Park until the child exits; return its return code.

        Raises:
            TimeoutExpired: ``timeout`` passed first (the child keeps running).
        """
        if self.returncode is not None:
            return self.returncode
        expired = _Expired()
        try:
            exited = wait_for_exit(self.pid, timeout, expired)
        except _Expired as exc:
            if exc is not expired:
                raise
            raise TimeoutExpired(self.args, timeout or 0.0) from None
        deadline = None if timeout is None else get_hub().clock() + timeout
        delay = _POLL_FIRST
        while self.poll() is None:
            if exited:
                delay = _POLL_FIRST  # exited but not yet visible to waitpid: look again soon
            if deadline is not None and get_hub().clock() >= deadline:
                raise TimeoutExpired(self.args, timeout or 0.0)
            sleep(delay)
            delay = min(delay * 2, _POLL_MAX)
        return self.returncode  # type: ignore[return-value]

    def communicate(self, input: Any = None, timeout: float | None = None) -> tuple[Any, Any]:  # noqa: A002
        """Send ``input``, read stdout/stderr to EOF and wait for the child, all green.

        After a TimeoutExpired, calling ``communicate()`` again carries on
        where it stopped, as with the stdlib.
        """
        me: Any = self
        if me._communication_started and input:
            raise ValueError("Cannot send input after starting communication")
        readers = self._green_readers
        if readers is None:
            me._communication_started = True
            readers = self._green_readers = [
                spawn(self._feed, input) if self.stdin else None,
                spawn(_drain, self.stdout) if self.stdout else None,
                spawn(_drain, self.stderr) if self.stderr else None,
            ]
        deadline = None if timeout is None else get_hub().clock() + timeout
        expired = _Expired()
        try:
            with Timeout(timeout, expired):
                results = [None if proc is None else proc.wait() for proc in readers]
        except _Expired as exc:
            if exc is not expired:
                raise
            raise TimeoutExpired(self.args, timeout or 0.0) from None
        remaining = None if deadline is None else max(0.0, deadline - get_hub().clock())
        self.wait(remaining)
        return results[1], results[2]

    def _feed(self, data: Any) -> None:
        stdin = self.stdin
        assert stdin is not None
        try:
            if data:
                stdin.write(data)
            stdin.close()
        except BrokenPipeError:
            pass  # the child exited without reading it all, as the stdlib allows


def _drain(stream: Any) -> Any:
    try:
        return stream.read()
    finally:
        stream.close()


def call(*popenargs: Any, timeout: float | None = None, **kwargs: Any) -> int:
    """Run a command and return its return code (``subprocess.call``, green)."""
    with Popen(*popenargs, **kwargs) as process:
        try:
            return process.wait(timeout=timeout)
        except BaseException:
            process.kill()
            raise


def check_call(*popenargs: Any, **kwargs: Any) -> int:
    """Like :func:`call`, raising CalledProcessError on a non-zero return code."""
    retcode = call(*popenargs, **kwargs)
    if retcode:
        command: Any = kwargs.get("args", popenargs[0] if popenargs else None)
        raise CalledProcessError(retcode, command)
    return 0


def run(
    *popenargs: Any,
    input: Any = None,  # noqa: A002 - the stdlib's name
    capture_output: bool = False,
    timeout: float | None = None,
    check: bool = False,
    **kwargs: Any,
) -> CompletedProcess[Any]:
    """``subprocess.run`` with green waiting: the reactor keeps running meanwhile."""
    if input is not None:
        if kwargs.get("stdin") is not None:
            raise ValueError("stdin and input arguments may not both be used.")
        kwargs["stdin"] = PIPE
    if capture_output:
        if kwargs.get("stdout") is not None or kwargs.get("stderr") is not None:
            raise ValueError("stdout and stderr arguments may not be used with capture_output.")
        kwargs["stdout"] = kwargs["stderr"] = PIPE
    with Popen(*popenargs, **kwargs) as process:
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except TimeoutExpired as exc:
            process.kill()
            exc.stdout, exc.stderr = process.communicate()
            raise
        except BaseException:
            process.kill()
            raise
        retcode = process.poll()
        assert retcode is not None
        if check and retcode:
            raise CalledProcessError(retcode, process.args, output=stdout, stderr=stderr)
    return CompletedProcess(process.args, retcode, stdout, stderr)


def check_output(*popenargs: Any, timeout: float | None = None, **kwargs: Any) -> Any:
    """Run a command and return its output; CalledProcessError on failure (green)."""
    if "stdout" in kwargs:
        raise ValueError("stdout argument not allowed, it will be overridden.")
    return run(*popenargs, stdout=PIPE, timeout=timeout, check=True, **kwargs).stdout


def getstatusoutput(cmd: str, *, encoding: str | None = None, errors: str | None = None) -> Any:
    """``(exitcode, output)`` of a shell command (``subprocess.getstatusoutput``, green)."""
    result = run(  # noqa: S604 - a shell command is what this function runs
        cmd, shell=True, text=True, stdout=PIPE, stderr=STDOUT, encoding=encoding, errors=errors
    )
    data = result.stdout
    if data[-1:] == "\n":
        data = data[:-1]
    return result.returncode, data


def getoutput(cmd: str, *, encoding: str | None = None, errors: str | None = None) -> str:
    """The output of a shell command (``subprocess.getoutput``, green)."""
    return getstatusoutput(cmd, encoding=encoding, errors=errors)[1]  # type: ignore[no-any-return]

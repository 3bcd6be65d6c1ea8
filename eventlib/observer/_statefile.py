"""The observer's state file: where a program advertises its endpoint and token.

The file holds a secret, so it is written the careful way: in a directory that
only this user owns and can write, created exclusively (``O_EXCL``), never
through a symlink (``O_NOFOLLOW``), mode 0600. Files left by programs that
died without stopping their observer are removed when found.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "StateFileError",
    "default_state_dir",
    "live_state_files",
    "private_dir",
    "read_state_file",
    "remove_stale_files",
    "write_state_file",
]

_PREFIX = "observer-"
_SUFFIX = ".json"


class StateFileError(RuntimeError):
    """The state directory or file is not private to this user; the message says how to fix it."""


def default_state_dir() -> Path:
    """Where a program advertises its observer endpoint (private to this user)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) if runtime else Path(tempfile.gettempdir()) / f"eventlib-{os.getuid()}"
    return base / "eventlib"


def _check_private(path: Path, info: os.stat_result) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise StateFileError(
            f"observer state directory {path} is a symlink; refusing to follow it "
            "(remove it, or pass state_dir= a directory you own)"
        )
    if not stat.S_ISDIR(info.st_mode):
        raise StateFileError(f"observer state directory {path} is not a directory; remove it")
    if info.st_uid != os.getuid():
        raise StateFileError(
            f"observer state directory {path} is owned by uid {info.st_uid}, not by you "
            f"(uid {os.getuid()}); remove it or pass state_dir= a directory you own"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise StateFileError(
            f"observer state directory {path} is writable by others "
            f"(mode {stat.S_IMODE(info.st_mode):o}); chmod 700 it"
        )


def private_dir(path: Path, *, create: bool) -> Path:
    """Check (and with ``create``, make with mode 0700) a directory only this user controls.

    Its parent must be owned by this user or root and, if others can write
    it, sticky (like /tmp), so nobody else can swap the directory.

    Raises:
        StateFileError: the directory or its parent is not private.
        FileNotFoundError: it is missing and ``create`` is false.
    """
    parent = path.parent
    if create and parent != path and not parent.exists():
        private_dir(parent, create=True)
    parent_info = parent.stat()
    if parent_info.st_uid not in (0, os.getuid()) or (
        parent_info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        and not parent_info.st_mode & stat.S_ISVTX
    ):
        raise StateFileError(
            f"the parent of the observer state directory, {parent}, can be changed by "
            "other users; pass state_dir= a directory under one only you control"
        )
    if create:
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass
    _check_private(path, path.lstat())
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _pid_of(path: Path) -> int | None:
    digits = path.name.removeprefix(_PREFIX).removesuffix(_SUFFIX)
    return int(digits) if digits.isdigit() else None


def remove_stale_files(state_dir: Path) -> list[Path]:
    """Remove the state files of programs that are no longer running; return them."""
    removed = []
    for path in state_dir.glob(f"{_PREFIX}*{_SUFFIX}"):
        pid = _pid_of(path)
        if pid is not None and not _pid_alive(pid):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def live_state_files(state_dir: Path) -> dict[int, Path]:
    """The state files of running programs, by pid (stale ones are removed)."""
    remove_stale_files(state_dir)
    found = {}
    for path in state_dir.glob(f"{_PREFIX}*{_SUFFIX}"):
        pid = _pid_of(path)
        if pid is not None:
            found[pid] = path
    return dict(sorted(found.items()))


def write_state_file(state_dir: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` to ``<state_dir>/observer-<pid>.json``, exclusively, mode 0600.

    A regular file of ours already at that path is stale (an earlier program
    with the same pid) and is replaced; anything else there is refused.

    Raises:
        StateFileError: the directory is not private, or the path is a symlink
            or not a regular file of this user.
    """
    private_dir(state_dir, create=True)
    remove_stale_files(state_dir)
    path = state_dir / f"{_PREFIX}{os.getpid()}{_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a regular file of yours"
            raise StateFileError(
                f"observer state file {path} already exists and is {kind}; refusing to "
                "write through it (remove it)"
            ) from None
        path.unlink()
        descriptor = os.open(path, flags, 0o600)  # a new race loses with FileExistsError
    with os.fdopen(descriptor, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)  # whatever the umask
        json.dump(data, handle)
    return path


def read_state_file(path: Path) -> dict[str, Any]:
    """Read a state file, refusing one that is not a private regular file of this user.

    Raises:
        StateFileError: the file is a symlink, someone else's, or readable by others.
    """
    private_dir(path.parent, create=False)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        raise StateFileError(f"observer state file {path} is a symlink; remove it") from None
    with os.fdopen(descriptor) as handle:
        info = os.fstat(handle.fileno())
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise StateFileError(
                f"observer state file {path} is not private to you "
                f"(owner uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):o}); remove it"
            )
        return dict(json.loads(handle.read()))

"""The observer's state file: exclusive, private, never through a symlink, stale ones removed."""

import json
import os
import stat
import subprocess
import sys

import pytest

from eventlib.observer import StateFileError, serve
from eventlib.observer._client import find_endpoint
from eventlib.observer._statefile import write_state_file


def dead_pid():
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def test_planted_symlink_is_refused_and_its_target_untouched(real_reactor, tmp_path):
    """A symlink at the state file's path is refused; its target keeps its content."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    (state_dir / f"observer-{os.getpid()}.json").symlink_to(victim)
    with pytest.raises(StateFileError, match="symlink"):
        serve(state_dir=state_dir, profile=False)
    assert victim.read_text() == "precious"


def test_state_dir_writable_by_others_is_refused(real_reactor, tmp_path):
    """A state directory others can write is refused with the chmod that fixes it."""
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    state_dir.chmod(0o777)
    with pytest.raises(StateFileError, match="chmod 700"):
        serve(state_dir=state_dir, profile=False)
    assert list(state_dir.iterdir()) == []


def test_state_dir_owned_by_someone_else_is_refused(real_reactor, tmp_path, monkeypatch):
    """A state directory owned by another uid is refused."""
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    owner = state_dir.stat().st_uid
    monkeypatch.setattr(os, "getuid", lambda: owner + 4242)  # we are now someone else
    with pytest.raises(StateFileError, match="owned by uid"):
        write_state_file(state_dir, {"pid": 1})


def test_state_dir_that_is_a_symlink_is_refused(real_reactor, tmp_path):
    """A symlink in place of the state directory is not followed."""
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "state").symlink_to(real)
    with pytest.raises(StateFileError, match="symlink"):
        serve(state_dir=tmp_path / "state", profile=False)
    assert list(real.iterdir()) == []


def test_created_state_dir_is_private(real_reactor, tmp_path):
    """serve() creates a missing state directory with mode 0700."""
    server = serve(state_dir=tmp_path / "a" / "state", profile=False)
    try:
        assert stat.S_IMODE((tmp_path / "a" / "state").stat().st_mode) == 0o700
    finally:
        server.stop()


def test_loose_leftover_file_of_our_pid_is_replaced_private(real_reactor, tmp_path):
    """A leftover world-readable file with our pid's name is replaced by a fresh 0600 one."""
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    leftover = state_dir / f"observer-{os.getpid()}.json"
    leftover.write_text('{"token": "old"}')
    leftover.chmod(0o644)
    server = serve(state_dir=state_dir, profile=False)
    try:
        assert stat.S_IMODE(server.state_file.stat().st_mode) == 0o600
        assert json.loads(server.state_file.read_text())["token"] == server.token
    finally:
        server.stop()


def test_state_file_is_private_under_a_permissive_umask(real_reactor, tmp_path):
    """The state file is 0600 even when the program's umask is 0."""
    old = os.umask(0)
    try:
        server = serve(state_dir=tmp_path / "state", profile=False)
    finally:
        os.umask(old)
    try:
        assert stat.S_IMODE(server.state_file.stat().st_mode) == 0o600
    finally:
        server.stop()


def test_stale_files_of_dead_pids_are_removed_by_serve(real_reactor, tmp_path):
    """serve() removes the state files of programs that died without stopping their observer."""
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    stale = state_dir / f"observer-{dead_pid()}.json"
    stale.write_text('{"token": "leaked"}')
    server = serve(state_dir=state_dir, profile=False)
    try:
        assert not stale.exists()
        assert server.state_file.exists()
    finally:
        server.stop()


def test_client_ignores_and_removes_stale_files(tmp_path):
    """The client picks the one live program, removing files of dead pids on the way."""
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    stale = state_dir / f"observer-{dead_pid()}.json"
    stale.write_text('{"token": "leaked"}')
    live = state_dir / f"observer-{os.getpid()}.json"
    live.write_text('{"pid": 1, "token": "t"}')
    live.chmod(0o600)
    assert find_endpoint(state_dir, None)["token"] == "t"
    assert not stale.exists()


def test_client_refuses_a_state_file_readable_by_others(tmp_path):
    """The client refuses a state file that is not private (someone may have planted it)."""
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    planted = state_dir / f"observer-{os.getpid()}.json"
    planted.write_text('{"pid": 1, "token": "t"}')
    planted.chmod(0o644)
    with pytest.raises(SystemExit, match="not private"):
        find_endpoint(state_dir, os.getpid())

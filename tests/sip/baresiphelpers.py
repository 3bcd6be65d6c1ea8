"""A headless baresip (Debian's softphone) driven through its ctrl_tcp interface."""

from __future__ import annotations

import contextlib
import json
import shutil
import struct
import wave
from pathlib import Path
from typing import Any

import pytest

import eventlib
from eventlib.green import socket, subprocess

BARESIP = shutil.which("baresip")
MODULES = Path("/usr/lib/baresip/modules")
requires_baresip = pytest.mark.skipif(
    BARESIP is None or not MODULES.is_dir(), reason="baresip is not installed (make test does it)"
)


def free_port(*, tls_next: bool = False, avoid: tuple[int, ...] = ()) -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (baresip listens on both).

    ``tls_next``: the next port is free for TCP too (baresip's SIP/TLS listener takes
    ``sip_listen``'s port + 1; a busy one failed a run with "SIP/TLS transport failed").
    """
    for _ in range(50):
        with contextlib.ExitStack() as held:
            tcp = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            if port in avoid or (tls_next and port + 1 in avoid):
                continue
            try:
                udp = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
                udp.bind(("127.0.0.1", port))
                if tls_next:
                    tls = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                    tls.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise AssertionError("no port free for both UDP and TCP")


def _tone(path: Path, seconds: float = 2.0) -> None:
    """An 8 kHz mono 16-bit WAV file: aufile's audio source needs 8000 Hz."""
    frames = b"".join(struct.pack("<h", 4000 if (n // 10) % 2 else -4000) for n in range(8000))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(frames * max(int(seconds), 1))


class Baresip:
    """One baresip process with its own config dir, no audio device, controlled over TCP.

    ``codecs`` limits what its INVITEs offer (e.g. ``"pcma"``).
    """

    def __init__(self, home: Path, *, codecs: str = "pcmu,pcma") -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.sip_port = free_port(tls_next=True)
        self.ctrl_port = free_port(avoid=(self.sip_port, self.sip_port + 1))
        _tone(home / "tone.wav")
        (home / "config").write_text(
            "\n".join(
                [
                    "poll_method epoll",
                    f"sip_listen 127.0.0.1:{self.sip_port}",
                    "call_local_timeout 30",
                    f"audio_player aufile,{home / 'heard.wav'}",
                    f"audio_source aufile,{home / 'tone.wav'}",
                    f"audio_alert aufile,{home / 'alert.wav'}",
                    f"module_path {MODULES}",
                    "module g711.so",
                    "module aufile.so",
                    "module_app account.so",
                    "module_app menu.so",
                    "module_app ctrl_tcp.so",
                    f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
                    "",
                ]
            )
        )
        (home / "accounts").write_text(f"<sip:tester@127.0.0.1>;regint=0;audio_codecs={codecs}\n")
        self.log = (home / "baresip.log").open("wb")  # closed in close()
        assert BARESIP is not None
        self.process: Any = subprocess.Popen(
            [BARESIP, "-f", str(home), "-s"],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.ctrl: Any = None
        self.buffer = b""
        self.events: list[dict[str, Any]] = []

    def connect(self, timeout: float = 10.0) -> None:
        """Wait until baresip's control port accepts us."""
        deadline = eventlib.get_hub().clock() + timeout
        while True:
            try:
                self.ctrl = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
                return
            except OSError:
                if eventlib.get_hub().clock() > deadline or self.process.poll() is not None:
                    raise AssertionError(f"baresip did not start: {self.output()}") from None
                eventlib.sleep(0.05)

    def command(self, name: str, params: str = "") -> None:
        data = json.dumps({"command": name, "params": params, "token": name}).encode()
        self.ctrl.sendall(b"%d:%s," % (len(data), data))

    def wait_event(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next event of type ``kind`` (others are kept in ``events``)."""
        deadline = eventlib.get_hub().clock() + timeout
        while True:
            for event in self.events:
                if event.get("type") == kind:
                    self.events.remove(event)
                    return event
            left = deadline - eventlib.get_hub().clock()
            if left <= 0:
                raise AssertionError(f"no {kind} from baresip: {self.events}\n{self.output()}")
            self.ctrl.settimeout(left)
            try:
                chunk = self.ctrl.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise AssertionError(f"baresip closed its control port: {self.output()}")
            self.buffer += chunk
            self._parse()

    def _parse(self) -> None:
        while b":" in self.buffer:
            length, _, rest = self.buffer.partition(b":")
            size = int(length)
            if len(rest) < size + 1:
                return
            message = json.loads(rest[:size])
            self.buffer = rest[size + 1 :]
            if message.get("event"):
                self.events.append(message)

    def output(self) -> str:
        self.log.flush()
        return (self.home / "baresip.log").read_text(errors="replace")[-4000:]

    def close(self) -> None:
        if self.ctrl is not None:
            self.ctrl.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

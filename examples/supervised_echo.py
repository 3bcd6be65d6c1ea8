"""A supervised echo service on 127.0.0.1, driven by its own green clients.

Run: ``make demo`` (or ``python -m examples.supervised_echo [--seconds 4]``).

* An acceptor proc accepts connections and spawns one handler proc each.
* A supervisor loop restarts the acceptor when it crashes (it is made to crash
  once, on its fifth connection); handlers that crash
  (a client sends ``crash``) are logged with their proc id and exit reason,
  and only that connection is lost: the others keep echoing.
* Client procs send a line every few tenths of a second, check the echo, and
  reconnect when their connection dies.

Everything is plain sequential code; every wait parks a proc and lets the
Twisted reactor run the others. The log lines are structlog events.
"""

from __future__ import annotations

import argparse
import random
import socket
import time

import structlog

import eventlib
from eventlib.hub import trampoline

log = structlog.get_logger("demo")

stats = {"accepted": 0, "echoed": 0, "handler_crashes": 0, "reconnects": 0, "acceptor_restarts": 0}

# The acceptor crashes once, on this connection, to show the supervisor at work.
ACCEPTOR_FAULT_AT = 5


def recv_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        trampoline(conn, read=True, timeout=5)
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data


def send_all(conn: socket.socket, data: bytes) -> None:
    while data:
        trampoline(conn, write=True, timeout=5)
        data = data[conn.send(data) :]


def handle(conn: socket.socket, peer: tuple[str, int]) -> None:
    """Echo lines back; a line containing 'crash' makes this handler crash."""
    with conn:
        while line := recv_line(conn):
            if b"crash" in line:
                raise RuntimeError(f"client {peer[1]} asked this handler to crash")
            send_all(conn, line)


def on_handler_exit(proc: eventlib.Proc) -> None:
    if proc.exit_reason is eventlib.ExitReason.ERROR:
        stats["handler_crashes"] += 1
        log.warning("handler crashed", proc_id=proc.id, error=str(proc.exc_info()[1]))


def acceptor(listener: socket.socket) -> None:
    while True:
        trampoline(listener, read=True)
        conn, peer = listener.accept()
        conn.setblocking(False)
        handler = eventlib.spawn(handle, conn, peer)
        handler.link(on_handler_exit)
        stats["accepted"] += 1
        if stats["accepted"] == ACCEPTOR_FAULT_AT:
            raise RuntimeError("acceptor fault injected by the demo")


def supervise_acceptor(listener: socket.socket) -> None:
    """Restart the acceptor whenever it exits with an error (one_for_one, by hand)."""
    while True:
        proc = eventlib.spawn(acceptor, listener)
        try:
            proc.wait()
        except Exception as exc:
            stats["acceptor_restarts"] += 1
            log.warning("acceptor crashed; restarting", error=repr(exc))


def connect(port: int) -> socket.socket:
    conn = socket.socket()
    conn.setblocking(False)
    conn.connect_ex(("127.0.0.1", port))
    trampoline(conn, write=True, timeout=5)
    return conn


def client(number: int, port: int, crash_at: int | None) -> None:
    sent = 0
    while True:
        conn = connect(port)
        with conn:
            while True:
                sent += 1
                text = "crash" if sent == crash_at else f"hello {sent} from client {number}"
                send_all(conn, (text + "\n").encode())
                reply = recv_line(conn)
                if not reply:
                    stats["reconnects"] += 1
                    log.info("connection lost; reconnecting", client=number)
                    break
                stats["echoed"] += 1
                log.info("echo", client=number, line=reply.decode().strip())
                eventlib.sleep(random.uniform(0.2, 0.6))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="%H:%M:%S"),
            structlog.dev.ConsoleRenderer(),
        ]
    )
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    log.info("echo service listening", port=port)

    supervisor = eventlib.spawn(supervise_acceptor, listener)
    clients = [
        eventlib.spawn(client, n, port, 3 if n % 2 else None) for n in range(1, args.clients + 1)
    ]
    started = time.monotonic()
    eventlib.sleep(args.seconds)
    eventlib.killall([*clients, supervisor], wait=True)
    eventlib.waitall([*clients, supervisor], trap_errors=True)
    listener.close()
    print(f"\nran {time.monotonic() - started:.1f} s with {args.clients} clients:")
    for key, value in stats.items():
        print(f"  {key:18} {value}")


if __name__ == "__main__":
    main()

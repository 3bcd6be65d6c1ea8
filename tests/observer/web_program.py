"""A program to observe in the web tests: a supervised worker and N dynamic sessions.

Usage: python web_program.py STATE_DIR SESSIONS [--actions] [--no-web]
SIGUSR1 crashes the worker (its supervisor restarts it). Prints "ready" when serving.
"""

import signal
import sys
from pathlib import Path

from twisted.internet import reactor

import eventlib
import eventlib.observer
from eventlib.mailbox import Actor, register
from eventlib.supervisor import ChildSpec, DynamicSupervisor, Supervisor


class Audit(Actor):
    def handle(self, message):
        eventlib.sleep(3600)  # holds its mailbox: the "deepest mailboxes" view has data


def main():
    state_dir, count = Path(sys.argv[1]), int(sys.argv[2])
    sessions = []

    def start_sessions():
        sup = DynamicSupervisor(
            ChildSpec("session", start=lambda n: eventlib.spawn(eventlib.sleep, 3600))
        )
        sessions.append(sup)
        return sup

    app = Supervisor(
        [
            ChildSpec("worker", start=lambda: eventlib.spawn(eventlib.sleep, 3600)),
            ChildSpec("sessions", start=start_sessions, type="supervisor"),
        ],
        name="app",
        max_restarts=1000,  # the tests crash the worker several times within seconds
    )
    for n in range(count):
        sessions[0].start_child(n)
    audit = Audit.spawn()
    register("audit", audit)
    for n in range(7):
        audit.cast(n)

    def crash_worker():
        [worker] = [row.proc for row in app.which_children() if row.id == "worker"]
        worker.kill(RuntimeError("crashed on purpose by the test"))

    signal.signal(signal.SIGUSR1, lambda *_: reactor.callFromThread(crash_worker))
    eventlib.observer.serve(
        state_dir=state_dir, web="--no-web" not in sys.argv, web_actions="--actions" in sys.argv
    )
    sys.stderr.write("ready\n")  # after the login link, which serve() wrote to stderr
    sys.stderr.flush()
    eventlib.sleep(600)  # the test terminates us


if __name__ == "__main__":
    main()

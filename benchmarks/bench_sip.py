"""Max calls/s with 0 failed calls: eventlib's SIP UAS example vs sipp's own UAS and a bare
Twisted one.

The eventlib UAS runs twice, on each build of eventlib: *pure* Python (this
checkout) and *compiled* (``make compiled``'s tree; skipped with the reason when
it is missing or stale), the example's code from this checkout either way; every
eventlib process says which build it imported, and a report from the other build
is refused. The bare Twisted UAS (``sip_bare_twisted.py``, beside this script) answers
sipp's calls from one callback and checks nothing: it is the floor of Python and
Twisted, and the example's cost above it is that of its checks, sessions and
supervision. Every server runs in its own process on 127.0.0.1 and is driven by
``sipp -sn uac`` at increasing rates (``-r``), each step bounded in time. A
step passes when sipp reports every call successful, none failed, and the
step took at most ``--slack`` times its nominal length plus a second (the
server kept up with the rate); a failed step is tried once more. The score
is the best *achieved* rate (calls completed / wall time of the step) among
the passing steps; the server's CPU time per call at that step is reported
too (on a machine with few cores the load generator, not the server, may
set the ceiling), and at 2,000 calls/s, a step every server passes here: at
its own best rate a server also reads more datagrams per wake-up, which
lowers its CPU per call, so only the common rate compares the servers at one
load. Then the same servers in instructions per call over UDP,
which the machine's load does not change (valgrind's callgrind; skipped
without it): each server under callgrind while sipp's UAC makes 48 calls,
then 248, in 8 seconds each; the difference over 200 is the calls' cost
alone, Twisted's reactor and the socket calls' user side included (the
kernel's is not counted); and, for each eventlib build, the instructions of
eventlib's own part of a call, counted alone: a supervised session that takes
two messages with timeouts and ends, without SIP (the floor under what the
example's own code adds).

Two more measurements of the eventlib UAS alone:

* the cost of its one ``call.ended`` line per call: calls driven in-process
  (no sockets) with logging at INFO (the line rendered, to /dev/null) and at
  WARNING (the line filtered out), each in its own subprocess, best of three;
  plus the line alone, timed in a loop;
* ``--instructions`` (not part of the default run): instructions per INVITE
  parse and per call (in-process, as above, logging at WARNING) counted by
  valgrind's callgrind, which the load of a shared machine does not change:
  each is a difference over N: N INVITEs built and parsed minus N built; the
  requests of N calls built and served minus the same built and none served (hash
  seed fixed; T1 of a minute, so no retransmission timer fires however slowly
  valgrind runs); of those, eventlib's own part: N sessions without SIP, each
  started by a DynamicSupervisor as the UAS starts them, taking two messages
  with a timeout each and ending; and the instructions per call over UDP of
  the default run;
* ``--soak [SECONDS]`` (not part of the default run): sipp at ``--soak-rate``
  calls/s for two minutes, the UAS's RSS printed every five seconds, then
  the first, peak and last values and the growth over the second half.

Run: ``python benchmarks/bench_sip.py [--step-seconds 3] [--json out.json]``,
``python benchmarks/bench_sip.py --soak``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness  # benchmarks/harness.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
BUILDS = {"eventlib": "pure", harness.COMPILED: "compiled"}
"""The eventlib UAS's rows (library names as run_all.py reads them) and their builds."""
BARE = "twisted bare uas"
"""The row of the bare Twisted UAS (benchmarks/sip_bare_twisted.py): the floor of Python and
Twisted, with none of the example's checks, sessions or supervision."""
BARE_UAS = Path(__file__).with_name("sip_bare_twisted.py")
RATES = [500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 6000, 8000, 10000, 12000]
_COUNT = re.compile(r"^\s*(Successful call|Failed call)\s*\|\s*\d+\s*\|\s*(\d+)", re.MULTILINE)


def free_udp_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def use_build(build: str) -> str:
    """Import eventlib of ``build`` ("pure": this checkout; "compiled": ``make compiled``'s
    tree, or this checkout when it is that tree) in this process, the example staying this
    checkout's; return its version line.

    Raises:
        SystemExit: the compiled tree is missing or stale, or the other build was imported.
    """
    if build == "compiled" and not harness.has_compiled_modules(ROOT):
        _, why_not = harness.compiled_script(__file__)
        if why_not:
            raise SystemExit(f"the compiled build cannot run: {why_not}")
        tree = str(harness.COMPILED_TREE)
        sys.path.insert(0, tree)
        import eventlib  # noqa: PLC0415 - the compiled package, before anything imports one

        sys.path.remove(tree)  # the example comes from this checkout, eventlib stays compiled
    sys.path.insert(0, str(ROOT))
    import eventlib  # noqa: PLC0415

    if bool(eventlib.compiled_modules()) != (build == "compiled"):
        raise SystemExit(f"asked for the {build} build, got {harness.library_version('eventlib')}")
    return harness.library_version("eventlib")


def _uas_worker(build: str) -> None:
    """Run the example UAS with the benchmark's options on ``build``; the first line of
    output names the build, the second is the UAS's own (with its port)."""
    import runpy  # noqa: PLC0415

    try:
        version = use_build(build)
    except SystemExit as exc:  # the parent reads why on the first line
        print(exc, flush=True)
        raise
    print(version, flush=True)
    sys.argv = ["examples.sip_uas", "--port", "0", "--quiet", "--max-sessions", "100000",
                "--crash-rate", "0"]  # fmt: skip
    runpy.run_module("examples.sip_uas", run_name="__main__", alter_sys=True)


def start_eventlib_uas(build: str = "pure") -> tuple[subprocess.Popen[bytes], int, str]:
    """The example UAS on ``build``, its UDP port and the version line of the build that ran.

    Raises:
        RuntimeError: it did not start, or (``SystemExit`` of the worker) not on that build.
    """
    process, port, version = _start_uas(_uas_command(build), build)
    if ("compiled:" in version) != (build == "compiled"):
        process.kill()
        process.wait()
        raise RuntimeError(f"the {build} UAS did not start on its build: {version!r}")
    return process, port, version


def start_bare_uas() -> tuple[subprocess.Popen[bytes], int, str]:
    """The bare Twisted UAS, its UDP port and its version line."""
    return _start_uas(_uas_command("bare"), "bare Twisted")


def _uas_command(server: str) -> list[str]:
    """The command of a Python UAS: "bare" (the bare Twisted one) or an eventlib build's."""
    if server == "bare":
        return [sys.executable, str(BARE_UAS)]
    return [sys.executable, __file__, "--uas-worker", server]


def _start_uas(command: list[str], what: str) -> tuple[subprocess.Popen[bytes], int, str]:
    """Start a UAS that prints its version line, then ``udp=<port>``; return both and it."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    version = process.stdout.readline().decode().strip()
    line = process.stdout.readline().decode()
    match = re.search(r"udp=(\d+)", line)
    if match is None:
        process.kill()
        process.wait()
        raise RuntimeError(f"the {what} UAS did not start: {version!r} {line!r}")
    return process, int(match[1]), version


def start_sipp_uas(sipp: str, scratch: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_udp_port()
    process = subprocess.Popen(
        [sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-nostdin", "-timeout", "900s"],
        cwd=scratch, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    return process, port


def step(
    sipp: str, port: int, rate: int, seconds: float, scratch: str
) -> tuple[bool, str, float, float]:
    calls = int(rate * seconds)
    limit = int(seconds * 4 + 10)
    command = [
        sipp, "-sn", "uac", f"127.0.0.1:{port}", "-i", "127.0.0.1", "-r", str(rate),
        "-m", str(calls), "-nostdin", "-timeout", f"{limit}s", "-timeout_error",
    ]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=scratch, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=limit + 10)
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate()
    elapsed = time.perf_counter() - started
    counts = dict(_COUNT.findall(output.decode(errors="replace")))
    ok_calls = int(counts.get("Successful call", -1))
    failed = int(counts.get("Failed call", -1))
    achieved = ok_calls / elapsed if elapsed > 0 else 0.0
    passed = process.returncode == 0 and failed == 0 and ok_calls == calls
    return (
        passed,
        (
            f"rate {rate:6d}: {ok_calls}/{calls} ok, {failed} failed, {elapsed:5.2f} s "
            f"({achieved:7.0f} calls/s achieved)"
        ),
        elapsed,
        achieved,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


COMMON_RATE = 2000
"""A rate every server sustains here: CPU per call there compares the servers at one load,
where CPU per call at each one's best rate also reflects how much each batches at it."""


def ramp(
    name: str, sipp: str, server: subprocess.Popen[bytes], port: int, options: argparse.Namespace
) -> tuple[float, float | None, float | None]:
    """Ramp the rate; return the best achieved rate (calls completed / wall time) of the steps
    with 0 failures, the server's CPU time per call (µs) at that step, and at COMMON_RATE
    (None if that step failed)."""
    best, cpu_per_call, at_common = 0.0, None, None
    for rate in RATES:
        for _attempt in range(2):  # one retry: a single lost datagram must not end the ramp
            before = cpu_seconds(server.pid)
            passed, line, elapsed, achieved = step(
                sipp, port, rate, options.step_seconds, options.scratch
            )
            used = cpu_seconds(server.pid) - before
            kept_up = elapsed <= options.step_seconds * options.slack + 1.0
            print(f"  {name:10} {line}{'' if kept_up else '  (fell behind)'}", flush=True)
            if passed and kept_up:
                break
            time.sleep(1.0)
        if not (passed and kept_up):
            break
        per_call = used / (rate * options.step_seconds) * 1e6
        if rate == COMMON_RATE:
            at_common = per_call
        if achieved > best:
            best, cpu_per_call = achieved, per_call
        time.sleep(0.5)
    return best, cpu_per_call, at_common


# -- the cost of the call.ended line ---------------------------------------------


def _log_cost_worker(level: str, calls: int, build: str) -> None:
    """Drive ``calls`` calls through SipServer.handle in this process on ``build``; print one
    JSON line."""
    import logging  # noqa: PLC0415 - the worker's imports stay out of the parent

    import structlog  # noqa: PLC0415

    version = use_build(build)
    from examples.sip_uas.__main__ import configure_logging  # noqa: PLC0415
    from examples.sip_uas.message import build_request  # noqa: PLC0415
    from examples.sip_uas.server import SipServer  # noqa: PLC0415

    with open(os.devnull, "w") as null:  # noqa: PTH123 - a text stream for PrintLogger
        configure_logging(logging.INFO if level == "info" else logging.WARNING, null)

        class Endpoint:
            reliable = True  # no retransmission timers: the calls alone are measured
            contact = b"<sip:uas@127.0.0.1:5060>"
            invite_oks = 0

            def send(self, data: bytes, peer: object) -> None:  # noqa: ARG002 - one peer
                if data.startswith(b"SIP/2.0 200") and b" INVITE\r\n" in data:
                    Endpoint.invite_oks += 1

        def message(method: bytes, n: int, cseq: int) -> bytes:
            return build_request(
                method,
                b"sip:uas@127.0.0.1",
                [
                    (b"Via", b"SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK%d%s" % (n, method)),
                    (b"From", b"<sip:uac@127.0.0.1>;tag=a%d" % n),
                    (b"To", b"<sip:uas@127.0.0.1>"),
                    (b"Call-ID", b"bench-%d@127.0.0.1" % n),
                    (b"CSeq", b"%d %s" % (cseq, method)),
                ],
            )

        batch = 500
        server = SipServer(udp_port=None, max_sessions=100_000, crash_rate=0.0).start()
        endpoint, peer = Endpoint(), ("127.0.0.1", 5999)
        elapsed = 0.0
        for start in range(0, calls, batch):
            numbers = range(start, min(start + batch, calls))
            invites = [message(b"INVITE", n, 1) for n in numbers]
            rest = [message(b"ACK", n, 1) + b"|" + message(b"BYE", n, 2) for n in numbers]
            target = Endpoint.invite_oks + len(invites)
            began = time.process_time()
            for data in invites:
                server.handle(data, endpoint, peer)
            _turn_until(lambda: Endpoint.invite_oks, target, "INVITEs answered")
            for pair in rest:
                ack, bye = pair.split(b"|")
                server.handle(ack, endpoint, peer)
                server.handle(bye, endpoint, peer)
            server.wait_idle()
            elapsed += time.process_time() - began
        server.stop()
        log = structlog.get_logger("sip_uas")
        lines = 100_000
        began = time.process_time()
        for _ in range(lines):
            log.info(
                "call.ended", call_id="bench@127.0.0.1", outcome="completed",
                duration=0.123, restarts=0,
            )  # fmt: skip
        line = (time.process_time() - began) / lines
    print(json.dumps({"per_call": elapsed / calls, "line": line, "version": version}))


def log_cost(calls: int, build: str = "pure", repeat: int = 3) -> dict[str, float]:
    """µs per call with the call.ended line rendered (INFO) and filtered (WARNING), on ``build``.

    Raises:
        RuntimeError: a worker ran the other build.
    """
    best: dict[str, dict[str, Any]] = {}
    for _ in range(repeat):
        for level in ("info", "warning"):
            completed = subprocess.run(
                [sys.executable, __file__, "--log-cost-worker", level, "--calls", str(calls),
                 "--build", build],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            result = json.loads(completed.stdout.strip().splitlines()[-1])
            if ("compiled:" in result["version"]) != (build == "compiled"):
                raise RuntimeError(f"asked for the {build} build, ran {result['version']}")
            if level not in best or result["per_call"] < best[level]["per_call"]:
                best[level] = result
    info, warning = best["info"], best["warning"]
    return {
        "call at INFO": info["per_call"] * 1e6,
        "call at WARNING": warning["per_call"] * 1e6,
        "call.ended line rendered": info["line"] * 1e6,
        "call.ended line filtered": warning["line"] * 1e6,
    }


# -- instructions per parse and per call (callgrind) ----------------------------------

_SIPP_INVITE = (
    b"INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-%(n)d-1-0\r\n"
    b"From: sipp <sip:sipp@127.0.0.1:5061>;tag=%(n)dSIPpTag001\r\n"
    b"To: service <sip:service@127.0.0.1:5060>\r\n"
    b"Call-ID: %(n)d-4242@127.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: sip:sipp@127.0.0.1:5061\r\n"
    b"Max-Forwards: 70\r\n"
    b"Subject: Performance Test\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length:   129\r\n\r\n"
    b"v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n"
    b"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)
"""sipp's own INVITE (``-sn uac``), numbered like its calls."""


def _sipp_request(method: bytes, number: int) -> bytes:
    """sipp's INVITE, or its ACK or BYE (CSeq 1 ACK, 2 BYE, no body), as sipp sends them:
    each with a branch of its own (a new transaction) and the To tagged (one tag per call)."""
    invite = _SIPP_INVITE % {b"n": number}
    if method == b"INVITE":
        return invite
    head = invite.split(b"\r\nContent-Type", 1)[0].replace(b"INVITE", method)
    head = head.replace(b":5060>\r\n", b":5060>;tag=uas%d\r\n" % number)  # the To
    branch = b";branch=z9hG4bK-%d-" % number
    head = head.replace(branch + b"1-0", branch + (b"5-0" if method == b"ACK" else b"7-0"))
    if method == b"BYE":
        head = head.replace(b"CSeq: 1 BYE", b"CSeq: 2 BYE")
    return head + b"\r\nContent-Length: 0\r\n\r\n"


def _instructions_worker(what: str, count: int, build: str) -> None:
    """Build ``count`` INVITEs, and parse them; or build the requests of 50 + ``count`` calls
    and serve them all (``call``) or the first 50 (``call-base``: the same building, so
    the difference is the serving alone)."""
    import logging  # noqa: PLC0415 - the worker's imports stay out of the parent

    use_build(build)
    from examples.sip_uas.__main__ import configure_logging  # noqa: PLC0415
    from examples.sip_uas.message import parse_message  # noqa: PLC0415
    from examples.sip_uas.server import SipServer  # noqa: PLC0415

    if what in ("build", "parse"):
        invites = [_sipp_request(b"INVITE", n) for n in range(count)]
        if what == "parse":
            for data in invites:
                parse_message(data)
        return
    if what in ("session", "session-base"):
        _serve_bare_sessions(50 + count if what == "session" else 50)
        return
    with open(os.devnull, "w") as null:  # noqa: PTH123 - a text stream for PrintLogger
        configure_logging(logging.WARNING, null)

        class Endpoint:
            reliable = False  # UDP: the retransmission timers run as in the real server
            contact = b"<sip:uas@127.0.0.1:5060>"
            invite_oks = 0

            def send(self, data: bytes, peer: object) -> None:  # noqa: ARG002 - one peer
                if data.startswith(b"SIP/2.0 200") and b" INVITE\r\n" in data:
                    Endpoint.invite_oks += 1

        # T1 of a minute: the retransmission timers are set and cancelled as in the real
        # server, but none fires however slowly valgrind runs, so the count repeats.
        server = SipServer(udp_port=None, max_sessions=100_000, crash_rate=0.0, t1=60.0).start()
        endpoint, peer = Endpoint(), ("127.0.0.1", 5061)
        messages = [
            [_sipp_request(method, n) for method in (b"INVITE", b"ACK", b"BYE")]
            for n in range(50 + count)
        ]
        if what == "call-base":
            del messages[50:]
        for start in range(0, len(messages), 200):
            batch = messages[start : start + 200]
            target = Endpoint.invite_oks + len(batch)
            for invite, _, _ in batch:
                server.handle(invite, endpoint, peer)
            _turn_until(lambda: Endpoint.invite_oks, target, "INVITEs answered")
            for _, ack, bye in batch:
                server.handle(ack, endpoint, peer)
                server.handle(bye, endpoint, peer)
            server.wait_idle()
        if server.stats.completed != len(messages):
            raise RuntimeError(f"{server.stats.completed} of {len(messages)} calls completed")
        server.stop()


def _turn_until(count: Callable[[], int], goal: int, what: str, turns: int = 1_000) -> None:
    """Give the hub turns until ``count()`` reaches ``goal``; a batch needs a few turns,
    so ``turns`` of them without it mean some of its work never ends: raise, not spin.

    Raises:
        RuntimeError: ``count()`` is still short of ``goal`` after ``turns`` turns.
    """
    import eventlib  # noqa: PLC0415 - the build use_build chose

    for _turn in range(turns):
        if count() >= goal:
            return
        eventlib.sleep(0)
    if count() < goal:
        raise RuntimeError(f"{what}: {count()} of {goal} after {turns} turns")


def _serve_bare_sessions(calls: int) -> None:
    """The eventlib part of ``calls`` calls, without SIP: a DynamicSupervisor starts one
    transient session per call as the UAS does (``start_child_nowait``, its failure linked),
    and each session takes two messages with a timeout (the ACK within Timer H, the BYE
    within the session timeout) and ends; sessions are driven 200 at a time."""
    import eventlib  # noqa: PLC0415 - the worker's imports stay out of the parent
    from eventlib.mailbox import Mailbox  # noqa: PLC0415
    from eventlib.supervisor import ChildSpec, DynamicSupervisor  # noqa: PLC0415

    ended = 0

    def serve(mailbox: Mailbox) -> None:
        mailbox.receive(None, 32.0)
        mailbox.receive(None, 300.0)

    def session_ended(_proc: eventlib.Proc) -> None:
        nonlocal ended
        ended += 1

    def start(mailbox: Mailbox) -> eventlib.Proc:
        proc = eventlib.Proc(name="session")
        proc.run(serve, mailbox)
        proc.link(session_ended)
        return proc

    sessions = DynamicSupervisor(
        ChildSpec("session", start=start, restart="transient", shutdown=1.0),
        max_children=100_000,
        name="sessions",
    )
    for first in range(0, calls, 200):
        mailboxes = [Mailbox(32) for _ in range(min(200, calls - first))]
        for mailbox in mailboxes:
            sessions.start_child_nowait(mailbox).link_exception(print)
        eventlib.sleep(0)  # the supervisor starts them, then they wait
        for message in ("ACK", "BYE"):
            for mailbox in mailboxes:
                mailbox.put(message)
            eventlib.sleep(0)
        _turn_until(lambda: ended, first + len(mailboxes), "sessions ended", turns=100)
    sessions.stop()


def _callgrind_count(valgrind: str, what: str, number: int, build: str = "pure") -> int:
    """Instructions of one ``--instructions-worker`` run of ``what`` (``number``) on ``build``."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        completed = subprocess.run(
            [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             __file__, "--instructions-worker", what, "--calls", str(number), "--build", build],
            capture_output=True, text=True, check=True, cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": "0"},  # the same dict layouts every run
        )  # fmt: skip
    match = re.search(r"Collected : (\d+)", completed.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from callgrind: {completed.stderr[-500:]}")
    return int(match[1])


def session_instructions(valgrind: str, build: str, sessions: int = 500) -> float:
    """Instructions per session of eventlib alone (no SIP) on ``build``: see
    :func:`_serve_bare_sessions`."""
    served = _callgrind_count(valgrind, "session", sessions, build)
    return (served - _callgrind_count(valgrind, "session-base", sessions, build)) / sessions


def instructions(parses: int = 2000, calls: int = 500) -> dict[str, float | str] | None:
    """Instructions per INVITE parse, and per call on each build (callgrind; the compiled
    build's count is the reason it was skipped when it cannot run); None without valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None

    def count(what: str, number: int, build: str = "pure") -> int:
        return _callgrind_count(valgrind, what, number, build)

    counts: dict[str, float | str] = {
        "instructions per INVITE parse": (count("parse", parses) - count("build", parses)) / parses,
    }
    _, why_not = harness.compiled_script(__file__)
    builds = [build for build in BUILDS.values() if build == "pure" or not why_not]
    if why_not:
        counts["instructions per call (compiled)"] = f"skipped: {why_not}"
    for build in builds:
        name = f"instructions per call ({build})"
        counts[name] = (count("call", calls, build) - count("call-base", calls, build)) / calls
        name = f"of which eventlib's supervised session, without SIP ({build})"
        counts[name] = session_instructions(valgrind, build, calls)
    sipp = shutil.which("sipp")
    if sipp is None:
        counts["instructions per call over UDP"] = "skipped: sipp is not installed"
        return counts
    served = udp_instructions_per_call(valgrind, sipp, ["sipp", "bare", *builds])
    for server, value in served.items():
        counts[f"instructions per call over UDP ({server} UAS)"] = value
    for build in builds:
        counts[f"over UDP, {build} / sipp"] = f"{served[build] / served['sipp']:.2f} x"
        counts[f"over UDP, {build} / bare"] = f"{served[build] / served['bare']:.2f} x"
    return counts


UDP_CALLS = (48, 248)
"""Calls of the two runs over UDP, each over UDP_SECONDS (so at a whole rate): their
difference is the calls' cost alone (a server's start, exit and idle turns are in both)."""
UDP_SECONDS = 8


def udp_instructions_per_call(valgrind: str, sipp: str, servers: Any) -> dict[str, float]:
    """Instructions per call of each UAS in ``servers`` ("sipp", "bare" or an eventlib build) over
    UDP: the difference of two runs (:data:`UDP_CALLS`) over the difference of their calls."""
    per_call = {}
    for server in servers:
        few, many = (udp_instructions(valgrind, sipp, server, number) for number in UDP_CALLS)
        per_call[server] = (many - few) / (UDP_CALLS[1] - UDP_CALLS[0])
    return per_call


def udp_instructions(valgrind: str, sipp: str, server: str, calls: int) -> int:
    """Instructions the UAS (``server``: "sipp", "bare" or an eventlib build) ran, from its start to
    its exit, while ``sipp -sn uac`` made ``calls`` calls to it over UDP in UDP_SECONDS."""
    with tempfile.TemporaryDirectory() as scratch:
        out = f"--callgrind-out-file={Path(scratch) / 'callgrind.out'}"
        if server == "sipp":
            port = free_udp_port()
            command = [sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-nostdin"]
        else:
            command = _uas_command(server)
        process = subprocess.Popen(
            [valgrind, "--tool=callgrind", out, *command], cwd=scratch,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
        try:
            assert process.stdout is not None
            if server == "sipp":
                _wait_bound(port, process)
            else:
                process.stdout.readline()  # the version line
                match = re.search(r"udp=(\d+)", process.stdout.readline().decode())
                if match is None:
                    raise RuntimeError(f"the {server} UAS did not start under valgrind")
                port = int(match[1])
            rate, odd = divmod(calls, UDP_SECONDS)
            if odd:
                raise ValueError(f"{calls} calls in {UDP_SECONDS} s is not a whole rate")
            passed, line, _, _ = step(sipp, port, rate, UDP_SECONDS, scratch)
            if not passed:
                raise RuntimeError(f"the {server} UAS under valgrind: {line}")
            # Both exit cleanly on these (callgrind writes its count at exit).
            process.send_signal(signal.SIGINT if server == "sipp" else signal.SIGTERM)
            _, err = process.communicate(timeout=120)
        finally:
            if process.returncode is None:
                process.kill()
                process.communicate()
    collected = re.search(rb"Collected : (\d+)", err)
    if collected is None:
        raise RuntimeError(f"no instruction count from callgrind: {err[-500:]!r}")
    return int(collected[1])


def _wait_bound(port: int, process: subprocess.Popen[bytes], limit: float = 60.0) -> None:
    """Wait until a socket is bound to UDP ``port`` (sipp under valgrind is slow to start),
    read from /proc/net/udp: probing with a bind of our own could take the port from it.

    Raises:
        RuntimeError: ``process`` exited, or ``limit`` seconds passed.
    """
    local = f":{port:04X}"
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        table = Path("/proc/net/udp").read_text()
        if any(line.split()[1].endswith(local) for line in table.splitlines()[1:]):
            return
        time.sleep(0.1)
    raise RuntimeError(f"sipp's UAS did not bind 127.0.0.1:{port}")


def print_instructions() -> int:
    counts = instructions()
    if counts is None:
        print("valgrind is not installed (apt-get install -y valgrind)", file=sys.stderr)
        return 2
    for name, value in counts.items():
        print(f"{name}: {value if isinstance(value, str) else format(value, ',.0f')}")
    return 0


# -- the soak ------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident set size of process ``pid`` in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def soak(sipp: str, seconds: float, rate: int, scratch: str, interval: float = 5.0) -> int:
    """sipp at ``rate`` calls/s for ``seconds`` against the UAS, printing its RSS as it goes."""
    server, port, _ = start_eventlib_uas()
    calls = int(rate * seconds)
    limit = int(seconds * 2 + 30)
    command = [
        sipp, "-sn", "uac", f"127.0.0.1:{port}", "-i", "127.0.0.1", "-r", str(rate),
        "-m", str(calls), "-nostdin", "-timeout", f"{limit}s", "-timeout_error",
    ]  # fmt: skip
    samples: list[tuple[float, float]] = []
    try:
        print(f"soak: {calls} calls at {rate}/s against the eventlib UAS (pid {server.pid})")
        started = time.perf_counter()
        load = subprocess.Popen(
            command, cwd=scratch, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        samples.append((0.0, rss_mb(server.pid)))
        print(f"  {0:6.0f} s  RSS {samples[-1][1]:6.1f} MB", flush=True)
        while load.poll() is None:
            try:
                load.wait(timeout=interval)
            except subprocess.TimeoutExpired:
                pass
            now = time.perf_counter() - started
            samples.append((now, rss_mb(server.pid)))
            print(f"  {now:6.0f} s  RSS {samples[-1][1]:6.1f} MB", flush=True)
        output = load.communicate()[0].decode(errors="replace")
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()
    counts = dict(_COUNT.findall(output))
    half = samples[len(samples) // 2][1]
    values = [rss for _, rss in samples]
    successful = int(counts.get("Successful call", 0))
    print(
        f"soak: {successful} successful, {counts.get('Failed call', '?')} failed in "
        f"{samples[-1][0]:.0f} s ({successful / samples[-1][0]:.0f} calls/s achieved); "
        f"RSS first {values[0]:.1f} MB, "
        f"peak {max(values):.1f} MB, last {values[-1]:.1f} MB, "
        f"growth over the second half {values[-1] - half:+.1f} MB"
    )
    return 0 if counts.get("Failed call") == "0" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write results here (run_all.py's format)")
    parser.add_argument("--step-seconds", type=float, default=3.0, help="length of each step")
    parser.add_argument("--slack", type=float, default=1.25, help="allowed step overrun factor")
    parser.add_argument("--calls", type=int, default=20_000, help="calls per log-cost run")
    parser.add_argument(
        "--soak", type=float, nargs="?", const=120.0, help="run the soak (seconds, default 120)"
    )
    parser.add_argument("--soak-rate", type=int, default=1000, help="soak calls/s")
    parser.add_argument("--log-cost-worker", choices=("info", "warning"), help=argparse.SUPPRESS)
    parser.add_argument("--uas-worker", choices=("pure", "compiled"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--build", choices=("pure", "compiled"), default="pure", help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="instead: instructions per INVITE parse and per call (valgrind's callgrind)",
    )
    parser.add_argument(
        "--instructions-worker",
        choices=("build", "parse", "call", "call-base", "session", "session-base"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--n", type=int, help="run_all.py --quick: calls per log-cost run")
    parser.add_argument("--repeat", type=int, help="ignored (run_all.py --quick passes it)")
    add_workers_option(parser)
    args = parser.parse_args()
    if args.uas_worker or args.log_cost_worker or args.instructions_worker:
        if args.uas_worker:
            _uas_worker(args.uas_worker)
        elif args.log_cost_worker:
            _log_cost_worker(args.log_cost_worker, args.calls, args.build)
        else:
            _instructions_worker(args.instructions_worker, args.calls, args.build)
        return 0
    if args.instructions:
        return print_instructions()
    sipp = shutil.which("sipp")
    if sipp is None:
        print("sipp is not installed (apt-get install -y sip-tester)", file=sys.stderr)
        return 2
    if args.workers:
        return bench_workers(sipp, args)
    if args.soak is not None:
        with tempfile.TemporaryDirectory() as scratch:
            return soak(sipp, args.soak, args.soak_rate, scratch)
    return bench_builds(sipp, args)


def _ratios(values: dict[str, Any], name: str) -> str:
    """``name``'s value against sipp's UAS and, for an eventlib build, the bare Twisted one."""
    value = values[name]
    references = [] if name == "sipp uas" else ["sipp uas"] if name == BARE else ["sipp uas", BARE]
    shown = [
        f"{value / values[reference]:.2f} x {'sipp' if reference == 'sipp uas' else 'bare'}"
        for reference in references
        if value and values.get(reference)
    ]
    return "".join(f", {text}" for text in shown)


def bench_builds(sipp: str, args: argparse.Namespace) -> int:
    """The log cost on each build, then the ramp of each build's UAS, the bare Twisted one
    and sipp's, then their instructions per call over UDP."""
    _, why_not = harness.compiled_script(__file__)
    runnable = {lib: build for lib, build in BUILDS.items() if build == "pure" or not why_not}
    if why_not:
        print(f"{harness.COMPILED}: skipped, {why_not}", flush=True)
    costs: dict[str, dict[str, float]] = {}
    for lib, build in runnable.items():
        costs[lib] = log_cost(args.n or args.calls, build)
        info, warning, rendered, filtered = costs[lib].values()
        print(
            f"{lib}: call.ended line: a call costs {info:.1f} µs with the line rendered at "
            f"INFO, {warning:.1f} µs with it filtered (WARNING); the line alone "
            f"{rendered:.1f} µs rendered, {filtered:.2f} µs filtered",
            flush=True,
        )
    versions: dict[str, str] = {}
    results, cpu, cpu_common = _ramp_servers(sipp, runnable, versions, args)
    print("\nmax calls/s with 0 failures (target: eventlib >= 2000), server CPU per call there:")
    for name, value in results.items():
        ratios = _ratios(results, name)
        print(f"  {name:18} {value:6.0f} calls/s{ratios}; CPU {_us(cpu[name])}{_ratios(cpu, name)}")
    print(f"server CPU per call at {COMMON_RATE} calls/s, the same load for every server:")
    for name, common in cpu_common.items():
        print(f"  {name:18} {_us(common)}{_ratios(cpu_common, name)}")
    # The same comparison in instructions, which the machine's load does not change.
    counted: dict[str, float] = {}
    floors: dict[str, float] = {}
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("instructions per call over UDP: skipped, valgrind is not installed")
    else:
        kinds = {"sipp uas": "sipp", BARE: "bare"}
        servers = {name: kinds.get(name) or BUILDS[name] for name in results}
        per_call = udp_instructions_per_call(valgrind, sipp, servers.values())
        counted = {name: per_call[server] for name, server in servers.items()}
        print("instructions per call over UDP (callgrind; user space, the kernel's not counted):")
        for name, value in counted.items():
            print(f"  {name:18} {value:9,.0f}{_ratios(counted, name)}")
        # eventlib's own part of each call: the floor under what the example adds.
        for name, build in runnable.items():
            floors[name] = session_instructions(valgrind, build)
            print(
                f"  {name:18} of which eventlib's supervised session alone (no SIP): "
                f"{floors[name]:,.0f}{_ratios(floors, name)}",
                flush=True,
            )
    if args.json:
        measured = {
            name: {
                "max calls/s": results[name],
                "server CPU per call": cpu[name],
                f"server CPU per call at {COMMON_RATE} calls/s": cpu_common[name],
                "instructions per call over UDP": counted.get(name),
                SESSION_FLOOR: floors.get(name),
                **costs.get(name, {}),
            }
            for name in results
        }
        _write_json(args.json, measured, versions, why_not)
    return 0


def _ramp_servers(
    sipp: str, runnable: dict[str, str], versions: dict[str, str], args: argparse.Namespace
) -> tuple[dict[str, float], dict[str, float | None], dict[str, float | None]]:
    """Ramp each eventlib build's UAS, then the bare Twisted one, then sipp's (filling
    ``versions``); return the best rates, the CPU per call there and at COMMON_RATE."""
    results: dict[str, float] = {}
    cpu: dict[str, float | None] = {}
    cpu_common: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory() as scratch:
        starts: list[tuple[str, Any]] = [
            (lib, lambda build=build: start_eventlib_uas(build)) for lib, build in runnable.items()
        ]
        starts.append((BARE, start_bare_uas))
        starts.append(("sipp uas", lambda: (*start_sipp_uas(sipp, scratch), "sipp")))
        for name, start in starts:
            process, port, versions[name] = start()
            try:
                print(f"{name} UAS on 127.0.0.1:{port} ({versions[name]})", flush=True)
                args.scratch = scratch
                results[name], cpu[name], cpu_common[name] = ramp(name, sipp, process, port, args)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
    return results, cpu, cpu_common


SESSION_FLOOR = "instructions per supervised session, eventlib alone (no SIP)"
"""eventlib's part of a call (:func:`session_instructions`), in the default run too."""

_UNITS = {
    "max calls/s": ("calls/s (higher is better)", 0),
    "server CPU per call": ("µs (lower is better)", 1),
    f"server CPU per call at {COMMON_RATE} calls/s": ("µs (lower is better)", 1),
    "instructions per call over UDP": ("instructions (lower is better)", 0),
    SESSION_FLOOR: ("instructions (lower is better)", 0),
}
"""The unit and the decimals kept of each measure (the others: the log cost's, in µs, 2)."""


def _write_json(
    path: Path, measured: dict[str, dict[str, float | None]], versions: dict[str, str], why_not: str
) -> None:
    """run_all.py's format: each server's measures (those it has), their units, the skips."""
    entries: list[dict[str, Any]] = [
        {
            "library": name,
            "version": versions[name],
            "results": {
                measure: round(value, _UNITS.get(measure, ("", 2))[1])
                for measure, value in values.items()
                if value is not None
            },
        }
        for name, values in measured.items()
    ]
    if why_not:
        entries.append({"library": harness.COMPILED, "skipped": why_not})
    measures = dict.fromkeys(measure for values in measured.values() for measure in values)
    units = {measure: _UNITS.get(measure, ("µs (lower is better)", 2))[0] for measure in measures}
    path.write_text(json.dumps({"units": units, "libraries": entries}, indent=2))


# -- --workers 1,2: the UAS on a pool of N worker processes (eventlib.workers) ------------


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        help="instead: the UAS on N worker processes for each N given (e.g. 1,2)",
    )


def start_pool_uas(workers: int) -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.sip_uas", "--workers", str(workers), "--port", "0",
         "--quiet", "--max-sessions", "100000", "--crash-rate", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    match = re.search(r"udp=(\d+)", line)
    if match is None:
        process.kill()
        process.wait()
        raise RuntimeError(f"the worker pool did not start: {line!r}")
    return process, int(match[1])


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of process ``pid`` and of its live children (the workers), so far."""
    total = cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def workers_step(
    sipp: str, port: int, rate: int, seconds: float, scratch: str
) -> tuple[bool, str, float, float]:
    """One step with a socket per call (``-t un``): the kernel spreads calls over the workers."""
    calls = int(rate * seconds)
    limit = int(seconds * 4 + 10)
    command = [
        sipp, "-sn", "uac", f"127.0.0.1:{port}", "-i", "127.0.0.1", "-t", "un",
        "-max_socket", "512", "-r", str(rate), "-m", str(calls), "-nostdin",
        "-timeout", f"{limit}s", "-timeout_error",
    ]  # fmt: skip
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=scratch, stdin=subprocess.DEVNULL, capture_output=True, timeout=limit + 10,
        check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    counts = dict(_COUNT.findall(completed.stdout.decode(errors="replace")))
    ok_calls = int(counts.get("Successful call", -1))
    failed = int(counts.get("Failed call", -1))
    achieved = ok_calls / elapsed if elapsed > 0 else 0.0
    passed = completed.returncode == 0 and failed == 0 and ok_calls == calls
    line = (
        f"rate {rate:6d}: {ok_calls}/{calls} ok, {failed} failed, {elapsed:5.2f} s "
        f"({achieved:7.0f} calls/s achieved)"
    )
    return passed, line, elapsed, achieved


def ramp_pool(
    sipp: str, process: subprocess.Popen[bytes], port: int, workers: int,
    *, args: argparse.Namespace, scratch: str,
) -> tuple[float, float | None]:  # fmt: skip
    """``ramp`` for a pool: best achieved rate with 0 failures, and CPU per call (µs) there."""
    best, cpu_per_call = 0.0, None
    for rate in RATES:
        for _attempt in range(2):
            before = tree_cpu_seconds(process.pid)
            passed, line, elapsed, achieved = workers_step(
                sipp, port, rate, args.step_seconds, scratch
            )
            used = tree_cpu_seconds(process.pid) - before
            kept_up = elapsed <= args.step_seconds * args.slack + 1.0
            print(f"  N={workers} {line}{'' if kept_up else '  (fell behind)'}", flush=True)
            if passed and kept_up:
                break
            time.sleep(1.0)
        if not (passed and kept_up):
            break
        if achieved > best:
            best, cpu_per_call = achieved, used / (rate * args.step_seconds) * 1e6
        time.sleep(0.5)
    return best, cpu_per_call


def bench_workers(sipp: str, args: argparse.Namespace) -> int:
    """Ramp each pool size like the main benchmark; print calls/s, CPU per call, the ratio."""
    best: dict[int, float] = {}
    cpu: dict[int, float | None] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for workers in args.workers:
            process, port = start_pool_uas(workers)
            print(f"{workers} worker(s) on 127.0.0.1:{port}", flush=True)
            try:
                best[workers], cpu[workers] = ramp_pool(
                    sipp, process, port, workers, args=args, scratch=scratch
                )
            finally:
                process.terminate()  # a graceful stop: the pool drains, then exits
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
    print(f"\nmax calls/s with 0 failures ({os.cpu_count()} cores, shared with sipp):")
    for workers in args.workers:
        print(
            f"  N={workers}: {best[workers]:.0f} calls/s, "
            f"server CPU per call {_us(cpu[workers])} (parent and workers)"
        )
    if best.get(1):
        for workers in args.workers:
            if workers != 1:
                print(f"  ratio N={workers}/N=1: {best[workers] / best[1]:.2f} (goal >= 1.6 for N=2"
                      " where sipp has a core of its own)")  # fmt: skip
    return 0


def _us(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} µs"


if __name__ == "__main__":
    sys.exit(main())

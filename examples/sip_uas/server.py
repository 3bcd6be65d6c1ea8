"""The SIP user agent server: listeners, routing by Call-ID, and the supervision tree.

Tree (``format_tree()``)::

    sip_uas                 Supervisor
      sessions              DynamicSupervisor: one transient SessionActor per call

The UDP listener is a Twisted DatagramProtocol on the hub's reactor; it runs
in MAIN_LOOP, where nothing may block. Each TCP connection is a proc of its
own (eventlib's ``SpawnFactory``) reading a green transport and cutting the
stream into messages. Both only parse and route: a
request for a known Call-ID goes into that call's mailbox; a new INVITE gets
a :class:`Call` at once (later requests queue in its mailbox), and the
DynamicSupervisor is asked for its session without waiting (its start queues
in the supervisor's inbox, in arrival order). Nothing a
peer sends can crash a listener: malformed requests get ``400 Bad Request``
when a reply can be addressed and are otherwise dropped, with a log line;
what parses but cannot be served gets its RFC 3261 code (:mod:`.admission`).

Every response outside a dialog carries a To tag; the top Via gets
``received`` and a filled-in ``rport`` (RFC 3581). A TCP connection must
finish a message it started within ``tcp_message_timeout`` and is closed
after ``tcp_idle_timeout`` without traffic while no call of its own is up;
each source address may hold ``max_tcp_per_ip`` connections. Each call that
ends logs one ``call.ended`` line (Call-ID, outcome, duration, restarts).
"""

from __future__ import annotations

import itertools
import os
import re
import socket
from typing import Any

import attrs
import structlog
from twisted.internet.protocol import DatagramProtocol

from eventlib import Event, Timeout, get_hub, sleep
from eventlib.mailbox import MailboxError
from eventlib.supervisor import ChildSpec, DynamicSupervisor, Supervisor
from eventlib.twistedutil import block_on
from eventlib.twistedutil.protocol import SpawnFactory
from examples.sip_uas.admission import ACCEPT, ALLOW, SUPPORTED, refusal
from examples.sip_uas.message import (
    MAX_MESSAGE_SIZE,
    ParseError,
    Request,
    build_response,
    content_length,
    parse_message,
)
from examples.sip_uas.session import Call, SessionActor, TryingTimer

__all__ = ["Config", "SipServer", "Stats"]

log = structlog.get_logger("sip_uas")

_CRASH_ENV = "SIP_UAS_CRASH_RATE"
_METHODS = frozenset(method.strip() for method in ALLOW.split(b","))
_CAPABILITIES = ((b"Allow", ALLOW), (b"Accept", ACCEPT), (b"Supported", b", ".join(SUPPORTED)))
_UDP_BUFFER = 4 * 1024 * 1024


def _crash_rate_from_env() -> float:
    return float(os.environ.get(_CRASH_ENV) or 0.0)


@attrs.frozen
class Config:
    """How the UAS listens and how its sessions behave.

    ``crash_rate`` (default from ``SIP_UAS_CRASH_RATE``) makes exactly that
    fraction of calls crash their first session, evenly spread.
    """

    host: str = "127.0.0.1"
    udp_port: int | None = 5060
    tcp_port: int | None = None
    max_sessions: int = 10_000
    retry_after: int = 5
    t1: float = 0.5
    t2: float = 4.0
    ring_seconds: float = 0.0
    session_timeout: float = 300.0
    crash_rate: float = attrs.field(factory=_crash_rate_from_env)
    max_restarts: int = 1000
    max_seconds: float = 5.0
    mailbox_capacity: int = 32
    max_message_size: int = MAX_MESSAGE_SIZE
    tcp_idle_timeout: float = 30.0
    """Close a TCP connection silent this long while no call of its own is up."""
    tcp_message_timeout: float = 10.0
    """Close a TCP connection that started a message and did not finish it in this time."""
    max_tcp_per_ip: int = 256
    """TCP connections one source address may hold; more are closed at once."""
    rtp_echo: bool = False
    """Open an RTP port that sends every packet back, and offer it in the SDP answers."""

    def __attrs_post_init__(self) -> None:
        """Refuse a bad value now, naming the field, rather than in a session later."""
        for name, low, inclusive in _LIMITS:
            value = getattr(self, name)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if name in _INTEGERS:
                number = number and isinstance(value, int)
            if not number or value < low or (value == low and not inclusive):
                kind = "an integer" if name in _INTEGERS else "a number"
                bound = ">=" if inclusive else ">"
                raise ValueError(f"Config.{name} must be {kind} {bound} {low}, got {value!r}")
        if not 0 <= self.crash_rate <= 1:
            raise ValueError(f"Config.crash_rate must be from 0 to 1, got {self.crash_rate!r}")


_LIMITS = (
    ("t1", 0, False),
    ("t2", 0, False),
    ("session_timeout", 0, False),
    ("tcp_idle_timeout", 0, False),
    ("tcp_message_timeout", 0, False),
    ("max_seconds", 0, False),
    ("ring_seconds", 0, True),
    ("max_sessions", 0, True),
    ("retry_after", 0, True),
    ("max_restarts", 0, True),
    ("mailbox_capacity", 1, True),
    ("max_message_size", 1, True),
    ("max_tcp_per_ip", 1, True),
)
_INTEGERS = frozenset(
    {
        "max_sessions",
        "retry_after",
        "max_restarts",
        "mailbox_capacity",
        "max_message_size",
        "max_tcp_per_ip",
    }
)


@attrs.define
class Stats:
    """Counters since start (active sessions: ``len(server.calls)``)."""

    received: int = 0
    calls: int = 0
    completed: int = 0
    cancelled: int = 0
    timer_h: int = 0
    expired: int = 0
    crashes: int = 0
    rejected: int = 0
    malformed: int = 0
    refused: int = 0
    not_acceptable: int = 0
    dropped: int = 0
    tcp_refused: int = 0
    tcp_timeouts: int = 0
    retransmissions: int = 0
    rtp_echoed: int = 0
    send_errors: int = 0


class _Udp(DatagramProtocol):
    """The UDP listener: every datagram goes to :meth:`SipServer.handle`."""

    reliable = False
    noisy = False
    # handle() never blocks or raises, and logs through structlog: the hub may read
    # without Twisted's per-read log context, which costs more than a datagram's routing.
    eventlib_quiet_reads = True

    def __init__(self, server: SipServer) -> None:
        self.server = server
        self.contact = b""
        self._sendto: Any = None

    def startProtocol(self) -> None:  # noqa: N802 - Twisted's interface
        port: Any = self.transport  # a udp.Port: its socket and read size are used below
        host = port.getHost()
        self.contact = b"<sip:uas@%s:%d>" % (_uri_host(host.host), host.port)
        # Twisted reads 8 KiB by default: a bigger datagram would arrive cut, and look valid.
        port.maxPacketSize = 65536
        try:
            port.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _UDP_BUFFER)
            port.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _UDP_BUFFER)
        except OSError:
            pass  # the system's limits apply
        # The socket's own sendto: Twisted's write() re-validates the address every time.
        self._sendto = port.socket.sendto

    def datagramReceived(self, data: bytes, addr: Any) -> None:  # noqa: N802
        self.server.handle(data, self, addr)

    def send(self, data: bytes, peer: Any) -> None:
        server = self.server
        if server.send_filter is not None and not server.send_filter(data, peer):
            return
        try:
            self._sendto(data, peer)
        except (OSError, TypeError):  # a full buffer or a closed port: UDP may lose it
            server.stats.send_errors += 1


# Linear on any input: the value is taken whole and stripped in Python.
_CONTENT_LENGTH = re.compile(rb"(?im)^(?:content-length|l)[ \t]*+:([^\r\n]*+)")


class _Framer:
    """Cuts a TCP byte stream into SIP messages by their Content-Length (RFC 3261 §18.3)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        """The complete messages ``data`` completes.

        Raises:
            ParseError: the stream cannot be framed any more (bad or huge length).
        """
        messages = []
        buffer = (self.buffer + data).lstrip(b"\r\n")  # keep-alives between messages
        while buffer:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > self.limit:
                    raise ParseError("headers too long", _try_request(buffer[: self.limit]))
                break
            match = _CONTENT_LENGTH.search(buffer, 0, end + 2)
            length = 0
            if match is not None:
                try:
                    length = content_length(match[1].strip())
                except ParseError as exc:
                    raise ParseError(exc.reason, _try_request(buffer[:end])) from None
            total = end + 4 + length
            if total > self.limit:
                raise ParseError("message too large", _try_request(buffer[:end]))
            if len(buffer) < total:
                break
            messages.append(buffer[:total])
            buffer = buffer[total:].lstrip(b"\r\n")
        self.buffer = buffer
        return messages


class _TcpConnection:
    """The endpoint of one TCP connection, served by its own proc (a SpawnFactory handler)."""

    reliable = True

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.open = True
        self.calls = 0
        """Live calls whose INVITE came over this connection (no idle deadline meanwhile)."""
        host, peer = conn.getHost(), conn.getPeer()
        self.peer = (peer.host, peer.port)
        self.contact = b"<sip:uas@%s:%d;transport=tcp>" % (_uri_host(host.host), host.port)

    def send(self, data: bytes, peer: Any) -> None:  # noqa: ARG002 - one peer per connection
        if self.open:
            try:
                self.conn.write(data, wait=False)  # a session never waits on a slow peer
            except Exception:
                self.open = False  # the connection is gone; its sessions end by their timers


def _try_request(head: bytes) -> Request | None:
    try:
        message = parse_message(head + b"\r\n\r\n", max_size=1 << 30)
    except ParseError as exc:
        return exc.request
    return message if isinstance(message, Request) else None


def _uri_host(host: str) -> bytes:
    return (f"[{host}]" if ":" in host else host).encode()


_USUAL_SENT_BY = (b"SIP/2.0/UDP ", b"SIP/2.0/TCP ", b"SIP/2.0/TLS ")
_USUAL_SENT_BY_LENGTH = 12
_AFTER_HOST = (b":", b";", b"")
_PLAIN_HOST = re.compile(rb"[^\s:;\[\]]++")
_PLAIN_ADDRESSES: set[bytes] = set()
_PLAIN_ADDRESSES_LIMIT = 1024
_SENT_BY = re.compile(rb"\s*+SIP\s*+/\s*+2\.0\s*+/\s*+[^\s/]++\s++(\[[^\]]*+\]|[^\s:;]++)")


def _same_host(via: bytes, address: bytes) -> bool:
    """Whether the host of the Via value ``via`` is ``address``: the usual
    ``SIP/2.0/UDP <IPv4 address or name>[:port][;...]`` is read without the pattern."""
    end = _USUAL_SENT_BY_LENGTH + len(address)
    if (
        via.startswith(_USUAL_SENT_BY)
        and via.startswith(address, _USUAL_SENT_BY_LENGTH)
        and via[end : end + 1] in _AFTER_HOST
        and (address in _PLAIN_ADDRESSES or _is_plain(address))
    ):
        return True
    return _same_host_by_pattern(via, address)


def _is_plain(address: bytes) -> bool:
    """Whether ``address`` is a host the pattern reads whole (no IPv6 colons, brackets,
    ``;`` or white space); remembered (bounded) when it is."""
    if _PLAIN_HOST.fullmatch(address) is None:
        return False
    if len(_PLAIN_ADDRESSES) >= _PLAIN_ADDRESSES_LIMIT:
        _PLAIN_ADDRESSES.clear()  # peers choose the addresses: keep it bounded
    _PLAIN_ADDRESSES.add(address)
    return True


def _same_host_by_pattern(via: bytes, address: bytes) -> bool:
    """:func:`_same_host` for any Via value (white space, IPv6 brackets...)."""
    sent_by = _SENT_BY.match(via)
    return sent_by is not None and sent_by[1].strip(b"[]") == address


def stamp_via(request: Request, host: str, port: int) -> None:
    """Add ``received`` to the top Via, and fill an empty ``rport`` (RFC 3261 §18.2.1, RFC 3581).

    Responses then go where the request came from, as a client behind NAT needs.
    """
    top = request.vias[0]
    first, comma, rest = top.partition(b",")
    address = host.encode()
    # find() rather than `in`, which on bytes pays for a TypeError (tried as an integer first).
    if _same_host(first, address) and first.find(b"rport") < 0:
        return  # the common case: nothing to add
    params = first.split(b";")
    stamped = [params[0].rstrip()]
    for param in params[1:]:
        name = param.split(b"=", 1)[0].strip().lower()
        if name == b"received":
            continue
        stamped.append(b"rport=%d" % port if param.strip() == b"rport" else param.strip())
    stamped.append(b"received=" + address)
    request.vias[0] = b";".join(stamped) + comma + rest


class _RtpEcho(DatagramProtocol):
    """An RTP port that sends every packet back to its sender (the demo's media)."""

    noisy = False

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def datagramReceived(self, data: bytes, addr: Any) -> None:  # noqa: N802
        transport: Any = self.transport
        try:
            transport.write(data, addr)
        except OSError:
            return  # UDP may lose it
        self.stats.rtp_echoed += 1


class SipServer:
    """A SIP UAS whose every call is a supervised :class:`SessionActor`.

    Example (in a proc)::

        server = SipServer(Config(udp_port=0)).start()
        print(server.udp_port, server.format_tree())
        ...
        server.stop()
    """

    def __init__(self, config: Config | None = None, **changes: Any) -> None:
        config = config or Config()
        self.config: Config = attrs.evolve(config, **changes) if changes else config
        self.stats = Stats()
        self.calls: dict[bytes, Call] = {}
        """Live calls by Call-ID (their sessions are running, starting or restarting)."""
        self.send_filter: Any = None
        """Test hook: ``send_filter(data, peer) -> bool``; False drops the datagram."""
        self.root: Supervisor | None = None
        self._sessions: DynamicSupervisor | None = None
        self._ports: list[Any] = []
        self._tcp_factory: SpawnFactory | None = None
        self._udp: _Udp | None = None
        self._tags = itertools.count(1)
        self._tag_prefix = os.urandom(3).hex().encode()
        self._crash_counter = 0
        self._ended: dict[bytes, bytes] = {}
        self._ended_old: dict[bytes, bytes] = {}
        self._ended_timer: Any = None
        self._log: Any = log
        """Where the call.ended lines go (see :meth:`start`)."""
        self.trying_timer = TryingTimer()
        """The calls' 100 Trying at 200 ms (RFC 3261 §17.2.1), armed as each INVITE arrives."""
        self._idle: list[Event] = []
        self._sessions_waiters: list[Event] = []
        self._tcp_per_ip: dict[str, int] = {}
        self.rtp_port: int | None = None
        """The RTP echo's port (``Config.rtp_echo``), named in the SDP answers."""
        self.address = self.config.host.encode()
        """The address the SDP answers name."""

    # -- life cycle --------------------------------------------------------

    def start(self) -> SipServer:
        """Start the tree and the listeners of the config (call from a proc); returns self."""
        # The call.ended line goes out once per call: through structlog's lazy proxy, a
        # filtered line cost as much as the rest of forget(). When loggers are cached on first
        # use, the proxy hands out this very logger every time: take it once.
        self._log = log.bind() if structlog.get_config()["cache_logger_on_first_use"] else log
        self.start_tree()
        config = self.config
        if config.udp_port is not None:
            self.listen_udp()
        if config.tcp_port is not None:
            self.listen_tcp()
        if config.rtp_echo:
            reactor = get_hub().reactor
            port = reactor.listenUDP(0, _RtpEcho(self.stats), interface=config.host)
            self._ports.append(port)
            self.rtp_port = port.getHost().port
        log.info(
            "sip_uas.listening",
            host=config.host,
            udp_port=self.udp_port,
            tcp_port=self.tcp_port,
            rtp_port=self.rtp_port,
            max_sessions=config.max_sessions,
        )
        return self

    def start_tree(self) -> None:
        """Start the supervision tree only; the listeners come with ``listen_*``."""
        self.root = Supervisor(
            [
                ChildSpec(
                    "sessions", start=self._start_sessions, type="supervisor", shutdown="infinity"
                ),
            ],
            max_restarts=3,
            max_seconds=5,
            name="sip_uas",
        )

    def listen_udp(self, sock: socket.socket | None = None) -> None:
        """Serve UDP on ``config.host:udp_port``, or on ``sock``, a bound UDP socket.

        An adopted socket stays the caller's to close (Twisted uses a duplicate).
        """
        reactor = get_hub().reactor
        self._udp = _Udp(self)
        if sock is None:
            port = reactor.listenUDP(self.config.udp_port, self._udp, interface=self.config.host)
        else:
            port = reactor.adoptDatagramPort(sock.fileno(), sock.family, self._udp)
        self._ports.append(port)

    def listen_tcp(self, sock: socket.socket | None = None) -> None:
        """Serve TCP on ``config.host:tcp_port``, or on ``sock``, a listening TCP socket."""
        reactor = get_hub().reactor
        factory = self._tcp_factory = SpawnFactory(self.serve_tcp)
        factory.noisy = False
        if sock is None:
            port = reactor.listenTCP(self.config.tcp_port, factory, interface=self.config.host)
        else:
            port = reactor.adoptStreamPort(sock.fileno(), sock.family, factory)
        self._ports.append(port)

    @property
    def udp_port(self) -> int | None:
        return self._port_number("UDP")

    @property
    def tcp_port(self) -> int | None:
        return self._port_number("TCP")

    def _port_number(self, kind: str) -> int | None:
        for port in self._ports:
            host = port.getHost()
            if host.type == kind:
                return int(host.port)
        return None

    def stop(self) -> None:
        """Close the listeners, then shut the tree down (sessions get Shutdown)."""
        ports, self._ports = self._ports, []
        for port in ports:
            deferred = port.stopListening()
            if deferred is not None:
                block_on(deferred)
        if self._tcp_factory is not None:  # stopping a port leaves its connections: end them
            self._tcp_factory.killall(wait=True)
            self._tcp_factory = None
        if self.root is not None and not self.root.dead:
            self.root.stop()
        self.trying_timer.stop()
        if self._ended_timer is not None:
            self._ended_timer.cancel()
            self._ended_timer = None
        self._ended.clear()
        self._ended_old.clear()

    @property
    def sessions(self) -> DynamicSupervisor | None:
        """The running sessions supervisor."""
        return self._sessions

    def running_sessions(self, timeout: float | None = None) -> DynamicSupervisor | None:
        """The running sessions supervisor, waiting for its restart if it is down."""
        sessions = self._sessions
        if sessions is not None and not sessions.dead:
            return sessions
        started = Event()
        self._sessions_waiters.append(started)
        with Timeout(timeout, False):
            return started.wait()  # type: ignore[no-any-return]
        return None

    def format_tree(self) -> str:
        return "" if self.root is None else self.root.format_tree()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no call is live; False if ``timeout`` passed first."""
        if self.calls:
            idle = Event()
            self._idle.append(idle)
            with Timeout(timeout, False):
                idle.wait()
            if not idle.ready():
                return False
        # The last session's exit reached the supervisor's inbox just after it reached us:
        # one turn lets the supervisor process it, so its counts are current on return.
        sleep(0)
        return True

    # -- the tree's children ---------------------------------------------

    def _start_sessions(self) -> DynamicSupervisor:
        config = self.config
        sessions = DynamicSupervisor(
            ChildSpec("session", start=self._start_session, restart="transient", shutdown=1.0),
            max_restarts=config.max_restarts,
            max_seconds=config.max_seconds,
            max_children=config.max_sessions,
            name="sessions",
        )
        self._sessions = sessions
        sessions.link(self._sessions_exited)
        waiting, self._sessions_waiters = self._sessions_waiters, []
        for event in waiting:
            event.send(sessions)
        return sessions

    def _sessions_exited(self, sessions: DynamicSupervisor) -> None:
        """Its calls died with it: forget them all (their sessions are gone)."""
        if self._sessions is sessions:
            self._sessions = None
        calls = list(self.calls.values())
        if calls:
            log.warning("sessions.exited", sup_path=sessions.path, calls_lost=len(calls))
        for call in calls:
            call.outcome = "lost"
            self.forget(call)

    def _start_session(self, call: Call) -> SessionActor | None:
        if self.calls.get(call.call_id) is not call:
            return None  # forgotten meanwhile (its supervisor died): nothing to serve
        actor = SessionActor(self, call).start()
        call.session = actor
        return actor

    def _start_session_of(self, call: Call) -> None:
        """Ask the sessions supervisor for ``call``'s session, without waiting (any green
        thread or MAIN_LOOP): its start runs in the supervisor's proc, several per
        wake-up, in arrival order; a start that fails answers its call from
        :meth:`_session_start_failed`."""
        sessions = self._sessions
        if sessions is None:  # between two incarnations of the sessions supervisor
            call.outcome = "unavailable"
            self.forget(call)
            call.send(
                build_response(
                    call.invite, 503, to_tag=call.to_tag, headers=((b"Retry-After", b"1"),)
                )
            )
            return
        try:
            started = sessions.start_child_nowait(call)
        except Exception as exc:
            self._session_start_failed(call, exc)
            return
        started.link_exception(
            lambda source: self._session_start_failed(call, source.exc_info()[1])
        )

    def _session_start_failed(self, call: Call, error: BaseException) -> None:
        """The supervisor could not start ``call``'s session: log it, answer 500, forget it."""
        log.error(
            "session.start_failed",
            call_id=call.call_id.decode(errors="replace"),
            error=repr(error),
            exc_info=error,
        )
        call.send(
            build_response(call.invite, 500, to_tag=call.to_tag, headers=((b"Retry-After", b"1"),))
        )
        call.outcome = "start_failed"
        self.forget(call)

    # -- TCP: one proc per connection ------------------------------------------

    def serve_tcp(self, conn: Any) -> None:
        """Serve one TCP connection (a GreenTransport): read, frame and route its messages.

        Deadlines: a message must be complete ``tcp_message_timeout`` after its
        first byte; a connection with no call of its own up is closed after
        ``tcp_idle_timeout`` of silence. A source at its connection cap is
        closed at once.
        """
        config = self.config
        ip = conn.getPeer().host
        open_here = self._tcp_per_ip.get(ip, 0)
        if open_here >= config.max_tcp_per_ip:
            self.stats.tcp_refused += 1
            log.warning("sip.tcp_refused", peer=ip, open=open_here, cap=config.max_tcp_per_ip)
            conn.loseConnection(wait=False)
            return
        self._tcp_per_ip[ip] = open_here + 1
        endpoint = _TcpConnection(conn)
        try:
            self._read_tcp(conn, endpoint)
        except Exception as exc:  # a reset connection: nothing more to read
            log.info("sip.tcp_lost", peer=repr(endpoint.peer), error=repr(exc))
        finally:
            endpoint.open = False
            conn.loseConnection(wait=False)
            left = self._tcp_per_ip[ip] - 1
            if left:
                self._tcp_per_ip[ip] = left
            else:
                del self._tcp_per_ip[ip]

    def _read_tcp(self, conn: Any, endpoint: _TcpConnection) -> None:
        config = self.config
        clock = get_hub().clock
        framer = _Framer(config.max_message_size)
        message_deadline = 0.0
        while True:
            if framer.buffer:
                timeout = max(message_deadline - clock(), 0.0)
            else:
                timeout = config.tcp_idle_timeout
            chunk = None
            with Timeout(timeout, False):
                chunk = conn.recv()
            if chunk is None:
                if not framer.buffer and endpoint.calls:
                    continue  # quiet, but a call of its own is up: its timers bound it
                self.stats.tcp_timeouts += 1
                log.info(
                    "sip.tcp_timeout",
                    peer=repr(endpoint.peer),
                    waited="message" if framer.buffer else "idle",
                    seconds=timeout,
                )
                return
            if not chunk:
                return
            was_empty = not framer.buffer
            try:
                messages = framer.feed(chunk)
            except ParseError as exc:  # the stream is beyond repair: answer and close
                self.malformed(exc, endpoint, endpoint.peer)
                return
            for message in messages:
                self.handle(message, endpoint, endpoint.peer)
            if framer.buffer and (was_empty or messages):
                message_deadline = clock() + config.tcp_message_timeout

    # -- routing (never blocks: also called from MAIN_LOOP) -------------------

    def handle(self, data: bytes, endpoint: Any, peer: Any) -> None:
        """Parse and route one message from ``peer``; nothing it contains can raise out."""
        stats = self.stats
        stats.received += 1
        try:
            message = parse_message(data, self.config.max_message_size)
        except ParseError as exc:
            self.malformed(exc, endpoint, peer)
            return
        except Exception as exc:  # a parser bug must not take the listener down
            self.malformed(ParseError(f"parser error {exc!r}"), endpoint, peer)
            return
        if type(message) is not Request:
            if message is not None:  # a response: a UAS sent no request, so it is stray
                stats.dropped += 1
                log.info("sip.dropped", reason="stray response", peer=repr(peer))
            return
        message.endpoint = endpoint
        message.peer = peer
        try:
            if message.method != b"ACK":  # nothing answers an ACK: its Via is never copied
                stamp_via(message, peer[0], peer[1])
            self._route(message, endpoint, peer)
        except Exception as exc:
            stats.dropped += 1
            log.exception("sip.route_error", error=repr(exc), peer=repr(peer))

    def _route(self, request: Request, endpoint: Any, peer: Any) -> None:
        method = request.method
        if method not in _METHODS:
            self.stats.refused += 1
            endpoint.send(self._out_of_dialog(request, 501, ((b"Allow", ALLOW),)), peer)
            return
        refused = refusal(request)
        if refused is not None:
            self.stats.refused += 1
            code, headers = refused
            endpoint.send(self._out_of_dialog(request, code, headers), peer)
            log.info("sip.refused", code=code, method=method.decode(), peer=repr(peer))
            return
        call_id = request.call_id
        assert call_id is not None
        call = self.calls.get(call_id)
        if call is not None:
            if not call.responded and method == b"INVITE" and request.cseq == call.invite.cseq:
                # A retransmission before the session's first response: the server
                # transaction answers it with 100 Trying now (RFC 3261 §17.2.1).
                call.trying()
                return
            try:
                call.mailbox.put(request)
            except MailboxError:  # full (a peer flooding one call) or closed: drop it
                self.stats.dropped += 1
            return
        if method == b"INVITE":
            if request.to_tag is not None:  # a re-INVITE for a dialog we don't know
                endpoint.send(self._out_of_dialog(request, 481), peer)
            elif len(self.calls) >= self.config.max_sessions:
                self.stats.rejected += 1
                retry = b"%d" % self.config.retry_after
                endpoint.send(self._out_of_dialog(request, 503, ((b"Retry-After", retry),)), peer)
            else:
                self._new_call(request, endpoint, peer)
            return
        if method != b"ACK":  # nothing answers an ACK (here: for a call that ended)
            self._answer_out_of_dialog(request, endpoint, peer)

    def _answer_out_of_dialog(self, request: Request, endpoint: Any, peer: Any) -> None:
        method = request.method
        if method == b"BYE":
            assert request.call_id is not None
            ended = self._ended.get(request.call_id) or self._ended_old.get(request.call_id)
            if ended is not None:
                endpoint.send(ended, peer)  # our 200 was lost: say it again
                return
        if method == b"OPTIONS":
            endpoint.send(self._out_of_dialog(request, 200, _CAPABILITIES), peer)
        else:  # BYE or CANCEL (the other methods were answered before routing)
            endpoint.send(self._out_of_dialog(request, 481), peer)

    def _out_of_dialog(
        self, request: Request, code: int, headers: tuple[tuple[bytes, bytes], ...] = ()
    ) -> bytes:
        """A response outside any dialog: with a fresh To tag (RFC 3261 §8.2.6.2)."""
        return build_response(request, code, to_tag=self.new_tag(), headers=headers)

    def new_tag(self) -> bytes:
        """A To tag unique to this server (random prefix, counter)."""
        return b"%s%x" % (self._tag_prefix, next(self._tags))

    def _new_call(self, invite: Request, endpoint: Any, peer: Any) -> None:
        stats = self.stats
        stats.calls += 1
        # The list's own (C) search first: most INVITEs carry no X-Crash at all.
        crash = (b"x-crash", b"1") in invite.headers and invite.header(b"x-crash") == b"1"
        rate = self.config.crash_rate
        if rate > 0:
            before = int((stats.calls - 1) * rate)
            crash = crash or int(stats.calls * rate) != before
        call = Call(
            invite, endpoint, peer, self.new_tag(), self.config.mailbox_capacity, crash=crash
        )
        call.started = get_hub().clock()
        self.trying_timer.arm(call)
        if type(endpoint) is _TcpConnection:
            endpoint.calls += 1
        self.calls[call.call_id] = call
        self._start_session_of(call)

    def malformed(self, error: ParseError, endpoint: Any, peer: Any) -> None:
        """Answer 400 (or the error's code) if the request can be addressed, never to an ACK;
        else drop. Log it either way."""
        self.stats.malformed += 1
        request = error.request
        replied = request is not None and request.method != b"ACK"
        if replied:
            assert request is not None
            if request.vias:
                stamp_via(request, peer[0], peer[1])
            endpoint.send(self._out_of_dialog(request, error.code), peer)
        log.warning(
            "sip.malformed", reason=error.reason, code=error.code, replied=replied, peer=repr(peer)
        )

    # -- calls ending ------------------------------------------------------

    def call_ended(self, call: Call, bye_response: bytes) -> None:
        """A call ended by BYE: keep the 200 for a while, for retransmitted BYEs (Timer J)."""
        self.stats.completed += 1
        self._ended[call.call_id] = bye_response
        if self._ended_timer is None:
            self._ended_timer = get_hub().schedule_call_global(64 * self.config.t1, self._age)

    def _age(self) -> None:
        self._ended_old, self._ended = self._ended, {}
        self._ended_timer = None
        if self._ended_old:
            self._ended_timer = get_hub().schedule_call_global(64 * self.config.t1, self._age)

    def forget(self, call: Call) -> None:
        """Drop a call's routing state (its session has ended for good); log its one line."""
        calls = self.calls
        if calls.get(call.call_id) is call:
            del calls[call.call_id]
            call.session = None  # it refers to the call: a cycle only the collector would free
            call.cancel_trying()
            call.mailbox.close()
            endpoint = call.endpoint
            if type(endpoint) is _TcpConnection:
                endpoint.calls -= 1
            self._log.info(
                "call.ended",
                call_id=call.call_id.decode(errors="replace"),
                outcome=call.outcome,
                duration=round(get_hub().clock() - call.started, 3),
                restarts=max(call.incarnation - 1, 0),
            )
            if not calls and self._idle:
                idle, self._idle = self._idle, []
                for event in idle:
                    event.send(None)

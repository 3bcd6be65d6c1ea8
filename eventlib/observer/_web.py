"""The observer in the browser: a live supervision dashboard on loopback, behind the token.

Security model:

- It listens on the observer's loopback address only and answers only
  requests whose ``Host`` is that address (no DNS rebinding).
- The observer token never reaches the browser. A one-time login link
  (random, valid for :data:`LOGIN_TTL` seconds, invalidated on first use) is
  printed in the terminal; opening it sets an ``HttpOnly; SameSite=Strict``
  session cookie and redirects to the page. Every other path refuses a
  request without a valid session with 403.
- Read-only unless the program passed ``web_actions=True``; then the
  actions (kill a proc, restart a child) are POSTs that need the session's
  CSRF token in a header and a same-origin ``Origin``.
- A strict Content-Security-Policy: scripts, styles and data from the page's
  own origin only; every asset ships in the package.
- No access log: request lines (and the one-time link) are not written anywhere.
- At most ``max_connections`` connections; idle ones close after ``idle_timeout``.

Updates are server-sent events: once a second each open page gets the new
metrics sample and only the tree rows that changed; a supervisor with many
children sends a count by state and one bounded page of rows.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import traceback
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs
from twisted.protocols.policies import WrappingFactory
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

from eventlib.mailbox import Actor
from eventlib.observer import _snapshot
from eventlib.observer._metrics import Metrics, Sample
from eventlib.observer._snapshot import strategy_name
from eventlib.proc import Proc
from eventlib.supervisor import RESTARTING, DynamicSupervisor, Supervisor

if TYPE_CHECKING:
    from eventlib.observer._server import ObserverServer

__all__ = ["LOGIN_TTL", "WebView"]

LOGIN_TTL = 300.0
"""Seconds a one-time login link stays valid."""

SESSION_TTL = 12 * 3600.0
"""Seconds a browser session lasts; then the page needs a new login link."""

COOKIE = "eventlib_observer"
MAX_SESSIONS = 32
MAX_STREAMS = 16
PAGE_SIZE = 50
# A page that cannot keep up is disconnected; its EventSource reconnects and resyncs.
MAX_BUFFERED = 4 * 1024 * 1024

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
    "/static/uPlot.iife.min.js": ("static/uPlot.iife.min.js", "text/javascript; charset=utf-8"),
    "/static/uPlot.min.css": ("static/uPlot.min.css", "text/css; charset=utf-8"),
}

_REFUSED_PAGE = b"""<!doctype html><meta charset="utf-8"><title>eventlib observer</title>
<h1>Not logged in</h1>
<p>Open the one-time login link printed in the terminal, or get a new one with
<code>python -m eventlib.observer --web PID</code>.</p>
"""


def _load_asset(name: str) -> bytes:
    return resources.files("eventlib.observer").joinpath("web", name).read_bytes()


@attrs.define
class _Session:
    csrf: str
    created: float


class _Stream:
    """One open event stream: the rows it has been sent and the pages it shows."""

    def __init__(self, request: Any, pages: dict[int, int]) -> None:
        self.request = request
        self.pages = pages
        self.sent: dict[str, str] = {}
        self.first = True


class WebView:
    """The web dashboard of an :class:`ObserverServer` (see the module docstring).

    Attributes:
        url: the page's address (without credentials).
        actions: whether the page may kill procs and restart children.
    """

    def __init__(
        self,
        server: ObserverServer,
        port: int = 0,
        *,
        actions: bool = False,
        interval: float = 1.0,
        max_connections: int = 64,
        idle_timeout: float = 30.0,
    ) -> None:
        self.server = server
        self.hub = server.hub
        self.actions = actions
        self._logins: dict[str, float] = {}
        self._sessions: dict[str, _Session] = {}
        self._streams: list[_Stream] = []
        self._assets = {path: (_load_asset(name), kind) for path, (name, kind) in _ASSETS.items()}
        self.metrics = Metrics(self.hub, interval=interval)
        self.metrics.listeners.append(self._push)
        # Idle connections (no request in progress) close after idle_timeout; an open event
        # stream is a request in progress, so it stays.
        site = _QuietSite(  # type: ignore[no-untyped-call]
            _Root(self), timeout=idle_timeout, reactor=self.hub.reactor
        )
        self._port = self.hub.reactor.listenTCP(
            port, _ConnectionCap(site, max_connections), interface=server.host
        )
        self.port: int = self._port.getHost().port
        host = f"[{server.host}]" if ":" in server.host else server.host
        self.url = f"http://{host}:{self.port}/"
        self._hosts = {f"{host}:{self.port}".encode()}
        if server.host in ("127.0.0.1", "localhost"):
            self._hosts |= {f"127.0.0.1:{self.port}".encode(), f"localhost:{self.port}".encode()}
        self.metrics.start()

    def stop(self) -> None:
        self.metrics.stop()
        for stream in list(self._streams):
            _finish(stream.request)
        self._streams.clear()
        self._port.stopListening()

    # -- logins and sessions ---------------------------------------------------

    def login_link(self) -> str:
        """A new one-time login link (valid for LOGIN_TTL seconds, for one use)."""
        now = self.hub.clock()
        self._logins = {code: until for code, until in self._logins.items() if until > now}
        code = secrets.token_urlsafe(24)
        self._logins[code] = now + LOGIN_TTL
        return f"{self.url}login?once={code}"

    def _redeem(self, code: str) -> str | None:
        until = self._logins.pop(code, None)  # one use, valid or not
        if until is None or until < self.hub.clock():
            return None
        if len(self._sessions) >= MAX_SESSIONS:  # the oldest session goes
            oldest = min(self._sessions, key=lambda sid: self._sessions[sid].created)
            del self._sessions[oldest]
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = _Session(secrets.token_urlsafe(32), self.hub.clock())
        return session_id

    def session_of(self, request: Any) -> _Session | None:
        cookie = request.getCookie(COOKIE.encode())
        if not cookie:
            return None
        now = self.hub.clock()
        for session_id, session in list(self._sessions.items()):
            if session.created + SESSION_TTL < now:
                del self._sessions[session_id]
            elif hmac.compare_digest(session_id.encode(), cookie):
                return session
        return None

    def host_allowed(self, request: Any) -> bool:
        host: bytes | None = request.getHeader(b"host")
        return host is not None and host in self._hosts

    # -- the event stream ------------------------------------------------------

    def open_stream(self, request: Any, session: _Session) -> int | bytes:
        if len(self._streams) >= MAX_STREAMS:
            request.setResponseCode(503)
            return b"too many open observer pages\n"
        pages: dict[int, int] = {}
        for value in request.args.get(b"page", [])[:64]:
            sup, _, page = value.partition(b":")
            if sup.isdigit() and page.isdigit():
                pages[int(sup)] = int(page)
        request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
        stream = _Stream(request, pages)
        self._streams.append(stream)
        request.notifyFinish().addBoth(lambda _: self._close(stream))
        hello = {
            "pid": os.getpid(),
            "actions": self.actions,
            "csrf": session.csrf if self.actions else None,
            "history": [_sample_json(sample) for sample in self.metrics.samples],
            "interval": self.metrics.interval,
        }
        request.write(b"retry: 2000\nevent: hello\ndata: " + _dumps(hello) + b"\n\n")
        self._send_frame(stream, None)
        return NOT_DONE_YET

    def _close(self, stream: _Stream) -> None:
        if stream in self._streams:
            self._streams.remove(stream)

    def _push(self, sample: Sample) -> None:
        if not self._streams:
            return
        tree_cache: dict[tuple[int, int], list[dict[str, Any]]] = {}
        for stream in list(self._streams):
            channel = stream.request.channel
            wrapper: Any = channel.transport if channel is not None else None
            transport = getattr(wrapper, "transport", wrapper)  # under the _ConnectionCap wrapper
            buffered = len(getattr(transport, "dataBuffer", b"")) + getattr(
                transport, "_tempDataLen", 0
            )
            if buffered > MAX_BUFFERED:
                _finish(stream.request)  # too slow; it reconnects and starts afresh
                continue
            self._send_frame(stream, sample, tree_cache)

    def _send_frame(
        self,
        stream: _Stream,
        sample: Sample | None,
        tree_cache: dict[tuple[int, int], list[dict[str, Any]]] | None = None,
    ) -> None:
        rows = self.tree_rows(stream.pages, {} if tree_cache is None else tree_cache)
        upsert = []
        fresh: dict[str, str] = {}
        for row in rows:
            encoded = json.dumps(row, sort_keys=True, default=str)
            fresh[row["key"]] = encoded
            if stream.sent.get(row["key"]) != encoded:
                upsert.append(row)
        removed = [key for key in stream.sent if key not in fresh]
        stream.sent = fresh
        frame = {
            "sample": None if sample is None else _sample_json(sample),
            "upsert": upsert,
            "remove": removed,
            "reset": stream.first,
            "busiest": self.busiest(),
            "deepest": [
                {"depth": depth, "proc_id": proc_id, "name": name}
                for depth, proc_id, name in self.metrics.deepest
            ],
            "procs": len(self.hub.procs),
        }
        stream.first = False
        stream.request.write(b"event: frame\ndata: " + _dumps(frame) + b"\n\n")

    # -- what the page shows ---------------------------------------------------

    def supervisors(self) -> list[Supervisor]:
        sups = [proc for proc in list(self.hub.procs.values()) if isinstance(proc, Supervisor)]
        return sorted(sups, key=lambda sup: sup.path)

    def tree_rows(
        self, pages: dict[int, int], cache: dict[tuple[int, int], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """Rows for every supervisor and one bounded page of each one's children."""
        rows = []
        for sup in self.supervisors():
            page = pages.get(sup.id, 0)
            cached = cache.get((sup.id, page))
            if cached is None:
                cached = cache[(sup.id, page)] = self._supervisor_rows(sup, page)
            rows.extend(cached)
        return rows

    def _supervisor_rows(self, sup: Supervisor, page: int) -> list[dict[str, Any]]:
        children = sup._children
        total = len(children)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages - 1)
        counts = {"running": 0, RESTARTING: 0, "stopped": 0}
        child_restarts = 0
        for child in children:
            child_restarts += child.restarts
            if child.restarting:
                counts[RESTARTING] += 1
            elif child.proc is None or child.proc.dead:
                counts["stopped"] += 1
            else:
                counts["running"] += 1
        key = f"s{sup.id}"
        parent = sup.path.rpartition("/")[0]
        rows: list[dict[str, Any]] = [
            {
                "key": key,
                "kind": "supervisor",
                "path": sup.path,
                "parent_path": parent or None,
                "class": type(sup).__name__,
                "strategy": strategy_name(sup),
                "proc_id": sup.id,
                "state": "running" if not sup.dead else "exited",
                "restarts": sup.total_restarts,
                "child_restarts": child_restarts,
                "children": total,
                "counts": counts,
                "page": page,
                "pages": pages,
                "dynamic": isinstance(sup, DynamicSupervisor),
            }
        ]
        window = children[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        rows.extend(
            {
                "key": f"c{sup.id}:{child_row.label}",
                "kind": "child",
                "sup": key,
                "label": child_row.label,
                "proc_id": child_row.proc_id,
                "state": child_row.state,
                "restarts": child_row.restarts,
                "type": child_row.type,
                "restart": child_row.restart,
                "id": str(child_row.id),
            }
            for child_row in _snapshot.rows_of(sup, window)
        )
        return rows

    def busiest(self, count: int = 10) -> list[dict[str, Any]]:
        profiler = _snapshot._profiler
        if profiler is None:
            return []
        procs = self.hub.procs
        profiler.prune(procs)
        ranked = sorted(profiler.cpu.items(), key=lambda item: item[1], reverse=True)
        return [
            {
                "proc_id": proc_id,
                "name": _display_name(procs[proc_id]),
                "cpu": round(cpu, 6),
                "switches": profiler.switches.get(proc_id, 0),
            }
            for proc_id, cpu in ranked[:count]
            if proc_id in procs
        ]

    def proc_details(self, proc_id: int) -> dict[str, Any] | None:
        """Where a proc is parked, its links, its mailbox and its CPU time."""
        proc = self.hub.procs.get(proc_id)
        if not isinstance(proc, Proc):
            return None
        worker = proc.greenlet
        frame = getattr(worker, "gr_frame", None) if worker is not None else None
        stack = traceback.format_stack(frame)[-12:] if frame is not None else []
        links = []
        for listener, _kind in list((proc._links or {}).keys())[:50]:
            if isinstance(listener, Proc):
                links.append(f"proc {listener.id} {listener.name}")
            else:
                links.append(getattr(listener, "__qualname__", None) or repr(listener)[:120])
        owner = getattr(proc._function, "__self__", None)
        mailbox = None
        if isinstance(owner, Actor) and owner.proc is proc:
            mailbox = {"depth": len(owner.mailbox), "capacity": owner.mailbox.capacity}
        profiler = _snapshot._profiler
        return {
            "id": proc.id,
            "name": str(proc.name),
            "state": _snapshot._proc_state(proc),
            "parent_id": proc.parent_id,
            "sup_path": proc.supervisor_path,
            "parked_at": "".join(stack) or "(not started, or running now)",
            "links": sorted(set(links)),
            "mailbox": mailbox,
            "cpu": profiler.cpu.get(proc.id, 0.0) if profiler else None,
            "switches": profiler.switches.get(proc.id, 0) if profiler else None,
            "supervisor": isinstance(proc, Supervisor),
        }

    # -- actions (only with actions=True) --------------------------------------

    def act(self, action: str, form: dict[str, str]) -> dict[str, Any]:
        """Run ``kill`` (form: proc) or ``restart`` (form: sup, child) and say what happened."""
        procs = self.hub.procs
        if action == "kill":
            proc = procs.get(_int(form.get("proc")))
            if not isinstance(proc, Proc):
                return {"ok": False, "error": "no such proc"}
            proc.kill()
            return {"ok": True, "killed": proc.id}
        if action == "restart":
            sup = procs.get(_int(form.get("sup")))
            if not isinstance(sup, Supervisor) or isinstance(sup, DynamicSupervisor):
                return {"ok": False, "error": "restart needs a static supervisor's child"}
            wanted = form.get("child")
            child_id = next((c.spec.id for c in sup._children if str(c.spec.id) == wanted), None)
            if child_id is None:
                return {"ok": False, "error": "no such child"}

            def restart() -> None:
                sup.terminate_child(child_id)
                sup.restart_child(child_id)

            # Supervisor calls block: run them in a proc of their own.
            from eventlib.proc import spawn  # noqa: PLC0415

            spawn(restart)
            return {"ok": True, "restarting": str(child_id)}
        return {"ok": False, "error": f"unknown action {action!r}"}


def _finish(request: Any) -> None:
    """End a streaming response unless its connection is already gone."""
    if not request.finished and not getattr(request, "_disconnected", False):
        request.finish()


def _display_name(proc: Any) -> str:
    """A supervisor by its path in the tree, any other proc by its name."""
    return proc.path if isinstance(proc, Supervisor) else str(proc.name)


def _int(value: str | None) -> int:
    return int(value) if value is not None and value.isdigit() else -1


def _dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), default=str).encode()


def _sample_json(sample: Sample) -> dict[str, Any]:
    return attrs.asdict(sample)


class _ConnectionCap(WrappingFactory):
    """Refuses connections past ``limit`` open ones (closing them at once)."""

    def __init__(self, factory: Site, limit: int) -> None:
        super().__init__(factory)  # type: ignore[no-untyped-call]
        self.limit = limit

    def buildProtocol(self, addr: Any) -> Any:  # noqa: N802 - Twisted's interface
        if len(self.protocols) >= self.limit:
            return None
        return super().buildProtocol(addr)


class _QuietSite(Site):
    """A Site that keeps no access log (request lines may hold a one-time login code)."""

    def log(self, request: Any) -> None:
        pass


class _Root(Resource):
    isLeaf = True  # noqa: N815 - Twisted's name

    def __init__(self, view: WebView) -> None:
        Resource.__init__(self)  # type: ignore[no-untyped-call]
        self.view = view

    def render(self, request: Any) -> int | bytes:
        view = self.view
        for name, value in (
            (b"content-security-policy", CSP),
            (b"x-content-type-options", "nosniff"),
            (b"referrer-policy", "no-referrer"),
            (b"x-frame-options", "DENY"),
            (b"cache-control", "no-store"),
        ):
            request.setHeader(name, value.encode())
        if not view.host_allowed(request):
            return _refuse(request, 421, b"unexpected Host header\n")
        path = (request.path or b"/").decode("ascii", "replace")
        method = request.method
        if path == "/login" and method == b"GET":
            return self._login(request)
        session = view.session_of(request)
        if session is None:
            request.setHeader(b"content-type", b"text/html; charset=utf-8")
            return _refuse(request, 403, _REFUSED_PAGE)
        if method == b"GET":
            return self._get(request, path, session)
        if method == b"POST" and path.startswith("/api/action/"):
            return self._action(request, path.removeprefix("/api/action/"), session)
        return _refuse(request, 405, b"method not allowed\n")

    def _login(self, request: Any) -> bytes:
        codes = request.args.get(b"once", [])
        session_id = self.view._redeem(codes[0].decode("ascii", "replace")) if codes else None
        if session_id is None:
            request.setHeader(b"content-type", b"text/html; charset=utf-8")
            return _refuse(
                request,
                403,
                b"<!doctype html><meta charset='utf-8'><title>eventlib observer</title>"
                b"<h1>This login link is invalid, expired or already used</h1>"
                b"<p>Get a new one with <code>python -m eventlib.observer --web PID</code>.</p>",
            )
        request.setHeader(
            b"set-cookie",
            f"{COOKIE}={session_id}; HttpOnly; SameSite=Strict; Path=/".encode(),
        )
        request.setResponseCode(303)
        request.setHeader(b"location", b"/")
        return b""

    def _get(self, request: Any, path: str, session: _Session) -> int | bytes:
        view = self.view
        asset = view._assets.get(path)
        if asset is not None:
            body, kind = asset
            request.setHeader(b"content-type", kind.encode())
            return body
        if path == "/events":
            return view.open_stream(request, session)
        request.setHeader(b"content-type", b"application/json")
        if path == "/api/proc":
            details = view.proc_details(_int(_arg(request, "id")))
            if details is None:
                return _refuse(request, 404, b'{"error": "no such proc"}')
            return _dumps(details)
        return _refuse(request, 404, b'{"error": "not found"}')

    def _action(self, request: Any, action: str, session: _Session) -> bytes:
        view = self.view
        request.setHeader(b"content-type", b"application/json")
        if not view.actions:
            return _refuse(
                request,
                403,
                b'{"error": "actions are off; the program enables them with '
                b'serve(web_actions=True)"}',
            )
        token: bytes = request.getHeader(b"x-csrf-token") or b""
        origin: bytes | None = request.getHeader(b"origin")
        same_origin = origin is not None and urlsplit(origin).netloc in view._hosts
        if not same_origin or not hmac.compare_digest(token, session.csrf.encode()):
            return _refuse(request, 403, b'{"error": "missing or wrong CSRF token or origin"}')
        form = {
            key.decode("ascii", "replace"): values[0].decode("utf-8", "replace")
            for key, values in request.args.items()
            if values
        }
        return _dumps(view.act(action, form))


def _arg(request: Any, name: str) -> str | None:
    values = request.args.get(name.encode())
    return values[0].decode("ascii", "replace") if values else None


def _refuse(request: Any, code: int, body: bytes) -> bytes:
    request.setResponseCode(code)
    return body

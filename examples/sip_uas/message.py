"""SIP messages (RFC 3261 §7): parse requests and responses, build responses.

Only what a user agent needs: the start line, the headers as raw bytes in
arrival order (compact forms expanded), the body cut to Content-Length, and
the fields routing and transactions use (Call-ID, CSeq, the top Via's branch,
the To tag). Malformed input raises :class:`ParseError`, which carries the
partly parsed request when a ``400 Bad Request`` can still be sent.
"""

from __future__ import annotations

import re

__all__ = [
    "MAX_MESSAGE_SIZE",
    "ParseError",
    "Request",
    "Response",
    "build_request",
    "build_response",
    "parse_message",
]

MAX_MESSAGE_SIZE = 8192
"""Bigger datagrams are refused (the RFC's 1300-byte UDP advice, with room)."""

# RFC 3261 §7.3.3 compact header names.
_COMPACT = {
    b"i": b"call-id",
    b"v": b"via",
    b"f": b"from",
    b"t": b"to",
    b"m": b"contact",
    b"l": b"content-length",
    b"c": b"content-type",
    b"k": b"supported",
    b"s": b"subject",
    b"e": b"content-encoding",
}
_REQUEST_LINE = re.compile(rb"([A-Za-z0-9.!%*_+`'~-]+) ([^ ]+) SIP/2\.0")
_STATUS_LINE = re.compile(rb"SIP/2\.0 ([1-6][0-9][0-9]) ?(.*)")
_TOKEN = re.compile(rb"[A-Za-z0-9.!%*_+`'~-]+")
# Header names already checked to be tokens (bounded: peers choose the names).
_KNOWN_NAMES: set[bytes] = set()
_KNOWN_LIMIT = 512


class ParseError(Exception):
    """A malformed message; ``request`` is set when a 400 can still be sent back."""

    def __init__(self, reason: str, request: Request | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request = request


class Request:
    """A parsed SIP request; header values are raw bytes."""

    __slots__ = (
        "body",
        "branch",
        "call_id",
        "cseq",
        "cseq_method",
        "from_",
        "headers",
        "method",
        "to",
        "uri",
        "vias",
    )

    def __init__(self, method: bytes, uri: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = b""
        self.vias: list[bytes] = []
        self.from_: bytes | None = None
        self.to: bytes | None = None
        self.call_id: bytes | None = None
        self.cseq = 0
        self.cseq_method = b""
        self.branch = b""

    def header(self, name: bytes) -> bytes | None:
        """The first value of header ``name`` (lower case, long form), or None."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def to_tag(self) -> bytes | None:
        return _param(self.to, b"tag")

    def __repr__(self) -> str:
        return f"<Request {self.method.decode()} call_id={self.call_id!r} cseq={self.cseq}>"


class Response:
    """A parsed SIP response (for user agent clients)."""

    __slots__ = ("body", "call_id", "code", "cseq", "cseq_method", "headers", "reason", "to")

    def __init__(self, code: int, reason: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.code = code
        self.reason = reason
        self.headers = headers
        self.body = b""
        self.call_id: bytes | None = None
        self.to: bytes | None = None
        self.cseq = 0
        self.cseq_method = b""

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def __repr__(self) -> str:
        return f"<Response {self.code} call_id={self.call_id!r} cseq={self.cseq}>"


def _param(value: bytes | None, name: bytes) -> bytes | None:
    """The value of ``;name=`` in a header value (after any <uri>), or None."""
    if value is None:
        return None
    start = value.rfind(b">")
    for part in value[start + 1 :].split(b";")[1:]:
        key, _, param = part.partition(b"=")
        if key.strip().lower() == name:
            return param.strip()
    return None


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    end = data.find(b"\r\n\r\n")
    if end >= 0:
        return data[:end], data[end + 4 :]
    end = data.find(b"\n\n")
    if end >= 0:
        return data[:end], data[end + 2 :]
    return data, b""


def _parse_headers(lines: list[bytes]) -> list[tuple[bytes, bytes]]:
    headers: list[tuple[bytes, bytes]] = []
    compact = _COMPACT
    known = _KNOWN_NAMES
    for line in lines:
        if not line:
            continue
        if line[0] in b" \t":  # a folded continuation line (RFC 3261 §7.3.1)
            if not headers:
                raise ParseError("continuation line before any header")
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip())
            continue
        colon = line.find(b":")
        if colon <= 0:
            raise ParseError("header line without a name and colon")
        name = line[:colon].rstrip().lower()
        if name not in known:
            if not _TOKEN.fullmatch(name):
                raise ParseError("header name is not a token")
            if len(known) < _KNOWN_LIMIT:
                known.add(name)
        headers.append((compact.get(name, name), line[colon + 1 :].strip()))
    return headers


def _cut_body(headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    for name, value in headers:
        if name == b"content-length":
            if not value.isdigit():
                raise ParseError("Content-Length is not a number")
            length = int(value)
            if length > len(body):
                raise ParseError("Content-Length is larger than the body")
            return body[:length]
    return body  # optional over UDP: the body is the rest of the datagram


def parse_message(data: bytes, max_size: int = MAX_MESSAGE_SIZE) -> Request | Response | None:
    """Parse one SIP message; None for a keep-alive (blank lines only).

    Raises:
        ParseError: the message is malformed or too big; ``.request`` is the
            request parsed so far when a response can still be addressed.
    """
    if not data.strip(b"\r\n"):
        return None
    head, body = _split_head(data)
    lines = head.splitlines()
    while lines and not lines[0]:
        del lines[0]  # leading CRLFs are allowed before a message (RFC 3261 §7.5)
    if not lines:
        raise ParseError("no start line")
    raw_first = lines[0]
    if not raw_first.isascii():
        raise ParseError("start line is not ASCII")
    status = _STATUS_LINE.fullmatch(raw_first)
    if status is not None:
        return _response(status, lines, body)
    match = _REQUEST_LINE.fullmatch(raw_first)
    if match is None:
        raise ParseError(f"bad start line {raw_first[:40].decode()!r}")
    request = Request(match[1].upper(), match[2], [])
    try:
        request.headers = _parse_headers(lines[1:])
    except ParseError as exc:
        raise ParseError(exc.reason, request) from None
    _fill_common(request, request.headers)
    _check(request, len(data), max_size)
    try:
        request.body = _cut_body(request.headers, body)
    except ParseError as exc:
        raise ParseError(exc.reason, request) from None
    request.branch = _param(request.vias[0].split(b",", 1)[0], b"branch") or b""
    return request


def _response(status: re.Match[bytes], lines: list[bytes], body: bytes) -> Response:
    response = Response(int(status[1]), status[2], _parse_headers(lines[1:]))
    _fill_common(response, response.headers)
    response.body = _cut_body(response.headers, body)
    return response


def _check(request: Request, size: int, max_size: int) -> None:
    """The checks of RFC 3261 §8.2 that decide a 400 (oversized, mandatory headers, CSeq)."""
    for name, value in request.headers:
        if name == b"via":
            request.vias.append(value)
        elif name == b"from":
            request.from_ = value
    if size > max_size:
        raise ParseError(f"message of {size} bytes is over {max_size}", request)
    if not request.vias:
        raise ParseError("missing Via", request)
    if not request.call_id:
        raise ParseError("missing Call-ID", request)
    if request.from_ is None or request.to is None:
        raise ParseError("missing From or To", request)
    if not request.cseq_method:
        raise ParseError("missing or bad CSeq", request)
    if request.cseq_method != request.method:
        raise ParseError("CSeq method differs from the request method", request)


def _fill_common(message: Request | Response, headers: list[tuple[bytes, bytes]]) -> None:
    for name, value in headers:
        if name == b"call-id":
            if message.call_id is None:
                message.call_id = value
        elif name == b"to":
            message.to = value
        elif name == b"cseq":
            number, _, method = value.partition(b" ")
            method = method.strip()
            if number.isdigit() and len(number) <= 10 and _TOKEN.fullmatch(method):
                message.cseq = int(number)
                message.cseq_method = method.upper()


_REASONS = {
    100: b"Trying",
    180: b"Ringing",
    200: b"OK",
    400: b"Bad Request",
    481: b"Call/Transaction Does Not Exist",
    487: b"Request Terminated",
    500: b"Server Internal Error",
    501: b"Not Implemented",
    503: b"Service Unavailable",
}


def build_response(
    request: Request,
    code: int,
    *,
    to_tag: bytes | None = None,
    headers: tuple[tuple[bytes, bytes], ...] = (),
    body: bytes = b"",
    reason: bytes | None = None,
) -> bytes:
    """A response to ``request`` (RFC 3261 §8.2.6): Vias, From, To, Call-ID, CSeq copied.

    ``to_tag`` is added to To unless the request's To already has a tag.
    """
    parts = [b"SIP/2.0 %d %s\r\n" % (code, reason or _REASONS.get(code, b"Unknown"))]
    parts.extend(b"Via: %s\r\n" % via for via in request.vias)
    if request.from_ is not None:
        parts.append(b"From: %s\r\n" % request.from_)
    to = request.to
    if to is not None:
        if to_tag is not None and request.to_tag is None:
            to += b";tag=" + to_tag
        parts.append(b"To: %s\r\n" % to)
    if request.call_id is not None:
        parts.append(b"Call-ID: %s\r\n" % request.call_id)
    if request.cseq_method:
        parts.append(b"CSeq: %d %s\r\n" % (request.cseq, request.cseq_method))
    parts.extend(b"%s: %s\r\n" % header for header in headers)
    parts.append(b"Content-Length: %d\r\n\r\n" % len(body))
    parts.append(body)
    return b"".join(parts)


def build_request(
    method: bytes,
    uri: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
) -> bytes:
    """A request with ``headers`` (name, value) in order and a Content-Length."""
    parts = [b"%s %s SIP/2.0\r\n" % (method, uri)]
    parts.extend(b"%s: %s\r\n" % header for header in headers)
    parts.append(b"Content-Length: %d\r\n\r\n" % len(body))
    parts.append(body)
    return b"".join(parts)

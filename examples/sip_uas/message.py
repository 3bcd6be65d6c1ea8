"""SIP messages (RFC 3261 §7): parse requests and responses, build responses.

Only what a user agent needs: the start line, the headers as raw bytes in
arrival order (compact forms expanded), the body cut to Content-Length, and
the fields routing and transactions use (Call-ID, CSeq, the top Via's branch,
the To tag). Malformed input raises :class:`ParseError`, which carries the
partly parsed request when a response can still be sent, and its status code
(``400 Bad Request``; ``505`` for another SIP version).

The checks follow RFC 3261's grammar where a mistake would otherwise reach a
call: one Call-ID, CSeq, From, To, Content-Length and Max-Forwards each; a
Request-URI that is a bare URI; Via values of the form ``SIP/2.0/<transport>
host[:port];params``; From/To/Contact as name-addr or addr-spec with balanced
quotes; numbers in their ranges (RFC 4475's torture messages are the test).

The parser is on every call's path, so the usual message takes shortcuts that
cannot change an answer (tests/sip/test_sip_message_fast_paths.py): a valid
request of the usual shape (CRLF lines, names seen before, none twice) has
its fields read from a dictionary of its headers, and the split of each
line, with the check of its value, is remembered (most repeat from call to
call); any other message goes
through the rule-by-rule parser, which names what is wrong. There, CRLF
header lines with names seen before are split in one loop, anything else is
read line by line, and one pass over the headers fills the fields and checks
the values. From, To, Via and Contact verdicts are remembered for the values
seen before but for their ``;tag`` or ``;branch``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn

__all__ = [
    "MAX_MESSAGE_SIZE",
    "ParseError",
    "Request",
    "Response",
    "build_request",
    "build_response",
    "content_length",
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
_VERSION = re.compile(rb"SIP/([0-9]{1,3}\.[0-9]{1,3})")
# Every pattern below runs on what peers send: possessive quantifiers (*+, ++, ?+) keep
# each match linear in the input, whatever white space or separators it repeats.
_URI = re.compile(rb"[A-Za-z][A-Za-z0-9+.-]*+:[^\s<>\"]++")
_TOKEN_CHARS = rb"A-Za-z0-9.!%*_+`'~\-"
_QUOTED = rb'"(?:[^"\\]++|\\.)*+"'
_PARAM_VALUE = rb"(?:" + _QUOTED + rb"|[" + _TOKEN_CHARS + rb":\[\]]++)"
_PARAMS = re.compile(
    rb"(?:\s*+;\s*+[" + _TOKEN_CHARS + rb"]++(?:\s*+=\s*+" + _PARAM_VALUE + rb")?+)*+\s*+"
)
_VIA = re.compile(
    rb"\s*+SIP\s*+/\s*+2\.0\s*+/\s*+[" + _TOKEN_CHARS + rb"]++\s++"
    rb"(?:\[[0-9A-Fa-f:.]++\]|[A-Za-z0-9][A-Za-z0-9.-]*+)(?:\s*+:\s*+[0-9]{1,5})?+"
    + _PARAMS.pattern
)
_NAME_ADDR = re.compile(
    rb"(?:" + _QUOTED + rb"\s*+|[" + _TOKEN_CHARS + rb" \t]*+)<([^>]*+)>(.*)", re.DOTALL
)
_ADDRESS_ITEM = re.compile(rb"(?:" + _QUOTED + rb'|<[^>]*+>|[^",<]++)*+')
_WORD = rb"[A-Za-z0-9.!%*_+`'~()<>:\\\"/\[\]?{}-]++"
_CALL_ID = re.compile(_WORD + rb"(?:@" + _WORD + rb")?+")
_DATE = re.compile(
    rb"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)
_MAX_DIGITS = 9
"""Content-Length has at most this many digits (any bigger is over every size limit)."""
_SINGLE = frozenset((b"call-id", b"cseq", b"from", b"to", b"content-length", b"max-forwards"))
_STATUS_LINE = re.compile(rb"SIP/2\.0 ([1-6][0-9][0-9])(?: (.*))?")
_TOKEN = re.compile(rb"[A-Za-z0-9.!%*_+`'~-]+")
_TOKEN_BYTES = bytes(byte for byte in range(256) if _TOKEN.fullmatch(bytes((byte,))))
_CSEQ_DIGITS = 10
_CSEQ = re.compile(rb"\s*+([0-9]{1,10})\s++([" + _TOKEN_CHARS + rb"]++)\s*+")
# Header names as sent (before the colon) -> lower case long form; each was checked to be
# a token (bounded: peers choose the names).
_NAMES: dict[bytes, bytes] = {}
_NAMES_LIMIT = 512


class ParseError(Exception):
    """A malformed message; ``request`` is set when a response (``code``) can still be sent."""

    def __init__(self, reason: str, request: Request | None = None, code: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request = request
        self.code = code


class Request:
    """A parsed SIP request; header values are raw bytes."""

    __slots__ = (
        "_to_tag",
        "body",
        "call_id",
        "cseq",
        "cseq_method",
        "endpoint",
        "fields",
        "from_",
        "headers",
        "method",
        "peer",
        "record_routes",
        "to",
        "uri",
        "vias",
    )

    def __init__(self, method: bytes, uri: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.method = method
        self.uri = uri
        self.headers = headers
        self.fields: dict[bytes, bytes] | None = None
        """The headers by name when no name repeats (set by the parser), else None."""
        self.body = b""
        self.vias: list[bytes] = []
        self.record_routes: list[bytes] = []
        self.from_: bytes | None = None
        self.to: bytes | None = None
        self.call_id: bytes | None = None
        self.cseq = 0
        self.cseq_method = b""
        self._to_tag: bytes | bool | None = False  # False: not read yet
        self.endpoint: Any = None
        """Where the request came from and its responses go (set by the listener)."""
        self.peer: Any = None

    def reply(self, data: bytes) -> None:
        """Send ``data`` back where the request came from (RFC 3261 §18.2.2)."""
        self.endpoint.send(data, self.peer)

    def values(self, name: bytes) -> list[bytes]:
        """Every comma-separated value of every ``name`` header (lower case, long form)."""
        return [
            item.strip()
            for key, value in self.headers
            if key == name
            for item in value.split(b",")
            if item.strip()
        ]

    def header(self, name: bytes) -> bytes | None:
        """The first value of header ``name`` (lower case, long form), or None."""
        fields = self.fields
        if fields is not None:
            return fields.get(name)
        for key, value in self.headers:
            if key == name:
                return value
        return None

    @property
    def to_tag(self) -> bytes | None:
        """The To header's tag (None: none), read on first use."""
        tag = self._to_tag
        if tag is False:
            tag = self._to_tag = _param(self.to, b"tag")
        return tag  # type: ignore[return-value]

    @property
    def branch(self) -> bytes:
        """The top Via's branch parameter (b"" if none), read on each use: nothing routes by it."""
        return _param(self.vias[0].split(b",", 1)[0], b"branch") or b"" if self.vias else b""

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


def _start_line(head: bytes) -> tuple[bytes, bytes]:
    """The start line and the block of header lines after it."""
    first, _, block = head.partition(b"\n")
    first = first.rstrip(b"\r")
    if b"\r" in first:  # a lone CR ends a line too
        lines = head.splitlines()
        first, block = lines[0], b"\n".join(lines[1:])
    return first, block


def _headers(block: bytes) -> list[tuple[bytes, bytes]]:
    """The headers of ``block`` in order: (lower case long name, stripped value).

    Lines ended by CRLF whose names were seen before take the fast loop; a
    block with anything else (a new name, folding, bare CR or LF, no colon)
    is read line by line, which checks names and joins folded lines.
    """
    crlf = block.count(b"\r\n")
    if crlf == block.count(b"\n") == block.count(b"\r"):
        names = _NAMES
        headers = []
        for line in block.split(b"\r\n"):
            name, colon, value = line.partition(b":")
            long = names.get(name)
            if long is None or not colon:
                break
            headers.append((long, value.strip()))
        else:
            return headers
    return _parse_header_lines(block.splitlines())


def _parse_header_lines(lines: list[bytes]) -> list[tuple[bytes, bytes]]:
    """:func:`_headers` line by line: joins folded lines, names the first bad line."""
    headers: list[tuple[bytes, bytes]] = []
    names = _NAMES
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
        name = line[:colon]
        long = names.get(name)
        if long is None:
            long = name.rstrip().lower()
            if not _TOKEN.fullmatch(long):
                raise ParseError("header name is not a token")
            long = _COMPACT.get(long, long)
            if len(names) >= _NAMES_LIMIT:
                names.clear()  # peers choose the names: start again rather than learn no more
            names[name] = long
        headers.append((long, line[colon + 1 :].strip()))
    return headers


def content_length(value: bytes) -> int:
    """The value of a Content-Length header.

    Raises:
        ParseError: not a decimal number of at most 9 digits.
    """
    if not value.isdigit() or len(value) > _MAX_DIGITS:
        shown = value[:20].decode(errors="replace") + ("..." if len(value) > 20 else "")
        raise ParseError(
            f"Content-Length {shown!r} is not a decimal number of at most {_MAX_DIGITS} digits"
        )
    return int(value)


def _cut_body(length: bytes | None, body: bytes) -> bytes:
    """``body`` cut to the Content-Length value ``length`` (None: none was sent)."""
    if length is None:
        return body  # optional over UDP: the body is the rest of the datagram
    size = content_length(length)
    if size > len(body):
        raise ParseError("Content-Length is larger than the body")
    return body[:size]


def parse_message(data: bytes, max_size: int = MAX_MESSAGE_SIZE) -> Request | Response | None:
    """Parse one SIP message; None for a keep-alive (blank lines only).

    Raises:
        ParseError: the message is malformed or too big; ``.request`` is the
            request parsed so far when a response can still be addressed.
    """
    request = _usual_request(data, max_size)
    return request if request is not None else _parse_any(data, max_size)


def _usual_request(data: bytes, max_size: int) -> Request | None:  # noqa: PLR0911 - None per check
    """``data`` parsed if it is a valid request of the usual shape, else None.

    The usual shape: CRLF lines, header names seen before, no name twice
    (so the fields are dictionary reads), every value the UAS reads valid.
    Anything else, good or bad, is left to :func:`_parse_any`, which names
    what is wrong; for a message this returns, both give the same request.
    """
    if len(data) > max_size:
        return None
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return None
    # No line may hold a bare CR or LF: the start line is checked whole below (its URI takes
    # no white space), the header lines by _known_headers.
    lines = head.split(b"\r\n")
    start = _START_LINES.get(lines[0])
    if start is None:
        start = _usual_start(lines[0])
        if start is None:
            return None
    method, uri = start
    headers = _known_headers(lines)
    if headers is None:
        return None
    fields = dict(headers)
    if len(fields) != len(headers):
        return None
    request = Request(method, uri, headers)
    request.fields = fields
    if not _read_fields(request, fields):
        return None
    length = fields.get(b"content-length")
    if length is not None:
        if not length.isdigit() or len(length) > _MAX_DIGITS or int(length) > len(body):
            return None
        body = body[: int(length)]
    request.body = body
    return request


def _usual_start(line: bytes) -> tuple[bytes, bytes] | None:
    """The method and URI of a request line of the usual shape (a usual method, one space
    each side of a bare URI without headers, ``SIP/2.0``), else None; remembered, bounded:
    most requests repeat a few start lines."""
    parts = line.split(b" ")  # what _REQUEST_LINE reads, for the usual methods
    if len(parts) != 3 or parts[0] not in _USUAL_METHODS or parts[2] != b"SIP/2.0":
        return None
    uri = parts[1]
    if not line.isascii() or _URI.fullmatch(uri) is None or _has_headers(uri):
        return None
    if len(_START_LINES) >= _START_LINES_LIMIT:
        _START_LINES.clear()  # peers choose the URIs: keep it bounded
    start = _START_LINES[line] = (parts[0], uri)
    return start


_START_LINES: dict[bytes, tuple[bytes, bytes]] = {}
_START_LINES_LIMIT = 1024
_USUAL_METHODS = frozenset((b"INVITE", b"ACK", b"BYE", b"CANCEL", b"OPTIONS"))


def _known_headers(lines: list[bytes]) -> list[tuple[bytes, bytes]] | None:
    """The headers of ``lines`` after the start line, or None if a line is not of the
    usual shape (see :func:`_new_line`).

    Most lines repeat from one call to the next ("CSeq: 1 INVITE", "Max-Forwards: 70"):
    each good line's (name, value) is remembered, bounded, with its check passed.
    """
    seen = _LINES
    headers = []
    for line in lines[1:]:
        header = seen.get(line)
        if header is None:
            header = _new_line(line)
            if header is None:
                return None
        headers.append(header)
    return headers


def _new_line(line: bytes) -> tuple[bytes, bytes] | None:
    """A header line not remembered: its (name, value) if the name was seen before, the
    line holds no bare CR or LF and the value passes the check the careful path makes of
    it (:data:`_VALIDATORS`); else None. Remembered when short (a good line stays good),
    unless it is a Via.

    A Via, From or To line that differs from a good one only in the token after its
    last ``;branch=`` or ``;tag=`` (a new one per transaction or dialog) is good too
    (see :func:`_remembered`): it is read from :data:`_VARYING_LINES`, unchecked.
    """
    cut = line.rfind(b"=") + 1
    known = _VARYING_LINES.get(line[:cut]) if cut else None
    token = line[cut:]
    # The parameter's value must end the line: a token, so no white space, CR or LF.
    if known is not None and (
        token.isalnum() or (token and not token.translate(None, _TOKEN_BYTES))
    ):
        long, start = known
        header = (long, line[start:])
    else:
        name, colon, value = line.partition(b":")
        named = _NAMES.get(name)
        # find() and not `in`: see _has_headers.
        if named is None or not colon or line.find(b"\r") >= 0 or line.find(b"\n") >= 0:
            return None
        long = named
        stripped = value.strip()
        rule = _VALIDATORS.get(long)
        if rule is not None:
            check, varying = rule
            if check(stripped) if varying is None else _remembered(check, stripped, varying):
                return None
            if (
                varying
                and line.endswith(varying, 0, cut)
                and len(line) <= _LINE_REMEMBERED
                # Good whatever token ends it only if the value before the parameter is.
                and _VERDICTS.get((check, stripped.rpartition(varying)[0])) == ""
            ):
                _remember_varying(line, cut, long, len(line) - len(stripped))
        header = (long, stripped)
    # A Via line names its transaction (its branch is unique, RFC 3261 §8.1.1.7): seen
    # again only in a retransmission, it would push out the lines that do repeat.
    if len(line) <= _LINE_REMEMBERED and long != b"via":
        seen = _LINES
        if len(seen) >= _LINES_LIMIT:
            seen.clear()  # peers choose the lines: keep it bounded
        seen[line] = header
    return header


def _remember_varying(line: bytes, cut: int, long: bytes, start: int) -> None:
    """Remember the good line ``line`` of header ``long`` (value from ``start``) up to
    ``cut``, the ``=`` of its last ``;branch=`` or ``;tag=``, if a token ends it; bounded."""
    token = line[cut:]
    if not (token.isalnum() or (token and not token.translate(None, _TOKEN_BYTES))):
        return  # not a token, or not at the end of the line: the lookup takes none such
    if len(_VARYING_LINES) >= _LINES_LIMIT:
        _VARYING_LINES.clear()  # peers choose the lines: keep it bounded
    _VARYING_LINES[line[:cut]] = (long, start)


_LINES: dict[bytes, tuple[bytes, bytes]] = {}
_VARYING_LINES: dict[bytes, tuple[bytes, int]] = {}
"""Line prefixes up to a last ``;branch=`` or ``;tag=`` -> (name, where the value starts)."""
_LINES_LIMIT = 512
_LINE_REMEMBERED = 200
"""Longer lines are not remembered (the memory stays within 512 short lines)."""


def _read_fields(request: Request, fields: dict[bytes, bytes]) -> bool:
    """:func:`_read_request` for headers that are all different: fill the fields and say
    whether every check passed (each header at most once, so no count is needed)."""
    via = fields.get(b"via")
    from_ = request.from_ = fields.get(b"from")
    to = request.to = fields.get(b"to")
    call_id = request.call_id = fields.get(b"call-id")
    cseq = fields.get(b"cseq")
    if via is None or from_ is None or to is None or not call_id or cseq is None:
        return False
    request.vias.append(via)
    route = fields.get(b"record-route")
    if route is not None:
        request.record_routes.append(route)
    # "<number> <method>" as _CSEQ reads it, for the usual single space.
    number, _, method = cseq.partition(b" ")
    if method != request.method or not number.isdigit() or len(number) > _CSEQ_DIGITS:
        return False
    request.cseq = int(number)
    if request.cseq >= 1 << 31:  # RFC 3261 §8.1.1.5
        return False
    request.cseq_method = method
    return True  # the values of Via, From, To, Call-ID... were checked line by line


def _parse_any(data: bytes, max_size: int) -> Request | Response | None:
    """:func:`parse_message` for any message: checks each rule in turn, names what is wrong."""
    size = len(data)
    if data[:1] in b"\r\n":  # CRLFs before a start line are skipped (RFC 3261 §7.5)
        data = data.lstrip(b"\r\n")
        if not data:
            return None
    head, body = _split_head(data)
    first, block = _start_line(head)
    if not first.isascii():
        raise ParseError("start line is not ASCII")
    status = _STATUS_LINE.fullmatch(first) if first.startswith(b"SIP/") else None
    if status is not None:
        return _response(status, block, body)
    match = _REQUEST_LINE.fullmatch(first)
    if match is None:
        _bad_request_line(first, block)
    request = Request(match[1], match[2], [])
    try:
        request.headers = _headers(block)
    except ParseError as exc:
        raise ParseError(exc.reason, request) from None
    length = _check(request, size, max_size)
    try:
        request.body = _cut_body(length, body)
    except ParseError as exc:
        raise ParseError(exc.reason, request) from None
    return request


def _bad_request_line(line: bytes, block: bytes) -> NoReturn:
    """Raise ParseError for a start line that is neither a request nor a response line.

    A request line with another SIP version (505) or stray white space (400)
    still gets its answer when the headers can address one.
    """
    parts = line.split()
    version = _VERSION.fullmatch(parts[-1]) if len(parts) >= 2 else None
    if version is None or _TOKEN.fullmatch(parts[0]) is None:
        raise ParseError(f"bad start line {line[:40].decode()!r}")
    request = Request(parts[0], b" ".join(parts[1:-1]), [])
    try:
        request.headers = _headers(block)
    except ParseError:
        raise ParseError(f"bad start line {line[:40].decode()!r}") from None
    _read_request(request)
    addressable = request if request.vias and request.call_id else None
    if version[1] != b"2.0":
        number = version[1].decode()
        raise ParseError(f"SIP version {number} is not supported (SIP/2.0 is)", addressable, 505)
    raise ParseError("bad Request-Line: method, URI and SIP/2.0 take one space each", addressable)


def _response(status: re.Match[bytes], block: bytes, body: bytes) -> Response:
    response = Response(int(status[1]), status[2] or b"", _headers(block))
    length = None
    for name, value in response.headers:
        if name == b"call-id":
            if response.call_id is None:
                response.call_id = value
        elif name == b"to":
            response.to = value
        elif name == b"cseq":
            _read_cseq(response, value)
        elif name == b"content-length" and length is None:
            length = value
    response.body = _cut_body(length, body)
    return response


def _check(request: Request, size: int, max_size: int) -> bytes | None:
    """The checks of RFC 3261 §8.2 that decide a 400 (size, mandatory and single headers,
    values); returns the Content-Length value (None if there is none)."""
    counts, bad_value, length = _read_request(request)
    if size > max_size:
        raise ParseError(f"message of {size} bytes is over {max_size}", request)
    problem = _missing(request)
    if problem:
        raise ParseError(problem, request)
    if len(counts) > 1 and max(counts.values()) > 1:
        for name, count in counts.items():
            if count > 1:
                raise ParseError(f"{count} {name.decode()} headers where one is allowed", request)
    uri = request.uri
    if _URI.fullmatch(uri) is None:
        raise ParseError("Request-URI is not a bare URI (no <>, no white space)", request)
    if _has_headers(uri):
        raise ParseError("Request-URI carries headers (?...), which a request may not", request)
    if bad_value:
        raise ParseError(bad_value, request)
    return length


def _read_request(  # noqa: C901, PLR0912 - one pass over the headers is the point
    request: Request,
) -> tuple[dict[bytes, int], str, bytes | None]:
    """One pass over the headers: fill the fields a UAS reads (Vias, Record-Routes, From, To,
    Call-ID, CSeq), count the headers allowed once and check the values a UAS reads.

    Returns the counts, the first bad value ("" if none) and the first Content-Length;
    raising waits until the request can address its 400.
    """
    counts: dict[bytes, int] = {}
    single = _SINGLE
    validators = _VALIDATORS
    bad_value = ""
    length = None
    for name, value in request.headers:
        if name == b"via":
            request.vias.append(value)
        elif name == b"record-route":
            request.record_routes.append(value)
            continue
        elif name in single:
            counts[name] = counts.get(name, 0) + 1
            if name == b"from":
                request.from_ = value
            elif name == b"to":
                request.to = value
            elif name == b"call-id":
                if request.call_id is None:
                    request.call_id = value
            elif name == b"cseq":
                _read_cseq(request, value)
                continue
            elif name == b"content-length":
                if length is None:
                    length = value
                continue
        rule = validators.get(name)
        if rule is not None and not bad_value:
            check, varying = rule
            problem = check(value) if varying is None else _remembered(check, value, varying)
            if problem:
                bad_value = f"bad {name.decode()}: {problem}"
    return counts, bad_value, length


def _read_cseq(message: Request | Response, value: bytes) -> None:
    """Set the CSeq number and method from a valid value (number below 2**31, token)."""
    match = _CSEQ.fullmatch(value)
    if match is not None:
        number = int(match[1])
        if number < 1 << 31:  # RFC 3261 §8.1.1.5
            message.cseq = number
            message.cseq_method = match[2]


def _missing(request: Request) -> str:
    if not request.vias:
        return "missing Via"
    if not request.call_id:
        return "missing Call-ID"
    if request.from_ is None or request.to is None:
        return "missing From or To"
    if not request.cseq_method:
        return "missing or bad CSeq (a number below 2**31 and a method)"
    if request.cseq_method != request.method:
        return "CSeq method differs from the request method"
    return ""


def _via_problem(value: bytes) -> str:
    for part in value.split(b","):
        if _VIA.fullmatch(part) is None:
            shown = part.strip()[:60].decode(errors="replace")
            return f"{shown!r} is not SIP/2.0/<transport> host[:port][;param[=value]]..."
    return ""


def _call_id_problem(value: bytes) -> str:
    return "" if _CALL_ID.fullmatch(value) else "want one word[@word], no white space or comma"


def _max_forwards_problem(value: bytes) -> str:
    if value.isdigit() and len(value) <= 10 and int(value) <= 255:
        return ""
    return "not a number from 0 to 255"


def _date_problem(value: bytes) -> str:
    return "" if _DATE.fullmatch(value) else "not an RFC 1123 date in GMT"


def _has_headers(uri: bytes) -> bool:
    """Whether a sip: or sips: URI has a ``?headers`` part (a ``?`` after the host)."""
    # find() and not `in`: on bytes, `in` first tries its operand as an integer, and the
    # TypeError it raises and clears costs more than the search (every request comes here).
    return (
        uri.find(b"?") >= 0
        and uri[:4].lower() in (b"sip:", b"sips")
        and uri.find(b"?", uri.rfind(b"@") + 1) >= 0
    )


def _split_addresses(value: bytes) -> list[bytes] | None:
    """``value`` split at commas outside quoted strings and <...>; None if one is left open."""
    parts: list[bytes] = []
    position, end = 0, len(value)
    while True:
        match = _ADDRESS_ITEM.match(value, position)
        assert match is not None  # the pattern matches the empty string
        parts.append(match[0])
        position = match.end()
        if position == end:
            return parts
        if value[position] != 0x2C:  # an open quote or <: not a comma
            return None
        position += 1


def _remembered(check: Callable[[bytes], str], value: bytes, varying: bytes) -> str:
    """``check(value)``, from memory when the value was seen before but for its last
    ``varying`` parameter (``;tag=``, ``;branch=``) with a token value.

    Such a parameter, new in each call, cannot make a good value bad, so the
    verdict on the rest stands for the whole when it is good; a bad rest
    sends the whole value to ``check``, which names what is wrong with it.
    """
    rest, param, token = value.rpartition(varying) if varying else (value, b"", b"")
    if not param or not token or (not token.isalnum() and token.translate(None, _TOKEN_BYTES)):
        rest = value
    key = (check, rest)
    problem = _VERDICTS.get(key)
    if problem is None:
        problem = check(rest)
        if len(_VERDICTS) >= _VERDICTS_LIMIT:
            _VERDICTS.clear()  # peers choose the values: keep it bounded
        _VERDICTS[key] = problem
    if problem and rest is not value:
        return check(value)
    return problem


_VERDICTS: dict[tuple[Callable[[bytes], str], bytes], str] = {}
_VERDICTS_LIMIT = 4096


def _one_address_problem(value: bytes) -> str:
    """What is wrong with a From or To value, or ""."""
    return _addresses_verdict(value, many=False)


def _contacts_problem(value: bytes) -> str:
    """What is wrong with a Contact value (``*`` or addresses), or ""."""
    return _addresses_verdict(value, many=True)


def _addresses_verdict(value: bytes, *, many: bool) -> str:
    if many and value.strip() == b"*":
        return ""
    # The common case, no quote and no comma, needs no scan.
    parts = _split_addresses(value) if b'"' in value or b"," in value else [value]
    if parts is None:
        return "unbalanced quote or <"
    if len(parts) > 1 and not many:
        return "more than one address (a comma outside quotes and <>)"
    for part in parts:
        problem = _address_problem(part.strip())
        if problem:
            return problem
    return ""


def _address_problem(address: bytes) -> str:
    name_addr = _NAME_ADDR.fullmatch(address)
    if name_addr is not None:
        uri, params = name_addr[1], name_addr[2]
        bad_uri = _URI.fullmatch(uri) is None
    elif b"<" in address or b'"' in address:
        return "the display name must be a quoted string or tokens, then <URI>"
    else:
        uri, semi, rest = address.partition(b";")
        uri, params = uri.strip(), semi + rest
        bad_uri = _URI.fullmatch(uri) is None or _has_headers(uri)
    if bad_uri:
        return "not a URI, or one with headers or spaces that must be enclosed in <>"
    if _PARAMS.fullmatch(params) is None:
        return "bad parameters after the URI (empty, or not token[=value])"
    return ""


_VALIDATORS: dict[bytes, tuple[Callable[[bytes], str], bytes | None]] = {
    b"via": (_via_problem, b";branch="),
    b"from": (_one_address_problem, b";tag="),
    b"to": (_one_address_problem, b";tag="),
    b"contact": (_contacts_problem, b""),
    b"call-id": (_call_id_problem, None),
    b"max-forwards": (_max_forwards_problem, None),
    b"date": (_date_problem, None),
}
"""For the headers a UAS reads: what is wrong with a value ("" when nothing), and whether
the verdict is remembered (None: no; else the parameter that varies, see _remembered)."""


_REASONS = {
    100: b"Trying",
    180: b"Ringing",
    200: b"OK",
    400: b"Bad Request",
    481: b"Call/Transaction Does Not Exist",
    406: b"Not Acceptable",
    415: b"Unsupported Media Type",
    416: b"Unsupported URI Scheme",
    420: b"Bad Extension",
    487: b"Request Terminated",
    488: b"Not Acceptable Here",
    500: b"Server Internal Error",
    501: b"Not Implemented",
    503: b"Service Unavailable",
    505: b"Version Not Supported",
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
    status = _STATUS_LINES.get(code) if reason is None else None
    if status is None:
        status = b"SIP/2.0 %d %s\r\n" % (code, reason or _REASONS.get(code, b"Unknown"))
    to = request.to
    if to is not None and to_tag is not None and request.to_tag is None:
        to += b";tag=" + to_tag
    from_, call_id, vias = request.from_, request.call_id, request.vias
    if vias and from_ is not None and to is not None and call_id is not None:
        via = vias[0] if len(vias) == 1 else b"\r\nVia: ".join(vias)
        if request.cseq_method:  # the usual case: one format for all five
            copied = _COPIED_CSEQ % (via, from_, to, call_id, request.cseq, request.cseq_method)
        else:
            copied = _COPIED % (via, from_, to, call_id)
    else:  # a request refused as malformed may lack any of them
        copied = b"".join(
            [b"Via: %s\r\n" % via for via in vias]
            + [b"%s: %s\r\n" % (name, value)
               for name, value in ((b"From", from_), (b"To", to), (b"Call-ID", call_id))
               if value is not None]
        )  # fmt: skip
        if request.cseq_method:
            copied += b"CSeq: %d %s\r\n" % (request.cseq, request.cseq_method)
    extra = b"".join([b"%s: %s\r\n" % header for header in headers]) if headers else b""
    return b"%s%s%sContent-Length: %d\r\n\r\n%s" % (status, copied, extra, len(body), body)


_COPIED = b"Via: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
_COPIED_CSEQ = _COPIED + b"CSeq: %d %s\r\n"
_STATUS_LINES = {code: b"SIP/2.0 %d %s\r\n" % (code, text) for code, text in _REASONS.items()}


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

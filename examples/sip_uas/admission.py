"""What this UAS refuses in a well-formed request, and with which code (RFC 3261 §8.2).

The parser (:mod:`.message`) answers 400 to what breaks the grammar; this
module answers what parses but cannot be served, in the order of §8.2: the
Request-URI's scheme (416), extensions in ``Require`` (420, naming them in
``Unsupported``), then for an INVITE its body (415, with ``Accept``) and
whether the answer it wants can be given (406).
"""

from __future__ import annotations

from examples.sip_uas.message import Request

__all__ = [
    "ACCEPT",
    "ALLOW",
    "SUPPORTED",
    "Refusal",
    "refusal",
]

ALLOW = b"INVITE, ACK, CANCEL, BYE, OPTIONS"
"""The methods this UAS serves (sent in Allow)."""
ACCEPT = b"application/sdp"
"""The only body it reads (sent in Accept)."""
SUPPORTED: frozenset[bytes] = frozenset()
"""The option tags it implements (sent in Supported; none: plain RFC 3261)."""

Refusal = tuple[int, tuple[tuple[bytes, bytes], ...]]
"""A response code and the headers that explain it."""

_SCHEMES = (b"sip:", b"sips")
_ACCEPTABLE = (b"application/sdp", b"application/*", b"*/*")


def refusal(request: Request) -> Refusal | None:
    """The response refusing ``request``, or None to serve it.

    ACK is never answered and CANCEL ignores ``Require`` (RFC 3261 §8.2.2.3).
    """
    method = request.method
    if method == b"ACK":
        return None
    if request.uri[:4].lower() not in _SCHEMES:
        return 416, ()
    fields = request.fields
    if method == b"CANCEL" or (
        fields is not None and method != b"INVITE" and b"require" not in fields
    ):
        return None  # a CANCEL ignores Require; the usual BYE or OPTIONS has none
    require, accept, content_type = _read_headers(request)
    if require:
        unsupported = [tag for tag in _items(require) if tag not in SUPPORTED]
        if unsupported:
            return 420, ((b"Unsupported", b", ".join(unsupported)),)
    if method == b"INVITE":
        return _invite_refusal(request.body, content_type, accept)
    return None


def _read_headers(request: Request) -> tuple[list[bytes], list[bytes], bytes | None]:
    """Require and Accept values and the first Content-Type: from the request's fields when
    no header name repeats, else in one pass over its headers."""
    fields = request.fields
    if fields is not None:
        require_value = fields.get(b"require")
        accept_value = fields.get(b"accept")
        return (
            [] if require_value is None else [require_value],
            [] if accept_value is None else [accept_value],
            fields.get(b"content-type"),
        )
    require: list[bytes] = []
    accept: list[bytes] = []
    content_type: bytes | None = None
    for name, value in request.headers:
        if name == b"require":
            require.append(value)
        elif name == b"accept":
            accept.append(value)
        elif name == b"content-type" and content_type is None:
            content_type = value
    return require, accept, content_type


def _items(values: list[bytes]) -> list[bytes]:
    """The comma-separated items of ``values``, stripped, empty ones left out."""
    return [item.strip() for value in values for item in value.split(b",") if item.strip()]


def _invite_refusal(body: bytes, content_type: bytes | None, accept: list[bytes]) -> Refusal | None:
    """415 for a body that is not SDP; 406 when Accept leaves out SDP (our 200 carries it)."""
    if body:
        kind = (content_type or b"").split(b";", 1)[0].strip().lower()
        if kind != ACCEPT:
            return 415, ((b"Accept", ACCEPT),)
    if accept:
        kinds = {item.split(b";", 1)[0].lower() for item in _items(accept)}
        if kinds.isdisjoint(_ACCEPTABLE):
            return 406, ((b"Accept", ACCEPT),)
    return None

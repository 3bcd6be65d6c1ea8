"""The SDP answer to an INVITE's offer (RFC 3264 §6.1), and the offer when there is none.

The answer has one ``m=`` line per offered stream, in the offer's order. The
first audio stream over ``RTP/AVP`` that offers PCMU or PCMA (static payload
types 0 and 8, or a dynamic type whose ``rtpmap`` names them) is accepted
with the first of those codecs in the offer's order; every other stream is
refused with port 0. When no stream can be accepted there is no answer and
the INVITE gets ``488 Not Acceptable Here``.

The UAS plays no audio. Without an RTP port (``rtp_port=None``) the accepted
stream says so: ``a=inactive`` on the discard port 9. With the server's RTP
echo (``Config.rtp_echo``) it names that port and the direction mirrors the
offer's, so a softphone hears itself.
"""

from __future__ import annotations

__all__ = ["CODECS", "answer", "offer"]

CODECS = {b"PCMU": 0, b"PCMA": 8}
"""The codecs the UAS accepts: encoding name → static RTP payload type."""

_MIRROR = {
    b"sendrecv": b"sendrecv",
    b"sendonly": b"recvonly",
    b"recvonly": b"sendonly",
    b"inactive": b"inactive",
}
_STATIC_NAMES = {0: b"PCMU", 8: b"PCMA"}
_CACHE: dict[tuple[bytes, bytes, int | None], bytes | None] = {}
_CACHE_LIMIT = 256


def _origin(address: bytes) -> tuple[bytes, bytes]:
    family = b"IP6" if b":" in address else b"IP4"
    return family, address


def _head(address: bytes) -> list[bytes]:
    family, address = _origin(address)
    return [
        b"v=0",
        b"o=eventlib 1 1 IN %s %s" % (family, address),
        b"s=eventlib sip_uas",
        b"c=IN %s %s" % (family, address),
        b"t=0 0",
    ]


def offer(address: bytes, rtp_port: int | None) -> bytes:
    """The offer sent in a 200 OK to an INVITE that carried none (PCMU and PCMA)."""
    lines = _head(address)
    lines.append(b"m=audio %d RTP/AVP 0 8" % (rtp_port or 9))
    lines.extend([b"a=rtpmap:0 PCMU/8000", b"a=rtpmap:8 PCMA/8000"])
    lines.append(b"a=sendrecv" if rtp_port else b"a=inactive")
    return b"\r\n".join(lines) + b"\r\n"


def answer(offered: bytes, address: bytes, rtp_port: int | None) -> bytes | None:
    """The answer to the SDP ``offered``, or None when no stream can be accepted (488)."""
    key = (offered, address, rtp_port)
    try:
        return _CACHE[key]
    except KeyError:
        pass
    result = _answer(offered, address, rtp_port)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()  # peers choose the offers: keep the cache bounded
    _CACHE[key] = result
    return result


def _answer(offered: bytes, address: bytes, rtp_port: int | None) -> bytes | None:
    session_direction, sections = _sections(offered)
    lines = _head(address)
    accepted = False
    for section in sections:
        chosen = None if accepted else _choose(section)
        if chosen is None:
            fields = section[0][2:].split()
            if len(fields) < 3:
                return None  # an m= line without a format: not SDP we can answer
            refused = fields[3] if len(fields) > 3 else b"0"
            lines.append(b"m=%s 0 %s %s" % (fields[0], fields[2], refused))
            continue
        accepted = True
        payload_type, name = chosen
        direction = _direction(section[1:], session_direction)
        lines.append(b"m=audio %d RTP/AVP %d" % (rtp_port or 9, payload_type))
        lines.append(b"a=rtpmap:%d %s/8000" % (payload_type, name))
        lines.append(b"a=" + (_MIRROR[direction] if rtp_port else b"inactive"))
    if not accepted:
        return None
    return b"\r\n".join(lines) + b"\r\n"


def _sections(offered: bytes) -> tuple[bytes, list[list[bytes]]]:
    """The session-level direction and the lines of each m= section."""
    sections: list[list[bytes]] = []
    session: list[bytes] = []
    for raw in offered.splitlines():
        line = raw.strip()
        if line.startswith(b"m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            session.append(line)
    return _direction(session, b"sendrecv"), sections


def _direction(lines: list[bytes], default: bytes) -> bytes:
    for line in lines:
        if line.startswith(b"a=") and line[2:] in _MIRROR:
            return line[2:]
    return default


def _choose(section: list[bytes]) -> tuple[int, bytes] | None:
    """The (payload type, codec) to accept from one offered m= section, or None."""
    fields = section[0][2:].split()
    if len(fields) < 4 or fields[0] != b"audio" or fields[2] != b"RTP/AVP" or fields[1] == b"0":
        return None
    names = dict(_STATIC_NAMES)
    for attribute in section[1:]:
        if attribute.startswith(b"a=rtpmap:"):
            number, _, encoding = attribute[9:].partition(b" ")
            if number.isdigit() and len(number) <= 3:
                name, _, rate = encoding.strip().partition(b"/")
                if rate.split(b"/", 1)[0] == b"8000":
                    names[int(number)] = name.upper()
                else:
                    names.pop(int(number), None)
    for payload in fields[3:]:
        if payload.isdigit() and len(payload) <= 3:
            codec = names.get(int(payload))
            if codec is not None and codec in CODECS:
                return int(payload), codec
    return None

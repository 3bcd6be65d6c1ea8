"""SIP parsing and building (examples/sip_uas/message.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from siphelpers import request

from examples.sip_uas.message import (
    ParseError,
    Request,
    Response,
    build_response,
    parse_message,
)

pytestmark = pytest.mark.timeout(30)

SIPP_INVITE = (
    b"INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1-1-0\r\n"
    b"From: sipp <sip:sipp@127.0.0.1:5061>;tag=1SIPpTag001\r\n"
    b"To: service <sip:service@127.0.0.1:5060>\r\n"
    b"Call-ID: 1-1@127.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Contact: sip:sipp@127.0.0.1:5061\r\n"
    b"Max-Forwards: 70\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length:   5\r\n"
    b"\r\n"
    b"v=0\r\nextra"
)


def test_parses_a_sipp_invite():
    """Method, Call-ID, CSeq, branch and the body (cut to Content-Length) of sipp's INVITE."""
    message = parse_message(SIPP_INVITE)
    assert isinstance(message, Request)
    assert (message.method, message.call_id) == (b"INVITE", b"1-1@127.0.0.1")
    assert (message.cseq, message.cseq_method, message.branch) == (1, b"INVITE", b"z9hG4bK-1-1-0")
    assert message.body == b"v=0\r\n"
    assert message.to_tag is None


def test_compact_header_names_are_expanded():
    """i:, v:, f:, t: and l: are read as Call-ID, Via, From, To and Content-Length."""
    data = (
        b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKc\r\n"
        b"f: <sip:a@h>;tag=1\r\nt: <sip:x@h>;tag=2\r\ni: compact@h\r\n"
        b"CSeq: 7 OPTIONS\r\nl: 0\r\n\r\n"
    )
    message = parse_message(data)
    assert isinstance(message, Request)
    assert (message.call_id, message.cseq, message.to_tag) == (b"compact@h", 7, b"2")


def test_folded_header_lines_are_joined():
    """A continuation line (leading whitespace) belongs to the header above it."""
    data = request(extra="Subject: one\r\n two\r\n")
    message = parse_message(data)
    assert isinstance(message, Request)
    assert message.header(b"subject") == b"one two"


def test_blank_datagram_is_a_keep_alive():
    """CRLFs alone are a keep-alive, not a message."""
    assert parse_message(b"\r\n\r\n") is None


def test_a_response_parses_as_a_response():
    """A status line gives a Response with its code and CSeq."""
    message = parse_message(b"SIP/2.0 180 Ringing\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n")
    assert isinstance(message, Response)
    assert (message.code, message.cseq_method) == (180, b"INVITE")


def test_missing_call_id_carries_the_request_for_a_400():
    """A request without Call-ID raises ParseError whose request can still be answered."""
    data = request().replace(b"Call-ID: test-call@127.0.0.1\r\n", b"")
    with pytest.raises(ParseError) as caught:
        parse_message(data)
    assert caught.value.request is not None
    assert caught.value.reason == "missing Call-ID"


def test_response_copies_vias_and_adds_the_to_tag():
    """A built response copies every Via, From, Call-ID and CSeq and tags the To."""
    invite = parse_message(request(extra="Via: SIP/2.0/UDP proxy;branch=z9hG4bK2\r\n"))
    assert isinstance(invite, Request)
    response = parse_message(build_response(invite, 180, to_tag=b"t1"))
    assert isinstance(response, Response)
    assert response.code == 180
    assert [v for k, v in response.headers if k == b"via"] == invite.vias
    assert response.to is not None
    assert response.to.endswith(b";tag=t1")
    assert (response.call_id, response.cseq) == (invite.call_id, 1)


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_parse_or_raise_parse_error(data):
    """Any bytes either parse or raise ParseError: never another exception."""
    try:
        parse_message(data)
    except ParseError:
        pass


@given(st.integers(0, 40), st.binary(max_size=200))
def test_a_valid_request_cut_anywhere_parses_or_raises_parse_error(cut, junk):
    """A valid request truncated and followed by junk never breaks the parser."""
    data = SIPP_INVITE[: len(SIPP_INVITE) - cut] + junk
    try:
        parse_message(data)
    except ParseError:
        pass


_HEADERS = (
    b"Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
)
PATHOLOGICAL = {
    "start line of spaces": b"INVITE" + b" " * 8000 + b"x\r\n" + _HEADERS,
    "start line of space-x pairs": b"INVITE " + b" x" * 4000 + b"\r\n" + _HEADERS,
    "start line of many versions": b"A " + b"SIP/2.0 " * 1000 + b"\r\n" + _HEADERS,
    "Via of spaces": b"OPTIONS sip:a@b SIP/2.0\r\n" + b"Via: SIP/2.0/UDP h" + b" " * 8000 + b"x",
    "Via of empty params": b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h" + b" ; a" * 2000 + b"=",
    "To of tokens": b"OPTIONS sip:a@b SIP/2.0\r\n" + _HEADERS + b"To: " + b"a " * 4000 + b"x",
    "To of params": b"OPTIONS sip:a@b SIP/2.0\r\n"
    + _HEADERS
    + b"To: <sip:a@b>"
    + b" ; x = y" * 999,
    "Contact of commas": b"OPTIONS sip:a@b SIP/2.0\r\n" + _HEADERS + b"m: " + b"<sip:a@b>," * 800,
}


@pytest.mark.parametrize("data", list(PATHOLOGICAL.values()), ids=list(PATHOLOGICAL))
def test_pathological_white_space_and_separators_parse_in_linear_time(data):
    """8 KB of repeated spaces or separators is refused in milliseconds (no regex backtracking)."""
    import time

    started = time.perf_counter()
    with pytest.raises(ParseError):
        parse_message(data + b"\r\n\r\n", max_size=1 << 20)
    assert time.perf_counter() - started < 0.5

"""The SIP parser's fast paths give the answers of its careful paths (examples/sip_uas/message.py).

The header scan takes a fast loop for CRLF lines with names seen before and
reads anything else line by line; the From, To, Via and Contact checks are
remembered for values that differ only in their ``;tag`` or ``;branch``. Each
property below says the shortcut cannot change an answer.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from siphelpers import request

from examples.sip_uas import message
from examples.sip_uas.message import ParseError, Request, build_response, parse_message

pytestmark = pytest.mark.timeout(60)

_TOKEN_ALPHABET = "abcXYZ019.!%*_+`'~-"
_NAMES = ["Via", "v", "From", "f", "To", "t", "Call-ID", "i", "CSeq", "Content-Length", "l",
          "Subject", "X-Odd", "via", "CALL-ID", "Max-Forwards", "Bad Name", "", "Nöm"]  # fmt: skip
_VALUE_PIECES = ["SIP/2.0/UDP h:5060", ";branch=z9hG4bK1", "<sip:a@b>", ";tag=1", " ", "\t",
                 "\x0b", ":", ",", '"', "<", ">", "x", "\r", "\n", "é"]  # fmt: skip
_SEPARATORS = [":", ": ", " : ", ":\t", "", " "]
_LINE_ENDS = ["\r\n", "\r\n", "\r\n", "\n", "\r", "\r\n ", "\r\n\t"]


@st.composite
def header_blocks(draw: st.DrawFn) -> bytes:
    """Header blocks mostly in the usual shape, with folding, bare CR/LF and bad lines mixed in."""
    lines = draw(
        st.lists(
            st.tuples(
                st.sampled_from(_NAMES),
                st.sampled_from(_SEPARATORS),
                st.lists(st.sampled_from(_VALUE_PIECES), max_size=5).map("".join),
                st.sampled_from(_LINE_ENDS),
            ),
            max_size=8,
        )
    )
    text = "".join(name + separator + value + end for name, separator, value, end in lines)
    return text.encode()[: -2 if text.endswith("\r\n") else None]


def _outcome(read: Callable[[], list[tuple[bytes, bytes]]]) -> object:
    try:
        return read()
    except ParseError as exc:
        return exc.reason


@given(header_blocks())
@example(b"Via: SIP/2.0/UDP h\r\nSubject: one\r\n two")
@example(b"Via")
@example(b"Via: a\rFrom: b")
@example(b"")
def test_fast_header_scan_gives_the_line_by_line_answer(block):
    """The fast scan returns the headers (or the error) that reading line by line returns."""
    fast = _outcome(lambda: message._headers(block))
    careful = _outcome(lambda: message._parse_header_lines(block.splitlines()))
    assert fast == careful


def test_header_names_remembered_are_bounded():
    """Peers choose header names: the name cache stops growing at its limit."""
    for number in range(message._NAMES_LIMIT + 100):
        message._headers(b"X-Name-%d: 1" % number)
    assert len(message._NAMES) <= message._NAMES_LIMIT


_ADDRESS_PIECES = ["sip:a@b", "<sip:a@b>", '"Al \\" B"', "Al", " ", "<", ">", '"', ",", ";",
                   "=", "x", "?h=1", ";lr", ";q=0.5", "sip:a@b;tag=1", "*", "tag="]  # fmt: skip
_VIA_PIECES = ["SIP/2.0/UDP", "SIP / 2.0 / TCP", " ", "h", "[::1]", ":5060", ":", ";rport",
               ";received=1.2.3.4", ";branch=z9hG4bK1", ",", '"', "=", ";"]  # fmt: skip
_VARYING = [
    (message._one_address_problem, b";tag=", _ADDRESS_PIECES),
    (message._via_problem, b";branch=", _VIA_PIECES),
    (message._contacts_problem, b"", _ADDRESS_PIECES),
]


@given(
    st.sampled_from(range(len(_VARYING))),
    st.data(),
    st.text(_TOKEN_ALPHABET + ' ";<>,=', max_size=6),
)
def test_remembered_verdict_is_the_full_verdict(kind, data, tag):
    """A verdict answered from memory (rest seen before) is the verdict on the whole value."""
    check, varying, pieces = _VARYING[kind]
    rest = data.draw(st.lists(st.sampled_from(pieces), max_size=6).map("".join)).encode()
    value = rest + varying + tag.encode()
    message._remembered(check, rest, varying)  # the rest seen before, as in an earlier call
    assert message._remembered(check, value, varying) == check(value)
    assert message._remembered(check, value, varying) == check(value)  # and remembered


def test_a_token_tag_does_not_make_a_good_address_bad():
    """The property _remembered rests on, for a sipp From: the tagged value is good too."""
    assert message._one_address_problem(b"sipp <sip:sipp@127.0.0.1:5061>") == ""
    assert message._one_address_problem(b"sipp <sip:sipp@127.0.0.1:5061>;tag=9SIPpTag001") == ""


def test_remembered_verdicts_are_bounded():
    """Peers choose the values: the verdict cache is cleared at its limit, not grown."""
    for number in range(message._VERDICTS_LIMIT + 10):
        message._remembered(message._contacts_problem, b"<sip:%d@h>" % number, b"")
    assert len(message._VERDICTS) <= message._VERDICTS_LIMIT


def test_crlfs_before_the_start_line_are_skipped():
    """Leading CRLFs (RFC 3261 §7.5) do not hide the request after them."""
    parsed = parse_message(b"\r\n\r\n" + request())
    assert isinstance(parsed, Request)
    assert (parsed.method, parsed.call_id) == (b"INVITE", b"test-call@127.0.0.1")


def test_branch_is_read_from_the_top_via_when_asked():
    """The top Via's branch is read on use (nothing routes by it), from the first value."""
    parsed = parse_message(
        request(extra="Via: SIP/2.0/UDP proxy;branch=z9hG4bKlower\r\n").replace(
            b";branch=z9hG4bKtest1", b";BRANCH=top;branch=second"
        )
    )
    assert isinstance(parsed, Request)
    assert parsed.branch == b"top"


def test_response_to_a_request_missing_headers_copies_what_it_has():
    """A 400 for a request without From, To or CSeq carries the Vias and Call-ID it had."""
    bad = Request(b"OPTIONS", b"sip:a@b", [])
    bad.vias = [b"SIP/2.0/UDP h;branch=z9hG4bK1", b"SIP/2.0/UDP p"]
    bad.call_id = b"c@h"
    assert build_response(bad, 400, to_tag=b"t") == (
        b"SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP p\r\n"
        b"Call-ID: c@h\r\nContent-Length: 0\r\n\r\n"
    )


def test_response_copies_every_via_in_order_and_adds_headers_and_body():
    """The usual response: status, Vias, From, To with our tag, Call-ID, CSeq, extras, body."""
    invite = parse_message(request(extra="Via: SIP/2.0/UDP p;branch=z9hG4bK2\r\n"))
    assert isinstance(invite, Request)
    data = build_response(
        invite, 180, to_tag=b"t1", headers=((b"Contact", b"<sip:uas@h>"),), body=b"x"
    )
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"SIP/2.0 180 Ringing"
    assert [line for line in lines if line.startswith(b"Via: ")] == [
        b"Via: " + via for via in invite.vias
    ]
    assert b"To: %s;tag=t1" % invite.to in lines
    assert lines[-2:] == [b"Contact: <sip:uas@h>", b"Content-Length: 1"]
    assert body == b"x"

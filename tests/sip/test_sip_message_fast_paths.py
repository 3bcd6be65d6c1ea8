"""The SIP parser's fast paths give the answers of its careful paths (examples/sip_uas/message.py).

A request of the usual shape (CRLF lines, known names, none twice) is read
with dictionary lookups, anything else by the rule-by-rule parser; the
header scan takes a fast loop for CRLF lines with names seen before and
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
from examples.sip_uas.message import (
    ParseError,
    Request,
    Response,
    build_response,
    parse_message,
)

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


def test_remembered_header_lines_are_bounded_in_number_and_length():
    """Peers choose the lines: at most _LINES_LIMIT are remembered, none longer than
    _LINE_REMEMBERED bytes."""
    parse_message(request())  # the names seen once
    for number in range(message._LINES_LIMIT + 10):
        parse_message(request(call_id=f"{number}@h"))
    parse_message(request(extra="Subject: " + "x" * message._LINE_REMEMBERED + "\r\n"))
    assert len(message._LINES) <= message._LINES_LIMIT
    assert max(map(len, message._LINES)) <= message._LINE_REMEMBERED


def test_remembered_start_lines_are_bounded_and_only_good_ones_are_kept():
    """Peers choose the Request-URIs: at most _START_LINES_LIMIT start lines are remembered,
    and one the careful path refuses (a URI with headers) is never among them."""
    for number in range(message._START_LINES_LIMIT + 10):
        data = request().replace(b"sip:uas@", b"sip:uas%d@" % number, 1)
        assert parse_message(data).uri == b"sip:uas%d@127.0.0.1" % number
    assert len(message._START_LINES) <= message._START_LINES_LIMIT
    bad = request().replace(b"sip:uas@127.0.0.1 ", b"sip:uas@127.0.0.1?x=y ", 1)
    with pytest.raises(ParseError, match="carries headers"):
        parse_message(bad)
    assert not any(b"?" in line for line in message._START_LINES)


@pytest.mark.parametrize(
    "line",
    ["Max-Forwards: 999", "Via: bad via", "To: <sip:b@c", "Call-ID: two words", "Date: yesterday"],
)
def test_a_header_line_whose_value_fails_its_check_is_not_remembered(line):
    """Remembered lines skip their checks on the usual path: only lines that passed are kept."""
    parse_message(request())  # the header names seen once
    name = line.partition(":")[0]
    lines = request().decode().split("\r\n")
    bent = [line if entry.startswith(name + ":") else entry for entry in lines]
    if bent == lines:
        bent.insert(1, line)
    for _ in range(2):  # the second time with every name seen before
        with pytest.raises(ParseError):
            parse_message("\r\n".join(bent).encode())
    assert line.encode() not in message._LINES


def test_via_lines_are_not_remembered_and_the_other_lines_are():
    """A Via names its transaction (a new branch each time): its line is read, not kept."""
    data = request(call_id="via-line@h")
    parse_message(data)  # the header names seen once
    parse_message(data)
    lines = data.split(b"\r\n")
    assert [line for line in lines if line in message._LINES] == lines[2:-2]


def test_header_names_are_learned_after_the_cache_filled():
    """A full name cache starts again: a name seen after it filled is still learned."""
    for number in range(message._NAMES_LIMIT + 1):
        message._headers(b"X-Filler-%d: 1" % number)
    message._headers(b"X-Late: 1")
    assert message._NAMES[b"X-Late"] == b"x-late"


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


_VARYING_LINE_KINDS = [("Via", ";branch=", _VIA_PIECES), ("From", ";tag=", _ADDRESS_PIECES),
                       ("t", ";tag=", _ADDRESS_PIECES)]  # fmt: skip


@given(
    st.sampled_from(range(len(_VARYING_LINE_KINDS))),
    st.data(),
    st.sampled_from([":", ": ", " :\t"]),
    st.text(_TOKEN_ALPHABET, min_size=1, max_size=6),
    st.text(_TOKEN_ALPHABET + ' \t";<>,=\r\n', max_size=6),
)
def test_a_line_read_from_its_varying_prefix_is_read_as_in_full(
    kind, data, separator, first_tag, tag
):
    """A Via, From or To line answered by the memory of a good line that differed only in
    its last ;branch= or ;tag= value is what reading it in full gives."""
    parse_message(request())  # the header names seen once
    name, varying, pieces = _VARYING_LINE_KINDS[kind]
    rest = data.draw(st.lists(st.sampled_from(pieces), max_size=6).map("".join))
    head = f"{name}{separator}{rest}{varying}"
    message._new_line(f"{head}{first_tag}".encode())  # an earlier call's line
    line = f"{head}{tag}".encode()
    answered = message._new_line(line)
    for memory in (message._LINES, message._VARYING_LINES, message._VERDICTS):
        memory.clear()
    assert answered == message._new_line(line)


def test_the_varying_lines_remembered_are_bounded():
    """Peers choose the lines: the memory of line prefixes is cleared at its limit."""
    parse_message(request())  # the header names seen once
    for number in range(message._LINES_LIMIT + 10):
        assert message._new_line(b"From: <sip:%d@h>;tag=%d" % (number, number)) is not None
    assert 0 < len(message._VARYING_LINES) <= message._LINES_LIMIT


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


_SIPP_LINES = [
    "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-7-1-0",
    "From: sipp <sip:sipp@127.0.0.1:5061>;tag=7SIPpTag001",
    "To: service <sip:service@127.0.0.1:5060>",
    "Call-ID: 7-4242@127.0.0.1",
    "CSeq: 1 INVITE",
    "Contact: sip:sipp@127.0.0.1:5061",
    "Max-Forwards: 70",
    "Subject: Performance Test",
    "Content-Type: application/sdp",
    "Content-Length: 4",
]
_ODD_LINES = [
    "Via: SIP/2.0/UDP proxy;branch=z9hG4bKp",
    "v: SIP/2.0/TCP [::1]:5060 ;rport",
    "Via: bad via",
    "From: <sip:a@b>;tag=1",
    "To: <sip:b@c>;tag=x y",
    "t: sip:c@d",
    "Call-ID: two words",
    "i: other@h",
    "CSeq: 2 BYE",
    "CSeq: 99999999999 INVITE",
    "CSeq: 2147483648 INVITE",
    "CSeq: 2147483647 INVITE",
    "CSeq: 1  INVITE",
    "CSeq: 01 INVITE",
    "CSeq: 1 invite",
    "Max-Forwards: 070",
    "Max-Forwards: 0",
    "Max-Forwards: -1",
    "Contact: *",
    'Contact: "A, B" <sip:a@b>, <sip:c@d>',
    "Contact: <sip:a@b",
    "Max-Forwards: 256",
    "Date: Sat, 13 Nov 2010 23:29:00 GMT",
    "Date: yesterday",
    "Record-Route: <sip:p1;lr>",
    "Record-Route: <sip:p2;lr>",
    "Require: 100rel",
    "Content-Length: 40",
    "Content-Length: x",
    "l: 2",
    "X-Unseen-%d: 1",
    "NoColon",
    ": no name",
    " folded",
    "Via: a\rb",
    "To: a\nb",
    "Subject:\tspaced  ",
]
_REQUEST_LINES = [
    "INVITE sip:service@127.0.0.1:5060 SIP/2.0",
    "BYE sip:service@127.0.0.1:5060 SIP/2.0",
    "INVITE <sip:a@b> SIP/2.0",
    "INVITE sip:a@b?Subject=x SIP/2.0",
    "INVITE sip:é@b SIP/2.0",
    "INVITE sip:a@b SIP/3.0",
    "INVITE  sip:a@b SIP/2.0",
    "INVITE sip:a\n@b SIP/2.0",
    "OPTIONS sip:a@b SIP/2.0",
    "FOO sip:a@b SIP/2.0",
    "INVITE sip:a@b;transport=udp?x SIP/2.0",
    "INVITE sip:a@b SIP/2.0 ",
    "SIP/2.0 200 OK",
]


@st.composite
def requests(draw: st.DrawFn) -> tuple[bytes, int]:
    """sipp's INVITE with lines dropped, added, swapped or bent; and a size limit."""
    lines = draw(st.permutations(_SIPP_LINES)) if draw(st.booleans()) else list(_SIPP_LINES)
    lines = [line for line in lines if draw(st.integers(0, 29))]  # drop about one in 30
    for _ in range(draw(st.integers(0, 3))):
        odd = draw(st.sampled_from(_ODD_LINES)).replace("%d", str(draw(st.integers(0, 10**6))))
        name = odd.partition(":")[0]
        same = [i for i, line in enumerate(lines) if line.startswith(name + ":")]
        if same and draw(st.booleans()):  # in place of the line with its name
            lines[same[0]] = odd
        else:
            lines.insert(draw(st.integers(0, len(lines))), odd)
    first = draw(st.sampled_from(_REQUEST_LINES)) if draw(st.integers(0, 4)) == 0 else ""
    first = first or _REQUEST_LINES[0]
    ending = draw(st.sampled_from(["\r\n\r\n", "\r\n\r\n", "\n\n", "\r\n", "\r\n\r\n\r\n"]))
    body = draw(st.sampled_from(["v=0\n", "v=0\r\nmore", "", "x"]))
    lead = draw(st.sampled_from(["", "", "\r\n"]))
    data = (lead + "\r\n".join([first, *lines]) + ending + body).encode()
    return data, draw(st.sampled_from([8192, 8192, 300]))


def _summary(parse: Callable[[], Request | Response | None]) -> object:
    """What a parse gives, comparable: the request's fields, or the error and its request."""

    def fields(request: Request | Response | None) -> object:
        if not isinstance(request, Request):
            return request if request is None else ("response", request.code, request.headers)
        return (
            request.method, request.uri, request.headers, request.body, request.vias,
            request.record_routes, request.from_, request.to, request.call_id, request.cseq,
            request.cseq_method, request.to_tag, request.branch,
        )  # fmt: skip

    try:
        return fields(parse())
    except ParseError as exc:
        return ("error", exc.reason, exc.code, fields(exc.request))


@given(requests())
@example((b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n", 8192))
@example((b"INVITE sip:a@b SIP/2.0\r\nVia\r\n\r\n", 8192))
def test_usual_request_parse_gives_the_rule_by_rule_answer(case):
    """parse_message (dictionary reads for the usual shape) answers as the rule-by-rule parser."""
    data, limit = case
    fast = _summary(lambda: parse_message(data, limit))
    careful = _summary(lambda: message._parse_any(data, limit))
    assert fast == careful


@pytest.mark.parametrize("method", [b"INVITE", b"ACK", b"BYE"])
def test_sipp_requests_take_the_dictionary_path(method):
    """sipp's INVITE, ACK and BYE are of the usual shape: read by dictionary, fields set."""
    invite = (
        b"\r\n".join(line.encode() for line in _SIPP_LINES).replace(b"INVITE", method)
        + b"\r\n\r\nv=0\n"
    )
    data = method + b" sip:service@127.0.0.1:5060 SIP/2.0\r\n" + invite
    parse_message(data)  # the header names seen once
    parsed = message._usual_request(data, message.MAX_MESSAGE_SIZE)
    assert parsed is not None
    assert parsed.fields == dict(parsed.headers)
    assert (parsed.method, parsed.cseq_method, parsed.body) == (method, method, b"v=0\n")


def test_response_to_a_request_without_cseq_has_no_cseq_line():
    """A 400 for a request whose CSeq was bad copies Via, From, To and Call-ID, and no CSeq."""
    bad = Request(b"OPTIONS", b"sip:a@b", [])
    bad.vias, bad.from_, bad.to, bad.call_id = [b"SIP/2.0/UDP h"], b"<sip:a@b>", b"<sip:b@c>", b"c"
    assert build_response(bad, 400, to_tag=b"t") == (
        b"SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\n"
        b"To: <sip:b@c>;tag=t\r\nCall-ID: c\r\nContent-Length: 0\r\n\r\n"
    )

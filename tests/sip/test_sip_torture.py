"""The UAS against the RFC 4475 torture corpus (rfc4475_corpus.py), over real UDP."""

from __future__ import annotations

import contextlib

import pytest
from rfc4475_corpus import CASES, TortureCase
from siphelpers import running_server, status

from eventlib.green import socket
from examples.sip_uas.message import Response, parse_message

pytestmark = pytest.mark.eventlib(time_limit=30)


def _replies_until_final(port: int, data: bytes, timeout: float) -> list[bytes]:
    """Send ``data`` and read replies until a final response or ``timeout`` of silence."""
    replies: list[bytes] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.sendto(data, ("127.0.0.1", port))
        sock.settimeout(timeout)
        with contextlib.suppress(TimeoutError):
            while not replies or status(replies[-1]) < 200:
                replies.append(sock.recvfrom(65535)[0])
    return replies


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
def test_torture_message_gets_its_rfc_answer(real_reactor, case: TortureCase):
    """Each RFC 4475 message gets the answer its verdict calls for, and nothing else happens."""
    with running_server() as server:
        wait = 0.3 if case.expected is None else 2.0
        replies = _replies_until_final(server.udp_port, case.data, wait)
        codes = [status(reply) for reply in replies]
        if case.expected is None:
            assert codes == []
        else:
            assert codes[-1:] == [case.expected], codes
            assert all(code < 200 for code in codes[:-1]), codes
        starts_a_call = case.expected == 200 and case.data.startswith(b"INVITE ")
        assert server.stats.calls == (1 if starts_a_call else 0)
        if case.verdict == "valid":
            assert server.stats.malformed == 0
        [alive] = _replies_until_final(server.udp_port, _OPTIONS, 2.0)
        assert status(alive) == 200


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case.name) for case in CASES if case.expected not in (None, 100)],
)
def test_torture_final_response_has_a_to_tag(real_reactor, case: TortureCase):
    """Every final response to a torture message that has a To carries a To tag (§8.2.6.2)."""
    with running_server() as server:
        final = _replies_until_final(server.udp_port, case.data, 2.0)[-1]
    response = parse_message(final)
    assert isinstance(response, Response)
    if response.to is not None:
        assert b"tag=" in response.to.replace(b" ", b""), final


def test_torture_corpus_holds_every_rfc_4475_section_3_test():
    """The corpus has the 49 messages of RFC 4475 §3, each with a verdict and an answer."""
    assert len(CASES) == 49
    assert len({case.name for case in CASES}) == 49
    assert {case.verdict for case in CASES} == {"valid", "invalid", "response"}
    for case in CASES:
        assert (case.expected is None) == (case.verdict == "response"), case.name
        if case.verdict == "invalid":
            assert case.expected is not None
            assert 400 <= case.expected < 500 or case.expected == 505, case.name


_OPTIONS = (
    b"OPTIONS sip:uas@127.0.0.1 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKalive\r\n"
    b"From: <sip:uac@127.0.0.1>;tag=alive\r\nTo: <sip:uas@127.0.0.1>\r\n"
    b"Call-ID: alive@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)

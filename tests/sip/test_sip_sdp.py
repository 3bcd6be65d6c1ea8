"""The SDP answer to an offer (examples/sip_uas/sdp.py, RFC 3264 §6.1)."""

from __future__ import annotations

import pytest

from examples.sip_uas import sdp

pytestmark = pytest.mark.timeout(30)


def _offer(*media: str, session: str = "") -> bytes:
    lines = ["v=0", "o=peer 7 7 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0"]
    if session:
        lines.append(session)
    for block in media:
        lines.extend(block.split("|"))
    return ("\r\n".join(lines) + "\r\n").encode()


def _m_lines(answer: bytes) -> list[bytes]:
    return [line for line in answer.splitlines() if line.startswith(b"m=")]


def test_answer_takes_the_offers_only_codec_pcma():
    """An offer of PCMA alone is answered with PCMA, not PCMU."""
    answer = sdp.answer(_offer("m=audio 4000 RTP/AVP 8|a=rtpmap:8 PCMA/8000"), b"127.0.0.1", None)
    assert answer is not None
    assert _m_lines(answer) == [b"m=audio 9 RTP/AVP 8"]
    assert b"a=rtpmap:8 PCMA/8000" in answer


def test_answer_keeps_the_offers_preference_order():
    """With PCMA offered before PCMU, PCMA is chosen."""
    answer = sdp.answer(_offer("m=audio 4000 RTP/AVP 96 8 0|a=rtpmap:96 opus/48000/2"), b"h", None)
    assert answer is not None
    assert _m_lines(answer) == [b"m=audio 9 RTP/AVP 8"]


def test_dynamic_payload_type_named_pcmu_by_rtpmap_is_accepted():
    """A dynamic payload type whose rtpmap says PCMU/8000 is answered with that number."""
    answer = sdp.answer(_offer("m=audio 4000 RTP/AVP 101|a=rtpmap:101 PCMU/8000"), b"h", None)
    assert answer is not None
    assert _m_lines(answer) == [b"m=audio 9 RTP/AVP 101"]


def test_without_media_the_accepted_stream_is_honestly_inactive():
    """Without an RTP port the answer says a=inactive on the discard port."""
    answer = sdp.answer(_offer("m=audio 4000 RTP/AVP 0"), b"127.0.0.1", None)
    assert answer is not None
    assert b"a=inactive" in answer
    assert b"a=sendrecv" not in answer


def test_with_an_rtp_port_the_direction_mirrors_the_offer():
    """With the echo port, a sendonly offer gets recvonly on that port."""
    answer = sdp.answer(_offer("m=audio 4000 RTP/AVP 0|a=sendonly"), b"127.0.0.1", 30000)
    assert answer is not None
    assert _m_lines(answer) == [b"m=audio 30000 RTP/AVP 0"]
    assert b"a=recvonly" in answer


def test_every_offered_stream_gets_an_m_line_in_order_others_refused_with_port_0():
    """Video is refused with port 0; the audio stream after it is accepted; order is kept."""
    offer = _offer("m=video 5000 RTP/AVP 31", "m=audio 4000 RTP/AVP 0")
    answer = sdp.answer(offer, b"127.0.0.1", None)
    assert answer is not None
    assert _m_lines(answer) == [b"m=video 0 RTP/AVP 31", b"m=audio 9 RTP/AVP 0"]


@pytest.mark.parametrize(
    "media",
    [
        "m=audio 4000 RTP/AVP 9|a=rtpmap:9 G722/8000",
        "m=audio 4000 RTP/SAVP 0",
        "m=audio 0 RTP/AVP 0",
        "m=video 4000 RTP/AVP 31",
        "m=audio 4000 RTP/AVP 96|a=rtpmap:96 PCMU/16000",
    ],
)
def test_no_acceptable_stream_means_no_answer(media):
    """An offer with no PCMU/PCMA audio over RTP/AVP has no answer (the caller sends 488)."""
    assert sdp.answer(_offer(media), b"127.0.0.1", None) is None


def test_offer_names_both_codecs_and_is_inactive_without_media():
    """The offer sent when the INVITE had none lists PCMU and PCMA."""
    offer = sdp.offer(b"::1", None)
    assert b"c=IN IP6 ::1" in offer
    assert _m_lines(offer) == [b"m=audio 9 RTP/AVP 0 8"]
    assert b"a=inactive" in offer

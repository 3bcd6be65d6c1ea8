"""What the UAS refuses in a well-formed request (examples/sip_uas/admission.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examples.sip_uas import admission
from examples.sip_uas.message import Request

pytestmark = pytest.mark.timeout(30)

_HEADERS = [
    (b"require", b"100rel"),
    (b"require", b"timer, 100rel"),
    (b"accept", b"application/sdp"),
    (b"accept", b"text/plain"),
    (b"content-type", b"application/sdp"),
    (b"content-type", b"text/plain"),
    (b"subject", b"x"),
]


@given(st.lists(st.sampled_from(_HEADERS), max_size=5))
def test_fields_read_gives_the_header_scan_answer(headers):
    """Require, Accept and Content-Type read from the fields match the scan of the headers."""
    scanned = Request(b"INVITE", b"sip:a@b", headers)
    by_fields = Request(b"INVITE", b"sip:a@b", headers)
    fields = dict(headers)
    if len(fields) == len(headers):  # the parser sets fields only when no name repeats
        by_fields.fields = fields
    assert admission._read_headers(by_fields) == admission._read_headers(scanned)


def test_invite_with_a_body_that_is_not_sdp_is_refused_with_415():
    """An INVITE whose body is not SDP gets 415 naming what is accepted."""
    invite = Request(b"INVITE", b"sip:a@b", [(b"content-type", b"text/plain")])
    invite.fields = dict(invite.headers)
    invite.body = b"hello"
    assert admission.refusal(invite) == (415, ((b"Accept", b"application/sdp"),))

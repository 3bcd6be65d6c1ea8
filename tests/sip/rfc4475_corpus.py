"""A corpus after RFC 4475, "SIP Torture Test Messages": one message per test of its section 3.

Written for this suite from the RFC's descriptions: each message carries the
torture its RFC namesake carries (folding, escapes, odd characters, wrong
lengths, duplicated headers, unknown schemes...), with our own addresses and
values. ``\\n`` line ends become CRLF; ``{length}`` becomes the body's length.

Each case says what a UAS must answer:

* ``valid``: the message is well formed; its code is the normal answer of
  this UAS (200 to OPTIONS and a new INVITE, 501 to methods it does not
  implement, 481 to an INVITE inside an unknown dialog);
* ``invalid``: the message is malformed or asks for what cannot be served;
  the code is the 4xx (or 505) it must get;
* ``response``: a response, which a UAS never answers (None), and must survive.
"""

from __future__ import annotations

import attrs

__all__ = ["CASES", "TortureCase"]


@attrs.frozen
class TortureCase:
    name: str
    """The RFC's name for the message (wsinv, clerr, ...)."""
    section: str
    verdict: str
    """valid, invalid or response."""
    expected: int | None
    """The final response code the UAS must send; None: no reply at all."""
    data: bytes


def _m(text: str, body: bytes = b"") -> bytes:
    head = text.replace("\n", "\r\n").replace("{length}", str(len(body)))
    return head.encode() + body


_SDP = (
    b"v=0\r\no=torture 1001 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
    b"t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)
_SDP_TWO_STREAMS = (
    b"v=0\r\no=torture 1002 1 IN IP4 192.0.2.11\r\ns=-\r\nc=IN IP4 192.0.2.11\r\n"
    b"t=0 0\r\nm=audio 41000 RTP/AVP 0 12\r\nm=video 41002 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n"
)
_LONG = "very" * 120
_BINARY_PART = bytes(range(256))

# fmt: off
CASES = [
    # -- 3.1.1 valid messages ------------------------------------------------
    TortureCase("wsinv", "3.1.1.1", "valid", 481, _m(
        "INVITE sip:callee@torture.example.org;oddparam SIP/2.0\n"
        "TO :\n sip:callee@torture.example.org ;   tag    = 77aa11bb\n"
        'from   : "Someone \\\\\\"quoted\\""     <sip:caller@torture.example.com>\n'
        "  ;\n  tag = 55xx\n"
        "MaX-fOrWaRdS: 0069\n"
        "Call-ID: wsinv.fold@192.0.2.20\n"
        "Content-Length   : {length}\n"
        "cseq: 0011\n  INVITE\n"
        "Via  : SIP  /   2.0\n  /UDP\n    192.0.2.21;branch=z9hG4bKwsinv1\n"
        "s :\n"
        "NewHeaderNobodyKnows:   a value\n   folded onto the next line\n"
        "HeaderWithOddValue: ;;,,;;,;\n"
        "Content-Type: application/sdp\n"
        "Route:\n <sip:proxy.torture.example.org;lr;unknown=param;flag>\n"
        "v:  SIP  / 2.0  / TCP     relay.torture.example.org   ;\n"
        "  branch  =   z9hG4bKwsinv2 ,\n"
        " SIP  /    2.0   / UDP  192.0.2.22   ; branch=\n z9hG4bKwsinv3\n"
        'm:"Quoted \\"\\"" <sip:caller@torture.example.com> ;'
        " aparam = avalue ; flag ; q = 0.5\n"
        "\n", _SDP_TWO_STREAMS)),
    TortureCase("intmeth", "3.1.1.2", "valid", 501, _m(
        "!odd-Method0123456789_*+`.%really'~ "
        "sip:1_odd.URI~(be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,odd!*pa$$wo~d_(yes)@example.com "
        "SIP/2.0\n"
        "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\n"
        'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" '
        "<sip:1_odd.URI~(be!sure)&isn't+it$/crazy?,/;;*@example.com>\n"
        "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>"
        ";fromParam''~+*_!.-%=\"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439\""
        ";tag=_token~1'+`*%!-.\n"
        "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\n"
        "CSeq: 139122385 !odd-Method0123456789_*+`.%really'~\n"
        "Max-Forwards: 255\n"
        "extensionHeader-!.%*+_`'~:\ufeff\u5927\u505c\u96fb\n"
        "Content-Length: 0\n\n")),
    TortureCase("esc01", "3.1.1.3", "valid", 200, _m(
        "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\n"
        "To: sip:%75ser@example.com\n"
        "From: <sip:I%20have%20spaces@example.net>;tag=938\n"
        "Max-Forwards: 87\n"
        "i: esc01.239409asdfakjkn23onasd0-3234\n"
        "CSeq: 234234 INVITE\n"
        "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\n"
        "C: application/sdp\n"
        "Contact:\n  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\n"
        "Content-Length: {length}\n\n", _SDP)),
    TortureCase("escnull", "3.1.1.4", "valid", 501, _m(
        "REGISTER sip:example.com SIP/2.0\n"
        "To: sip:null-%00-null@example.com\n"
        "From: sip:null-%00-null@example.com;tag=839923423\n"
        "Max-Forwards: 70\n"
        "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd\n"
        "CSeq: 14398234 REGISTER\n"
        "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\n"
        "Contact: <sip:%00@host5.example.com>\n"
        "Contact: <sip:%00%00@host5.example.com>\n"
        "L:0\n\n")),
    TortureCase("esc02", "3.1.1.5", "valid", 501, _m(
        "RE%47IST%45R sip:registrar.example.com SIP/2.0\n"
        'To: "%Z%45" <sip:resource@example.com>\n'
        'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23\n'
        "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf\n"
        "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234\n"
        "CSeq: 29344 RE%47IST%45R\n"
        "Max-Forwards: 70\n"
        "Contact: <sip:alias1@host1.example.com>\n"
        "C%6Fntact: <sip:alias2@host2.example.com>\n"
        "Contact: <sip:alias3@host3.example.com>\n"
        "l: 0\n\n")),
    TortureCase("lwsdisp", "3.1.1.6", "valid", 200, _m(
        "OPTIONS sip:user@example.com SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: caller<sip:caller@example.com>;tag=323\n"
        "Max-Forwards: 70\n"
        "Call-ID: lwsdisp.1234abcd@funky.example.com\n"
        "CSeq: 60 OPTIONS\n"
        "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\n"
        "l: 0\n\n")),
    TortureCase("longreq", "3.1.1.7", "valid", 200, _m(
        "INVITE sip:user@example.com SIP/2.0\n"
        f'To: "I have a user name of {_LONG} proportion" <sip:user@example.com:6000;'
        f"unknownparam1=very{_LONG}longvalue;longparam{_LONG}name=shortvalue>\n"
        f"From: sip:caller@example.net;tag=12{'98' * 150}\n"
        f"Call-ID: longreq.one{'really' * 60}longcallid\n"
        "CSeq: 3882340 INVITE\n"
        f"Unknown-{'Long' * 60}-Name: unknown-{'long' * 60}-value; "
        f"unknown-{'long' * 60}-parameter-name = unknown-{'long' * 60}-parameter-value\n"
        "Via: SIP/2.0/TCP sip33.example.com\n"
        "v: SIP/2.0/TCP sip32.example.com\n"
        "V: SIP/2.0/TCP sip31.example.com\n"
        "Via: SIP/2.0/TCP sip30.example.com\n"
        "ViA: SIP/2.0/TCP sip29.example.com\n"
        "VIa: SIP/2.0/TCP sip28.example.com\n"
        f"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{'longbranch' * 30}\n"
        "Max-Forwards: 70\n"
        f"Contact: <sip:amazinglylongcallername{'x' * 200}@host5.example.net>\n"
        "Content-Type: application/sdp\n"
        "l: {length}\n\n", _SDP)),
    TortureCase("dblreq", "3.1.1.8", "valid", 501, _m(
        "REGISTER sip:example.com SIP/2.0\n"
        "To: sip:j.user@example.com\n"
        "From: sip:j.user@example.com;tag=43251j3j324\n"
        "Max-Forwards: 8\n"
        "I: dblreg.0ha0isndaksdj99sdfafnl3lk233412\n"
        "Contact: sip:j.user@host.example.com\n"
        "CSeq: 8 REGISTER\n"
        "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492\n"
        "Content-Length: 0\n\n"
        "INVITE sip:joe@example.com SIP/2.0\n"
        "t: sip:joe@example.com\n"
        "From: sip:caller@example.net;tag=141334\n"
        "Max-Forwards: 8\n"
        "Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15\n"
        "CSeq: 8 INVITE\n"
        "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234\n"
        "Content-Type: application/sdp\n"
        "Content-Length: {length}\n\n", _SDP)),
    TortureCase("semiuri", "3.1.1.9", "valid", 200, _m(
        "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0\n"
        "To: sip:j_user@example.com\n"
        "From: sip:caller@example.org;tag=33242\n"
        "Max-Forwards: 3\n"
        "Call-ID: semiuri.0ha0isndaksdj\n"
        "CSeq: 8 OPTIONS\n"
        "Accept: application/sdp, application/pkcs7-mime,\n"
        "        multipart/mixed, multipart/signed,\n"
        "        message/sip, message/sipfrag\n"
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw\n"
        "l: 0\n\n")),
    TortureCase("transports", "3.1.1.10", "valid", 200, _m(
        "OPTIONS sip:user@example.com SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: <sip:caller@example.com>;tag=323\n"
        "Max-Forwards: 70\n"
        "Call-ID:  transports.kijh4akdnaqjkwendsasfdj\n"
        "Accept: application/sdp\n"
        "CSeq: 60 OPTIONS\n"
        "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw\n"
        "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\n"
        "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\n"
        "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\n"
        "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\n"
        "l: 0\n\n")),
    TortureCase("mpart01", "3.1.1.11", "valid", 501, _m(
        "MESSAGE sip:kumiko@example.org SIP/2.0\n"
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKmp17a\n"
        "Max-Forwards: 70\n"
        "To: sip:kumiko@example.org\n"
        "From: sip:fluffy@example.com;tag=1234567890\n"
        "Call-ID: mpart01.1234567890@192.0.2.1\n"
        "CSeq: 1 MESSAGE\n"
        'Content-Type: multipart/signed;protocol="application/pkcs7-signature";'
        'micalg=sha1;boundary="----=_Part_0"\n'
        "Content-Length: {length}\n\n",
        b"------=_Part_0\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        b"------=_Part_0\r\nContent-Type: application/pkcs7-signature\r\n"
        b"Content-Transfer-Encoding: binary\r\n\r\n" + _BINARY_PART + b"\r\n------=_Part_0--\r\n")),
    TortureCase("unreason", "3.1.1.12", "response", None, _m(
        "SIP/2.0 200 = 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e "
        "\u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e "
        "\u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435\n"
        "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\n"
        "Call-ID: unreason.1234ksdfak3j2erwedfsASdf\n"
        "CSeq: 35 INVITE\n"
        "From: sip:user@example.com;tag=11141343\n"
        "To: sip:user@example.edu;tag=2229\n"
        "Content-Length: 0\n\n")),
    TortureCase("noreason", "3.1.1.13", "response", None, _m(
        "SIP/2.0 100 \n"
        "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\n"
        "Call-ID: noreason.asndj203insdf99223ndf\n"
        "CSeq: 35 INVITE\n"
        "From: <sip:user@example.com>;tag=39ansfi3\n"
        "To: <sip:user@example.edu>;tag=902jndnke3\n"
        "Content-Length: 0\n\n")),
    # -- 3.1.2 invalid messages ----------------------------------------------
    TortureCase("badinv01", "3.1.2.1", "invalid", 400, _m(
        "OPTIONS sip:user@example.org SIP/2.0\n"
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw\n"
        "To: sip:j.user@example.org\n"
        "From: sip:caller@example.org;tag=33242\n"
        "Max-Forwards: 3\n"
        "Call-ID: badinv01.0ha0isndaksdjasdf3234nas\n"
        "CSeq: 8 OPTIONS\n"
        "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\n"
        'Contact: "Joe" <sip:joe@example.org>;;;;\n'
        "Content-Length: 0\n\n")),
    TortureCase("clerr", "3.1.2.2", "invalid", 400, _m(
        "INVITE sip:user@example.com SIP/2.0\n"
        "Max-Forwards: 80\n"
        "To: sip:j.user@example.com\n"
        "From: sip:caller@example.net;tag=93942939o2\n"
        "Contact: <sip:caller@hungry.example.net>\n"
        "Call-ID: clerr.0ha0isndaksdjweiafasdk3\n"
        "CSeq: 8 INVITE\n"
        "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523\n"
        "Content-Type: application/sdp\n"
        "Content-Length: 9999\n\n", _SDP)),
    TortureCase("ncl", "3.1.2.3", "invalid", 400, _m(
        "INVITE sip:user@example.com SIP/2.0\n"
        "Max-Forwards: 254\n"
        "To: sip:j.user@example.com\n"
        "From: sip:caller@example.net;tag=32394234\n"
        "Call-ID: ncl.0ha0isndaksdj2193423r542w35\n"
        "CSeq: 0 INVITE\n"
        "Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw\n"
        "Contact: <sip:caller@example53.example.net>\n"
        "Content-Type: application/sdp\n"
        "Content-Length: -999\n\n", _SDP)),
    TortureCase("scalar02", "3.1.2.4", "invalid", 400, _m(
        "REGISTER sip:example.com SIP/2.0\n"
        "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3\n"
        "To: <sip:user@example.com>\n"
        "From: <sip:user@example.com>;tag=239232jh3\n"
        "CSeq: 36893488147419103232 REGISTER\n"
        "Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32\n"
        "Max-Forwards: 300\n"
        "Expires: 1000000000000000000000000000000000000000000000000000000\n"
        "Contact: <sip:user@host129.example.com>\n"
        "  ;expires=280297596632815\n"
        "Content-Length: 0\n\n")),
    TortureCase("scalarlg", "3.1.2.5", "response", None, _m(
        "SIP/2.0 503 Service Unavailable\n"
        "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129\n"
        "To: <sip:user@example.com>\n"
        "From: <sip:other@example.net>;tag=2easdjfejw\n"
        "CSeq: 9292394834772304023312 OPTIONS\n"
        "Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r\n"
        "Retry-After: 949302838503028349304023988\n"
        'Warning: 1812 overture "In Progress"\n'
        "Content-Length: 0\n\n")),
    TortureCase("quotbal", "3.1.2.6", "invalid", 400, _m(
        "INVITE sip:user@example.com SIP/2.0\n"
        'To: "Mr. J. User <sip:j.user@example.com>\n'
        "From: sip:caller@example.net;tag=93334\n"
        "Max-Forwards: 10\n"
        "Call-ID: quotbal.aksdj\n"
        "Contact: <sip:caller@host59.example.net>\n"
        "CSeq: 8 INVITE\n"
        "Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234\n"
        "Content-Type: application/sdp\n"
        "Content-Length: {length}\n\n", _SDP)),
    TortureCase("ltgtruri", "3.1.2.7", "invalid", 400, _m(
        "INVITE <sip:user@example.com> SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: sip:caller@example.net;tag=39291\n"
        "Max-Forwards: 23\n"
        "Call-ID: ltgtruri.1@192.0.2.5\n"
        "CSeq: 1 INVITE\n"
        "Via: SIP/2.0/UDP 192.0.2.5\n"
        "Contact: <sip:caller@host5.example.net>\n"
        "Content-Type: application/sdp\n"
        "Content-Length: {length}\n\n", _SDP)),
    TortureCase("lwsruri", "3.1.2.8", "invalid", 400, _m(
        "INVITE sip:user@example.com; lr SIP/2.0\n"
        "To: sip:user@example.com;tag=3xfe-9921883-z9f\n"
        "From: sip:caller@example.net;tag=231413434\n"
        "Max-Forwards: 5\n"
        "Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423\n"
        "CSeq: 2130706432 INVITE\n"
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395\n"
        "Contact: <sip:caller@host1.example.net>\n"
        "Content-Type: application/sdp\n"
        "Content-Length: {length}\n\n", _SDP)),
    TortureCase("lwsstart", "3.1.2.9", "invalid", 400, _m(
        "INVITE  sip:user@example.com  SIP/2.0\n"
        "Max-Forwards: 8\n"
        "To: sip:user@example.com\n"
        "From: sip:caller@example.net;tag=8814\n"
        "Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com\n"
        "CSeq: 1893884 INVITE\n"
        "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923\n"
        "Contact: <sip:caller@host1.example.net>\n"
        "Content-Type: application/sdp\n"
        "Content-Length: {length}\n\n", _SDP)),
    TortureCase("trws", "3.1.2.10", "invalid", 400, _m(
        "OPTIONS sip:remote-target@example.com SIP/2.0  \n"
        "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK299342093\n"
        "To: <sip:remote-target@example.com>\n"
        "From: <sip:local-resource@example.com>;tag=329429089\n"
        "Call-ID: trws.oicu34958239neffasdhr2345r\n"
        "Accept: application/sdp\n"
        "CSeq: 238923 OPTIONS\n"
        "Max-Forwards: 70\n"
        "Content-Length: 0\n\n")),
    TortureCase("escruri", "3.1.2.11", "invalid", 400, _m(
        "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: sip:caller@example.net;tag=341518\n"
        "Max-Forwards: 7\n"
        "Contact: <sip:caller@host39923.example.net>\n"
        "Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5\n"
        "CSeq: 149209342 INVITE\n"
        "Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw\n"
        "Content-Type: application/sdp\n"
        "Content-Length: {length}\n\n", _SDP)),
    TortureCase("baddate", "3.1.2.12", "invalid", 400, _m(
        "INVITE sip:user@example.com SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: sip:caller@example.net;tag=2234923\n"
        "Max-Forwards: 70\n"
        "Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234\n"
        "CSeq: 1392934 INVITE\n"
        "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\n"
        "Date: Fri, 01 Jan 2010 16:00:00 EST\n"
        "Contact: <sip:caller@host5.example.net>\n"
        "Content-Type: application/sdp\n"
        "Content-Length: {length}\n\n", _SDP)),
    TortureCase("regbadct", "3.1.2.13", "invalid", 400, _m(
        "REGISTER sip:example.com SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: sip:user@example.com;tag=998332\n"
        "Max-Forwards: 70\n"
        "Call-ID: regbadct.k345asrl3fdbv@10.0.0.1\n"
        "CSeq: 1 REGISTER\n"
        "Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw\n"
        "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E\n"
        "l: 0\n\n")),
    TortureCase("badaspec", "3.1.2.14", "invalid", 400, _m(
        "OPTIONS sip:user@example.org SIP/2.0\n"
        "Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234\n"
        "Max-Forwards: 70\n"
        'From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423\n'
        'To: "Watson, Thomas" < sip:t.watson@example.org >\n'
        "Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3\n"
        "Accept: application/sdp\n"
        "CSeq: 3923239 OPTIONS\n"
        "l: 0\n\n")),
    TortureCase("baddn", "3.1.2.15", "invalid", 400, _m(
        "OPTIONS sip:t.watson@example.org SIP/2.0\n"
        "Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw\n"
        "Max-Forwards:      70\n"
        "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43\n"
        "To:      Watson, Thomas <sip:t.watson@example.org>\n"
        "Call-ID: baddn.31415@c.example.com\n"
        "Accept: application/sdp\n"
        "CSeq:    3923239 OPTIONS\n"
        "l: 0\n\n")),
    TortureCase("badvers", "3.1.2.16", "invalid", 505, _m(
        "OPTIONS sip:t.watson@example.org SIP/7.0\n"
        "Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw\n"
        "Max-Forwards:     70\n"
        "From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\n"
        "To:      T. Watson <sip:t.watson@example.org>\n"
        "Call-ID: badvers.31417@c.example.com\n"
        "CSeq:    1 OPTIONS\n"
        "l: 0\n\n")),
    TortureCase("mismatch01", "3.1.2.17", "invalid", 400, _m(
        "OPTIONS sip:user@example.com SIP/2.0\n"
        "To: sip:j.user@example.com\n"
        "From: sip:caller@example.net;tag=34525\n"
        "Max-Forwards: 6\n"
        "Call-ID: mismatch01.dj0234sxdfl3\n"
        "CSeq: 8 INVITE\n"
        "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\n"
        "l: 0\n\n")),
    TortureCase("mismatch02", "3.1.2.18", "invalid", 400, _m(
        "NEWMETHOD sip:user@example.com SIP/2.0\n"
        "To: sip:j.user@example.com\n"
        "From: sip:caller@example.net;tag=34525\n"
        "Max-Forwards: 6\n"
        "Call-ID: mismatch02.dj0234sxdfl3\n"
        "CSeq: 8 INVITE\n"
        "Contact: <sip:caller@host.example.net>\n"
        "Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw\n"
        "Content-Type: application/sdp\n"
        "l: {length}\n\n", _SDP)),
    TortureCase("bigcode", "3.1.2.19", "response", None, _m(
        "SIP/2.0 4294967301 better not break the receiver\n"
        "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\n"
        "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i\n"
        "CSeq: 353494 INVITE\n"
        "From: <sip:user@example.com>;tag=39ansfi3\n"
        "To: <sip:user@example.edu>;tag=902jndnke3\n"
        "Content-Length: 0\n"
        "Contact: <sip:user@host105.example.com>\n\n")),
    # -- 3.2 transaction layer -------------------------------------------------
    TortureCase("badbranch", "3.2.1", "valid", 200, _m(
        "OPTIONS sip:user@example.com SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: sip:caller@example.org;tag=33242\n"
        "Max-Forwards: 3\n"
        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK\n"
        "Accept: application/sdp\n"
        "Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n\n"
        "CSeq: 8 OPTIONS\n"
        "l: 0\n\n")),
    # -- 3.3 application layer -------------------------------------------------
    TortureCase("insuf", "3.3.1", "invalid", 400, _m(
        "INVITE sip:user@example.com SIP/2.0\n"
        "CSeq: 193942 INVITE\n"
        "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\n"
        "Content-Type: application/sdp\n"
        "l: {length}\n\n", _SDP)),
    TortureCase("unkscm", "3.3.2", "invalid", 416, _m(
        "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: sip:caller@example.net;tag=384\n"
        "Max-Forwards: 3\n"
        "Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34\n"
        "CSeq: 3923423 OPTIONS\n"
        "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\n"
        "Content-Length: 0\n\n")),
    TortureCase("novelsc", "3.3.3", "invalid", 416, _m(
        "OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: sip:caller@example.net;tag=384\n"
        "Max-Forwards: 3\n"
        "Call-ID: novelsc.asdfasser0q239nwsdfasdkl34\n"
        "CSeq: 3923423 OPTIONS\n"
        "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\n"
        "Content-Length: 0\n\n")),
    TortureCase("unksm2", "3.3.4", "valid", 200, _m(
        "OPTIONS sip:example.com SIP/2.0\n"
        "To: isbn:2983792873\n"
        "From: <http://www.example.com>;tag=3234233\n"
        "Call-ID: unksm2.daksdj@hyphenated-host.example.com\n"
        "CSeq: 234902 OPTIONS\n"
        "Max-Forwards: 70\n"
        "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw\n"
        "Contact: <name:John_Smith>\n"
        "l: 0\n\n")),
    TortureCase("bext01", "3.3.5", "invalid", 420, _m(
        "OPTIONS sip:user@example.com SIP/2.0\n"
        "To: sip:j_user@example.com\n"
        "From: sip:caller@example.net;tag=242etr\n"
        "Max-Forwards: 6\n"
        "Call-ID: bext01.0ha0isndaksdj\n"
        "Require: nothingSupportedHere\n"
        "Require: nothingSuppHere2\n"
        "Proxy-Require: noProxiesSupportThis, nothingSupportedHere\n"
        "CSeq: 8 OPTIONS\n"
        "Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw\n"
        "Content-Length: 0\n\n")),
    TortureCase("invut", "3.3.6", "invalid", 415, _m(
        "INVITE sip:user@example.com SIP/2.0\n"
        "Contact: <sip:caller@host5.example.net>\n"
        "To: sip:j.user@example.com\n"
        "From: sip:caller@example.net;tag=8392034\n"
        "Max-Forwards: 70\n"
        "Call-ID: invut.0ha0isndaksdjadsfij34n23d\n"
        "CSeq: 235448 INVITE\n"
        "Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw\n"
        "Content-Type: application/unknownformat\n"
        "Content-Length: {length}\n\n",
        b'<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n')),
    TortureCase("regaut01", "3.3.7", "valid", 501, _m(
        "REGISTER sip:example.com SIP/2.0\n"
        "To: sip:j.user@example.com\n"
        "From: sip:j.user@example.com;tag=87321hj23128\n"
        "Max-Forwards: 8\n"
        "Call-ID: regaut01.0ha0isndaksdj\n"
        "CSeq: 9338 REGISTER\n"
        "Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw\n"
        "Authorization: NoOneKnowsThisScheme opaque-data=here\n"
        "Content-Length:0\n\n")),
    TortureCase("multi01", "3.3.8", "invalid", 400, _m(
        "INVITE sip:user@company.com SIP/2.0\n"
        "Contact: <sip:caller@host25.example.net>\n"
        "Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw\n"
        "Max-Forwards: 70\n"
        "CSeq: 5 INVITE\n"
        "Call-ID: multi01.98asdh@192.0.2.1\n"
        "CSeq: 59 INVITE\n"
        "Call-ID: multi01.98asdh@192.0.2.2\n"
        "From: sip:caller@example.com;tag=3413415\n"
        "To: sip:user@example.com\n"
        "To: sip:other@example.net\n"
        "From: sip:caller@example.net;tag=2923420123\n"
        "Content-Type: application/sdp\n"
        "l: {length}\n"
        "Contact: <sip:caller@host36.example.net>\n"
        "Max-Forwards: 5\n\n", _SDP)),
    TortureCase("mcl01", "3.3.9", "invalid", 400, _m(
        "OPTIONS sip:user@example.com SIP/2.0\n"
        "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423\n"
        "To: sip:user@example.com\n"
        "From: sip:other@example.net;tag=3923942\n"
        "Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf\n"
        "CSeq: 15932 OPTIONS\n"
        "Content-Length: 13\n"
        "Max-Forwards: 60\n"
        "Content-Length: 5\n"
        "Content-Type: text/plain\n\n",
        b"There's no way to know how many octets are supposed to be here.\r\n")),
    TortureCase("bcast", "3.3.10", "response", None, _m(
        "SIP/2.0 200 OK\n"
        "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\n"
        "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23\n"
        "Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf\n"
        "CSeq: 35 INVITE\n"
        "From: sip:user@example.com;tag=11141343\n"
        "To: sip:user@example.edu;tag=2229\n"
        "Content-Length: 0\n\n")),
    TortureCase("zeromf", "3.3.11", "valid", 200, _m(
        "OPTIONS sip:user@example.com SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: sip:caller@example.net;tag=3ghsd41\n"
        "Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas\n"
        "CSeq: 39234321 OPTIONS\n"
        "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i\n"
        "Max-Forwards: 0\n"
        "Content-Length: 0\n\n")),
    TortureCase("cparam01", "3.3.12", "valid", 501, _m(
        "REGISTER sip:example.com SIP/2.0\n"
        "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw\n"
        "Max-Forwards: 70\n"
        "From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe\n"
        "To: sip:watson@example.com\n"
        "Call-ID: cparam01.70710@saturn.example.com\n"
        "CSeq: 2 REGISTER\n"
        "Contact: sip:+19725552222@gw1.example.net;unknownparam\n"
        "l: 0\n\n")),
    TortureCase("cparam02", "3.3.13", "valid", 501, _m(
        "REGISTER sip:example.com SIP/2.0\n"
        "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw\n"
        "Max-Forwards: 70\n"
        "From: sip:watson@example.com;tag=838293\n"
        "To: sip:watson@example.com\n"
        "Call-ID: cparam02.70710@saturn.example.com\n"
        "CSeq: 3 REGISTER\n"
        "Contact: <sip:+19725552222@gw1.example.net;unknownparam>\n"
        "l: 0\n\n")),
    TortureCase("regescrt", "3.3.14", "valid", 501, _m(
        "REGISTER sip:example.com SIP/2.0\n"
        "To: sip:user@example.com\n"
        "From: sip:user@example.com;tag=8\n"
        "Max-Forwards: 70\n"
        "Call-ID: regescrt.k345asrl3fdbv@192.0.2.1\n"
        "CSeq: 14398234 REGISTER\n"
        "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\n"
        "M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>\n"
        "L:0\n\n")),
    TortureCase("sdp01", "3.3.15", "invalid", 406, _m(
        "INVITE sip:user@example.com SIP/2.0\n"
        "To: sip:j_user@example.com\n"
        "Contact: <sip:caller@host15.example.net>\n"
        "From: sip:caller@example.net;tag=234\n"
        "Max-Forwards: 5\n"
        "Call-ID: sdp01.ndaksdj9342dasdd\n"
        "Accept: text/nobodyKnowsThis\n"
        "CSeq: 8 INVITE\n"
        "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw\n"
        "Content-Length: {length}\n"
        "Content-Type: application/sdp\n\n", _SDP)),
    # -- 3.4 backward compatibility --------------------------------------------
    TortureCase("inv2543", "3.4.1", "valid", 200, _m(
        "INVITE sip:UserB@example.com SIP/2.0\n"
        "Via: SIP/2.0/UDP 192.0.2.15\n"
        "From: <sip:UserA@example.com>\n"
        "To: <sip:UserB@example.com>\n"
        "Call-ID: inv2543.0ha0isndaksdj@192.0.2.15\n"
        "CSeq: 8 INVITE\n"
        "Max-Forwards: 7\n"
        "Contact: <sip:UserA@192.0.2.15>\n"
        "Content-Type: application/sdp\n"
        "Content-Length: {length}\n\n", _SDP)),
]
# fmt: on

"""A bare Twisted SIP UAS for ``bench_sip``: the floor of Python and Twisted under sipp's load.

It answers sipp's UAC scenario and nothing else: INVITE gets 180 Ringing and
200 OK with an SDP answer, BYE gets 200 OK, ACK nothing. It checks nothing
(no grammar, no RFC 3261 §8.2 refusals, no 400 for a malformed request),
keeps no transaction (no 100 Trying, no Timer G, no retransmission answered)
and no supervision: one ``datagramReceived`` callback does it all. What the
example UAS costs above this is the price of its checks, its sessions as
green threads and its supervision tree.

Run alone: ``python benchmarks/sip_bare_twisted.py``; it prints its version
line, then ``udp=<port>``, and serves 127.0.0.1 until SIGTERM or SIGINT.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import platform
import signal
from typing import Any

from twisted.internet import reactor as _reactor
from twisted.internet.protocol import DatagramProtocol

reactor: Any = _reactor  # the installed reactor (typed as the module in Twisted's stubs)
_SDP = (
    b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)
_COPIED = b"Via: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n"


class BareUas(DatagramProtocol):
    """sipp's UAC scenario answered from one callback, as a minimal Twisted program would."""

    noisy = False

    def __init__(self) -> None:
        self.contact = b""
        self.calls: set[bytes] = set()
        self._tags = itertools.count(1)

    def startProtocol(self) -> None:  # noqa: N802 - Twisted's interface
        port: Any = self.transport
        self.contact = b"Contact: <sip:uas@127.0.0.1:%d>\r\n" % port.getHost().port

    def datagramReceived(self, data: bytes, addr: Any) -> None:  # noqa: N802
        head = data.partition(b"\r\n\r\n")[0]
        lines = head.split(b"\r\n")
        method = lines[0].partition(b" ")[0]
        if method == b"ACK":
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        call_id = headers[b"call-id"]
        to = headers[b"to"]
        if method == b"INVITE":
            to += b";tag=%d" % next(self._tags)
            self.calls.add(call_id)
        else:
            self.calls.discard(call_id)
        copied = _COPIED % (headers[b"via"], headers[b"from"], to, call_id, headers[b"cseq"])
        transport: Any = self.transport
        write = transport.write
        if method == b"INVITE":
            write(
                b"SIP/2.0 180 Ringing\r\n%s%sContent-Length: 0\r\n\r\n" % (copied, self.contact),
                addr,
            )
            write(
                b"SIP/2.0 200 OK\r\n%s%sContent-Type: application/sdp\r\nContent-Length: %d"
                b"\r\n\r\n%s" % (copied, self.contact, len(_SDP), _SDP),
                addr,
            )
        else:
            write(b"SIP/2.0 200 OK\r\n%sContent-Length: 0\r\n\r\n" % copied, addr)


def main() -> None:
    port = reactor.listenUDP(0, BareUas(), interface="127.0.0.1")
    twisted = importlib.metadata.version("twisted")
    print(f"Twisted {twisted} (Python {platform.python_version()}; bare UAS)", flush=True)
    print(f"udp={port.getHost().port}", flush=True)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: reactor.callFromThread(reactor.stop))
    reactor.run()


if __name__ == "__main__":
    main()

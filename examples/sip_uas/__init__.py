"""A SIP user agent server whose every call is a supervised actor (eventlib's flagship example).

Run ``python -m examples.sip_uas --help``; ``--demo`` drives it with sipp.

* :mod:`.message` parses and builds SIP messages (RFC 3261 §7); what breaks
  the grammar is a :class:`ParseError` answered 400 (505 for another version).
* :mod:`.admission` refuses what parses but cannot be served (416, 420, 415, 406).
* :mod:`.sdp` answers the INVITE's SDP offer (RFC 3264), or there is a 488.
* :mod:`.session` is one call: the INVITE server transaction and the dialog,
  written as sequential green code over a mailbox.
* :mod:`.server` listens on UDP and TCP (with deadlines and a cap per source),
  routes by Call-ID, owns the supervision tree (a DynamicSupervisor of
  transient session actors) and logs one ``call.ended`` line per call.
"""

from examples.sip_uas.message import ParseError, Request, Response, parse_message
from examples.sip_uas.server import Config, SipServer, Stats
from examples.sip_uas.session import Call, InjectedCrash, SessionActor, TryingTimer

__all__ = [
    "Call",
    "Config",
    "InjectedCrash",
    "ParseError",
    "Request",
    "Response",
    "SessionActor",
    "SipServer",
    "Stats",
    "TryingTimer",
    "parse_message",
]

"""A SIP user agent server whose every call is a supervised actor (eventlib's flagship example).

Run ``python -m examples.sip_uas --help``; ``--demo`` drives it with sipp.

* :mod:`.message` parses and builds SIP messages (RFC 3261 §7).
* :mod:`.session` is one call: the INVITE server transaction and the dialog,
  written as sequential green code over a mailbox.
* :mod:`.server` listens on UDP and TCP, routes by Call-ID, and owns the
  supervision tree (a DynamicSupervisor of transient session actors).
"""

from examples.sip_uas.message import ParseError, Request, Response, parse_message
from examples.sip_uas.server import Config, SipServer, Stats
from examples.sip_uas.session import Call, InjectedCrash, SessionActor

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
    "parse_message",
]

"""What crosses the wire besides user messages: names, reply statuses, the reply stand-in."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

from eventlib.hub import exception_from_throw_args, get_hub
from eventlib.mailbox import Actor, ActorDied, CallFailed
from eventlib.remote._codec import Codec
from eventlib.remote._errors import CodecError, RemoteError

__all__ = [
    "CODEC_FAILED",
    "DIED",
    "HANDLER_FAILED",
    "MAILBOX_FULL",
    "NOT_RUNNING",
    "NO_RESPONDERS",
    "OK",
    "PROBE_HEADER",
    "RemoteReply",
    "check_name",
    "import_nats",
    "json_bytes",
    "loop_of_reactor",
]

_NAME = re.compile(r"[A-Za-z0-9_-]+")

# The first byte of a reply: how the call ended on the remote node. The rest is
# the codec's encoding of the value (OK) or JSON details (every other status).
OK = 0
HANDLER_FAILED = 1
DIED = 2
NOT_RUNNING = 3
CODEC_FAILED = 4
MAILBOX_FULL = 5
PROBE_HEADER = "Eventlib-Probe"  # a liveness probe: answered by the node, never the actor
NO_RESPONDERS = "503"  # the server's status when nobody subscribes to a request's subject


def check_name(kind: str, name: Any) -> str:
    """``name`` if it can be a node, actor or registered name; else a ValueError saying why."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"invalid {kind} name {name!r}: use letters, digits, '_' and '-' only "
            "(it becomes a NATS subject token and a key-value key)"
        )
    return name


def loop_of_reactor() -> asyncio.AbstractEventLoop:
    """The asyncio loop under the hub's reactor; RemoteError if it is not the asyncio reactor."""
    loop = getattr(get_hub().reactor, "_asyncioEventloop", None)
    if loop is None:
        raise RemoteError(
            "eventlib.remote runs on Twisted's asyncio reactor: call "
            "twisted.internet.asyncioreactor.install() before anything imports "
            "twisted.internet.reactor (pytest: --eventlib-reactor=asyncio)"
        )
    return loop  # type: ignore[no-any-return]


def import_nats() -> Any:
    """The nats package (an optional dependency), or an ImportError naming the extra."""
    try:
        import nats  # noqa: PLC0415 - an optional dependency
        import nats.js.errors  # noqa: PLC0415
    except ImportError as exc:
        raise ImportError("eventlib.remote needs nats-py: pip install 'eventlib[nats]'") from exc
    return nats


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _type_name(error: BaseException) -> str:
    cls = type(error)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


class RemoteReply:
    """Stands in a local actor's mailbox for a remote caller's reply Event.

    The actor's proc calls ``send``/``send_exception`` as it would on a local
    caller's Event; the reply is encoded and published to the caller's inbox.
    """

    __slots__ = ("actor", "codec", "done", "publish", "subject")

    def __init__(
        self, actor: Actor, subject: str, codec: Codec, publish: Callable[[str, bytes], None]
    ) -> None:
        self.actor = actor
        self.subject = subject
        self.codec = codec
        self.publish = publish
        self.done = False

    def ready(self) -> bool:
        return self.done

    def send(self, result: Any = None, exc: Any = None) -> None:
        assert exc is None
        self.finish()
        try:
            payload = bytes((OK,)) + self.codec.encode(result)
        except CodecError as error:
            payload = bytes((CODEC_FAILED,)) + json_bytes([f"the reply: {error}"])
        self.publish(self.subject, payload)

    def send_exception(self, *throw_args: Any) -> None:
        self.finish()
        error = exception_from_throw_args(throw_args)
        if isinstance(error, CallFailed):
            cause = error.cause
            payload = bytes((HANDLER_FAILED,)) + json_bytes([_type_name(cause), str(cause)])
        elif isinstance(error, ActorDied):
            payload = bytes((DIED,)) + json_bytes([error.reason, repr(error.error)])
        else:
            payload = bytes((DIED,)) + json_bytes(["error", repr(error)])
        self.publish(self.subject, payload)

    def finish(self) -> None:
        self.done = True
        self.actor._pending.discard(self)

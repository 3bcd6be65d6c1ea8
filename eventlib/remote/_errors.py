"""Exceptions of the remote layer."""

from __future__ import annotations

from eventlib.mailbox import ActorNotRunning

__all__ = [
    "CodecError",
    "NodeDown",
    "NodeNameTaken",
    "NotConnected",
    "RemoteError",
    "RemoteExited",
    "RemoteHandlerError",
]


class RemoteError(Exception):
    """Base class of the remote layer's errors."""


class CodecError(RemoteError, TypeError):
    """The codec cannot encode a message (or decode what arrived).

    Raised at the sender, before anything is sent.
    """


class NotConnected(RemoteError, ActorNotRunning):
    """This node has no connection to NATS right now; nothing was sent.

    The node reconnects by itself: retry later, or let the caller fail.
    Attributes:
        node: this node's name.
    """

    def __init__(self, node: str, detail: str) -> None:
        super().__init__(f"node {node!r} is not connected to NATS ({detail})")
        self.node = node


class NodeDown(RemoteError, ActorNotRunning):
    """The remote node went down (reason ``noconnection``) while a call waited for it.

    The call may or may not have been handled there.

    Attributes:
        node: the remote node's name.
        reason: ``"noconnection"``, as in OTP.
    """

    def __init__(self, node: str, what: str) -> None:
        super().__init__(f"node {node!r} went down (noconnection) {what}")
        self.node = node
        self.reason = "noconnection"


class NodeNameTaken(RemoteError):
    """Another live node is connected under this node name."""

    def __init__(self, node: str) -> None:
        super().__init__(
            f"node name {node!r} is taken by a live node: node names are unique in a "
            "cluster; pick another name or stop the other node first"
        )
        self.node = node


class RemoteHandlerError(RemoteError):
    """The remote actor's handler raised; carried as :class:`CallFailed`'s ``cause``.

    Only the error's type name and message cross the wire, never the object.

    Attributes:
        type_name: the qualified name of the remote exception's type.
        message: ``str()`` of the remote exception.
        node, actor: where it was raised.
    """

    def __init__(self, type_name: str, message: str, node: str, actor: str) -> None:
        super().__init__(f"{type_name}: {message} (in actor {actor!r} on node {node!r})")
        self.type_name = type_name
        self.message = message
        self.node = node
        self.actor = actor


class RemoteExited(RemoteError):
    """A remote actor you monitor or link to has exited, or its node went down.

    Attributes:
        node, actor: the remote actor.
        reason: ``"normal"``, ``"error"``, ``"killed"`` (the actor exited),
            ``"noconnection"`` (its node went down) or ``"noproc"`` (there
            was no such actor when the monitor was set up).
    """

    def __init__(self, node: str, actor: str, reason: str) -> None:
        super().__init__(f"remote actor {actor!r} on node {node!r} exited ({reason})")
        self.node = node
        self.actor = actor
        self.reason = reason

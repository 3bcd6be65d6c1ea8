"""RemoteRef: an actor on another node, with a local Actor's surface."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eventlib.proc import Link
from eventlib.remote._errors import RemoteExited

if TYPE_CHECKING:
    from eventlib.remote._node import Node

__all__ = ["RemoteRef"]


class RemoteRef:
    """An actor on some node, reached through this node; the surface of a local :class:`Actor`.

    Get one from :meth:`Node.ref` or :meth:`Node.whereis`. Equal refs name the
    same node and actor.
    """

    __slots__ = ("_via", "actor", "node", "subject")

    def __init__(self, via: Node, node: str, actor: str) -> None:
        self._via = via
        self.node = node
        self.actor = actor
        self.subject = f"eventlib.actor.{node}.{actor}"

    def call(self, message: Any, timeout: float | None = 5) -> Any:
        """Send ``message`` and wait for the remote :meth:`Actor.handle`'s return value.

        Raises:
            TimeoutError: no reply within ``timeout`` seconds (the call may still be handled).
            CallFailed: the remote handler raised; ``cause`` is a
                :class:`RemoteHandlerError` with the remote type name and message.
            ActorDied: the remote actor exited before replying.
            ActorNotRunning: no such actor is exported there (or its node is down).
            NodeDown: its node went down while the call waited.
            NotConnected: this node has no connection to NATS right now.
            CodecError: ``message`` cannot be encoded (nothing was sent).
        """
        return self._via._call(self, message, timeout)

    def cast(self, message: Any) -> None:
        """Send ``message`` without waiting: at most once, no error if it is lost on the way.

        Raises:
            NotConnected: this node has no connection to NATS right now.
            CodecError: ``message`` cannot be encoded (nothing was sent).
        """
        self._via._cast(self, message)

    def link(self, listener: Any = None) -> Link:
        """Link ``listener`` and the remote actor: each hears when the other exits.

        As :meth:`Proc.link`: a proc (default: the caller) gets ``LinkedCompleted``
        (reason normal) or ``LinkedFailed`` carrying :class:`RemoteExited` thrown
        in when the remote actor exits or its node goes down (``noconnection``);
        an event or queue is sent the outcome; a callable is called with a source.

        When the listener is a proc the link is two-way, as Erlang's ``link/1``:
        if the proc exits abnormally, the remote actor gets ``LinkedFailed``
        carrying a :class:`RemoteExited` (this node, the proc's name, the
        reason) thrown into its proc, or a :class:`RemoteExited` message if it
        was exported with ``trap_exits=True``; so does it with reason
        ``noconnection`` if this node goes down or loses its connection. A
        normal exit does not kill it. Linking the same proc twice is one link.
        """
        return self._via._links.link(self, listener)

    def unlink(self, listener: Any = None) -> None:
        """Undo :meth:`link` both ways (default listener: the caller); silent if not linked."""
        self._via._links.unlink(self, listener)

    def monitor(self, listener: Callable[[RemoteExited], Any] | Any) -> Link:
        """Call ``listener(notice)`` (or ``listener.put(notice)``) once the remote actor exits.

        ``notice`` is a :class:`RemoteExited` with ``reason`` normal, error,
        killed, noconnection (its node went down) or noproc (no such actor when
        the monitor was set up). It is delivered, never raised. ``cancel()`` the
        returned link to stop monitoring.
        """
        return self._via._monitor(self.node, self.actor, listener)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RemoteRef):
            return NotImplemented
        return (self.node, self.actor) == (other.node, other.actor)

    def __hash__(self) -> int:
        return hash((self.node, self.actor))

    def __repr__(self) -> str:
        return f"<RemoteRef {self.actor!r} on {self.node!r}>"

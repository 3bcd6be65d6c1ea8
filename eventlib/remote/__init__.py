"""Actors across processes and hosts, over NATS.

* :class:`Node` — this process in a NATS cluster: exports actors, calls
  remote ones, watches other nodes (disconnect events, heartbeats), holds a
  cluster-wide name registry (a JetStream key-value bucket).
* :class:`RemoteRef` — a remote actor with a local :class:`~eventlib.mailbox.Actor`'s
  surface: ``call``, ``cast``, ``link``, ``monitor``.
* :class:`Codec`, :class:`MsgpackCodec` (default), :class:`JsonCodec` — how
  messages cross the wire; never pickle by default.

Needs Twisted's asyncio reactor and ``pip install 'eventlib[nats]'``.
Delivery semantics: docs/remote.md.
"""

from eventlib.remote._codec import Codec, JsonCodec, MsgpackCodec, default_codec
from eventlib.remote._errors import (
    CodecError,
    NodeDown,
    NodeNameTaken,
    NotConnected,
    RemoteError,
    RemoteExited,
    RemoteHandlerError,
)
from eventlib.remote._node import Node, NodeStatistics
from eventlib.remote._ref import RemoteRef

__all__ = [
    "Codec",
    "CodecError",
    "JsonCodec",
    "MsgpackCodec",
    "Node",
    "NodeDown",
    "NodeNameTaken",
    "NodeStatistics",
    "NotConnected",
    "RemoteError",
    "RemoteExited",
    "RemoteHandlerError",
    "RemoteRef",
    "default_codec",
]

"""Codecs: how messages cross the wire. Safe ones only by default (no pickle).

Both built-in codecs carry actor references as well as plain data: a
:class:`~eventlib.remote.RemoteRef` (or an :class:`~eventlib.mailbox.Actor` the
sending node exports) travels as its node and actor names (a msgpack extension
type, a tagged JSON object) and arrives as a working ``RemoteRef`` of the
receiving node. A node binds its codec to itself with ``with_refs`` for that.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable

from eventlib.remote._errors import CodecError

__all__ = ["REF_EXT", "REF_KEY", "Codec", "JsonCodec", "MsgpackCodec", "RefWire", "default_codec"]

REF_EXT = 1
"""The msgpack extension type of an actor reference: its data is ``[node, actor]`` packed."""

REF_KEY = "__eventlib_ref__"
"""The JSON tag of an actor reference: ``{"__eventlib_ref__": [node, actor]}`` (a reserved key)."""


@runtime_checkable
class Codec(Protocol):
    """Turns a message into bytes and back.

    ``encode`` raises :class:`CodecError` (or ``TypeError`` / ``ValueError``,
    which the node turns into one) for a value it cannot carry. A codec that
    rebuilds arbitrary objects (pickle) lets whoever can publish on your NATS
    subjects run code in your process: use one only on a trusted network.

    A codec may also define ``with_refs(refs: RefWire) -> Codec``, returning a
    codec that carries actor references through ``refs``; a node calls it once
    with its own :class:`RefWire`. Without it, refs cannot be sent.
    """

    name: str

    def encode(self, message: Any) -> bytes: ...

    def decode(self, data: bytes) -> Any: ...


class RefWire(Protocol):
    """A node's side of carrying actor references (what ``Codec.with_refs`` gets)."""

    def ref_to_wire(self, value: Any) -> tuple[str, str] | None:
        """``(node, actor)`` for a ref or exported actor, None for anything else.

        Raises:
            CodecError: ``value`` is an actor this node does not export.
        """
        ...

    def ref_from_wire(self, node: str, actor: str) -> Any:
        """The ref of ``actor`` on ``node`` (a RemoteRef of this node)."""
        ...


class MsgpackCodec:
    """msgpack: None, bool, int, float, str, bytes, lists, tuples (as lists), dicts, and refs.

    The default codec (needs ``msgpack``: ``pip install eventlib[nats]``).
    """

    name = "msgpack"

    def __init__(self, refs: RefWire | None = None) -> None:
        try:
            import msgpack  # noqa: PLC0415 - an optional dependency
        except ImportError as exc:
            raise ImportError(
                "MsgpackCodec needs msgpack: pip install 'eventlib[nats]' "
                "(or pass codec=JsonCodec())"
            ) from exc
        self._msgpack = msgpack
        self._refs = refs
        self._unpackb = msgpack.unpackb
        # a Packer made once is faster than packb(); ** options would slow unpackb down
        self._packb = msgpack.Packer(default=None if refs is None else self._ref_out).pack
        self._ext_hook = msgpack.ExtType if refs is None else self._ref_in

    def with_refs(self, refs: RefWire) -> MsgpackCodec:
        """This codec, carrying refs through ``refs`` (a node's)."""
        return MsgpackCodec(refs)

    def encode(self, message: Any) -> bytes:
        try:
            return self._packb(message)  # type: ignore[no-any-return]
        except CodecError:
            raise
        except (TypeError, ValueError, OverflowError) as exc:
            raise CodecError(
                f"msgpack cannot encode {_describe(message)}: {exc}; send plain data "
                "(None, bool, int, float, str, bytes, list, dict) or refs, or pass a codec "
                "that knows the type"
            ) from None

    def decode(self, data: bytes) -> Any:
        try:
            return self._unpackb(data, strict_map_key=False, ext_hook=self._ext_hook)
        except CodecError:
            raise
        except Exception as exc:
            raise CodecError(f"msgpack cannot decode {len(data)} bytes: {exc}") from None

    def _ref_out(self, value: Any) -> Any:
        assert self._refs is not None
        wire = self._refs.ref_to_wire(value)
        if wire is None:
            raise TypeError(f"can not serialize {type(value).__qualname__!r} object")
        return self._msgpack.ExtType(REF_EXT, self._msgpack.packb(wire))

    def _ref_in(self, code: int, data: bytes) -> Any:
        assert self._refs is not None
        if code != REF_EXT:
            raise CodecError(f"msgpack cannot decode extension type {code}: not an eventlib ref")
        return self._refs.ref_from_wire(*_ref_names(self._msgpack.unpackb(data)))


class JsonCodec:
    """JSON (UTF-8): None, bool, int, float, str, lists, tuples (as lists), str-keyed dicts, refs.

    A ref travels as ``{"__eventlib_ref__": [node, actor]}``: a dict of that
    one key is always read back as a ref.
    """

    name = "json"

    def __init__(self, refs: RefWire | None = None) -> None:
        self._refs = refs
        self._default = None if refs is None else self._ref_out
        self._object_hook = None if refs is None else self._ref_in

    def with_refs(self, refs: RefWire) -> JsonCodec:
        """This codec, carrying refs through ``refs`` (a node's)."""
        return JsonCodec(refs)

    def encode(self, message: Any) -> bytes:
        try:
            return json.dumps(
                message, separators=(",", ":"), allow_nan=False, default=self._default
            ).encode()
        except CodecError:
            raise
        except (TypeError, ValueError) as exc:
            raise CodecError(
                f"JSON cannot encode {_describe(message)}: {exc}; send plain data "
                "(None, bool, int, float, str, list, dict with str keys) or refs, or pass "
                "a codec that knows the type"
            ) from None

    def decode(self, data: bytes) -> Any:
        try:
            return json.loads(data, object_hook=self._object_hook)
        except CodecError:
            raise
        except ValueError as exc:
            raise CodecError(f"JSON cannot decode {len(data)} bytes: {exc}") from None

    def _ref_out(self, value: Any) -> Any:
        assert self._refs is not None
        wire = self._refs.ref_to_wire(value)
        if wire is None:
            raise TypeError(f"Object of type {type(value).__qualname__} is not JSON serializable")
        return {REF_KEY: list(wire)}

    def _ref_in(self, value: dict[str, Any]) -> Any:
        if len(value) == 1 and REF_KEY in value:
            assert self._refs is not None
            return self._refs.ref_from_wire(*_ref_names(value[REF_KEY]))
        return value


def default_codec() -> Codec:
    """The codec a node uses unless told otherwise: msgpack."""
    return MsgpackCodec()


def _ref_names(wire: Any) -> tuple[str, str]:
    """``(node, actor)`` from a ref's wire form, or a CodecError saying what is wrong."""
    if (
        isinstance(wire, list)
        and len(wire) == 2
        and all(isinstance(name, str) and name for name in wire)
    ):
        return wire[0], wire[1]
    raise CodecError(f"a ref must be [node, actor] (two names), got {wire!r}")


def _describe(message: Any) -> str:
    text = repr(message)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(message).__qualname__} {text}"

"""Codecs: how messages cross the wire. Safe ones only by default (no pickle)."""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable

from eventlib.remote._errors import CodecError

__all__ = ["Codec", "JsonCodec", "MsgpackCodec", "default_codec"]


@runtime_checkable
class Codec(Protocol):
    """Turns a message into bytes and back.

    ``encode`` raises :class:`CodecError` (or ``TypeError`` / ``ValueError``,
    which the node turns into one) for a value it cannot carry. A codec that
    rebuilds arbitrary objects (pickle) lets whoever can publish on your NATS
    subjects run code in your process: use one only on a trusted network.
    """

    name: str

    def encode(self, message: Any) -> bytes: ...

    def decode(self, data: bytes) -> Any: ...


class MsgpackCodec:
    """msgpack: None, bool, int, float, str, bytes, lists, tuples (as lists) and dicts.

    The default codec (needs ``msgpack``: ``pip install eventlib[nats]``).
    """

    name = "msgpack"

    def __init__(self) -> None:
        try:
            import msgpack  # noqa: PLC0415 - an optional dependency
        except ImportError as exc:
            raise ImportError(
                "MsgpackCodec needs msgpack: pip install 'eventlib[nats]' "
                "(or pass codec=JsonCodec())"
            ) from exc
        self._packb = msgpack.packb
        self._unpackb = msgpack.unpackb

    def encode(self, message: Any) -> bytes:
        try:
            return self._packb(message)  # type: ignore[no-any-return]
        except (TypeError, ValueError, OverflowError) as exc:
            raise CodecError(
                f"msgpack cannot encode {_describe(message)}: {exc}; send plain data "
                "(None, bool, int, float, str, bytes, list, dict) or pass a codec that "
                "knows the type"
            ) from None

    def decode(self, data: bytes) -> Any:
        try:
            return self._unpackb(data, strict_map_key=False)
        except Exception as exc:
            raise CodecError(f"msgpack cannot decode {len(data)} bytes: {exc}") from None


class JsonCodec:
    """JSON (UTF-8): None, bool, int, float, str, lists, tuples (as lists), str-keyed dicts."""

    name = "json"

    def encode(self, message: Any) -> bytes:
        try:
            return json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise CodecError(
                f"JSON cannot encode {_describe(message)}: {exc}; send plain data "
                "(None, bool, int, float, str, list, dict with str keys) or pass a codec "
                "that knows the type"
            ) from None

    def decode(self, data: bytes) -> Any:
        try:
            return json.loads(data)
        except ValueError as exc:
            raise CodecError(f"JSON cannot decode {len(data)} bytes: {exc}") from None


def default_codec() -> Codec:
    """The codec a node uses unless told otherwise: msgpack."""
    return MsgpackCodec()


def _describe(message: Any) -> str:
    text = repr(message)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(message).__qualname__} {text}"

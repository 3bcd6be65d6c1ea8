"""The codecs: plain data round-trips; anything else is a CodecError naming the way out."""

from __future__ import annotations

import subprocess
import sys

import attrs
import pytest

from eventlib.remote import (
    Codec,
    CodecError,
    JsonCodec,
    MsgpackCodec,
    RemoteRef,
    default_codec,
)
from eventlib.remote._codec import REF_EXT

PLAIN = {"none": None, "flag": True, "n": -3, "x": 1.5, "s": "é", "list": [1, [2, "three"]]}


@pytest.mark.parametrize("codec", [MsgpackCodec(), JsonCodec()], ids=["msgpack", "json"])
def test_plain_data_round_trips(codec):
    """Plain data comes back equal (tuples as lists)."""
    assert codec.decode(codec.encode(PLAIN)) == PLAIN
    assert codec.decode(codec.encode((1, 2))) == [1, 2]


@pytest.mark.parametrize("codec", [MsgpackCodec(), JsonCodec()], ids=["msgpack", "json"])
@pytest.mark.parametrize("message", [{1, 2}, object(), {"nested": [complex(1, 2)]}])
def test_unencodable_message_is_a_codec_error_naming_the_type(codec, message):
    """A value the codec cannot carry raises CodecError (a TypeError) with the fix."""
    with pytest.raises(CodecError, match=r"cannot encode .*send plain data") as info:
        codec.encode(message)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("codec", [MsgpackCodec(), JsonCodec()], ids=["msgpack", "json"])
def test_garbage_is_a_codec_error_on_decode(codec):
    """Bytes that are not the codec's encoding raise CodecError, never something else."""
    with pytest.raises(CodecError, match="cannot decode"):
        codec.decode(b"\xc1\xff{")


def test_msgpack_is_the_default_and_both_are_codecs():
    """The default codec is msgpack; both satisfy the Codec protocol."""
    assert isinstance(default_codec(), MsgpackCodec)
    assert isinstance(JsonCodec(), Codec)


def test_starting_a_node_on_the_default_reactor_says_to_install_asyncio():
    """On the default reactor, Node.start() raises RemoteError naming the asyncio reactor."""
    code = (
        "import eventlib\n"
        "from eventlib.remote import Node, RemoteError\n"
        "try:\n"
        "    Node('n').start()\n"
        "except RemoteError as error:\n"
        "    print(error)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "asyncioreactor.install()" in completed.stdout


@attrs.frozen
class FakeRef:
    node: str
    actor: str


class FakeRefs:
    """A node's RefWire stand-in: refs are FakeRef values here."""

    def ref_to_wire(self, value):
        if isinstance(value, FakeRef):
            return value.node, value.actor
        return None

    def ref_from_wire(self, node, actor):
        return FakeRef(node, actor)


BOUND = [MsgpackCodec().with_refs(FakeRefs()), JsonCodec().with_refs(FakeRefs())]


@pytest.mark.parametrize("codec", BOUND, ids=["msgpack", "json"])
def test_bound_codec_carries_refs_anywhere_in_a_message(codec):
    """A codec bound to a node's refs turns refs into wire names and back, nested or not."""
    message = {"to": FakeRef("n1", "a1"), "more": [1, FakeRef("n2", "a2")]}
    assert codec.decode(codec.encode(message)) == message


@pytest.mark.parametrize("codec", BOUND, ids=["msgpack", "json"])
def test_bound_codec_still_refuses_other_types(codec):
    """Binding to refs does not make other objects encodable."""
    with pytest.raises(CodecError, match="cannot encode object"):
        codec.encode(object())


def test_malformed_msgpack_ref_is_a_codec_error():
    """A ref extension whose data is not two names is a CodecError on decode."""
    import msgpack

    codec = BOUND[0]
    data = msgpack.packb(msgpack.ExtType(REF_EXT, msgpack.packb([1, 2])))
    with pytest.raises(CodecError, match="two names"):
        codec.decode(data)
    with pytest.raises(CodecError, match="extension type 9"):
        codec.decode(msgpack.packb(msgpack.ExtType(9, b"")))


def test_malformed_json_ref_is_a_codec_error():
    """A JSON ref tag whose value is not two names is a CodecError on decode."""
    with pytest.raises(CodecError, match="two names"):
        BOUND[1].decode(b'{"__eventlib_ref__": "nope"}')


@pytest.mark.parametrize("codec", [MsgpackCodec(), JsonCodec()], ids=["msgpack", "json"])
def test_unbound_codec_cannot_carry_a_ref(codec):
    """A codec not bound to a node (no with_refs) refuses refs like any unknown object."""
    with pytest.raises(CodecError, match="cannot encode RemoteRef"):
        codec.encode(RemoteRef(None, "n", "a"))  # type: ignore[arg-type]

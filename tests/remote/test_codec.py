"""The codecs: plain data round-trips; anything else is a CodecError naming the way out."""

from __future__ import annotations

import subprocess
import sys

import pytest

from eventlib.remote import Codec, CodecError, JsonCodec, MsgpackCodec, default_codec

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

"""Classic twistedutil behaviours not covered elsewhere: connect failures, setup errors."""

import pytest
from twisted.internet.error import ConnectionRefusedError as TwistedRefused
from twisted.python.failure import Failure

import eventlib
from eventlib.twistedutil import block_on
from eventlib.twistedutil.protocol import (
    GreenClientCreator,
    GreenInstanceFactory,
    GreenTransport,
    SimpleSpawnFactory,
)


class _Recorder:
    def __init__(self):
        self.calls = []

    def send_exception(self, *args):
        self.calls.append(args)


def test_green_instance_factory_reports_a_failed_connect_as_type_value_tb():
    """clientConnectionFailed calls event.send_exception(type, value, tb) of the reason."""
    event = _Recorder()
    factory = GreenInstanceFactory(object(), event)
    try:
        raise TwistedRefused("no")
    except TwistedRefused:
        reason = Failure()
    factory.clientConnectionFailed(None, reason)
    assert event.calls == [(TwistedRefused, reason.value, reason.tb)]


def test_green_instance_factory_returns_the_prebuilt_protocol():
    """buildProtocol returns the instance given, whatever the address."""
    instance = object()
    assert GreenInstanceFactory(instance, _Recorder()).buildProtocol(None) is instance


class _FailingSetup(GreenTransport):
    """A transport whose connection setup fails in the handler's proc."""

    def _init_transport(self):
        raise ValueError("setup failed")


def test_spawn_factory_handler_with_send_exception_gets_setup_errors(real_reactor):
    """A handler object with send_exception (a queue) gets the errors setting a connection up."""
    accepted = eventlib.Queue()
    factory = SimpleSpawnFactory(accepted, _FailingSetup)
    port = real_reactor.listenTCP(0, factory, interface="127.0.0.1")
    try:
        conn = GreenClientCreator(real_reactor).connectTCP(
            "127.0.0.1", port.getHost().port, timeout=5
        )
        with eventlib.Timeout(5), pytest.raises(ValueError, match="setup failed"):
            accepted.get()
        conn.loseConnection()
    finally:
        block_on(port.stopListening())

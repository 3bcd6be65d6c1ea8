"""Line-oriented green transports (the classic ``eventlib.twistedutil.protocols.basic``)."""

from eventlib.twistedutil._errors import LineTooLongError
from eventlib.twistedutil._lines import LineOnlyReceiver, LineOnlyReceiverTransport

__all__ = ["LineOnlyReceiver", "LineOnlyReceiverTransport", "LineTooLongError"]

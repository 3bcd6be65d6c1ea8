"""Green ``http.client``: the stdlib's HTTP client whose sockets park the green thread.

This is the stdlib module imported through :func:`eventlib.patcher.import_patched`
(no second implementation): ``HTTPConnection`` and ``HTTPSConnection`` connect,
send and read over :mod:`eventlib.green.socket` and :mod:`eventlib.green.ssl`.
Its exception classes are the stdlib's own, so ``except
http.client.HTTPException`` catches the errors of green connections too.
The classic name of this module, ``eventlib.green.httplib``, is an alias.

Example::

    from eventlib.green.http import client

    connection = client.HTTPConnection("127.0.0.1", 8080, timeout=5)
    connection.request("GET", "/")
    body = connection.getresponse().read()
"""

import http.client as _stdlib_client
from typing import TYPE_CHECKING

from eventlib.green._patcher import import_patched

if TYPE_CHECKING:
    from http.client import *  # noqa: F403

    __all__ = _stdlib_client.__all__
else:
    _green = import_patched("http.client")
    # One set of exception classes for green and stdlib connections: the copy looks
    # its names up when it raises, so pointing them at the stdlib's classes is enough.
    for _name, _value in vars(_stdlib_client).items():
        if isinstance(_value, type) and issubclass(_value, BaseException):
            setattr(_green, _name, _value)
    globals().update(
        {name: value for name, value in vars(_green).items() if not name.startswith("__")}
    )
    __all__ = list(_green.__all__)
    del _name, _value

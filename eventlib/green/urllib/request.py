"""Green ``urllib.request``: ``urlopen`` and the openers, over green sockets.

This is the stdlib module imported through :func:`eventlib.patcher.import_patched`
(no second implementation), over :mod:`eventlib.green.http.client`, so its
HTTP errors are the stdlib's classes; ``URLError``, ``HTTPError`` and
``ContentTooShortError`` are ``urllib.error``'s own. It keeps its own
default opener (``install_opener`` here does not change the stdlib's). The
classic name of this module, ``eventlib.green.urllib2``, is an alias.

Example::

    from eventlib.green.urllib import request

    body = request.urlopen("http://127.0.0.1:8080/", timeout=5).read()
"""

import urllib.request as _stdlib_request
from typing import TYPE_CHECKING

from eventlib.green._patcher import import_patched
from eventlib.green.http import client as _green_client

if TYPE_CHECKING:
    from urllib.request import *  # noqa: F403

    __all__ = _stdlib_request.__all__
else:
    _green = import_patched("urllib.request", ("http.client", _green_client))
    globals().update(
        {name: value for name, value in vars(_green).items() if not name.startswith("__")}
    )
    __all__ = list(_green.__all__)

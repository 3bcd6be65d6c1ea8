"""The classic name of :mod:`eventlib.green.urllib.request` (Python 2's ``urllib2``).

Python 3 split ``urllib2`` into ``urllib.request`` and ``urllib.error``; this
module has the names of both (``urlopen``, ``Request``, ``build_opener``,
the handlers, ``URLError``, ``HTTPError``), the same objects as there.

Example::

    from eventlib.green import urllib2

    try:
        body = urllib2.urlopen("http://127.0.0.1:8080/", timeout=5).read()
    except urllib2.HTTPError as error:
        print(error.code)
"""

from urllib.error import *  # noqa: F403 - urllib2 had the error classes too
from urllib.error import __all__ as _error_all

from eventlib.green.urllib.request import *  # noqa: F403 - an alias module
from eventlib.green.urllib.request import __all__ as _request_all

__all__ = list(_request_all)
__all__ += [name for name in _error_all if name not in __all__]

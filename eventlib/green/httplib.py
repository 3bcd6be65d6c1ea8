"""The classic name of :mod:`eventlib.green.http.client` (Python 2's ``httplib``).

Every name is the same object as in :mod:`eventlib.green.http.client`.

Example::

    from eventlib.green import httplib

    connection = httplib.HTTPConnection("127.0.0.1", 8080)
"""

from eventlib.green.http.client import *  # noqa: F403 - an alias module
from eventlib.green.http.client import __all__ as _client_all

__all__ = list(_client_all)

"""Green ``http`` package: :mod:`eventlib.green.http.client` is the green HTTP client.

The package's own names (``HTTPStatus``, ``HTTPMethod``) do no I/O: they are
the stdlib's objects.
"""

from http import *  # noqa: F403 - a drop-in for the stdlib package
from http import __all__ as _stdlib_all

__all__ = list(_stdlib_all)

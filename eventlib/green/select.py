"""Green ``select``: ``select()`` parks the green thread until a descriptor is ready.

``poll``, ``epoll`` and the other polling objects are left out on purpose:
code that looks for them (``selectors``, for one) then falls back to
``select()``, which is green. Every other name is the stdlib's own object.
"""

import select as _stdlib_select

from eventlib.green._select import select

error = _stdlib_select.error

__all__ = ["error", "select"]

"""Green ``urllib`` package: :mod:`eventlib.green.urllib.request` opens URLs green.

``urllib.parse`` and ``urllib.error`` do no I/O; use the stdlib's modules.
"""

__all__: list[str] = []

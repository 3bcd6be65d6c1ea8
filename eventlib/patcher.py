"""Run stdlib network clients green: patched imports, or monkey patching for those who want it.

``import_patched("http.client")`` imports a fresh copy of a module that sees
:mod:`eventlib.green` modules in place of ``socket``, ``select``, ``time``,
``ssl``, ``threading``, ``os`` and ``subprocess``, leaving the program's own
modules untouched; ``http.client``, ``urllib.request``, ``smtplib`` and
``ftplib`` then run green. ``monkey_patch()`` instead makes the stdlib
modules themselves green, for the whole program.

Example::

    from eventlib.patcher import import_patched

    urllib_request = import_patched("urllib.request")
    body = urllib_request.urlopen("http://localhost:8080/", timeout=5).read()
"""

from eventlib.green._patcher import GREEN_MODULES, import_patched, is_monkey_patched, monkey_patch

__all__ = ["GREEN_MODULES", "import_patched", "is_monkey_patched", "monkey_patch"]

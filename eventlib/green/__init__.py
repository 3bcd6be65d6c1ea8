"""Green versions of standard modules: blocking-looking I/O that parks only the calling proc.

Import from here instead of the stdlib and blocking code runs unchanged on the
reactor: a call that would block parks the current green thread and lets the
reactor serve every other one.

* :mod:`eventlib.green.socket` — sockets (TCP, UDP, IPv4/IPv6, timeouts,
  ``makefile``) and name resolution that never blocks the reactor.
* :mod:`eventlib.green.select` — ``select()`` over green descriptor waits.
* :mod:`eventlib.green.time` — ``sleep()`` that parks the green thread.
* :mod:`eventlib.green.ssl` — TLS on green sockets, handshake included.
* :mod:`eventlib.green.subprocess` — ``Popen`` whose pipes, ``wait`` and
  ``communicate`` are green.
* :mod:`eventlib.green.threading` — green ``Lock``, ``RLock``, ``Condition``,
  ``Event``, ``Semaphore``, ``local`` and ``Thread``.
* :mod:`eventlib.green.os` — ``read``/``write`` on pipes and ``waitpid`` that
  park instead of blocking.

Each is a drop-in for its stdlib namesake: the names it does not make green are
the stdlib's own objects. :mod:`eventlib.patcher` imports stdlib clients
(http.client, urllib.request, smtplib, ftplib) with these modules in place of
the stdlib ones.
"""

__all__: list[str] = []

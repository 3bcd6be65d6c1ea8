"""Importing this module selects run mode 1: the current greenlet becomes MAIN_LOOP.

The program then runs the reactor itself, as any Twisted program does::

    from eventlib.twistedutil import join_reactor  # noqa: F401 - selects the run mode
    from twisted.internet import reactor
    import eventlib

    eventlib.spawn(main)
    reactor.run()

Blocking calls are then only possible inside procs; one made in the main
greenlet (before or during ``reactor.run()``) raises BlockingInMainLoopError.

Raises:
    RuntimeError: this thread already has a hub.
"""

from greenlet import getcurrent

from eventlib.hub import Hub, peek_hub, set_hub

if peek_hub() is not None:
    raise RuntimeError("the current thread already has a hub")
set_hub(Hub(main_loop=getcurrent()))

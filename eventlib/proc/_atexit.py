"""At interpreter exit, report the procs that were spawned but never ran.

A proc starts on a later hub turn. If the program ends first (its main code
never blocked again, or in join_reactor mode ``reactor.run()`` was never
called), the proc silently never runs; this says so, once, with the count.
"""

from __future__ import annotations

import atexit
from typing import Any

from eventlib.hub import known_hubs
from eventlib.log import get_logger

__all__ = ["report_procs_that_never_ran", "unstarted_procs"]

_EXAMPLES = 5


def unstarted_procs() -> list[Any]:
    """Procs spawned on a hub still in use that have not started (and will not by themselves)."""
    procs: list[Any] = []
    for hub in known_hubs():
        if hub._closed:
            continue  # closed on purpose: its procs were abandoned knowingly
        procs.extend(
            proc
            for proc in list(hub.procs.values())
            if getattr(proc, "greenlet", True) is None and not proc.dead
        )
    return procs


def report_procs_that_never_ran() -> None:
    """Log one ``procs.never_ran`` warning with the count, if any proc never ran."""
    procs = unstarted_procs()
    if not procs:
        return
    get_logger().warning(
        "procs.never_ran",
        count=len(procs),
        examples=[repr(proc) for proc in procs[:_EXAMPLES]],
        fix=(
            "the program ended before the hub ran them: wait for them (proc.wait(), "
            "waitall()) before the end, or in join_reactor mode call reactor.run()"
        ),
    )


atexit.register(report_procs_that_never_ran)

"""A Twisted reactor whose clock is virtual and can jump ahead by itself.

It is the platform's ordinary poll-based reactor (epoll on Linux) with one
change: ``seconds()`` reads a virtual clock. Real I/O still works. When the
hub has nothing to run and no I/O arrives within ``autojump_threshold`` real
seconds, the clock jumps straight to the next timer, so ``sleep(3600)`` costs
no real time and timers fire in a deterministic order.
"""

from __future__ import annotations

import heapq
import time
from typing import Any

from eventlib.hub._checks import check_duration
from eventlib.hub._errors import DeadlockError, RealTimeLimitError

__all__ = ["VirtualClockReactor"]


def _platform_reactor_class() -> type[Any]:
    try:
        from twisted.internet.epollreactor import EPollReactor  # noqa: PLC0415
    except ImportError:  # pragma: no cover - non-Linux
        from twisted.internet.pollreactor import PollReactor  # noqa: PLC0415

        return PollReactor
    return EPollReactor


_Base = _platform_reactor_class()

# How long to wait for real I/O per turn when the clock may not jump.
_REAL_POLL = 0.01


class VirtualClockReactor(_Base):  # type: ignore[misc, valid-type]
    """A poll-based reactor with a virtual, optionally autojumping, clock.

    Args:
        autojump: jump to the next timer whenever nothing else can happen.
        autojump_threshold: real seconds to wait for I/O before jumping.
        start: the clock's initial value.
        real_time_limit: raise :class:`RealTimeLimitError` from the loop once
            this many real seconds have passed (a hang detector); None = none.
    """

    def __init__(
        self,
        *,
        autojump: bool = True,
        autojump_threshold: float = 0.0,
        start: float = 0.0,
        real_time_limit: float | None = None,
    ) -> None:
        check_duration(autojump_threshold, "VirtualClockReactor autojump_threshold")
        if real_time_limit is not None:
            check_duration(real_time_limit, "VirtualClockReactor real_time_limit")
        if isinstance(start, bool) or not isinstance(start, int | float):
            raise TypeError(f"VirtualClockReactor start must be a number, got {start!r}")
        self._now = float(start)
        self.autojump = autojump
        self.autojump_threshold = autojump_threshold
        self._jump_until = float(start)
        self._real_deadline = (
            None if real_time_limit is None else time.monotonic() + real_time_limit
        )
        self.real_time_limit = real_time_limit
        self.jumps = 0
        super().__init__()

    def extend_real_time_limit(self, seconds: float) -> None:
        """Allow ``seconds`` more real time from now (used by test teardown)."""
        if self._real_deadline is not None:
            self._real_deadline = max(self._real_deadline, time.monotonic() + seconds)

    def seconds(self) -> float:
        """The virtual time."""
        return self._now

    def allow_jump_until(self, when: float) -> None:
        """Let the clock jump (even with autojump off) up to virtual time ``when``."""
        self._jump_until = max(self._jump_until, when)

    def set_time(self, when: float) -> None:
        """Move the clock forward to ``when`` (never backwards); timers due run next turn."""
        if when < self._now:
            raise ValueError(f"the virtual clock cannot go back from {self._now} to {when}")
        self._now = when

    def doIteration(self, delay: float | None) -> None:  # noqa: N802 - Twisted's interface
        deadline = self._real_deadline
        if deadline is not None and time.monotonic() > deadline:
            raise RealTimeLimitError(
                f"still running after {self.real_time_limit} real seconds "
                f"(virtual clock at {self._now:.3f}); something hangs"
            )
        if delay is not None and delay <= 0:
            super().doIteration(0)
            return
        # Every green thread is parked: give real I/O its chance first.
        super().doIteration(self.autojump_threshold)
        if self._has_new_work():
            return
        if not (self.autojump or self._now < self._jump_until):
            super().doIteration(_REAL_POLL)
            return
        pending = self._next_timer_time()
        if pending is None:
            if self._has_io_waits():
                super().doIteration(_REAL_POLL)
                return
            raise DeadlockError(
                "deadlock: every green thread is blocked and no timer or I/O wait can wake "
                f"one (virtual clock at {self._now:.3f})"
            )
        target = pending if self.autojump else min(pending, self._jump_until)
        if target > self._now:
            self._now = target
            self.jumps += 1

    def _next_timer_time(self) -> float | None:
        self._insertNewDelayedCalls()
        heap = self._pendingTimedCalls
        while heap and heap[0].cancelled:
            heapq.heappop(heap)
            self._cancellations -= 1  # the same bookkeeping runUntilCurrent does
        return float(heap[0].time) if heap else None

    def _has_new_work(self) -> bool:
        return bool(self._newTimedCalls or self.threadCallQueue) or self._hub_has_work()

    def _hub_has_work(self) -> bool:
        from eventlib.hub._state import peek_hub  # noqa: PLC0415 - avoid an import cycle

        hub = peek_hub()
        return hub is not None and hub.reactor is self and hub.ready_count > 0

    def _has_io_waits(self) -> bool:
        internal = set(self._internalReaders)
        readers = [r for r in self.getReaders() if r not in internal]
        return bool(readers or self.getWriters())

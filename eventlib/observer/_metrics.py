"""Rates over the last minutes for the web view: restarts, spawns, exits, reactor lag, mailboxes.

Counting costs nothing while no web view runs. While one runs, the hub's
table of live procs is swapped for a dict that also counts insertions
(spawns) and removals by exit reason (exits), so procs that live less than a
sampling interval are counted too; a timer on the hub's reactor samples once
a second, on the hub's clock, and measures its own lateness (the reactor's lag).
"""

from __future__ import annotations

import collections
import heapq
import time
from typing import Any

import attrs

from eventlib.debug import block_detector
from eventlib.hub import Hub
from eventlib.mailbox import Actor
from eventlib.observer._snapshot import registered_names
from eventlib.supervisor import Supervisor

__all__ = ["CountingProcs", "Metrics", "Sample"]

EXIT_REASONS = ("normal", "killed", "error")


class CountingProcs(dict[int, Any]):
    """The hub's live-proc table, counting spawns and exits by reason while observed."""

    def __init__(self, procs: dict[int, Any]) -> None:
        super().__init__(procs)
        self.spawns = 0
        self.exits = dict.fromkeys(EXIT_REASONS, 0)

    def __setitem__(self, key: int, value: Any) -> None:
        if key not in self:
            self.spawns += 1
        super().__setitem__(key, value)

    def pop(self, key: int, *default: Any) -> Any:
        proc = super().pop(key, *default)
        reason = getattr(proc, "exit_reason", None)
        if reason is not None:
            name = reason.value if reason.value in self.exits else "error"
            self.exits[name] += 1
        return proc


@attrs.frozen
class Sample:
    """One second of the program's life, as rates."""

    at: float
    restarts: float
    spawns: float
    exits: dict[str, float]
    lag: float
    """Seconds the sampler's timer fired late: the time the reactor was held."""
    blocks: int
    """Blocking episodes the block detector reported in this sample (0 when it is off)."""
    deepest: int


class Metrics:
    """Samples the hub every ``interval`` seconds and keeps ``keep`` samples.

    Attributes:
        samples: the retained samples, oldest first.
        deepest: the actors with the deepest mailboxes at the last sample,
            as ``(depth, proc_id, name)``.
    """

    def __init__(self, hub: Hub, interval: float = 1.0, keep: int = 300) -> None:
        self.hub = hub
        self.interval = interval
        self.samples: collections.deque[Sample] = collections.deque(maxlen=keep)
        self.deepest: list[tuple[int, int, str]] = []
        self.supervisor_restarts: dict[int, int] = {}
        self._counted: CountingProcs | None = None
        self._last_spawns = 0
        self._last_exits = dict.fromkeys(EXIT_REASONS, 0)
        self._last_tick = 0.0
        self._last_episodes = 0
        self._timer: Any = None
        self.listeners: list[Any] = []

    def start(self) -> None:
        procs = self.hub.procs
        counted = procs if isinstance(procs, CountingProcs) else CountingProcs(procs)
        self.hub.procs = counted
        self._counted = counted
        self._last_spawns = counted.spawns
        self._last_exits = dict(counted.exits)
        self.supervisor_restarts = {
            proc.id: proc.total_restarts
            for proc in counted.values()
            if isinstance(proc, Supervisor)
        }
        detector = block_detector()
        self._last_episodes = detector.episodes if detector is not None else 0
        self._last_tick = self.hub.clock()
        self._timer = self.hub.reactor.callLater(self.interval, self._tick)

    def stop(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        counted = self._counted
        if counted is not None and self.hub.procs is counted:
            self.hub.procs = dict(counted)
        self._counted = None

    def _tick(self) -> None:
        now = self.hub.clock()
        elapsed = max(now - self._last_tick, 1e-6)
        lag = max(0.0, elapsed - self.interval)
        self._last_tick = now
        self._timer = self.hub.reactor.callLater(self.interval, self._tick)
        sample = self.sample(elapsed, lag)
        self.samples.append(sample)
        for listener in list(self.listeners):
            listener(sample)

    def sample(self, elapsed: float, lag: float) -> Sample:
        """Take one sample covering the last ``elapsed`` seconds."""
        counted = self._counted
        assert counted is not None, "Metrics.start() first"
        restarts = 0
        totals: dict[int, int] = {}
        deepest: list[tuple[int, int, str]] = []
        names = registered_names(self.hub)
        for proc in list(counted.values()):
            proc_id, name = proc.id, proc.name
            if isinstance(proc, Supervisor):
                total = proc.total_restarts
                restarts += max(0, total - self.supervisor_restarts.get(proc.id, 0))
                totals[proc.id] = total
                continue
            owner = getattr(proc._function, "__self__", None)
            if isinstance(owner, Actor) and owner.proc is proc:
                deepest.append((len(owner.mailbox), proc_id, names.get(proc_id) or str(name)))
        self.supervisor_restarts = totals
        self.deepest = heapq.nlargest(5, deepest)
        spawns = counted.spawns - self._last_spawns
        self._last_spawns = counted.spawns
        exits = {r: counted.exits[r] - self._last_exits[r] for r in EXIT_REASONS}
        self._last_exits = dict(counted.exits)
        detector = block_detector()
        episodes = detector.episodes if detector is not None else 0
        blocks = max(0, episodes - self._last_episodes)
        self._last_episodes = episodes
        return Sample(
            at=time.time(),
            restarts=restarts / elapsed,
            spawns=spawns / elapsed,
            exits={reason: count / elapsed for reason, count in exits.items()},
            lag=lag,
            blocks=blocks,
            deepest=self.deepest[0][0] if self.deepest else 0,
        )

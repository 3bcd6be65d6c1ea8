"""A supervisor's introspection: which_children, count_children, statistics, format_tree.

Everything here only reads the supervisor's state, so it is safe from any
green thread and from MAIN_LOOP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlib.hub import get_hub
from eventlib.proc import Proc
from eventlib.supervisor._children import (
    RESTARTING,
    Child,
    ChildCounts,
    ChildInfo,
    SupervisorStatistics,
)
from eventlib.supervisor._spec import ChildType, Strategy

if TYPE_CHECKING:
    import collections

    from eventlib.supervisor._children import Children

    _Base = Proc
else:
    _Base = object

__all__ = ["Introspection"]


class Introspection(_Base):
    """The read-only half of :class:`Supervisor`, mixed into it."""

    _dynamic: bool
    _children: Children
    _restart_times: collections.deque[float]
    total_restarts: int
    max_seconds: float
    strategy: Strategy
    _path: str

    @property
    def path(self) -> str:
        """This supervisor's place in the tree: ``root/child/...``."""
        return self._path

    def which_children(self) -> list[ChildInfo]:
        """Children newest-started first (OTP order)."""
        return [self._info(child) for child in reversed(self._children)]

    def _info(self, child: Child) -> ChildInfo:
        state: Proc | str | None = RESTARTING if child.restarting else child.proc
        return ChildInfo(
            None if self._dynamic else child.id, state, child.spec.type, child.restarts
        )

    def count_children(self) -> ChildCounts:
        children = self._children
        supervisors = sum(1 for c in children if c.spec.type is ChildType.SUPERVISOR)
        return ChildCounts(
            specs=len(children),
            active=sum(1 for c in children if c.proc is not None and not c.proc.dead),
            supervisors=supervisors,
            workers=len(children) - supervisors,
        )

    def statistics(self) -> SupervisorStatistics:
        now = get_hub().clock()
        in_window = sum(1 for t in self._restart_times if t >= now - self.max_seconds)
        counts = self.count_children()
        return SupervisorStatistics(
            children=counts.specs,
            active=counts.active,
            restarts_in_window=in_window,
            total_restarts=self.total_restarts,
        )

    def format_tree(self, indent: str = "") -> str:
        """A printable tree of this supervisor and every supervisor below it.

        One line per supervisor (path, kind, strategy, proc id, state, restarts it
        made) and per child (id, type, restart type, proc id or state, restarts);
        a running child supervisor's own children follow its line, indented.
        """
        if not self.dead:
            state = "running"
        else:
            state = self.exit_reason.value if self.exit_reason is not None else "finished"
        strategy = "simple_one_for_one" if self._dynamic else self.strategy.value
        header = (
            f"{indent}{self.path} [{type(self).__name__} {strategy} proc={self.id} "
            f"{state} restarts={self.total_restarts}]"
        )
        lines = [header]
        self._format_children(lines, indent + "  ")
        return "\n".join(lines)

    def _format_children(self, lines: list[str], indent: str) -> None:
        for child in self._children:
            proc = child.proc
            if child.restarting:
                where = RESTARTING
            elif proc is None:
                where = "stopped"
            else:
                where = f"proc={proc.id} {'running' if not proc.dead else 'exited'}"
            label = child.id if not self._dynamic else f"{child.id}{list(child.args)!r}"
            # A child supervisor also shows the restarts it made among its own children.
            made = f" made={proc.total_restarts}" if isinstance(proc, Introspection) else ""
            lines.append(
                f"{indent}{label} [{child.spec.type.value} {child.spec.restart.value} "
                f"{where} restarts={child.restarts}{made}]"
            )
            if isinstance(proc, Introspection) and not proc.dead:
                proc._format_children(lines, indent + "  ")

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.path!r} proc={self.id} children={len(self._children)}>"
        )

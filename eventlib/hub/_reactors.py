"""Choosing the Twisted reactor: the platform's default, or Twisted's asyncio reactor (over uvloop).

``install_reactor("uvloop")`` (or ``EVENTLIB_REACTOR=uvloop`` in the
environment, read when the first hub is created) is the one switch that runs
eventlib on Twisted's asyncio reactor over uvloop's libuv loop.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from eventlib.hub._errors import HubError

__all__ = ["REACTOR_CHOICES", "REACTOR_ENV", "install_reactor", "reactor_from_env"]

REACTOR_ENV = "EVENTLIB_REACTOR"
"""The environment variable naming the reactor to install (one of REACTOR_CHOICES)."""

REACTOR_CHOICES = ("default", "asyncio", "uvloop")


def _installed() -> Any:
    return sys.modules.get("twisted.internet.reactor")


def _kind(reactor: Any) -> str:
    loop = getattr(reactor, "_asyncioEventloop", None)
    if loop is None:
        return "default"
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def install_reactor(name: str) -> Any:
    """Install the Twisted reactor ``name`` and return it.

    ``"default"`` is the platform's (epoll on Linux); ``"asyncio"`` is
    Twisted's asyncio reactor on a new asyncio event loop; ``"uvloop"`` the
    same on a uvloop loop (``pip install eventlib[uvloop]``). Call it before
    anything imports ``twisted.internet.reactor``; calling it again with the
    same name returns the reactor already installed.

    Raises:
        ValueError: ``name`` is not one of ``REACTOR_CHOICES``.
        HubError: another kind of reactor is already installed.
        ModuleNotFoundError: ``"uvloop"`` without uvloop installed.
    """
    if name not in REACTOR_CHOICES:
        raise ValueError(f"unknown reactor {name!r}: choose one of {', '.join(REACTOR_CHOICES)}")
    installed = _installed()
    if installed is not None:
        kind = _kind(installed)
        if kind != name:
            raise HubError(
                f"cannot install the {name} reactor: a {kind} reactor "
                f"({type(installed).__name__}) is already installed; install the reactor "
                "before anything imports twisted.internet.reactor"
            )
        return installed
    if name == "default":
        from twisted.internet import reactor  # noqa: PLC0415 - installs the platform's default

        return reactor
    if name == "uvloop":
        try:
            import uvloop  # noqa: PLC0415 - optional dependency
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                "the uvloop reactor needs uvloop: pip install 'eventlib[uvloop]'", name="uvloop"
            ) from exc
        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    from twisted.internet import asyncioreactor  # noqa: PLC0415

    asyncio.set_event_loop(loop)
    asyncioreactor.install(loop)  # type: ignore[no-untyped-call]
    return _installed()


def reactor_from_env() -> Any:
    """The reactor ``EVENTLIB_REACTOR`` asks for (installed if needed); None when unset.

    Raises:
        ValueError: the variable names no known reactor.
        HubError: it asks for a kind other than the reactor already installed.
    """
    name = os.environ.get(REACTOR_ENV, "").strip()
    if not name:
        return None
    if name not in REACTOR_CHOICES:
        raise ValueError(
            f"{REACTOR_ENV}={name!r} names no reactor: choose one of {', '.join(REACTOR_CHOICES)}"
        )
    return install_reactor(name)

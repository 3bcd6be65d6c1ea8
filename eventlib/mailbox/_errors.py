"""Exceptions of the mailbox layer."""

from __future__ import annotations

from typing import Any

__all__ = [
    "ActorDied",
    "ActorError",
    "ActorNotRunning",
    "CallFailed",
    "MailboxClosed",
    "MailboxError",
    "MailboxFull",
    "NameNotRegistered",
    "NameTaken",
]


class MailboxError(Exception):
    """Base class of the mailbox layer's errors."""


class MailboxFull(MailboxError):
    """A bounded mailbox is full and the sender cannot wait (MAIN_LOOP, or a timeout)."""

    def __init__(self, capacity: int) -> None:
        super().__init__(
            f"mailbox full ({capacity} messages) and the sender cannot wait for room: "
            "send from a proc to get back-pressure, or raise the capacity"
        )
        self.capacity = capacity


class MailboxClosed(MailboxError):
    """The mailbox's owner has exited; the message cannot be delivered."""


class ActorError(MailboxError):
    """Base class of errors about actors."""


class ActorNotRunning(ActorError):
    """The actor was never started or has already exited."""


class ActorDied(ActorError):
    """The actor exited before it replied to a call.

    Attributes:
        reason: the actor proc's exit reason ("normal", "error", "killed").
        error: the exception it exited with, if any.
    """

    def __init__(self, actor: Any, reason: str, error: BaseException | None) -> None:
        super().__init__(
            f"{actor!r} exited ({reason}) before replying" + (f": {error!r}" if error else "")
        )
        self.actor = actor
        self.reason = reason
        self.error = error


class CallFailed(ActorError):
    """The actor's handler raised while handling this call; the actor has failed.

    Attributes:
        cause: the exception the handler raised.
    """

    def __init__(self, actor: Any, cause: BaseException) -> None:
        super().__init__(f"{actor!r} failed handling the call: {cause!r}")
        self.actor = actor
        self.cause = cause


class NameTaken(MailboxError):
    """The name is registered to a live proc or actor already."""

    def __init__(self, name: str, holder: Any) -> None:
        super().__init__(f"name {name!r} is already registered to {holder!r}")
        self.name = name
        self.holder = holder


class NameNotRegistered(MailboxError, LookupError):
    """No proc or actor is registered under this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no proc or actor is registered as {name!r}")
        self.name = name

"""Actors with mailboxes, and a registry of names.

* :class:`Mailbox` — messages for one receiver; bounded capacity gives
  back-pressure; ``receive(match)`` is a selective receive.
* :class:`Actor` — a class whose instances run a proc serving their
  mailbox: ``cast`` (fire and forget) and ``call`` (request and reply).
* :class:`Registry` / :func:`register` / :func:`whereis` — names for procs
  and actors, dropped automatically when they exit.
"""

from eventlib.mailbox._actor import Actor
from eventlib.mailbox._errors import (
    ActorDied,
    ActorError,
    ActorNotRunning,
    CallFailed,
    MailboxClosed,
    MailboxError,
    MailboxFull,
    NameNotRegistered,
    NameTaken,
)
from eventlib.mailbox._mailbox import Mailbox, MailboxStatistics
from eventlib.mailbox._registry import (
    Registry,
    default_registry,
    register,
    registered,
    unregister,
    whereis,
)

__all__ = [
    "Actor",
    "ActorDied",
    "ActorError",
    "ActorNotRunning",
    "CallFailed",
    "Mailbox",
    "MailboxClosed",
    "MailboxError",
    "MailboxFull",
    "MailboxStatistics",
    "NameNotRegistered",
    "NameTaken",
    "Registry",
    "default_registry",
    "register",
    "registered",
    "unregister",
    "whereis",
]

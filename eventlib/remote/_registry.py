"""The cluster-wide name registry: a NATS JetStream key-value bucket.

Each key is a registered name; its value (JSON) is ``[node, export, incarnation]``.
``create`` makes names unique. Every change is a compare-and-set on the key's
revision, so two nodes releasing or taking over the same stale name cannot
both win. A name whose holder is gone (its node died with nobody watching) is
taken over by the next registration, after a probe finds no responder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from eventlib.log import get_logger
from eventlib.mailbox import NameNotRegistered, NameTaken
from eventlib.remote._wire import PROBE_HEADER, import_nats, json_bytes

__all__ = ["NameRegistry"]

T = TypeVar("T")
_log = get_logger()


class NameRegistry:
    """One node's view of the registry bucket, and the names this node holds.

    Args:
        node: this node's name; ``incarnation`` tells its runs apart.
        bucket: the key-value bucket's name.
        wait: waits for a coroutine from a proc (the node's ``_await``).
        client: returns the node's NATS client.
    """

    def __init__(
        self,
        node: str,
        bucket: str,
        wait: Callable[[Coroutine[Any, Any, Any]], Any],
        client: Callable[[], Any],
    ) -> None:
        self.node = node
        self.bucket = bucket
        self.incarnation = ""
        self.held: dict[str, tuple[str, int]] = {}  # name: (export, revision)
        self._wait = wait
        self._client = client
        self._kv: Any = None

    def open(self, kv: Any, incarnation: str) -> None:
        """Use ``kv`` (the bucket, opened by the node on connecting) for this run."""
        self._kv = kv
        self.incarnation = incarnation

    def _value(self, export: str) -> bytes:
        return json_bytes([self.node, export, self.incarnation])

    def register(self, name: str, export: str) -> None:
        nats = import_nats()
        value = self._value(export)
        try:
            revision = self._wait(self._kv.create(name, value))
        except nats.js.errors.KeyWrongLastSequenceError:
            revision = self._take_over(name, value)
        self.held[name] = (export, revision)

    def _take_over(self, name: str, value: bytes) -> int:
        nats = import_nats()
        entry = self._wait(self._kv.get(name))
        holder_node, holder_actor, _incarnation = json.loads(entry.value)
        if self._alive(f"eventlib.actor.{holder_node}.{holder_actor}"):
            raise NameTaken(name, f"actor {holder_actor!r} on node {holder_node!r}")
        try:  # the holder is gone: take the name over, unless another node just did
            return int(self._wait(self._kv.update(name, value, last=entry.revision)))
        except nats.js.errors.KeyWrongLastSequenceError:
            raise NameTaken(name, "a node that took it over just now") from None

    def _alive(self, subject: str) -> bool:
        nats = import_nats()
        try:
            self._wait(self._client().request(subject, b"", timeout=1, headers={PROBE_HEADER: "1"}))
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
            return False
        return True

    def whereis(self, name: str) -> tuple[str, str]:
        """The node and export holding ``name``."""
        nats = import_nats()
        try:
            entry = self._wait(self._kv.get(name))
        except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
            raise NameNotRegistered(name) from None
        node, export, _incarnation = json.loads(entry.value)
        return node, export

    def entries(self) -> dict[str, Any]:
        """The registry's live entries by name.

        Read from the bucket's stream (one request for its subjects, one per
        name) rather than ``kv.keys()``, whose ordered consumer leaves tasks behind.
        """
        nats = import_nats()
        prefix = f"$KV.{self.bucket}."
        js = self._client().jetstream()
        info = self._wait(js.stream_info(f"KV_{self.bucket}", subjects_filter=">"))
        entries = {}
        for subject in info.state.subjects or {}:
            key = subject[len(prefix) :]
            try:
                entries[key] = self._wait(self._kv.get(key))
            except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
                continue
        return entries

    def release(self, name: str) -> None:
        """Delete a name this node holds (only if nobody changed it since)."""
        _export, revision = self.held.pop(name, ("", 0))
        try:
            self._wait(self._kv.delete(name, last=revision))
        except Exception as error:
            _log.info("remote.release_failed", name=name, error=repr(error))

    def release_export(self, export: str) -> None:
        """Delete the names this node holds for ``export`` (its actor exited)."""
        for name, (holder, _revision) in list(self.held.items()):
            if holder == export:
                self.release(name)

    def release_names_of(self, node: str) -> None:
        """Delete the names a dead node held (each only if nobody changed it since)."""
        try:
            entries = self.entries()
        except Exception as error:
            _log.info("remote.release_failed", node=node, error=repr(error))
            return
        for key, entry in entries.items():
            try:
                if json.loads(entry.value)[0] == node:
                    self._wait(self._kv.delete(key, last=entry.revision))
            except Exception as error:
                _log.info("remote.release_failed", name=key, error=repr(error))

    def reassert(self) -> None:
        """After a reconnection, take back the names other nodes released while we were away."""
        for name, (export, _revision) in list(self.held.items()):
            try:
                self._reassert(name, export)
            except Exception as error:
                _log.info("remote.reassert_failed", name=name, error=repr(error))

    def _reassert(self, name: str, export: str) -> None:
        nats = import_nats()
        value = self._value(export)
        try:
            entry = self._wait(self._kv.get(name))
        except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
            entry = None
        if entry is not None and entry.value == value:
            return
        lost = entry is not None
        if not lost:
            try:
                self.held[name] = (export, self._wait(self._kv.create(name, value)))
            except nats.js.errors.KeyWrongLastSequenceError:
                lost = True
        if lost:
            _log.warning("remote.name_lost", node=self.node, name=name)
            self.held.pop(name, None)

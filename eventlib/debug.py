"""Debugging aids: a detector for code that holds the reactor too long.

Green threads share one OS thread: a proc that computes for a second, or calls
a truly blocking function (``time.sleep``, a blocking socket, a slow C call),
stops every other proc and the reactor with it. The block detector finds such
code::

    import eventlib.debug
    eventlib.debug.enable_block_detector(threshold=0.1)

or ``EVENTLIB_BLOCK_DETECTOR=0.1`` in the environment (read when
``eventlib.debug`` is imported, which ``import eventlib`` does). While it is
on, a reactor timer beats every ``threshold / 4`` seconds and a watchdog
thread checks the beat; when the reactor has not beaten for longer than the
threshold, the watchdog samples the main thread's stack — the code holding
the reactor right now — and logs one structured warning, ``reactor.blocked``,
per blocking episode. When the reactor beats again it logs a second warning,
``reactor.unblocked``, with ``blocked_for``: the episode's full length, measured
from the last beat before it (so at most ``threshold / 4`` more than the block
itself). When it is off nothing runs at all: the hot paths carry no
instrumentation.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from typing import Any

from eventlib.hub import Hub, check_duration, get_hub
from eventlib.log import get_logger

__all__ = ["BlockDetector", "block_detector", "disable_block_detector", "enable_block_detector"]

_ENV_VAR = "EVENTLIB_BLOCK_DETECTOR"

_log = get_logger()


class BlockDetector:
    """Watches one hub's reactor from a daemon thread (see the module docstring).

    Attributes:
        threshold: seconds the reactor may be held before a warning.
        episodes: how many blocking episodes were reported.
    """

    def __init__(self, hub: Hub, threshold: float) -> None:
        if not check_duration(threshold, "block detector threshold") > 0:
            raise ValueError(f"block detector threshold must be > 0 seconds, got {threshold!r}")
        self.hub = hub
        self.threshold = threshold
        self.episodes = 0
        self._interval = threshold / 4
        self._last_beat = time.monotonic()
        self._beats = 0
        self._reported_beat = -1
        self._reported_where = "<unknown>"
        # Orders the watchdog's report before the reactor's end-of-episode report.
        self._lock = threading.Lock()
        self._thread_id = threading.get_ident()
        self._stop = threading.Event()
        self._timer: Any = None
        self._watchdog = threading.Thread(
            target=self._watch, name="eventlib-block-detector", daemon=True
        )

    def start(self) -> None:
        self._beat()
        self._watchdog.start()

    def stop(self) -> None:
        self._stop.set()
        timer = self._timer
        if timer is not None and timer.active():
            timer.cancel()
        self._timer = None

    def _beat(self) -> None:
        with self._lock:
            now = time.monotonic()
            ended = self._reported_beat == self._beats
            blocked_for = now - self._last_beat
            self._last_beat = now
            self._beats += 1
            if ended:
                _log.warning(
                    "reactor.unblocked",
                    blocked_for=round(blocked_for, 3),
                    threshold=self.threshold,
                    where=self._reported_where,
                )
        if not self._stop.is_set():
            self._timer = self.hub.reactor.callLater(self._interval, self._beat)

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                held = time.monotonic() - self._last_beat
                beats = self._beats
                if held > self.threshold and beats != self._reported_beat:
                    self._reported_beat = beats
                    self._report(held)

    def _report(self, held: float) -> None:
        frame = sys._current_frames().get(self._thread_id)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else "<unknown>"
        where = "<unknown>"
        if frame is not None:
            where = f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        self.episodes += 1
        self._reported_where = where
        _log.warning(
            "reactor.blocked",
            held_for=round(held, 3),
            threshold=self.threshold,
            where=where,
            stack=stack,
        )


_detector: BlockDetector | None = None


def enable_block_detector(threshold: float = 0.1) -> BlockDetector:
    """Start watching the current thread's hub; replaces a detector already running."""
    global _detector
    disable_block_detector()
    _detector = BlockDetector(get_hub(), threshold)
    _detector.start()
    return _detector


def disable_block_detector() -> None:
    """Stop the block detector, if one runs."""
    global _detector
    if _detector is not None:
        _detector.stop()
        _detector = None


def block_detector() -> BlockDetector | None:
    """The running detector, or None."""
    return _detector


def _enable_from_environment() -> None:
    value = os.environ.get(_ENV_VAR)
    if not value:
        return
    try:
        threshold = float(value)
    except ValueError:
        raise ValueError(f"{_ENV_VAR} must be a number of seconds, got {value!r}") from None
    enable_block_detector(threshold)


_enable_from_environment()

"""A finished sipp run, read the same way by every test that runs sipp (tests/sip,
tests/workers, tests/remote)."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import attrs

# sipp's final statistics screen: "  Successful call | <periodic> | <cumulative>".
_COUNT = re.compile(r"^\s*(Successful call|Failed call)\s*\|\s*\d+\s*\|\s*(\d+)", re.MULTILINE)


@attrs.frozen
class SippRun:
    """What a sipp run ended with; a count sipp did not print is -1."""

    returncode: int
    successful: int
    failed: int
    output: str
    """The end of what sipp printed (its statistics screen), for assertion messages."""

    @property
    def counts(self) -> tuple[int, int, int]:
        """(returncode, successful, failed): one comparison for the usual check."""
        return (self.returncode, self.successful, self.failed)


def finish_sipp(process: Any, timeout: float) -> SippRun:
    """Wait up to ``timeout`` seconds for ``process`` (a sipp whose stdout is a pipe, stderr
    merged) to exit, and read its run. One that overstays is killed and read as it stands:
    its returncode is then negative, and its output says how far it got."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # eventlib.green.subprocess raises this class too
        process.kill()
        output, _ = process.communicate()
    text = output.decode(errors="replace")
    counts = dict(_COUNT.findall(text))
    return SippRun(
        returncode=process.returncode,
        successful=int(counts.get("Successful call", -1)),
        failed=int(counts.get("Failed call", -1)),
        output=text[-3000:],
    )

"""Griffe extension: render the reST bits of eventlib's docstrings as Markdown.

The docstrings use Google sections (``Args:``, ``Returns:``, ``Raises:``) with
two reST habits that read well in ``help()`` but not in Markdown: cross-reference
roles (``:class:`~eventlib.proc.Proc` ``) and literal blocks introduced by
``::``. This rewrites them when the API reference is built; the source keeps
its docstrings as they are.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

# :class:`~eventlib.proc.Proc` -> `Proc`; :meth:`Supervisor.stop` -> `Supervisor.stop`.
_ROLE = re.compile(r":(?:class|func|meth|mod|exc|attr|data|obj|const):`(~?)([^`]+)`")
_LITERAL_INTRO = re.compile(r"^(?P<indent>\s*)(?P<text>.*?)\s*::\s*$")


def _role(match: re.Match[str]) -> str:
    target = match.group(2).strip()
    if match.group(1):
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def _literal_blocks(text: str) -> str:
    """Turn ``Intro::`` plus an indented block into ``Intro:`` plus a fenced Python block."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _LITERAL_INTRO.match(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        indent = len(match.group("indent"))
        block_start = i + 1
        end = block_start
        while end < len(lines) and (not lines[end].strip() or _indent_of(lines[end]) > indent):
            end += 1
        block = lines[block_start:end]
        while block and not block[-1].strip():
            block.pop()
        code = [line for line in block if line.strip()]
        if not code:
            out.append(lines[i])
            i += 1
            continue
        margin = min(_indent_of(line) for line in code)
        prefix = " " * indent
        intro = match.group("text")
        # A bare "Example::" would start a Google "Examples" section, which wants doctests.
        out.append(
            f"{prefix}{intro if intro.lower() not in {'example', 'examples'} else '*Example*'}:"
        )
        out.append("")
        out.append(f"{prefix}```python")
        out.extend(f"{prefix}{line[margin:]}" if line.strip() else "" for line in block)
        out.append(f"{prefix}```")
        out.append("")
        i = end
    return "\n".join(out)


class RestMarkup(griffe.Extension):
    """Rewrite reST roles and literal blocks of every loaded docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:  # noqa: ARG002
        docstring = obj.docstring
        if docstring is not None:
            docstring.value = _literal_blocks(_ROLE.sub(_role, docstring.value))

"""mkdocs hook: the API reference documents every public name, or the build fails.

For each module below, every name in its ``__all__`` that eventlib defines must
have its anchor (``id="module.name"``) in the built reference. Names that are
another project's own objects are left to that project's documentation: the
stdlib objects a green module passes through unchanged, and greenlet's
``GreenletExit`` / ``getcurrent`` re-exported by ``eventlib``.
"""

from __future__ import annotations

import importlib
import pathlib
import sys
from typing import Any

from mkdocs.exceptions import PluginError

REFERENCE = {
    "eventlib": "eventlib",
    "eventlib.signals": "signals",
    "eventlib.sync": "sync",
    "eventlib.supervisor": "supervisor",
    "eventlib.mailbox": "mailbox",
    "eventlib.twistedutil": "twistedutil",
    "eventlib.twistedutil.protocol": "twistedutil",
    "eventlib.green.socket": "green",
    "eventlib.green.select": "green",
    "eventlib.green.time": "green",
    "eventlib.green.ssl": "green",
    "eventlib.green.subprocess": "green",
    "eventlib.green.threading": "green",
    "eventlib.green.os": "green",
    "eventlib.testing": "testing",
    "eventlib.workers": "workers",
    "eventlib.remote": "remote",
    "eventlib.observer": "observer",
    "eventlib.debug": "debug",
    "eventlib.log": "log",
}


def _documented_elsewhere(module: Any, name: str) -> bool:
    value = getattr(module, name)
    if module.__name__.startswith("eventlib.green."):
        stdlib = importlib.import_module(module.__name__.rsplit(".", 1)[1])
        return getattr(stdlib, name, None) is value
    owner = getattr(value, "__module__", None) or getattr(type(value), "__module__", "")
    return owner == "greenlet" or owner.startswith("greenlet.") or owner == "_greenlet"


def missing_names(site_dir: pathlib.Path) -> list[str]:
    """Public names documented nowhere in the built reference (an alias's anchor counts)."""
    documented: set[int] = set()
    undocumented: list[tuple[str, str, str, Any]] = []
    for module_name, page in REFERENCE.items():
        html = (site_dir / "reference" / page / "index.html").read_text()
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if _documented_elsewhere(module, name):
                continue
            value = getattr(module, name)
            if f'id="{module_name}.{name}"' in html:
                documented.add(id(value))
            else:
                undocumented.append((module_name, name, page, value))
    return [
        f"{module_name}.{name} (reference/{page}.md)"
        for module_name, name, page, value in undocumented
        if id(value) not in documented
    ]


def on_post_build(config: Any, **kwargs: Any) -> None:  # noqa: ARG001
    sys.path.insert(0, str(pathlib.Path(config["docs_dir"]).parent))
    missing = missing_names(pathlib.Path(config["site_dir"]))
    if missing:
        raise PluginError(
            "the API reference misses public names; add them to the page's ::: block "
            "(or give them a docstring): " + ", ".join(missing)
        )

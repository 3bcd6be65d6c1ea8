"""The green modules export what they say, and respect the layers of DESIGN.md."""

import ast
import importlib
import pathlib

import pytest

import eventlib

GREEN_MODULES = [
    "eventlib.green",
    "eventlib.green.http",
    "eventlib.green.http.client",
    "eventlib.green.httplib",
    "eventlib.green.os",
    "eventlib.green.select",
    "eventlib.green.socket",
    "eventlib.green.ssl",
    "eventlib.green.subprocess",
    "eventlib.green.threading",
    "eventlib.green.time",
    "eventlib.green.urllib",
    "eventlib.green.urllib.request",
    "eventlib.green.urllib2",
    "eventlib.patcher",
]

# eventlib.green (and the patcher on top of it) may import these layers, never twistedutil,
# mailbox, supervisor or the facades above them.
ALLOWED = (
    "eventlib.green",
    "eventlib.log",
    "eventlib.hub",
    "eventlib.sync",
    "eventlib.proc",
)

PACKAGE = pathlib.Path(eventlib.__file__).parent
SOURCES = [*sorted((PACKAGE / "green").rglob("*.py")), PACKAGE / "patcher.py"]


@pytest.mark.parametrize("module", GREEN_MODULES)
def test_every_exported_name_exists(module):
    """Each name in a green module's __all__ can be taken from it."""
    mod = importlib.import_module(module)
    assert [name for name in mod.__all__ if not hasattr(mod, name)] == []


@pytest.mark.parametrize("module", GREEN_MODULES)
def test_all_has_no_duplicates(module):
    """No name is listed twice in __all__."""
    names = importlib.import_module(module).__all__
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("green", "stdlib"),
    [("socket", "socket"), ("ssl", "ssl"), ("subprocess", "subprocess"), ("os", "os")],
)
def test_drop_in_modules_export_the_stdlib_names(green, stdlib):
    """A drop-in module's __all__ covers the stdlib module's public names."""
    green_module = importlib.import_module(f"eventlib.green.{green}")
    stdlib_module = importlib.import_module(stdlib)
    public = getattr(stdlib_module, "__all__", None) or [
        name for name in dir(stdlib_module) if not name.startswith("_")
    ]
    assert sorted(set(public) - set(green_module.__all__)) == []


def _imports(path):
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("eventlib")}


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_green_imports_only_lower_layers(path):
    """Green modules import only the hub, sync, proc and log layers (not twistedutil)."""
    bad = sorted(name for name in _imports(path) if not name.startswith(ALLOWED))
    assert bad == []

"""Every exported name exists and no layer imports a higher one.

ruff (RUF022) keeps each __all__ sorted.
"""

import ast
import importlib
import pathlib

import pytest

import eventlib

PACKAGE_DIR = pathlib.Path(eventlib.__file__).parent

PUBLIC_MODULES = [
    "eventlib",
    "eventlib.api",
    "eventlib.coros",
    "eventlib.debug",
    "eventlib.event",
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
    "eventlib.greenio",
    "eventlib.hub",
    "eventlib.log",
    "eventlib.mailbox",
    "eventlib.observer",
    "eventlib.patcher",
    "eventlib.pool",
    "eventlib.pools",
    "eventlib.proc",
    "eventlib.queue",
    "eventlib.remote",
    "eventlib.semaphore",
    "eventlib.signals",
    "eventlib.supervisor",
    "eventlib.support",
    "eventlib.support.greenlets",
    "eventlib.sync",
    "eventlib.testing",
    "eventlib.timeout",
    "eventlib.twistedutil",
    "eventlib.twistedutil.protocol",
    "eventlib.twistedutil.protocols",
    "eventlib.twistedutil.protocols.basic",
    "eventlib.util",
    "eventlib.workers",
]

# DESIGN.md "Layers": a module may import its own layer and the ones below.
LAYERS = [
    ("eventlib.log", 0),
    ("eventlib.hub", 1),
    ("eventlib.debug", 1),
    ("eventlib.sync", 2),
    ("eventlib.event", 2),
    ("eventlib.queue", 2),
    ("eventlib.semaphore", 2),
    ("eventlib.timeout", 2),
    ("eventlib.proc", 3),
    ("eventlib.pool", 3),
    ("eventlib.signals", 3),
    ("eventlib.green", 4),
    ("eventlib.patcher", 4),
    ("eventlib.twistedutil", 5),
    ("eventlib.mailbox", 6),
    ("eventlib.supervisor", 7),
    ("eventlib.workers", 8),
    ("eventlib.remote", 8),
    # Facades over everything: the package itself and the classic/test entry points.
    ("eventlib.api", 9),
    ("eventlib.coros", 9),
    ("eventlib.pools", 9),
    ("eventlib.greenio", 9),
    ("eventlib.util", 9),
    ("eventlib.support", 9),
    ("eventlib.observer", 9),
    ("eventlib.testing", 9),
    ("eventlib", 10),
]


def layer_of(module: str) -> int:
    for prefix, layer in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{module} is in no layer; add it to LAYERS")


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: pathlib.Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "eventlib" or name.startswith("eventlib.")}


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_exported_name_exists(module):
    """Each name in a public module's __all__ can be imported from it."""
    mod = importlib.import_module(module)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert missing == []


SOURCES = sorted(PACKAGE_DIR.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[module_name(p) for p in SOURCES])
def test_no_layer_imports_a_higher_layer(path):
    """A module imports only from its own layer or lower ones (DESIGN.md, Layers)."""
    own = module_name(path)
    own_layer = layer_of(own)
    higher = sorted(name for name in imported_modules(path) if layer_of(name) > own_layer)
    assert higher == [], f"{own} (layer {own_layer}) imports higher layers: {higher}"


def test_twisted_is_imported_only_where_the_reactor_is_touched():
    """Twisted appears only where the reactor is touched (STYLE.md).

    That is the hub, twistedutil, green, the test plugin and the observer's endpoint.
    """
    allowed = (
        "eventlib.hub",
        "eventlib.twistedutil",
        "eventlib.green",
        "eventlib.testing",
        "eventlib.observer",
    )
    offenders = []
    for path in SOURCES:
        text = path.read_text()
        if "twisted" in text and ("import twisted" in text or "from twisted" in text):
            name = module_name(path)
            if not name.startswith(allowed):
                offenders.append(name)
    assert offenders == []


def test_package_is_typed():
    """eventlib ships py.typed."""
    assert (PACKAGE_DIR / "py.typed").exists()


# Names reached through more than one public path must be the same objects, so code written
# against an older path (or the classic API) sees exactly what the layer's face exports.
SAME_OBJECT_PATHS = [
    (name, module)
    for name in ("Event", "Queue", "Channel", "Semaphore", "BoundedSemaphore", "Timeout")
    for module in ("eventlib", "eventlib.sync")
] + [
    (name, module)
    for module, names in {
        "eventlib.event": ("Event", "NOT_USED", "EventStatistics"),
        "eventlib.queue": ("Queue", "Channel", "Empty", "Full", "QueueStatistics"),
        "eventlib.semaphore": ("Semaphore", "BoundedSemaphore", "metaphore", "semaphore"),
        "eventlib.timeout": ("Timeout", "TimeoutError", "exc_after", "with_timeout"),
        "eventlib.api": ("Timeout", "TimeoutError", "exc_after", "with_timeout"),
    }.items()
    for name in names
]


@pytest.mark.parametrize(("name", "module"), SAME_OBJECT_PATHS)
def test_sync_names_are_one_object_whatever_the_import_path(name, module):
    """eventlib.X, eventlib.sync.X and the old module paths give the same object."""
    import eventlib.sync

    assert getattr(importlib.import_module(module), name) is getattr(eventlib.sync, name)


@pytest.mark.parametrize(
    "name",
    [
        "ChildCounts",
        "ChildInfo",
        "DynamicSupervisor",
        "Supervisor",
        "SupervisorStatistics",
        "exit_reason",
        "stop_child",
    ],
)
def test_supervisor_names_stay_importable_from_the_package(name):
    """Splitting the supervisor into modules changed no public import path."""
    import eventlib.supervisor

    assert getattr(eventlib.supervisor, name).__module__.startswith("eventlib.supervisor.")
    assert eventlib.supervisor.RESTARTING == "restarting"

"""The optional compiled build: its switch, its module list and what a process reports.

`make pytest-compiled` runs these (and the tests of the compiled modules) again
in a copy of the tree where the modules are compiled, with
EVENTLIB_EXPECT_COMPILED=1 so the first test proves the compiled code ran.
"""

import ast
import importlib
import os
import pathlib
import sys

import pytest

import eventlib
from eventlib._build import COMPILABLE_MODULES

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
hatch_build = pytest.importorskip("hatch_build", reason="hatchling is a dev dependency")


def test_compiled_modules_names_the_build_this_process_runs():
    """compiled_modules() is empty for pure Python and the whole list for the compiled build."""
    expected = COMPILABLE_MODULES if os.environ.get("EVENTLIB_EXPECT_COMPILED") == "1" else ()
    assert eventlib.compiled_modules() == expected


def test_every_compilable_module_exists_and_is_private():
    """The list names real modules, all private: the public API is the same in both builds."""
    for name in COMPILABLE_MODULES:
        module = importlib.import_module(name)
        assert name.rsplit(".", 1)[1].startswith("_"), name
        assert module.__name__ == name


def test_the_proc_worker_module_stays_pure_python():
    """A parked worker greenlet needs a Python frame at its bottom to take a fresh gr_context."""
    assert "eventlib.proc._worker" not in COMPILABLE_MODULES


def test_the_hook_reads_the_same_list_without_importing_eventlib():
    """hatch_build.py parses eventlib/_build.py rather than importing the package."""
    assert hatch_build.compilable_modules(ROOT) == COMPILABLE_MODULES


@pytest.mark.parametrize(("value", "wanted"), [("", False), ("0", False), ("1", True)])
def test_the_switch_accepts_1_0_or_nothing(monkeypatch, value, wanted):
    """EVENTLIB_COMPILE=1 asks for the compiled build; 0 or unset for pure Python."""
    monkeypatch.setenv("EVENTLIB_COMPILE", value)
    assert hatch_build.compile_requested() is wanted


def test_a_bad_switch_value_is_an_error_naming_the_variable(monkeypatch):
    """A typo such as 'yes' fails the build instead of quietly building pure Python."""
    monkeypatch.setenv("EVENTLIB_COMPILE", "yes")
    with pytest.raises(ValueError, match=r"EVENTLIB_COMPILE must be 1 .* got 'yes'"):
        hatch_build.compile_requested()


def make_hook(target_name):
    return hatch_build.CompiledBuildHook(
        str(ROOT), {}, None, None, str(ROOT / "build"), target_name
    )


def test_the_hook_asks_for_cython_only_when_compiling(monkeypatch):
    """Cython and setuptools become build requirements of the compiled wheel only."""
    monkeypatch.delenv("EVENTLIB_COMPILE", raising=False)
    assert make_hook("wheel").dependencies() == []
    monkeypatch.setenv("EVENTLIB_COMPILE", "1")
    assert [d.split(">=")[0] for d in make_hook("wheel").dependencies()] == ["cython", "setuptools"]
    assert make_hook("sdist").dependencies() == []


def test_an_editable_compiled_install_is_refused(monkeypatch):
    """Extensions in an editable install would go stale at the next edit of a source file."""
    monkeypatch.setenv("EVENTLIB_COMPILE", "1")
    build_data = {"force_include": {}, "pure_python": True}
    with pytest.raises(RuntimeError, match="editable"):
        make_hook("wheel").initialize("editable", build_data)
    assert build_data == {"force_include": {}, "pure_python": True}


def test_the_pure_build_leaves_the_wheel_untouched(monkeypatch):
    """Without the switch the hook adds nothing: the wheel stays pure Python (py3-none-any)."""
    monkeypatch.delenv("EVENTLIB_COMPILE", raising=False)
    build_data = {"force_include": {}, "pure_python": True}
    make_hook("wheel").initialize("standard", build_data)
    assert build_data == {"force_include": {}, "pure_python": True}


PXD_FILES = sorted((ROOT / "eventlib").rglob("*.pxd"))


def declared_classes(pxd):
    """{class name: declared attribute names} of the `cdef class` blocks in a .pxd file.

    ``__dict__`` is not an attribute: it gives instances a dict, as in Python.
    """
    classes, current = {}, None
    for line in pxd.read_text().splitlines():
        if line.startswith("cdef class "):
            current = line.removeprefix("cdef class ").split("(")[0].rstrip(":")
            classes[current] = set()
        elif line and not line[0].isspace():
            current = None  # a top-level declaration ends the class block
        elif current and line.strip().startswith("cdef "):
            name = line.split()[-1]
            if name != "__dict__":
                classes[current].add(name)
    return classes


def init_attributes(source, class_name):
    """The attributes the class's ``__init__`` assigns to ``self``, read from its source file."""
    tree = ast.parse(source.read_text())
    [cls] = [
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == class_name
    ]
    [init] = [
        node for node in cls.body if isinstance(node, ast.FunctionDef) and node.name == "__init__"
    ]
    names = set()
    for node in ast.walk(init):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            if isinstance(target, ast.Attribute) and getattr(target.value, "id", None) == "self":
                names.add(target.attr)
    return names


@pytest.mark.parametrize("pxd", PXD_FILES, ids=[p.stem for p in PXD_FILES])
def test_each_pxd_declares_exactly_its_class_attributes(pxd):
    """A slot (or, for a class with a __dict__, an __init__ attribute) must be declared, no more."""
    name = ".".join(pxd.relative_to(ROOT).with_suffix("").parts)
    assert name in COMPILABLE_MODULES, f"{pxd} belongs to a module the build does not compile"
    module = importlib.import_module(name)
    for class_name, attributes in declared_classes(pxd).items():
        slots = getattr(module, class_name).__dict__.get("__slots__")
        if slots is None:
            # A class without __slots__ can be weakly referenced: so must its compiled twin.
            expected = init_attributes(pxd.with_suffix(".py"), class_name) | {"__weakref__"}
            assert expected == attributes, class_name
        else:
            assert set(slots) == attributes, class_name

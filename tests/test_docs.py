"""Every code sample in README.md and docs/ runs (issue 7: the docs must not rot)."""

import importlib
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# A plain ```python fence; ```python title="x.py" marks a how-to program (tests/docs/).
SAMPLE = re.compile(r"^( *)```python\n(.*?)^ *```", re.DOTALL | re.MULTILINE)


def samples():
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for number, (_indent, code) in enumerate(SAMPLE.findall(path.read_text()), start=1):
            yield pytest.param(textwrap.dedent(code), id=f"{path.relative_to(ROOT)}#{number}")


@pytest.mark.parametrize("code", list(samples()))
def test_code_sample_runs(code, tmp_path):
    """The sample runs to completion (a '# test file' sample passes under pytest)."""
    if code.startswith("# test file"):
        test_file = tmp_path / "test_sample.py"
        test_file.write_text(code)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)]
    else:
        command = [sys.executable, "-c", code]
    completed = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


# A row of README's module table: | `module`, `module` | `name`, `name`, prose |
TABLE_ROW = re.compile(r"^\| (`eventlib[^|]*) \| ([^|]*) \|$", re.MULTILINE)
CODE = re.compile(r"`([^`]+)`")


def readme_names():
    for modules_cell, names_cell in TABLE_ROW.findall((ROOT / "README.md").read_text()):
        modules = CODE.findall(modules_cell)
        for name in CODE.findall(names_cell):
            yield pytest.param(modules, name, id=f"{modules[0]}:{name}")


def test_readme_module_table_is_not_empty():
    """The README still has its module table (else the next test checks nothing)."""
    assert len(list(readme_names())) > 20


@pytest.mark.parametrize(("modules", "name"), list(readme_names()))
def test_readme_names_are_importable(modules, name):
    """Each name the README's module table promises is an attribute or submodule of its module."""
    if "." in name:  # a module named in full, e.g. eventlib.patcher
        importlib.import_module(name)
        return
    for module_name in modules:
        module = importlib.import_module(module_name)
        if hasattr(module, name):
            return
        try:
            importlib.import_module(f"{module_name}.{name}")
        except ModuleNotFoundError:
            continue
        return
    pytest.fail(f"README promises {name!r} from {' or '.join(modules)}; it is not there")

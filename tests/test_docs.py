"""Every code sample in README.md and docs/ runs (issue 7: the docs must not rot)."""

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

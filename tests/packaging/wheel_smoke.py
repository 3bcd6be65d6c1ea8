"""Smoke test of the built wheel in a fresh venv (run by `make wheel-smoke`, not by pytest).

Checks what a new user meets first: the package imports from site-packages (not
from a source tree), a supervised proc runs, the metadata names a home page and
a licence, the type marker ships, and the `test` extra is enough to run a test
that uses the pytest plugin's virtual clock.
"""

import importlib.metadata
import pathlib
import subprocess
import sys
import sysconfig
import tempfile

import eventlib
from eventlib.supervisor import ChildSpec, Supervisor

SITE_PACKAGES = pathlib.Path(sysconfig.get_paths()["purelib"]).resolve()
USER_TEST = """\
import eventlib


def test_an_hour_takes_no_time(virtual_clock):
    eventlib.sleep(3600)
    assert virtual_clock.now() == 3600
"""


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"wheel smoke test failed: {what}")
    print(f"ok: {what}")  # noqa: T201 - the make step reports each check


def main() -> None:
    package_dir = pathlib.Path(eventlib.__file__).resolve().parent
    check(package_dir.parent == SITE_PACKAGES, f"eventlib imports from {SITE_PACKAGES}")
    check((package_dir / "py.typed").is_file(), "py.typed ships (PEP 561)")
    web = package_dir / "observer" / "web"
    assets = ["index.html", "app.js", "app.css", "static/uPlot.iife.min.js", "static/uPlot.LICENSE"]
    missing = [name for name in assets if not (web / name).is_file()]
    check(not missing, f"the observer's web assets ship (missing: {missing or 'none'})")

    results = eventlib.Queue()
    sup = Supervisor([ChildSpec("echo", start=lambda: eventlib.spawn(results.put, "ran"))])
    check(results.get() == "ran", "a supervised proc runs")
    sup.stop()

    meta = importlib.metadata.metadata("eventlib")
    check(meta["Version"] == eventlib.__version__, "metadata version matches __version__")
    check(meta["License-Expression"] == "MIT", "metadata names the licence")
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL") or [])
    check("Homepage" in urls, "metadata names a home page")
    shown = subprocess.run(
        [sys.executable, "-m", "pip", "show", "eventlib"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    check(f"Home-page: {urls.get('Homepage')}" in shown, "pip show names the home page")
    check("License-Expression: MIT" in shown, "pip show names the licence")
    plugins = importlib.metadata.entry_points(group="pytest11")
    check(any(ep.value == "eventlib.testing" for ep in plugins), "pytest plugin is registered")

    with tempfile.TemporaryDirectory() as tmp:
        (pathlib.Path(tmp) / "test_user.py").write_text(USER_TEST)
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    check(completed.returncode == 0, "the test extra runs a user's virtual_clock test")


if __name__ == "__main__":
    main()

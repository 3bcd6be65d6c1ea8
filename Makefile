# The two commands a fresh machine needs (Python 3.11+ and the package registry):
#   make demo   - create .venv, install eventlib, run the main demo (the SIP UAS driven by sipp)
#   make test   - create .venv, install eventlib[dev], run ruff, mypy and pytest, then
#                 install the built wheel in a fresh venv and smoke-test it, and build
#                 the docs strictly (every public name in the API reference)
# Both install sipp (Debian's sip-tester) when it is missing; test also chromium and
# chromium-driver (the observer's web view is tested in a headless browser) and the
# softphone the SIP tests call (baresip-core: headless, driven over its ctrl_tcp port).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SIPP := command -v sipp >/dev/null 2>&1 || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q sip-tester)
# The observer's web view is tested in a real browser (headless, driven by selenium).
CHROMIUM := (command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1) || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver)
BARESIP := command -v baresip >/dev/null 2>&1 || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q baresip-core)

.PHONY: demo echo-demo test lint typecheck pytest pytest-asyncio wheel-smoke bench docs clean

$(VENV)/.stamp-base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

# The project's own tools (eventlib[dev]: pytest, ruff, mypy, hypothesis, TLS, stubs).
$(VENV)/.stamp-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.stamp-bench: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

$(VENV)/.stamp-docs: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $@

demo: $(VENV)/.stamp-base
	$(SIPP)
	$(PY) -m examples.sip_uas --demo --workers 2

echo-demo: $(VENV)/.stamp-base
	$(PY) -m examples.supervised_echo

test: $(VENV)/.stamp-test lint typecheck pytest pytest-asyncio wheel-smoke docs

lint: $(VENV)/.stamp-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.stamp-test
	$(VENV)/bin/mypy

pytest: $(VENV)/.stamp-test
	$(SIPP)
	$(CHROMIUM)
	$(BARESIP)
	$(PY) -m pytest

# The tests that run on the installed reactor again, under Twisted's asyncio reactor
# (eventlib.remote's tests run only here). Left out as reactor-independent, to keep
# `make test` well under 10 minutes: virtual-clock logic (supervisor, mailbox, sync except
# its MAIN_LOOP-safety file, proc, log), the hypothesis state machines among them, and the
# tests whose programs run in a subprocess that never sees this option (the pytest plugin's
# inner runs, the docs samples and how-tos, the demo, the wheel). A new test that touches
# the reactor belongs in one of the paths below. The long load tests (marker "load") ran
# in the first pass.
ASYNCIO_TESTS := tests/hub tests/twistedutil tests/green tests/remote tests/classic \
	tests/sip tests/observer tests/workers tests/debug tests/sync/test_main_loop_safe.py \
	tests/proc/test_exit_report.py tests/test_api_classic.py tests/test_signals.py
pytest-asyncio: $(VENV)/.stamp-test
	$(SIPP)
	$(CHROMIUM)
	$(BARESIP)
	$(PY) -m pytest --eventlib-reactor=asyncio -m "not load" $(ASYNCIO_TESTS)

# The wheel as a user gets it: built, installed with its `test` extra in a fresh venv
# (packages from the index pip is configured with), imported away from the source tree.
WHEEL_DIR := build/wheel-smoke
wheel-smoke: $(VENV)/.stamp-test
	rm -rf $(WHEEL_DIR)
	timeout 600 $(PY) -m pip wheel --quiet --no-deps --wheel-dir $(WHEEL_DIR)/dist .
	$(PYTHON) -m venv $(WHEEL_DIR)/venv
	timeout 300 $(WHEEL_DIR)/venv/bin/python -m pip install --quiet --upgrade pip
	timeout 600 $(WHEEL_DIR)/venv/bin/python -m pip install --quiet "$$(ls $(WHEEL_DIR)/dist/eventlib-*.whl)[test]"
	cd $(WHEEL_DIR) && timeout 120 venv/bin/python $(CURDIR)/tests/packaging/wheel_smoke.py

# --strict: a docstring griffe cannot parse, a broken link, or a public name missing from
# the API reference (docs/_ext/reference_coverage.py) fails the build.
docs: $(VENV)/.stamp-docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

bench: $(VENV)/.stamp-bench
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) site build .mypy_cache .ruff_cache .pytest_cache .hypothesis

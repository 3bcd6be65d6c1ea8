# The two commands a fresh machine needs (Python 3.11+ and the package registry):
#   make demo   - create .venv, install eventlib, run the main demo (the SIP UAS driven by sipp)
#   make test   - create .venv, install eventlib[test], run ruff, mypy and pytest
# Both install sipp (Debian's sip-tester) when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SIPP := command -v sipp >/dev/null 2>&1 || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q sip-tester)

.PHONY: demo echo-demo test lint typecheck pytest pytest-asyncio bench docs clean

$(VENV)/.stamp-base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.stamp-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.stamp-bench: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

$(VENV)/.stamp-docs: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $@

demo: $(VENV)/.stamp-base
	$(SIPP)
	$(PY) -m examples.sip_uas --demo

echo-demo: $(VENV)/.stamp-base
	$(PY) -m examples.supervised_echo

test: $(VENV)/.stamp-test lint typecheck pytest pytest-asyncio

lint: $(VENV)/.stamp-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.stamp-test
	$(VENV)/bin/mypy

pytest: $(VENV)/.stamp-test
	$(SIPP)
	$(PY) -m pytest

# The whole suite again, under Twisted's asyncio reactor (eventlib.remote's tests run only here).
pytest-asyncio: $(VENV)/.stamp-test
	$(SIPP)
	$(PY) -m pytest --eventlib-reactor=asyncio

docs: $(VENV)/.stamp-docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

bench: $(VENV)/.stamp-bench
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) site .mypy_cache .ruff_cache .pytest_cache .hypothesis

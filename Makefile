# The two commands a fresh machine needs (Python 3.11+ and the package registry):
#   make demo   - create .venv, install eventlib, run the main demo (the SIP UAS driven by sipp)
#   make test   - create .venv, install eventlib[dev], run ruff, mypy and pytest, then
#                 again on the optional compiled build under the asyncio reactor, install
#                 the built wheel in a fresh venv and smoke-test it, and build the docs
#                 strictly (every public name in the API reference)
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
# The compiled build needs a C compiler and the interpreter's headers (Debian's for its python3).
CCOMPILER := (command -v cc >/dev/null 2>&1 && $(PYTHON) -c 'import pathlib, sys, sysconfig; \
	sys.exit(not pathlib.Path(sysconfig.get_paths()["include"], "Python.h").is_file())') || \
	($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q gcc python3-dev)
BARESIP := command -v baresip >/dev/null 2>&1 || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q baresip-core)

.PHONY: demo echo-demo test lint typecheck pytest pytest-asyncio second-pass compiled wheel-smoke bench docs clean

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

# Steps that share no files run side by side (-j, output kept per step): the checks with
# the compiled build, then the wheel with the docs; the two test passes run alone, as their
# timing tests expect.
test: $(VENV)/.stamp-test $(VENV)/.stamp-docs
	$(MAKE) -j3 --output-sync=target lint typecheck compiled
	$(MAKE) pytest
	$(MAKE) second-pass
	$(MAKE) -j2 --output-sync=target wheel-smoke docs

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

# The second pass runs on the optional compiled build (EVENTLIB_COMPILE=1, hatch_build.py):
# the wheel with the modules of eventlib/_build.py compiled by Cython, its extensions
# unpacked over a copy of this tree (tracked and untracked files, as they are now). Needs a
# C compiler and Python's headers; the build fetches Cython itself. `make bench` measures it.
COMPILED_DIR := build/compiled
compiled: $(VENV)/.stamp-test
	$(CCOMPILER)
	rm -rf $(COMPILED_DIR)
	mkdir -p $(COMPILED_DIR)/tree
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(COMPILED_DIR)/tree
	EVENTLIB_COMPILE=1 timeout 900 $(PY) -m pip wheel --quiet --no-deps --wheel-dir $(COMPILED_DIR)/dist .
	$(PY) -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
		[z.extract(n, sys.argv[2]) for n in z.namelist() if n.endswith(".so")]' \
		"$$(ls $(COMPILED_DIR)/dist/eventlib-*.whl)" $(COMPILED_DIR)/tree

# The second pass: on the compiled tree, under Twisted's asyncio reactor, so that one run
# covers both (eventlib.remote's tests run only here). It takes the tests that touch the
# reactor and the tests of the compiled modules (hub, sync, mailbox, proc, supervisor).
# Left out, to keep `make test` well under 10 minutes: the tests whose programs run in a
# subprocess that never sees the reactor option (the pytest plugin's inner runs, the docs
# samples and how-tos, the demo, the wheel) and reactor-independent logic of uncompiled
# modules (log). A new test that touches the reactor belongs in one of the paths below.
# The long load tests (marker "load") ran in the first pass. EVENTLIB_EXPECT_COMPILED
# makes tests/packaging/test_compiled_build.py fail unless the compiled modules ran.
SECOND_PASS_TESTS := tests/hub tests/sync tests/mailbox tests/proc tests/supervisor \
	tests/twistedutil tests/green tests/remote tests/classic tests/sip tests/observer \
	tests/workers tests/debug tests/test_api_classic.py tests/test_signals.py \
	tests/packaging/test_compiled_build.py
pytest-asyncio: compiled
	$(MAKE) second-pass

# The second pass on the compiled tree as it is (make test builds it first).
second-pass: $(VENV)/.stamp-test
	test -d $(COMPILED_DIR)/tree || (echo "no compiled tree: run make compiled" >&2; exit 1)
	$(SIPP)
	$(CHROMIUM)
	$(BARESIP)
	cd $(COMPILED_DIR)/tree && EVENTLIB_EXPECT_COMPILED=1 $(CURDIR)/$(PY) -m pytest \
		-p no:cacheprovider --eventlib-reactor=asyncio -m "not load" $(SECOND_PASS_TESTS)

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

# `compiled` first: bench_core and bench_actors measure the compiled build beside the pure one.
bench: $(VENV)/.stamp-bench compiled
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) site build .mypy_cache .ruff_cache .pytest_cache .hypothesis

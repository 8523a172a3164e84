# The Python module (bindings/python, `import outrig`). `make test` makes a virtualenv under
# $(BUILD) with maturin, pytest and mypy from pip, builds and installs the module into it, and
# runs its pytest suite, `mypy --strict` on the examples, the stubs and a typed test, stubtest
# (the stubs against the built module); the binding crate's clippy is in `make lint`, with the
# whole workspace's. `make wheel` builds the
# abi3 wheel and the sdist into $(WHEEL_DIR); `make test` also installs that wheel into a fresh
# virtualenv and runs the suite there with no cargo or rustc on PATH. `make demo` lists, from
# Python, the root the C launcher wrote.
TEST_STEPS += test-python test-python-wheel
DEMO_STEPS += demo-python
.PHONY: python-venv python-module test-python demo-python wheel test-python-wheel \
	test-python-sdist

VENV := $(BUILD)/venv
VENV_BIN := $(abspath $(VENV))/bin
VENV_PY := $(VENV_BIN)/python
PY_TOOLS := "maturin>=1.9,<2" pytest mypy
WHEEL_DIR := $(BUILD)/wheels
WHEEL_VENV := $(BUILD)/wheel-venv

# The C launcher's demo (mk/c.mk, included before this file) runs first, so the interop tests
# read the session it made and run the launcher it built, and require both.
C_DEMO := demo-c
PY_TEST_ENV := CARGO="$(CARGO)" OUTRIG_C_DEMO_ROOT="$(abspath $(DEMO_ROOT))" \
	OUTRIG_REQUIRE_C_DEMO=1 OUTRIG_C_LAUNCHER="$(abspath $(C_BUILD)/launcher)"

python-venv: $(VENV)/.tools

# `python3 -m venv` needs ensurepip, which some distributions package apart (Debian's
# python3-venv); without it, make the venv without pip and install pip into it with the system's
# pip, else fall back to virtualenv.
$(VENV)/.tools: mk/python.mk
	$(call step,python-venv,making the Python virtualenv $(VENV) with maturin; pytest and mypy)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV) \
	|| { rm -rf $(VENV) && $(PYTHON) -m venv --without-pip $(VENV) \
	     && $(PYTHON) -m pip --python $(VENV_PY) install pip; } \
	|| { rm -rf $(VENV) && $(PYTHON) -m virtualenv $(VENV); } \
	|| { echo "cannot make a virtualenv with $(PYTHON): install python3-venv (or pip)" >&2; exit 1; }
	$(VENV_PY) -m pip install $(PY_TOOLS)
	touch $@

# Builds the abi3 extension with the venv's maturin (on PATH for the build hook) and installs
# the package; cargo rebuilds only what changed.
python-module: $(VENV)/.tools
	$(call step,python-module,building and installing the Python module (first build: a few minutes))
	PATH="$(VENV_BIN):$$PATH" $(VENV_PY) -m pip install --no-build-isolation \
		--force-reinstall --no-deps ./bindings/python

test-python: python-module $(C_DEMO)
	$(call step,test-python,the Python tests; mypy --strict; stubtest)
	cd bindings/python && $(PY_TEST_ENV) $(VENV_PY) -m pytest -q -p no:cacheprovider tests
	$(VENV_PY) -m mypy --strict --cache-dir $(BUILD)/mypy-cache $(wildcard examples/*.py) \
		bindings/python/python/outrig/__init__.pyi bindings/python/python/outrig/aio.pyi \
		bindings/python/tests/test_typed_usage.py bindings/python/tests/test_typed_aio.py
	$(VENV_PY) -m mypy.stubtest outrig

demo-python: python-module $(C_DEMO)
	$(call step,demo-python,listing $(DEMO_ROOT) from Python)
	$(VENV_PY) examples/list_sessions.py $(DEMO_ROOT)

# The wheel (abi3, stripped) and the sdist, with the venv's maturin; a source install from the
# sdist needs Rust. Fails when either prints a warning about a manifest (cargo's "warning:
# .../Cargo.toml: ..." or "warning: manifest has no ...") or any of maturin's ("⚠️  Warning"),
# as the sdist's metadata once did; the build's output is shown as it runs and kept for that
# check.
MANIFEST_WARNING := warning: .*(Cargo\.toml|manifest)|⚠
wheel: $(VENV)/.tools
	$(call step,wheel,building the wheel and the sdist (first build: a few minutes))
	rm -rf $(WHEEL_DIR)
	cd bindings/python && { PATH="$(VENV_BIN):$$PATH" maturin build --release \
		--out $(abspath $(WHEEL_DIR)) 2>&1; echo $$? >$(abspath $(BUILD))/wheel.status; } \
		| tee $(abspath $(BUILD))/wheel.log
	@test "$$(cat $(BUILD)/wheel.status)" = 0
	cd bindings/python && PATH="$(VENV_BIN):$$PATH" maturin sdist --out $(abspath $(WHEEL_DIR)) \
		>$(abspath $(BUILD))/sdist.log 2>&1 || { cat $(BUILD)/sdist.log; exit 1; }
	@cat $(BUILD)/sdist.log
	@if grep -E '$(MANIFEST_WARNING)' $(BUILD)/wheel.log $(BUILD)/sdist.log; then \
		echo "the wheel's or the sdist's build warned (above): each package's Cargo.toml" \
			"needs homepage, repository and documentation, and no unused manifest key" >&2; \
		exit 1; fi

# The wheel in a fresh virtualenv, on a PATH without cargo or rustc (see the script).
test-python-wheel: wheel $(C_DEMO)
	$(call step,test-python-wheel,the Python tests on the installed wheel without Rust)
	WHEEL_DIR="$(abspath $(WHEEL_DIR))" WHEEL_VENV="$(abspath $(WHEEL_VENV))" \
	TOOLS_PY="$(VENV_PY)" PYTHON="$(PYTHON)" $(filter-out CARGO=%,$(PY_TEST_ENV)) \
		bindings/python/tests/wheel_test.sh

# Builds a wheel from the sdist the way `pip install outrig-*.tar.gz` would (a release build of
# the sdist's crates, unpacked by pip away from the repository), installs it into a fresh
# virtualenv and imports it. Offline: cargo takes the registry's crates from its cache (the
# wheel's build filled it) and nothing else. Its own target directory: in target/ cargo would
# take the repository's build of the same crates for the sdist's (same names, paths relative
# to the workspace, files no newer) and compile nothing. Fails on a manifest warning in that
# build too. Not part of `make test` (a release build of every crate, minutes the first time);
# wheel_test.sh checks the sdist's contents and manifests there.
test-python-sdist: wheel
	$(call step,test-python-sdist,building a wheel from the sdist (a release build of the core))
	rm -rf $(BUILD)/sdist-wheel $(BUILD)/sdist-venv
	{ CARGO_NET_OFFLINE=true CARGO_TARGET_DIR=$(abspath $(BUILD))/sdist-target PATH="$(VENV_BIN):$$PATH" \
		$(VENV_PY) -m pip wheel --verbose --no-cache-dir --no-deps --no-build-isolation \
		--wheel-dir $(BUILD)/sdist-wheel $(WHEEL_DIR)/outrig-*.tar.gz 2>&1; \
		echo $$? >$(BUILD)/sdist-wheel.status; } | tee $(BUILD)/sdist-wheel.log
	@test "$$(cat $(BUILD)/sdist-wheel.status)" = 0
	@if grep -E '$(MANIFEST_WARNING)' $(BUILD)/sdist-wheel.log; then \
		echo "the build from the sdist warned (above)" >&2; exit 1; fi
	$(VENV_PY) -m venv --without-pip $(BUILD)/sdist-venv
	$(VENV_PY) -m pip --python $(BUILD)/sdist-venv/bin/python install --no-index --no-deps \
		$(BUILD)/sdist-wheel/outrig-*.whl
	cd / && $(abspath $(BUILD))/sdist-venv/bin/python -c \
		'import outrig, outrig.aio; print("sdist build imports:", outrig.__version__)'

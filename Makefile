# Entry points: `make demo` (the main job), `make test` (everything CI checks), `make bench`,
# `make install PREFIX=...`. Language-specific rules live in mk/*.mk and add themselves to
# TEST_STEPS and DEMO_STEPS.

CARGO ?= cargo
PYTHON ?= python3
PREFIX ?= /usr/local
BUILD := build
# Where cargo builds, and the root the C launcher's demo writes (the Python demo and the
# interop tests read it): shared by the mk files.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
DEMO_ROOT ?= $(BUILD)/demo-root
# What `make install` installs: the release build. The install tests in `make test` install the
# debug build the other tests already made (INSTALL_PROFILE=debug), the same rules and files
# without a second, optimized build of the library and the command line.
INSTALL_PROFILE ?= release
TEST_INSTALL_PROFILE := debug

TEST_STEPS := test-rust test-make
DEMO_STEPS :=

# $(call step,NAME,WHAT): the first line of a long step's recipe. Says what starts ("== WHAT"),
# so a first run that builds for minutes is never silent; under `make test` it also records
# when NAME started, and mk/step-times.sh prints the time of each step at the end. Recorded
# at the level of `make test`'s own sub-make only, not by the makes that test scripts run.
STEP_TIMES := $(abspath $(BUILD))/step-times
step = @echo "== $(2)"$(if $(filter $(MAKELEVEL),$(OUTRIG_TIMED_LEVEL)),; echo "$(1) $$(date +%s.%N)" >>$(STEP_TIMES))

.PHONY: all demo test test-steps test-rust test-make lint fmt bench install clean
all:
	$(CARGO) build --release

# In this order: later files use earlier files' variables and rules (python.mk and cli.mk
# build on c.mk's launcher and demo; bench.mk on all three faces), and `make demo` runs the C
# launcher, then the Python listing of its root, then the Rust example.
include mk/c.mk mk/abi.mk mk/python.mk mk/cli.mk mk/rust.mk mk/install.mk mk/powercut.mk \
	mk/bench.mk

demo: $(DEMO_STEPS)

# Every step in a sub-make whose steps record their start, then the time of each (also when
# one failed, so the summary shows where).
test:
	@mkdir -p $(BUILD) && rm -f $(STEP_TIMES)
	@status=0; $(MAKE) --no-print-directory OUTRIG_TIMED_LEVEL=$$(($(MAKELEVEL) + 1)) test-steps \
		|| status=$$?; mk/step-times.sh $(STEP_TIMES) $$status; exit $$status

test-steps: $(TEST_STEPS) lint

# With the C ABI (`capi`): its unit tests, and the C libraries tests/c_interop.rs links.
test-rust:
	$(call step,test-rust,the Rust tests (first build: a few minutes))
	$(CARGO) test --all-targets --features capi
	$(call step,test-rust-doc,the Rust documentation tests)
	$(CARGO) test --doc

# What a first run prints (tests/make/first_run_test.sh, with make -n): each build is announced
# before it starts, none is quieted, and make test ends with the time of each step.
test-make:
	tests/make/first_run_test.sh

# One clippy over the whole workspace (the core, the Python module, the command line, lossyfs
# and the power-cut harness, every target) and one of the core with its C ABI: each package
# checked once per configuration, not once per face.
lint:
	$(call step,lint,formatting; clippy of the workspace)
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(call step,lint-capi,clippy of the core with its C ABI)
	$(CARGO) clippy -p outrig --all-targets --features capi -- -D warnings
	$(call step,lint-doc,the documentation)
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --lib
	$(call step,lint-manifests,each package's manifest: no warning from cargo package --list)
	CARGO="$(CARGO)" PYTHON="$(PYTHON)" tests/make/manifests_test.sh

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf $(BUILD)

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

TEST_STEPS := test-rust
DEMO_STEPS :=

.PHONY: all demo test test-rust lint fmt bench install clean
all:
	$(CARGO) build --release

# In this order: later files use earlier files' variables and rules (python.mk and cli.mk
# build on c.mk's launcher and demo; bench.mk on all three faces), and `make demo` runs the C
# launcher, then the Python listing of its root, then the Rust example.
include mk/c.mk mk/python.mk mk/cli.mk mk/rust.mk mk/install.mk mk/powercut.mk mk/bench.mk

demo: $(DEMO_STEPS)

test: $(TEST_STEPS) lint

# With the C ABI (`capi`): its unit tests, and the C libraries tests/c_interop.rs links.
test-rust:
	$(CARGO) test --all-targets --features capi
	$(CARGO) test --doc

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --all-targets --features capi -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --lib -q

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf $(BUILD)

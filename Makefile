# Entry points: `make demo` (the main job), `make test` (everything CI checks), `make bench`,
# `make install PREFIX=...`. Language-specific rules live in mk/*.mk and add themselves to
# TEST_STEPS and DEMO_STEPS.

CARGO ?= cargo
PYTHON ?= python3
PREFIX ?= /usr/local
BUILD := build

TEST_STEPS := test-rust
DEMO_STEPS :=

.PHONY: all demo test test-rust lint fmt bench install clean
all:
	$(CARGO) build --release

-include mk/*.mk

demo: $(DEMO_STEPS)

test: $(TEST_STEPS) lint

test-rust:
	$(CARGO) test --all-targets
	$(CARGO) test --doc

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --lib -q

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf $(BUILD)

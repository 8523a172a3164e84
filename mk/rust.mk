# The Rust example: create, log, finalize, list and remove a session under a fresh root.
DEMO_STEPS += demo-rust
.PHONY: demo-rust
demo-rust:
	$(CARGO) run -q --example sessions

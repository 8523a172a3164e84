# The Rust example: create, log, finalize, list and remove a session under a fresh root.
DEMO_STEPS += demo-rust
.PHONY: demo-rust stress
demo-rust:
	$(call step,demo-rust,building and running the Rust example (examples/sessions.rs))
	$(CARGO) run --example sessions

# The reliability suite with its numbers turned up (more processes' work, more kills, more
# fuzz cases); `make test` runs the bounded version.
stress:
	OUTRIG_STRESS=1 $(CARGO) test --release --test reliability --test fuzz --test descriptors --test liveness -- --nocapture --test-threads=1

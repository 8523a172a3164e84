# The power-cut harness (tests/powercut/ on tests/lossyfs, a FUSE filesystem that loses what
# was not fsynced). Its bounded run is part of `cargo test --all-targets` (test-rust); this file
# makes FUSE required there, so a machine without it fails `make test` instead of skipping the
# harness, and adds lossyfs's own tests (its lints are in `make lint`), and the long run to `make stress`. lossyfs
# mounts with mount(2) as root: no libfuse or fusermount is needed.
TEST_STEPS += test-powercut
.PHONY: test-powercut stress-powercut

export OUTRIG_REQUIRE_FUSE := 1

test-powercut:
	$(call step,test-powercut,lossyfs's tests)
	$(CARGO) test -p lossyfs

# More states booted per cut and more concurrent cuts; prints the figures RELIABILITY.md quotes.
stress-powercut:
	OUTRIG_STRESS=1 $(CARGO) test --release --test powercut -- --nocapture --test-threads=1

stress: stress-powercut

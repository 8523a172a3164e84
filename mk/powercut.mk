# The power-cut harness (tests/powercut, the package outrig-powercut, on tests/lossyfs, a FUSE
# filesystem that loses what was not fsynced). Both are workspace members of their own, not
# part of the core's package (so neither ships in the Python sdist): `cargo test` of the core
# does not run them, this file does. It runs the harness's bounded run and lossyfs's own tests
# (their lints are in `make lint`), makes FUSE required, so a machine without it fails `make
# test` instead of skipping the harness, and adds the long run to `make stress`. lossyfs
# mounts with mount(2) as root: no libfuse or fusermount is needed.
TEST_STEPS += test-powercut
.PHONY: test-powercut stress-powercut mutants

export OUTRIG_REQUIRE_FUSE := 1

# `mutants.py --check` only checks that every mutant's edit still applies to the core (no
# build): a core change that moves a durability step shows here, not first in `make mutants`.
test-powercut:
	$(call step,test-powercut,the power-cut harness (bounded run) and lossyfs's tests)
	$(CARGO) test -p outrig-powercut -p lossyfs
	python3 tests/powercut/mutants/mutants.py --check

# More states booted per cut and more concurrent cuts, the concurrent ones within a time
# budget it prints (POWERCUT_BUDGET seconds); prints the figures RELIABILITY.md quotes.
POWERCUT_BUDGET ?= 600
stress-powercut:
	OUTRIG_STRESS=1 OUTRIG_POWERCUT_BUDGET=$(POWERCUT_BUDGET) \
		$(CARGO) test --release -p outrig-powercut --test powercut -- --nocapture --test-threads=1

stress: stress-powercut

# The harness tested by mutation: each durability step of the core removed in turn (on a
# scratch copy under target/mutants/), and the narrowest scenario must catch it. About 5
# minutes: not part of `make test`.
mutants:
	python3 tests/powercut/mutants/mutants.py

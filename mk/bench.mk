# `make bench`: the store's operations from Rust, C and Python against the floor (bench/floor.c),
# outrig's own store (benches/outrig_store.rs) and a plain standard-library Python store, at 1k
# and 10k sessions (BENCH_FULL=1 adds 100k). Each listing face is a fresh process, as users run
# it; bench/run.py says what is measured. Prints a table and writes bench/RESULTS.md. Variables
# used in the recipes come from the other mk files (expanded when the recipe runs).
.PHONY: bench bench-tools bench-profile bench-watch bench-ab
BENCH_BUILD := $(BUILD)/bench
# The root `bench-profile` records (run.py writes it; `make bench` first).
PROFILE_ROOT ?= $(BENCH_BUILD)/data/root-10000

bench-tools: c-lib-release python-module cli
	@mkdir -p $(BENCH_BUILD)/lib
	ln -sfn $(abspath $(TARGET_DIR))/release/liboutrig.so $(BENCH_BUILD)/lib/liboutrig.so.$(OUTRIG_MAJOR)
	ln -sfn liboutrig.so.$(OUTRIG_MAJOR) $(BENCH_BUILD)/lib/liboutrig.so
	$(CC) -O2 -Wall -Wextra -Werror bench/floor.c -o $(BENCH_BUILD)/floor
	$(CC) -O2 -Wall -Wextra -Werror bench/peak_rss.c -o $(BENCH_BUILD)/peak_rss
	$(CC) -O2 -std=c11 -Wall -Wextra -Werror -Iinclude bench/bench_c.c -o $(BENCH_BUILD)/bench_c \
		-L$(BENCH_BUILD)/lib -loutrig -Wl,-rpath,$(abspath $(BENCH_BUILD))/lib
	$(CARGO) bench -q --bench store --bench outrig_store --no-run

bench: bench-tools
	$(VENV_PY) bench/run.py --cargo "$(CARGO)" --c $(BENCH_BUILD)/bench_c \
		--floor $(BENCH_BUILD)/floor --cli $(CLI_BIN) --peak-rss $(BENCH_BUILD)/peak_rss \
		--data $(BENCH_BUILD)/data
	$(MAKE) bench-watch

# wait and watch against polling loops (benches/watch.rs): writes its own section of
# bench/RESULTS.md, whatever wrote the rest.
bench-watch:
	$(CARGO) bench -q --bench watch -- --write bench/RESULTS.md

# Where a listing face spends its time: `perf record` of one fresh C-face process listing
# PROFILE_ROOT three times, as bench/flamegraph-c-list.svg (a flame graph; hover for counts; the
# folded stacks stay in $(BENCH_BUILD)). perf is installed when missing (Debian's linux-perf).
bench-profile: bench-tools
	@$(call c-need,perf,linux-perf)
	@test -d $(PROFILE_ROOT) || { echo "no $(PROFILE_ROOT): run 'make bench' first" >&2; exit 1; }
	$(BENCH_BUILD)/floor list $(PROFILE_ROOT) 1 >/dev/null # the page cache warm, as in `make bench`
	perf record -q --call-graph dwarf,16384 -o $(BENCH_BUILD)/c-list.perf \
		$(BENCH_BUILD)/bench_c list $(PROFILE_ROOT) 3
	perf script -i $(BENCH_BUILD)/c-list.perf 2>/dev/null | $(VENV_PY) bench/flamegraph.py \
		--title "C face: 3 listings of $(notdir $(PROFILE_ROOT)) in a fresh process" \
		--folded $(BENCH_BUILD)/c-list.folded bench/flamegraph-c-list.svg

# The Rust face's listing of this build against revision BASE's, in alternating fresh processes
# (bench/ab.py): what a change did to a listing, as medians of per-round ratios, where one
# `make bench` run cannot tell a few percent from noise. BASE is checked out in a worktree of
# its own and built beside it; AB_ROOT is a root `make bench` wrote.
AB_DIR := $(BUILD)/ab
AB_ROOT ?= $(BENCH_BUILD)/data/root-10000
AB_ROUNDS ?= 21
bench-ab: bench-tools
	@test -n "$(BASE)" || { echo "usage: make bench-ab BASE=<revision> [AB_ROOT=...] [AB_ROUNDS=...]" >&2; exit 2; }
	git worktree remove --force $(AB_DIR)/base 2>/dev/null || rm -rf $(AB_DIR)/base
	git worktree prune
	git worktree add --force --detach $(AB_DIR)/base $(BASE)
	$(VENV_PY) bench/ab.py --cargo "$(CARGO)" --floor $(BENCH_BUILD)/floor --root $(AB_ROOT) \
		--rounds $(AB_ROUNDS) --base $(AB_DIR)/base --base-target $(abspath $(AB_DIR))/target

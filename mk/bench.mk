# `make bench`: the store's operations from Rust, C and Python against the floor (bench/floor.c)
# and a plain standard-library Python store, at 1k and 10k sessions (BENCH_FULL=1 adds 100k).
# Prints a table and writes bench/RESULTS.md. Variables used in the recipes come from the other
# mk files (expanded when the recipe runs).
.PHONY: bench bench-tools bench-watch
BENCH_BUILD := $(BUILD)/bench

bench-tools: c-lib-release python-module
	@mkdir -p $(BENCH_BUILD)/lib
	ln -sfn $(abspath $(TARGET_DIR))/release/liboutrig.so $(BENCH_BUILD)/lib/liboutrig.so.$(OUTRIG_MAJOR)
	ln -sfn liboutrig.so.$(OUTRIG_MAJOR) $(BENCH_BUILD)/lib/liboutrig.so
	$(CC) -O2 -Wall -Wextra -Werror bench/floor.c -o $(BENCH_BUILD)/floor
	$(CC) -O2 -std=c11 -Wall -Wextra -Werror -Iinclude bench/bench_c.c -o $(BENCH_BUILD)/bench_c \
		-L$(BENCH_BUILD)/lib -loutrig -Wl,-rpath,$(abspath $(BENCH_BUILD))/lib
	$(CARGO) bench -q --bench store --no-run

bench: bench-tools
	$(VENV_PY) bench/run.py --rust "$(CARGO) bench -q --bench store --" \
		--c $(BENCH_BUILD)/bench_c --floor $(BENCH_BUILD)/floor --data $(BENCH_BUILD)/data
	$(MAKE) bench-watch

# wait and watch against polling loops (benches/watch.rs): writes its own section of
# bench/RESULTS.md, whatever wrote the rest.
bench-watch:
	$(CARGO) bench -q --bench watch -- --write bench/RESULTS.md

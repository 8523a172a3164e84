#!/bin/sh
# Prints where `make test` spent its time: the file $1 holds one line "NAME SECONDS" per step
# as it started (mk/steps.mk's `step`), in order; a step lasts until the next one starts, the
# last one until now. With `make -j` steps overlap and the figures are only a guide.
set -eu
times=$1
status=${2:-0}
test -s "$times" || exit 0
now=$(date +%s.%N)
echo
echo "== make test: time per step$([ "$status" = 0 ] || echo " (it failed in the last one)")"
awk -v now="$now" '
    { name[NR] = $1; start[NR] = $2 }
    END {
        for (i = 1; i <= NR; i++) {
            end_ = (i < NR) ? start[i + 1] : now
            d = end_ - start[i]
            total += d
            printf "  %-24s %4d:%02d\n", name[i], int(d / 60), int(d) % 60
        }
        printf "  %-24s %4d:%02d\n", "total", int(total / 60), int(total) % 60
    }' "$times"

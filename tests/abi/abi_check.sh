#!/bin/sh
# The C ABI check: compares a built liboutrig.so with the baseline in the repository
# (abi/liboutrig.abi, libabigail's abidw output) and checks that it exports only outrig_*.
#
#   abi_check.sh LIBRARY BASELINE            check LIBRARY against BASELINE
#   abi_check.sh --record LIBRARY BASELINE   write LIBRARY's ABI to BASELINE (make abi-baseline)
#
# Passes when the ABI is the same, or when it only grew (new functions: the message says to
# record them with `make abi-baseline`). Fails on an incompatible change (a function removed, a
# parameter or return type changed) unless the SONAME moved with it: a program built against
# the old header must never load a library that reads its arguments differently. Also fails
# when the library exports a symbol that is not outrig_*. Exit status: 0 pass, 1 fail.
set -eu
ABIDIFF=${ABIDIFF:-abidiff}
ABIDW=${ABIDW:-abidw}
# No source locations, paths or sequential type ids in the record: it changes only when the
# ABI does (and with the compiler's view of the crate's internal types, which abidiff ignores
# unless an exported function reaches them).
abidw_record() { # abidw_record LIBRARY OUT
    "$ABIDW" --no-show-locs --no-corpus-path --no-comp-dir-path --type-id-style hash \
        --out-file "$2" "$1"
}
if [ "$1" = --record ]; then
    abidw_record "$2" "$3"
    echo "ABI: recorded $2 in $3 ($(grep -c "<elf-symbol name='outrig_" "$3") functions);" \
        "review \`git diff $3\` and commit it."
    exit 0
fi
lib=$1
baseline=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/outrig-abi-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

fail() {
    echo "ABI check FAILED: $*" >&2
    exit 1
}

test -f "$lib" || fail "no library at $lib: build it first"
test -f "$baseline" || fail "no baseline at $baseline: run \`make abi-baseline\` and commit it"

# Only outrig_* leaves the library: anything else is a name a program could come to depend
# on, or one that collides with another library's.
nm -D --defined-only "$lib" | awk '{ print $NF }' | grep -v '^outrig_' >"$work/foreign" || true
if [ -s "$work/foreign" ]; then
    fail "$lib exports symbols outside the outrig_ prefix:
$(sed 's/^/    /' "$work/foreign")
Give them outrig_ names, or keep them out of the library (not pub extern, or #[no_mangle] off)."
fi

soname() { readelf -d "$1" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p'; }
lib_soname=$(soname "$lib")
base_soname=$(sed -n "s/.*<abi-corpus [^>]*soname='\([^']*\)'.*/\1/p" "$baseline" | head -n 1)
test -n "$lib_soname" || fail "$lib has no SONAME"

# abidw of the new library, then abidiff of the two records: its exit status is a bit set,
# 1 an error, 2 a usage error, 4 an ABI change, 8 an incompatible ABI change. abidiff sets 8
# for a removed symbol only; a changed parameter or return type is "4" with the function
# counted as Changed in its summary, so any Removed or Changed count is taken as incompatible
# too. (Changes libabigail knows to be harmless, like a new enumerator, are not counted.)
abidw_record "$lib" "$work/current.abi" || fail "abidw could not read $lib"
status=0
"$ABIDIFF" --no-show-locs "$baseline" "$work/current.abi" >"$work/report" 2>&1 || status=$?
if [ $((status & 3)) != 0 ]; then
    cat "$work/report" >&2
    fail "abidiff could not compare $baseline with $lib (status $status)"
fi

incompatible=$(awk '/changes summary:/ {
        for (i = 1; i < NF; i++) if ($(i + 1) ~ /^(Removed|Changed)/ && $i + 0 > 0) bad = 1
    } END { print bad + 0 }' "$work/report")
if [ $((status & 8)) != 0 ] || [ "$incompatible" = 1 ]; then
    if [ "$lib_soname" = "$base_soname" ]; then
        cat "$work/report" >&2
        fail "the C ABI of $lib changed incompatibly under the same SONAME $lib_soname (report above).
A program built against the previous outrig.h would load this library and pass it garbage.
Keep the old function as it was and add a new one (or a _v2) for the new behaviour. If the break
is meant, move the major version in Cargo.toml (the SONAME follows it) and run
\`make abi-baseline\`. (Functions that were only added pass this check: record them with
\`make abi-baseline\`.)"
    fi
    echo "ABI: incompatible changes, with the SONAME moved from $base_soname to $lib_soname:"
    echo "record the new ABI with \`make abi-baseline\` and commit $baseline."
    exit 0
fi
if [ $((status & 4)) != 0 ]; then
    echo "ABI: compatible changes since the baseline (additions):"
    sed 's/^/    /' "$work/report"
    echo "ABI: record them with \`make abi-baseline\` and commit $baseline."
    exit 0
fi
echo "ABI: $lib_soname matches $baseline; exports only outrig_*."

#!/bin/sh
# The test of the ABI check itself (tests/abi/abi_check.sh): builds small shared libraries from
# tests/abi/fixture.c, records the first as a baseline with abidw, and runs the check on
# deliberately broken versions (a changed signature, a removed function, a grown struct, a
# symbol outside outrig_*), which must fail with a message that says what to do, and on
# versions it must pass (the same, an added function, a break with the SONAME moved).
# Prints "N passed, N failed" last.
set -eu
cd "$(dirname "$0")/../.."
CC=${CC:-cc}
check_script=tests/abi/abi_check.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/outrig-abi-test-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
passed=0
failed=0
check() { # check DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL abi check: $what" >&2
    fi
}

# build NAME SONAME_MAJOR [-DMACRO...]: $work/NAME/liboutrig_fixture.so
build() {
    name=$1
    major=$2
    shift 2
    mkdir -p "$work/$name"
    "$CC" -g -O0 -shared -fPIC "$@" -Wl,-soname,liboutrig_fixture.so."$major" \
        tests/abi/fixture.c -o "$work/$name/liboutrig_fixture.so"
}
# run NAME: the check of version NAME against the baseline; its output in $work/NAME.out.
run() { "$check_script" "$work/$1/liboutrig_fixture.so" "$work/baseline.abi" >"$work/$1.out" 2>&1; }
passes() { run "$1"; }
fails() { ! run "$1"; }
says() { grep -q -- "$2" "$work/$1.out"; }

build v1 0
"$check_script" --record "$work/v1/liboutrig_fixture.so" "$work/baseline.abi" >"$work/record.out"
check "recording says what was recorded" grep -q "recorded" "$work/record.out"

check "the baseline records the SONAME" grep -q "soname='liboutrig_fixture.so.0'" "$work/baseline.abi"
check "the same library passes" passes v1
check "the same library is said to match" says v1 "matches"

build added 0 -DADDED_FUNCTION
check "an added function passes" passes added
check "an addition names the function" says added "outrig_fixture_duration_v2"
check "an addition says to run make abi-baseline" says added "make abi-baseline"

build changed 0 -DCHANGED_SIGNATURE
check "a changed signature under the same SONAME fails" fails changed
check "the failure names the changed function" says changed "outrig_fixture_duration"
check "the failure says to add a new function instead" says changed "_v2"
check "the failure says how a meant break is recorded" says changed "make abi-baseline"

build removed 0 -DREMOVED_FUNCTION
check "a removed function under the same SONAME fails" fails removed
check "the failure names the removed function" says removed "outrig_fixture_version"

build grown 0 -DGROWN_STRUCT
check "a grown public struct under the same SONAME fails" fails grown

build moved 1 -DCHANGED_SIGNATURE -DREMOVED_FUNCTION
check "a break with the SONAME's major moved passes" passes moved
check "it says to record the new baseline" says moved "make abi-baseline"

build foreign 0 -DFOREIGN_SYMBOL
check "a symbol outside outrig_* fails" fails foreign
check "the failure names the symbol" says foreign "fixture_helper"

check "a missing baseline fails" sh -c "! '$check_script' '$work/v1/liboutrig_fixture.so' \
    '$work/none.abi' >'$work/none.out' 2>&1"
check "a missing baseline says to run make abi-baseline" grep -q "make abi-baseline" "$work/none.out"

if [ "$failed" != 0 ] || [ -n "${ABI_TEST_VERBOSE:-}" ]; then
    for f in "$work"/*.out; do echo "--- $f" >&2; cat "$f" >&2; done
fi
echo "$passed passed, $failed failed"
test "$failed" = 0

#!/bin/sh
# What a first `make demo` and `make test` print: every long step says what it does before it
# starts (a "== ..." line before each cargo, pip and maturin command), and no build is quieted
# (-q/--quiet) into minutes of silence; and the summary of step times make test ends with.
# Reads the commands with `make -n` on a tree where the virtualenv does not exist yet, as on a
# fresh clone. Only targets whose recipes hold no $(MAKE) line are read so: make -n still runs
# those lines (and the scripts they start). Prints "N passed, N failed" last.
set -eu
# Never within itself: a make -n that reached this script again would recurse.
if [ -n "${OUTRIG_FIRST_RUN_TEST:-}" ]; then exit 0; fi
export OUTRIG_FIRST_RUN_TEST=1
cd "$(dirname "$0")/../.."
MAKE=${MAKE:-make}
work=$(mktemp -d "${TMPDIR:-/tmp}/outrig-first-run-XXXXXX")
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
        echo "FAIL first run: $what" >&2
    fi
}

# announced TARGET: each build command of `make -n TARGET` comes after an "== " line, with no
# other build command between them, and none is quiet.
announced() {
    "$MAKE" -n --no-print-directory BUILD="$work/build" "$1" >"$work/$1.cmds" 2>/dev/null
    awk -v target="$1" '
        # One command per line: join the lines a backslash continues.
        { cmd = cmd $0 }
        /\\$/ { sub(/\\$/, "", cmd); next }
        { line = cmd; cmd = "" }
        line ~ /^echo "== / { said = 1; next }
        # cargo fmt compiles nothing.
        line ~ /cargo fmt/ { next }
        # Making the virtualenv (with its pip fallback) and packing the sdist build nothing.
        line ~ /-m venv|maturin sdist/ { next }
        line ~ /(^|[ ;&|(])(cargo|maturin) |pip install|-m pip / {
            if (!said) { print target ": no \"== ...\" line before: " line; bad = 1 }
            said = 0
            if (line ~ /(^|[ \t])(-q|--quiet)([ \t]|$)/) { print target ": quiet: " line; bad = 1 }
        }
        END { exit bad }' "$work/$1.cmds" >&2
}

check "make demo says what it builds before building" announced demo
check "make demo builds the C library, the Python module and the Rust example" sh -c "
    grep -q 'building the C library (first build: a few minutes)' '$work/demo.cmds' &&
    grep -q 'building and installing the Python module' '$work/demo.cmds' &&
    grep -q 'building and running the Rust example' '$work/demo.cmds'"
# make test's building steps (test-c, test-c-install, test-c-cmake and test-install start
# makes of their own, so are not read with -n; their builds are c-lib's and c-tests').
for target in test-rust c-lib c-tests python-module test-python wheel test-cli lint install; do
    check "make $target says what it builds before building" announced "$target"
done

# The summary: each step lasts until the next starts, the last until now.
now=$(date +%s)
printf 'test-rust %s.5\nc-lib %s.5\nlint %s.0\n' $((now - 200)) $((now - 80)) $((now - 5)) \
    >"$work/times"
mk/step-times.sh "$work/times" 0 >"$work/summary"
check "the summary gives each step its time" sh -c "
    grep -Eq '^  test-rust +2:00\$' '$work/summary' &&
    grep -Eq '^  c-lib +1:1[45]\$' '$work/summary' &&
    grep -Eq '^  lint +0:0[5-9]\$' '$work/summary' &&
    grep -Eq '^  total +3:[12][0-9]\$' '$work/summary'"
mk/step-times.sh "$work/times" 2 >"$work/failed-summary"
check "after a failure it says the last step failed" grep -q "failed in the last one" "$work/failed-summary"
check "no steps recorded, no summary" sh -c "mk/step-times.sh '$work/none' 0 | wc -c | grep -qx 0"

echo "$passed passed, $failed failed"
test "$failed" = 0

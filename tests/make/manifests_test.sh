#!/bin/sh
# Every package of the workspace packs without a warning from cargo: `cargo package --list`
# (what maturin runs on the core and the Python module for the sdist, listing files only, no
# build) says "manifest has no documentation, homepage or repository" and the like for a
# manifest that lacks what a published package shows. Prints "N passed, N failed" last.
set -eu
cd "$(dirname "$0")/../.."
CARGO=${CARGO:-cargo}
PYTHON=${PYTHON:-python3}
passed=0
failed=0
packages=$("$CARGO" metadata --no-deps --format-version 1 | "$PYTHON" -c \
    'import json, sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["packages"]))')
if [ -z "$packages" ]; then
    echo "FAIL manifests: cargo metadata named no package" >&2
    exit 1
fi
log=$(mktemp "${TMPDIR:-/tmp}/outrig-manifests-XXXXXX")
trap 'rm -f "$log"' EXIT INT TERM
for p in $packages; do
    if "$CARGO" package --list --allow-dirty -p "$p" >/dev/null 2>"$log" && [ ! -s "$log" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL manifests: cargo package --list -p $p warned or failed:" >&2
        cat "$log" >&2
    fi
done
echo "$passed passed, $failed failed"
test "$failed" = 0

#!/bin/sh
# `make install` then `make uninstall` with every face's install rules, into a temporary prefix
# that already holds another package's files (and through DESTDIR): what install put there must
# be all gone afterwards, and nothing else touched. Prints "N passed, N failed" last.
set -eu
cd "$(dirname "$0")/../.."
MAKE=${MAKE:-make}

work=$(mktemp -d "${TMPDIR:-/tmp}/outrig-uninstall-XXXXXX")
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
        echo "FAIL uninstall: $what" >&2
    fi
}
# listing DIR: every file and symlink under DIR, relative, sorted.
listing() { (cd "$1" && find . ! -type d | LC_ALL=C sort); }

prefix=$work/prefix
mkdir -p "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/other" "$prefix/bin"
for f in include/other.h lib/libother.so lib/pkgconfig/other.pc lib/cmake/other/otherConfig.cmake \
    bin/other; do
    echo "$f" >"$prefix/$f"
done
before=$(listing "$prefix")

"$MAKE" -s install PREFIX="$prefix" >/dev/null
installed=$(listing "$prefix")
check "install added the header, the libraries and their metadata" \
    sh -c "echo '$installed' | grep -qx './include/outrig.h' &&
           echo '$installed' | grep -qx './lib/liboutrig.a' &&
           echo '$installed' | grep -qx './lib/cmake/outrig/outrigConfig.cmake'"
if [ -f mk/cli.mk ]; then
    check "install added the command line" test -x "$prefix/bin/outrig-sessions"
fi
"$MAKE" -s uninstall PREFIX="$prefix" >/dev/null
check "uninstall leaves exactly the files that were there before" \
    test "$(listing "$prefix")" = "$before"

# The same through DESTDIR: the files land under it, and uninstall empties it of them.
"$MAKE" -s install DESTDIR="$work/stage" PREFIX=/opt/outrig >/dev/null
check "DESTDIR install puts the files under DESTDIR" \
    test -f "$work/stage/opt/outrig/include/outrig.h"
check "the staged outrig.pc names the final prefix" \
    grep -qx 'prefix=/opt/outrig' "$work/stage/opt/outrig/lib/pkgconfig/outrig.pc"
"$MAKE" -s uninstall DESTDIR="$work/stage" PREFIX=/opt/outrig >/dev/null
check "DESTDIR uninstall leaves no file" test -z "$(listing "$work/stage")"

echo "$passed passed, $failed failed"
test "$failed" = 0

#!/bin/sh
# Installs liboutrig into a temporary prefix (`make install-c PREFIX=...`) that already holds
# another package's files, checks the layout and that the libraries are stripped, then builds
# examples/launcher.c against the installed copy through pkg-config, linked shared (outrig.pc)
# and static (outrig-static.pc), and runs both. Last, `make uninstall-c` must leave the prefix
# as it was. Prints "N passed, N failed" last.
set -eu
cd "$(dirname "$0")/../.."
MAKE=${MAKE:-make}
CC=${CC:-cc}

prefix=$(mktemp -d "${TMPDIR:-/tmp}/outrig-install-XXXXXX")
trap 'rm -rf "$prefix"' EXIT INT TERM
passed=0
failed=0
check() { # check DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL install: $what" >&2
    fi
}

# Another package's files, which uninstall must leave alone.
mkdir -p "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/other" "$prefix/bin"
for f in include/other.h lib/libother.so lib/pkgconfig/other.pc lib/cmake/other/otherConfig.cmake \
    bin/other; do
    echo "$f" >"$prefix/$f"
done
listing() { (cd "$prefix" && find . ! -type d | LC_ALL=C sort); }
before=$(listing)

"$MAKE" -s install-c PREFIX="$prefix" >/dev/null
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
lib=$prefix/lib

check "header installed" test -f "$prefix/include/outrig.h"
check "C++ header installed" test -f "$prefix/include/outrig.hpp"
check "static library installed" test -f "$lib/liboutrig.a"
check "shared library installed under its full version" test -f "$lib/liboutrig.so.$version"
check "liboutrig.so.$major links to the full version" \
    test "$(readlink "$lib/liboutrig.so.$major")" = "liboutrig.so.$version"
check "liboutrig.so links to the SONAME" test "$(readlink "$lib/liboutrig.so")" = "liboutrig.so.$major"
check "the SONAME is liboutrig.so.$major" \
    sh -c "readelf -d '$lib/liboutrig.so.$version' | grep -q 'SONAME.*\[liboutrig.so.$major\]'"

check "CMake package installed" \
    test -f "$lib/cmake/outrig/outrigConfig.cmake" -a -f "$lib/cmake/outrig/outrigConfigVersion.cmake"

# Stripped: the .so keeps only its dynamic symbols, the .a has no debug information.
check "the installed .so has no symbol table or debug sections" \
    sh -c "! readelf -S '$lib/liboutrig.so.$version' | grep -q -e '\.symtab' -e '\.debug_'"
check "the installed .so still exports the API" \
    sh -c "readelf --dyn-syms '$lib/liboutrig.so.$version' | grep -q ' outrig_store_open\$'"
check "the installed .a has no debug sections" \
    sh -c "! readelf -S '$lib/liboutrig.a' | grep -q '\.debug_'"

export PKG_CONFIG_PATH="$lib/pkgconfig"
check "pkg-config knows the version" test "$(pkg-config --modversion outrig)" = "$version"
check "pkg-config gives the include directory" \
    test "$(pkg-config --cflags outrig | tr -d ' ')" = "-I$prefix/include"

# Shared: the way the README says to build it.
# shellcheck disable=SC2046 # pkg-config's output is meant to split into flags
check "launcher builds against the shared library" \
    "$CC" -std=c11 -Wall -Wextra -Werror examples/launcher.c $(pkg-config --cflags --libs outrig) \
    -o "$prefix/launcher"
check "launcher needs liboutrig.so.$major" \
    sh -c "readelf -d '$prefix/launcher' | grep NEEDED | grep -q 'liboutrig.so.$major'"
status=0
LD_LIBRARY_PATH=$lib "$prefix/launcher" --root "$prefix/sessions" \
    -- sh -c 'echo from the installed launcher; exit 3' >"$prefix/out" 2>&1 || status=$?
check "the launcher exits with the command's status" test "$status" = 3
check "the command's output passes through" grep -q "from the installed launcher" "$prefix/out"
check "one session finalized with exit code 3" \
    sh -c "grep -l '\"exit_code\": 3' '$prefix'/sessions/*/session.json | wc -l | grep -qx 1"
check "the log holds the command's output" \
    grep -q "from the installed launcher" "$prefix"/sessions/*/logs/launcher.log

# Static: outrig-static.pc names the archive itself, so the linker cannot pick the .so.
check "outrig-static.pc names liboutrig.a" \
    sh -c "pkg-config --libs outrig-static | grep -q -- '$lib/liboutrig.a'"
# shellcheck disable=SC2046
check "launcher builds against the static library" \
    "$CC" -std=c11 -Wall -Wextra -Werror examples/launcher.c \
    $(pkg-config --cflags --libs outrig-static) -o "$prefix/launcher-static"
check "the static launcher does not need liboutrig.so" \
    sh -c "test -x '$prefix/launcher-static' &&
           ! readelf -d '$prefix/launcher-static' | grep NEEDED | grep -q liboutrig"
status=0
"$prefix/launcher-static" --root "$prefix/sessions" -- sh -c 'kill -TERM $$' \
    >"$prefix/out" 2>&1 || status=$?
check "a command killed by SIGTERM is status 143" test "$status" = 143
check "two sessions now, one finalized with 143" \
    sh -c "ls -d '$prefix'/sessions/*/ | wc -l | grep -qx 2 &&
           grep -l '\"exit_code\": 143' '$prefix'/sessions/*/session.json | wc -l | grep -qx 1"

# Uninstall: everything install put there goes, the other package's files stay.
rm -rf "$prefix/sessions" "$prefix/launcher" "$prefix/launcher-static" "$prefix/out"
"$MAKE" -s uninstall-c PREFIX="$prefix" >/dev/null
check "uninstall leaves exactly the files that were there before" test "$(listing)" = "$before"
check "uninstall removes the CMake package directory" test ! -e "$lib/cmake/outrig"

echo "$passed passed, $failed failed"
test "$failed" = 0

#!/bin/sh
# Installs liboutrig into a temporary prefix (`make install-c PREFIX=...`), checks the layout,
# then builds examples/launcher.c against the installed copy through pkg-config, linked shared
# and static, and runs both. Prints "N passed, N failed" last.
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

"$MAKE" -s install-c PREFIX="$prefix" >/dev/null
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
lib=$prefix/lib

check "header installed" test -f "$prefix/include/outrig.h"
check "static library installed" test -f "$lib/liboutrig.a"
check "shared library installed under its full version" test -f "$lib/liboutrig.so.$version"
check "liboutrig.so.$major links to the full version" \
    test "$(readlink "$lib/liboutrig.so.$major")" = "liboutrig.so.$version"
check "liboutrig.so links to the SONAME" test "$(readlink "$lib/liboutrig.so")" = "liboutrig.so.$major"
check "the SONAME is liboutrig.so.$major" \
    sh -c "readelf -d '$lib/liboutrig.so.$version' | grep -q 'SONAME.*\[liboutrig.so.$major\]'"

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

# Static: the archive and Libs.private; the installed .so is not needed at run time.
# shellcheck disable=SC2046
check "launcher builds against the static library" \
    "$CC" -std=c11 -Wall -Wextra -Werror -Wl,--as-needed examples/launcher.c \
    $(pkg-config --cflags outrig) "$(pkg-config --variable=libdir outrig)/liboutrig.a" \
    $(pkg-config --static --libs outrig) -o "$prefix/launcher-static"
check "the static launcher does not need liboutrig.so" \
    sh -c "! readelf -d '$prefix/launcher-static' | grep NEEDED | grep -q liboutrig"
status=0
"$prefix/launcher-static" --root "$prefix/sessions" -- sh -c 'kill -TERM $$' \
    >"$prefix/out" 2>&1 || status=$?
check "a command killed by SIGTERM is status 143" test "$status" = 143
check "two sessions now, one finalized with 143" \
    sh -c "ls -d '$prefix'/sessions/*/ | wc -l | grep -qx 2 &&
           grep -l '\"exit_code\": 143' '$prefix'/sessions/*/session.json | wc -l | grep -qx 1"

echo "$passed passed, $failed failed"
test "$failed" = 0

#!/bin/sh
# Installs liboutrig into a temporary prefix (`make install-c PREFIX=...`), moves the installed
# tree elsewhere (the CMake package finds its files relative to itself), then configures,
# builds and runs tests/cmake/consumer against it: a C program linked with outrig::outrig, one
# with outrig::outrig_static, and a C++ one (through the installed outrig.hpp) with each of
# outrig::outrig_cxx_static and outrig::outrig_cxx (which must raise the consumer's C++14 to
# C++17). Also checks the version file refuses what it must, and builds the README's C and C++
# programs with the README's CMakeLists.txt. Prints "N passed, N failed" last.
set -eu
cd "$(dirname "$0")/../.."
MAKE=${MAKE:-make}
CMAKE=${CMAKE:-cmake}
CC=${CC:-cc}
CXX=${CXX:-c++}

work=$(mktemp -d "${TMPDIR:-/tmp}/outrig-cmake-XXXXXX")
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
        echo "FAIL cmake: $what" >&2
    fi
}

"$MAKE" -s install-c PREFIX="$work/installed" >/dev/null
mv "$work/installed" "$work/moved"
prefix=$work/moved
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}

check "outrigConfig.cmake installed" test -f "$prefix/lib/cmake/outrig/outrigConfig.cmake"
check "outrigConfigVersion.cmake installed" \
    test -f "$prefix/lib/cmake/outrig/outrigConfigVersion.cmake"

# configure BUILD_DIR WANTED_VERSION: the consumer against the moved prefix.
configure() {
    CC=$CC CXX=$CXX "$CMAKE" -S tests/cmake/consumer -B "$1" -DCMAKE_PREFIX_PATH="$prefix" \
        -DOUTRIG_WANT="$2" >"$1.log" 2>&1
}

check "the consumer configures asking for $version" configure "$work/build" "$version"
check "the consumer builds" sh -c "'$CMAKE' --build '$work/build' >'$work/build.log' 2>&1"
if [ "$failed" != 0 ]; then
    cat "$work/build.log" "$work/build/CMakeFiles/CMakeError.log" 2>/dev/null >&2 || true
fi
shared=$work/build/consumer_shared
static=$work/build/consumer_static

check "outrig::outrig links liboutrig.so.$major" \
    sh -c "readelf -d '$shared' | grep NEEDED | grep -q 'liboutrig.so.$major'"
check "outrig::outrig_static links no liboutrig.so" \
    sh -c "test -x '$static' && ! readelf -d '$static' | grep NEEDED | grep -q liboutrig"
# CMake records the imported library's directory as the build tree's run path, so the
# shared program finds the moved library without LD_LIBRARY_PATH.
check "the shared consumer runs and finalizes a session" \
    sh -c "env -u LD_LIBRARY_PATH '$shared' '$work/root-shared' | grep -qx '1 session, exit code 7'"
check "the static consumer runs and finalizes a session" \
    sh -c "'$static' '$work/root-static' | grep -qx '1 session, exit code 7'"
check "the static consumer wrote the record" \
    sh -c "grep -l '\"exit_code\": 7' '$work'/root-static/*/session.json | wc -l | grep -qx 1"
check "the C++ consumer links no liboutrig.so" \
    sh -c "test -x '$work/build/consumer_cxx' &&
           ! readelf -d '$work/build/consumer_cxx' | grep NEEDED | grep -q liboutrig"
check "the C++ consumer lists that session" \
    sh -c "'$work/build/consumer_cxx' '$work/root-static' | grep -qx 'sessions: 1'"
check "the C++ consumer through outrig::outrig_cxx links liboutrig.so.$major" \
    sh -c "readelf -d '$work/build/consumer_cxx_shared' | grep NEEDED | grep -q 'liboutrig.so.$major'"
check "it lists that session too" \
    sh -c "'$work/build/consumer_cxx_shared' '$work/root-static' | grep -qx 'sessions: 1'"
check "outrig::outrig_cxx compiled the C++ consumer as C++17" \
    grep -rq -- '-std=c++17' "$work/build/CMakeFiles/consumer_cxx_shared.dir/flags.make"

# The version file: the same major version at or below this one is found, anything else not.
check "asking for $major.0 is met" configure "$work/low" "$major.0"
check "asking for the next major version is refused" \
    sh -c "! CC='$CC' CXX='$CXX' '$CMAKE' -S tests/cmake/consumer -B '$work/next' \
        -DCMAKE_PREFIX_PATH='$prefix' -DOUTRIG_WANT=$((major + 1)).0 >'$work/next.log' 2>&1"
check "the refusal names the version found" grep -q "$version" "$work/next.log"
check "asking for a later release is refused" \
    sh -c "! CC='$CC' CXX='$CXX' '$CMAKE' -S tests/cmake/consumer -B '$work/later' -DCMAKE_PREFIX_PATH='$prefix' \
        -DOUTRIG_WANT=$version.1 >'$work/later.log' 2>&1"

# The README's CMake example, as printed, building the README's C program.
# readme_block LANG: the first ```LANG block of the README's C section.
readme_block() {
    awk -v lang="$1" '
        /^## / { in_c = ($0 == "## C and C++") }
        in_c && !done && $0 == "```" lang { copying = 1; next }
        copying && $0 == "```" { copying = 0; done = 1 }
        copying { print }
    ' README.md
}
mkdir "$work/readme"
readme_block cmake >"$work/readme/CMakeLists.txt"
readme_block c >"$work/readme/demo.c"
readme_block cpp >"$work/readme/demo.cpp"
check "the README has a CMake example, a C program and a C++ one" \
    sh -c "grep -q outrig::outrig_cxx '$work/readme/CMakeLists.txt' &&
           grep -q 'int main' '$work/readme/demo.c' && grep -q 'int main' '$work/readme/demo.cpp'"
check "the README's CMake example builds its C and C++ programs" sh -c \
    "CC='$CC' CXX='$CXX' '$CMAKE' -S '$work/readme' -B '$work/readme/build' \
        -DCMAKE_PREFIX_PATH='$prefix' >'$work/readme.log' 2>&1 &&
     '$CMAKE' --build '$work/readme/build' >>'$work/readme.log' 2>&1"
if [ "$failed" != 0 ]; then cat "$work/readme.log" >&2; fi
check "the README's program runs" \
    sh -c "'$work/readme/build/demo' '$work/readme-root' >'$work/readme.out' 2>&1"
check "the README's program made one finalized session" \
    sh -c "grep -l '\"exit_code\": 0' '$work'/readme-root/*/session.json | wc -l | grep -qx 1"
check "the README's C++ program runs on the root it is given" \
    sh -c "'$work/readme/build/demo_cpp' '$work/readme-cpp-root' >'$work/readme-cpp.out' 2>&1"
check "it lists its one session as finished" \
    sh -c "grep -qx '[0-9T]*-[0-9a-f]*  finished' '$work/readme-cpp.out' &&
           ls '$work/readme-cpp-root' | wc -l | grep -qx 1"

echo "$passed passed, $failed failed"
test "$failed" = 0

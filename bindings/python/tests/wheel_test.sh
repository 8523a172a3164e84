#!/bin/sh
# Checks what `make wheel` built (WHEEL_DIR): one abi3 wheel and one sdist of this version; the
# sdist holds what a source build needs. Then installs the wheel into a fresh virtualenv and runs
# the Python suite there with no cargo or rustc on PATH, so nothing can be built on the way:
# the tests that run a Rust program through cargo (test_interop.py's `_cargo` ones) are
# deselected, and exactly those. Prints "N passed, N failed" last.
#
# Environment: WHEEL_DIR, WHEEL_VENV (made afresh), TOOLS_PY (a Python with pip, whose
# `pip --python` fills the new virtualenv), PYTHON (the interpreter the virtualenv is made
# from), and optionally the OUTRIG_C_* variables test_interop.py reads.
set -eu
cd "$(dirname "$0")/.."
: "${WHEEL_DIR:?}" "${WHEEL_VENV:?}" "${TOOLS_PY:?}" "${PYTHON:=python3}"

passed=0
failed=0
check() { # check DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL wheel: $what" >&2
    fi
}

version=$(sed -n 's/^version = "\(.*\)"/\1/p' ../../Cargo.toml | head -n 1)
count=0
for w in "$WHEEL_DIR"/*.whl; do
    [ -e "$w" ] || continue
    count=$((count + 1))
    wheels=${w##*/}
done
check "one wheel built" test "$count" = 1
check "the wheel is abi3 for Python 3.9 on" \
    sh -c "echo '${wheels:-}' | grep -q '^outrig-$version-cp39-abi3-.*\.whl$'"
sdist=$WHEEL_DIR/outrig-$version.tar.gz
check "the sdist is built" test -f "$sdist"
sdist_files=$(tar tzf "$sdist")
for f in pyproject.toml Cargo.toml Cargo.lock src/lib.rs bindings/python/Cargo.toml \
    bindings/python/src/lib.rs python/outrig/__init__.pyi python/outrig/aio.py \
    python/outrig/py.typed; do
    check "the sdist holds $f" sh -c "echo '$sdist_files' | grep -qx 'outrig-$version/$f'"
done
# The repository's test rigs are not what a source build needs (Cargo.toml's exclude; the
# power-cut harness and lossyfs are packages the core does not depend on).
for d in tests/lossyfs tests/powercut tests/c tests/cmake tests/abi abi; do
    check "the sdist leaves out $d/" sh -c "! echo '$sdist_files' | grep -q '^outrig-$version/$d/'"
done
# Nor does a manifest it ships name them, and cargo reads those manifests without a warning.
# On the unpacked sdist, from the module's directory as its build runs: `cargo fetch` (offline:
# the wheel's build cached the registry's crates) prints what cargo says of every manifest it
# reads (`cargo metadata` keeps warnings to itself), and `cargo metadata` names the members.
unpacked=$WHEEL_VENV.sdist
rm -rf "$unpacked" && mkdir -p "$unpacked" && tar xzf "$sdist" -C "$unpacked"
status=0
(cd "$unpacked/outrig-$version/bindings/python" && cargo fetch --offline \
    && cargo metadata --offline --format-version 1 >../../../metadata.json) \
    2>"$unpacked/cargo.log" || status=$?
check "cargo reads the sdist's manifests" test "$status" = 0
check "cargo prints no warning reading them" test ! -s "$unpacked/cargo.log"
cat "$unpacked/cargo.log" >&2
members=$("$TOOLS_PY" -c 'import json, sys
m = json.load(open(sys.argv[1]))
print(" ".join(sorted(p["name"] for p in m["packages"] if p["id"] in m["workspace_members"])))
' "$unpacked/metadata.json" 2>/dev/null || true)
check "the sdist's workspace is the core and the module alone (not: $members)" \
    test "$members" = "outrig outrig-python"
rm -rf "$unpacked"

rm -rf "$WHEEL_VENV"
"$PYTHON" -m venv --without-pip "$WHEEL_VENV"
venv_py=$WHEEL_VENV/bin/python
"$TOOLS_PY" -m pip --python "$venv_py" install --quiet pip pytest
"$TOOLS_PY" -m pip --python "$venv_py" install --quiet --no-index --no-deps "$WHEEL_DIR/$wheels"

# PATH without any directory that has cargo or rustc (rustup's shims included).
no_rust_path=$(echo "$PATH" | tr ':' '\n' | while read -r dir; do
    [ -n "$dir" ] && [ ! -e "$dir/cargo" ] && [ ! -e "$dir/rustc" ] && printf '%s:' "$dir"
done)
no_rust_path=$WHEEL_VENV/bin:${no_rust_path%:}
check "no cargo or rustc on the test's PATH" \
    env PATH="$no_rust_path" sh -c '! command -v cargo && ! command -v rustc' >/dev/null

# The sdist without Rust, as the README says to install it: MATURIN_NO_INSTALL_RUST=1 makes
# maturin stop at once with a message naming cargo, instead of downloading a toolchain.
status=0
env -u CARGO -u RUSTUP_HOME -u CARGO_HOME PATH="$(dirname "$TOOLS_PY"):$no_rust_path" \
    MATURIN_NO_INSTALL_RUST=1 "$TOOLS_PY" -m pip wheel --no-build-isolation --no-deps \
    --wheel-dir "$WHEEL_VENV/sdist-out" "$sdist" >"$WHEEL_VENV/no-rust.log" 2>&1 || status=$?
check "the sdist without cargo and MATURIN_NO_INSTALL_RUST=1 fails" test "$status" != 0
check "its message says cargo is missing" grep -q "Cargo.*is not installed" "$WHEEL_VENV/no-rust.log"
check "it built nothing" test ! -e "$WHEEL_VENV/sdist-out/outrig-$version-cp39-abi3-"*.whl
where=$(cd / && env PATH="$no_rust_path" "$venv_py" -c 'import outrig; print(outrig.__file__)')
in_venv=$(cd / && "$venv_py" -c 'import outrig, sys; print(outrig.__file__.startswith(sys.prefix))')
check "outrig imports from the fresh virtualenv" test "$in_venv" = True
check "the wheel's extension is stripped" \
    sh -c "! readelf -S '$(dirname "$where")'/_outrig*.so | grep -q -e '\.debug_' -e '\.symtab'"

status=0
env -u CARGO -u RUSTUP_HOME -u CARGO_HOME PATH="$no_rust_path" \
    "$venv_py" -m pytest -q -p no:cacheprovider tests \
    -k "not through_rust and not rust_reader" >"$WHEEL_VENV/pytest.log" 2>&1 || status=$?
tail -n 3 "$WHEEL_VENV/pytest.log"
check "the Python suite passes against the installed wheel" test "$status" = 0
check "exactly the two cargo tests were deselected" \
    grep -q ' 2 deselected' "$WHEEL_VENV/pytest.log"
if [ "$status" != 0 ]; then cat "$WHEEL_VENV/pytest.log" >&2; fi

echo "$passed passed, $failed failed"
test "$failed" = 0

"""The extension carries the Rust core without its C ABI: the C library's symbols belong to
liboutrig alone, so a process that loads both never has two definitions of one C function."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from outrig import _outrig


def test_the_module_exports_no_c_abi_symbol() -> None:
    nm = shutil.which("nm")
    if nm is None:
        pytest.fail("nm (binutils) is needed to read the module's symbols; install binutils")
    done = subprocess.run(
        [nm, "-D", "--defined-only", _outrig.__file__],
        capture_output=True,
        text=True,
        check=True,
    )
    exported = [line.split()[-1] for line in done.stdout.splitlines() if line.strip()]
    assert any(name.startswith("PyInit_") for name in exported), "read the right file"
    assert [n for n in exported if n.startswith("outrig_")] == []

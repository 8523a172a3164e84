"""Interop: a session made from Python reads byte for byte through a separate Rust program, and
a session the C launcher made reads in Python."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import outrig
from conftest import REPO


def _cargo() -> str:
    cargo = os.environ.get("CARGO", "cargo")
    if shutil.which(cargo) is None:
        pytest.fail(f"{cargo} is not on PATH; the interop test runs a Rust example with it")
    return cargo


def _rust_record(root: Path, sid: str) -> bytes:
    """The record as the Rust example `print_record` reads (and would rewrite) it."""
    done = subprocess.run(
        [_cargo(), "run", "-q", "--example", "print_record", "--", str(root), sid],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def test_python_sessions_read_byte_identical_through_rust(
    store: outrig.SessionStore, new: dict[str, Any], tmp_path: Path
) -> None:
    auto = store.create(
        **new,
        image_config_name="coding",
        agent_name="研究",
        sidecar_container_names=["tools", "web"],
    )
    store.log_path(auto.id, "agent.log").write_text("hello\n")
    auto = store.finalize(auto.id, -3)
    explicit = store.create(**new, session_dir=tmp_path / "explicit dir")
    for s, record in ((auto, auto.session_dir), (explicit, tmp_path / "explicit dir")):
        on_disk = (record / "session.json").read_bytes()
        assert on_disk == s.to_json().encode()
        assert _rust_record(store.root, s.id) == on_disk


def test_rust_reader_reports_a_missing_session(store: outrig.SessionStore) -> None:
    done = subprocess.run(
        [_cargo(), "run", "-q", "--example", "print_record", "--", str(store.root), "nope"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    assert done.returncode != 0 and b"no session nope" in done.stderr


def _c_demo_root() -> Path | None:
    """The root the C launcher wrote (`make demo-c`), if there is one."""
    named = os.environ.get("OUTRIG_C_DEMO_ROOT")
    root = Path(named) if named else REPO / "build" / "demo-root"
    return root if root.is_dir() else None


def test_sessions_made_by_the_c_launcher_read_in_python() -> None:
    root = _c_demo_root()
    if root is None:
        message = "no root written by the C launcher: run `make demo-c` (or set OUTRIG_C_DEMO_ROOT)"
        if os.environ.get("OUTRIG_REQUIRE_C_DEMO"):
            pytest.fail(message)
        pytest.skip(message)
    store = outrig.SessionStore(root)
    listing = store.list()
    assert listing.skipped == []
    assert len(listing) >= 1, f"the C launcher left no session under {root}"
    for s in listing:
        record = (s.session_dir / "session.json").read_bytes()
        assert s.to_json().encode() == record, "the C launcher wrote the canonical bytes"
        assert store.get(s.id) == s
        assert s.container_name and s.image_tag
        assert s.started_at.utcoffset() is not None
    finished = [s for s in listing if s.finalized]
    assert finished, "the launcher finalizes its session"
    for s in finished:
        assert s.exit_code is not None and s.ended_at is not None and s.ended_at >= s.started_at


def _c_launcher() -> Path | None:
    """The C launcher example as `make c-tests` builds it, if it is built."""
    named = os.environ.get("OUTRIG_C_LAUNCHER")
    path = Path(named) if named else REPO / "build" / "c" / "launcher"
    return path if os.access(path, os.X_OK) else None


@pytest.mark.parametrize(
    ("script", "status", "logged"),
    [
        ("echo out; echo err >&2; exit 3", 3, "out\nerr\n"),
        ("echo bye; kill -TERM $$", 128 + 15, "bye\n"),
    ],
)
def test_a_session_the_c_launcher_makes_reads_in_python(
    tmp_path: Path, script: str, status: int, logged: str
) -> None:
    launcher = _c_launcher()
    if launcher is None:
        message = "the C launcher is not built: run `make c-tests` (or set OUTRIG_C_LAUNCHER)"
        if os.environ.get("OUTRIG_REQUIRE_C_DEMO"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path / "root"
    done = subprocess.run(
        [str(launcher), "--root", str(root), "--name", "outrig-c", "--image", "img:c",
         "--agent", "py-test", "--", "sh", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == status, done.stderr
    store = outrig.SessionStore(root)
    (s,) = store.list()
    assert store.list().skipped == []
    assert f"launcher: session {s.id}" in done.stderr
    assert (s.container_name, s.image_tag, s.agent_name) == ("outrig-c", "img:c", "py-test")
    assert s.working_dir == tmp_path and s.session_dir == root / s.id
    assert s.exit_code == status and s.finalized
    assert s.ended_at is not None and s.started_at <= s.ended_at
    assert (s.session_dir / "session.json").read_text() == s.to_json()
    assert [f.name for f in store.logs(s.id)] == ["launcher.log"]
    log = store.find_log(s.id, "launcher.log").read_text()
    assert logged in log and f"# launcher: exit status {status}" in log
    # And Python can finish what C started: remove it.
    assert store.remove(s.id) == [] and not s.session_dir.exists()

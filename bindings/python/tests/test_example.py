"""examples/list_sessions.py prints a root like `outrig ls`."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import outrig
from conftest import REPO, place_record

SCRIPT = REPO / "examples" / "list_sessions.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_lists_like_outrig_ls(store: outrig.SessionStore, root: Path, tmp_path: Path) -> None:
    utc = timezone.utc
    done = store.create(
        container_name="c",
        image_tag="localhost/outrig-coding:d8aa33",
        working_dir="/w",
        image_config_name="coding",
        started_at=datetime(2026, 5, 1, 14, 19, 7, tzinfo=utc),
    )
    store.finalize(done.id, 3, datetime(2026, 5, 1, 15, 24, 7, tzinfo=utc))
    running = store.create(
        container_name="c", image_tag="img:1", working_dir="/w", session_dir=tmp_path / "ex"
    )
    place_record(root, "20200101T000000-dead", b"{")
    out = run(str(root))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"# 2 session(s) under {root}"
    assert lines[1].split() == ["ID", "STARTED", "DURATION", "IMAGE", "EXIT"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert rows[done.id].split() == [done.id, "2026-05-01", "14:19:07", "1h05m", "coding", "3"]
    assert rows[running.id].split()[3:] == ["-", "img:1", "-", "->", str(tmp_path / "ex")]
    assert list(rows) == [running.id, done.id], "newest (latest start) first"
    assert out.stderr.startswith("skipped 20200101T000000-dead: ")


def test_reports_errors_and_usage(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    out = run(str(f))
    assert out.returncode == 1 and "reading session root" in out.stderr
    assert run("a", "b").returncode == 2
    empty = run(str(tmp_path / "none"))
    assert empty.returncode == 0 and "# 0 session(s)" in empty.stdout

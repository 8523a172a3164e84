"""Shared fixtures: a store under a fresh root, the conformance vectors, the repository."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import outrig

#: The repository (tests -> python -> bindings -> repo).
REPO = Path(__file__).resolve().parents[3]

#: The id inside every conformance vector.
VECTOR_ID = "20260501T134412-3f2a"

#: The end time and exit code the `.finalized.json` vectors were made with.
VECTOR_ENDED_AT = datetime(2026, 5, 1, 14, 19, 51, tzinfo=timezone.utc)

#: Ids that must never become paths.
HOSTILE_IDS = ["", ".", "..", ".hidden", "a/b", "../x", "/etc", "a\0b", "x" * 256, "a b", "é"]


def conformance_dir() -> Path:
    """`$OUTRIG_CONFORMANCE_DIR`, else `<repo>/../shared/conformance`."""
    override = os.environ.get("OUTRIG_CONFORMANCE_DIR")
    return Path(override) if override else REPO.parent / "shared" / "conformance"


@pytest.fixture(scope="session")
def vectors() -> Path:
    d = conformance_dir()
    if not any(d.glob("*.input.json")):
        pytest.fail(
            f"no conformance vectors in {d}; check out shared/ beside the repository or set "
            "OUTRIG_CONFORMANCE_DIR"
        )
    return d


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def store(root: Path) -> outrig.SessionStore:
    return outrig.SessionStore(root)


@pytest.fixture
def new() -> dict[str, Any]:
    """Keyword arguments for a minimal `create`."""
    return {
        "container_name": "outrig-test",
        "image_tag": "localhost/outrig-coding:d8aa33",
        "working_dir": "/home/me/repo",
    }


def place_record(root: Path, entry: str, data: bytes) -> Path:
    """Writes `data` as `<root>/<entry>/session.json`; returns the session directory."""
    d = root / entry
    d.mkdir(parents=True)
    (d / "session.json").write_bytes(data)
    return d


def tree(top: Path) -> set[str]:
    """Every path under `top`, relative, symlinks not followed."""
    return {str(p.relative_to(top)) for p in top.rglob("*")}

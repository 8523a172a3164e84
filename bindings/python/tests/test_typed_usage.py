"""Typical use, fully annotated: `mypy --strict` checks it against the stubs, pytest runs it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import outrig


def start(store: outrig.SessionStore, workdir: Path) -> outrig.Session:
    return store.create(
        container_name="outrig-typed",
        image_tag="localhost/outrig-coding:d8aa33",
        working_dir=workdir,
        image_config_name="coding",
        agent_name=None,
        sidecar_container_names=("tools",),
        started_at=datetime(2026, 5, 1, 14, 19, 7, tzinfo=timezone.utc),
    )


def summary(listing: outrig.Listing) -> list[tuple[str, str, Optional[int]]]:
    rows: list[tuple[str, str, Optional[int]]] = []
    for s in listing:
        took: Optional[timedelta] = s.duration
        text = "-" if took is None else outrig.format_duration(took)
        rows.append((s.id, text, s.exit_code))
    return rows


def test_typed_usage(tmp_path: Path) -> None:
    store = outrig.SessionStore.resolve(tmp_path / "root")
    root: Path = store.root
    s = start(store, tmp_path)
    log: Path = store.log_path(s.id, "agent.log")
    log.write_text("hello\n")
    files: list[outrig.LogFile] = store.logs(s.id)
    assert [(f.name, f.size) for f in files] == [("agent.log", 6)]
    assert store.find_log(s.id, "agent.log") == log
    done = store.finalize(s.id, 0, datetime(2026, 5, 1, 14, 25, 9, tzinfo=timezone.utc))
    assert summary(store.list()) == [(s.id, "6m02s", 0)]
    with store.session(container_name="c", image_tag="t", working_dir=".") as inner:
        running: bool = not inner.finalized
        assert running
    listing = store.list()
    seq: Sequence[outrig.Session] = listing
    first: outrig.Session = listing[0]
    some: list[outrig.Session] = listing[0:1]
    skipped: list[outrig.Skipped] = listing.skipped
    assert len(seq) == 2 and first in some and skipped == []
    started: datetime = done.started_at
    ended: Optional[datetime] = done.ended_at
    assert ended is not None and ended - started == timedelta(minutes=6, seconds=2)
    assert outrig.format_started_at(started) == "2026-05-01 14:19:07"
    dirs: tuple[Path, Path, Optional[Path]] = (done.working_dir, done.session_dir, done.link_target)
    assert dirs[1].parent == root
    as_dict: dict[str, object] = done.to_dict()
    assert as_dict["exit_code"] == 0 and done.to_json().startswith("{")
    kept: list[str] = store.remove(s.id)
    removed: list[outrig.Session] = store.clean(timedelta(days=3650), dry_run=True)
    assert kept == [] and removed == []
    try:
        store.get(s.id)
    except outrig.NotFoundError as e:
        assert e.errno is not None
    try:
        store.get("../etc")
    except outrig.InvalidArgumentError as e:
        message: str = str(e)
        assert "invalid session id" in message
    assert isinstance(store.entry_path(s.id), Path) and outrig.__version__


def ended(store: outrig.SessionStore, id: str) -> Optional[outrig.State]:
    try:
        return store.wait(id, timeout=0.05)
    except TimeoutError:
        return None
    except outrig.NotFoundError:
        return None


def test_typed_wait_and_watch(tmp_path: Path) -> None:
    store = outrig.SessionStore(tmp_path / "root")
    with store.watch() as watch:
        s = start(store, tmp_path)
        assert ended(store, s.id) is None  # runs: held by this process
        store.finalize(s.id, 0)
        assert ended(store, s.id) is outrig.State.FINISHED
        kinds: list[outrig.EventKind] = []
        while len(kinds) < 2:
            event: Optional[outrig.WatchEvent] = watch.next(timeout=10)
            assert event is not None
            kinds.append(event.kind)
            record: Optional[outrig.Session] = event.session
            assert record is not None and record.id == event.id
        assert kinds == [outrig.EventKind.CREATED, "finalized"]

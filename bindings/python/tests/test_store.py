"""SessionStore: every method, its happy path and its errors."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import outrig
from conftest import place_record

UTC = timezone.utc
LONG_AGO = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)


# --- construction and roots ---------------------------------------------------------------


def test_root_is_an_absolute_path(root: Path) -> None:
    store = outrig.SessionStore(root)
    assert isinstance(store.root, Path)
    assert store.root == root
    assert not root.exists(), "opening a store creates nothing"


def test_relative_root_is_made_absolute_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = outrig.SessionStore("rel/root")
    monkeypatch.chdir("/")
    assert store.root == tmp_path / "rel" / "root"


def test_root_accepts_pathlike(root: Path) -> None:
    class P:
        def __fspath__(self) -> str:
            return str(root)

    assert outrig.SessionStore(P()).root == root  # type: ignore[arg-type]


def test_root_must_be_a_path(root: Path) -> None:
    with pytest.raises(TypeError):
        outrig.SessionStore(42)  # type: ignore[arg-type]
    with pytest.raises(outrig.InvalidArgumentError, match="empty"):
        outrig.SessionStore("")


def test_default_root_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    want = tmp_path / "data" / "outrig" / "sessions"
    assert outrig.SessionStore().root == want
    assert outrig.SessionStore(None).root == want
    assert outrig.SessionStore.resolve().root == want


def test_default_root_reads_the_global_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "config" / "outrig" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('session-root = "sessions-here"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert outrig.SessionStore().root == cfg.parent / "sessions-here"


def test_resolve_prefers_explicit_then_named_config(tmp_path: Path) -> None:
    cfg = tmp_path / "other.toml"
    cfg.write_text('session-root = "/srv/sessions"\n')
    assert outrig.SessionStore.resolve(global_config=cfg).root == Path("/srv/sessions")
    assert outrig.SessionStore.resolve(str(cfg)).root == cfg  # a root, not a config
    assert outrig.SessionStore.resolve(tmp_path / "x", global_config=cfg).root == tmp_path / "x"
    # A named config must exist (as outrig's --global-config); with a root it is not read.
    missing = tmp_path / "missing.toml"
    with pytest.raises(outrig.ConfigError, match="does not exist") as info:
        outrig.SessionStore.resolve(global_config=missing)
    assert str(missing) in str(info.value)
    assert outrig.SessionStore.resolve(tmp_path / "x", global_config=missing).root == tmp_path / "x"
    # An empty session-root is the config file's own directory, as in outrig.
    cfg.write_text('session-root = ""\n')
    assert outrig.SessionStore.resolve(global_config=cfg).root == tmp_path


def test_malformed_config_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("session-root = [")
    with pytest.raises(outrig.ConfigError) as info:
        outrig.SessionStore.resolve(global_config=cfg)
    assert str(cfg) in str(info.value)
    assert isinstance(info.value, outrig.OutrigError)
    cfg.write_text("session-root = 3\n")
    with pytest.raises(outrig.ConfigError, match="must be a string"):
        outrig.SessionStore.resolve(global_config=cfg)


def test_missing_home_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    # Without HOME the standard library may still find a home in the password database; the
    # error is only certain when it cannot.
    try:
        root = outrig.SessionStore().root
    except outrig.ConfigError as e:
        assert "HOME" in str(e)
    else:
        assert root.is_absolute()


def test_store_equality_repr_and_hash(root: Path, tmp_path: Path) -> None:
    a, b = outrig.SessionStore(root), outrig.SessionStore(str(root))
    assert a == b and hash(a) == hash(b)
    assert a != outrig.SessionStore(tmp_path / "other")
    assert a != str(root)
    assert repr(a) == f"SessionStore({str(root)!r})"


# --- create -----------------------------------------------------------------------------


def test_create_auto_session(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new, image_config_name="coding", agent_name="coder")
    assert s.session_dir == store.root / s.id
    assert (s.session_dir / "session.json").read_text() == s.to_json()
    assert s.link_target is None
    assert not s.finalized and s.ended_at is None and s.exit_code is None and s.duration is None
    assert s.image_config_name == "coding" and s.agent_name == "coder"
    assert s.sidecar_container_names == ()
    assert s.working_dir == Path("/home/me/repo")
    assert s.started_at.tzinfo is not None
    assert s.started_at.utcoffset() == timedelta(0)
    assert store.get(s.id) == s


def test_create_with_every_field(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    start = datetime(2026, 5, 1, 16, 44, 12, 500000, tzinfo=timezone(timedelta(hours=2)))
    s = store.create(
        **new,
        sidecar_container_names=("tools", "web"),
        started_at=start,
    )
    assert s.sidecar_container_names == ("tools", "web")
    assert s.started_at == start
    assert s.started_at.tzinfo == UTC
    assert '"started_at": "2026-05-01T14:44:12.5Z"' in s.to_json()


def test_create_accepts_a_list_of_sidecars_and_pathlike_dirs(
    store: outrig.SessionStore, new: dict[str, Any]
) -> None:
    s = store.create(
        container_name="c", image_tag="t", working_dir=Path("/w"), sidecar_container_names=["a"]
    )
    assert s.working_dir == Path("/w") and s.sidecar_container_names == ("a",)


@pytest.mark.parametrize("field", ["container_name", "image_tag", "working_dir"])
def test_create_refuses_empty_required_values(
    store: outrig.SessionStore, new: dict[str, Any], field: str
) -> None:
    with pytest.raises(outrig.InvalidArgumentError, match=field):
        store.create(**{**new, field: ""})
    assert not store.root.exists()


def test_create_refuses_bad_argument_types(
    store: outrig.SessionStore, new: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        store.create(**{**new, "sidecar_container_names": "tools"})  # a str is no sequence
    with pytest.raises(TypeError):
        store.create(**{**new, "started_at": "2026-05-01"})
    with pytest.raises(TypeError):
        store.create(**{k: v for k, v in new.items() if k != "image_tag"})
    with pytest.raises(TypeError):
        store.create("c", "t", "/w")  # type: ignore[misc]
    with pytest.raises(outrig.InvalidArgumentError, match="sidecar"):
        store.create(**new, sidecar_container_names=["ok", ""])
    assert not store.root.exists()


def test_create_refuses_a_naive_start_time(
    store: outrig.SessionStore, new: dict[str, Any]
) -> None:
    with pytest.raises(outrig.InvalidArgumentError, match="naive"):
        store.create(**new, started_at=datetime(2026, 5, 1, 12, 0, 0))
    assert not store.root.exists()


def test_create_explicit_session(
    store: outrig.SessionStore, new: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere" / "deep" / "session"
    s = store.create(**new, session_dir=target)
    assert s.session_dir == target and s.link_target == target
    entry = store.entry_path(s.id)
    assert entry.is_symlink() and Path(os.readlink(entry)) == target
    assert (target / "session.json").read_text() == s.to_json()
    got = store.get(s.id)
    assert got == s and got.link_target == target
    by_path = store.get_by_path(target)
    assert by_path.link_target is None and by_path.to_json() == s.to_json()


def test_create_explicit_refuses_unusable_directories(
    store: outrig.SessionStore, new: dict[str, Any], tmp_path: Path
) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / ".dotfile").write_text("x")
    with pytest.raises(outrig.DirNotUsableError, match="not empty"):
        store.create(**new, session_dir=full)
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "session.json").write_text("{}")
    with pytest.raises(outrig.DirNotUsableError, match="earlier session"):
        store.create(**new, session_dir=earlier)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(outrig.DirNotUsableError, match="not a directory"):
        store.create(**new, session_dir=a_file)
    inside = store.root / "inside"
    with pytest.raises(outrig.DirNotUsableError, match="inside the session root"):
        store.create(**new, session_dir=inside)
    assert list(store.root.iterdir()) == [], "a failed create leaves nothing behind"
    assert not inside.exists()


def test_create_under_a_root_that_is_a_file(tmp_path: Path, new: dict[str, Any]) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(outrig.OutrigIOError) as info:
        outrig.SessionStore(blocker / "root").create(**new)
    assert isinstance(info.value, OSError)
    assert str(blocker / "root") in str(info.value)


# --- finalize and sidecars ----------------------------------------------------------------


def test_finalize(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    start = datetime(2026, 5, 1, 14, 0, 0, tzinfo=UTC)
    s = store.create(**new, started_at=start)
    end = start + timedelta(minutes=6, seconds=2, microseconds=250)
    f = store.finalize(s.id, 3, end)
    assert f.exit_code == 3 and f.ended_at == end and f.finalized
    assert f.duration == timedelta(minutes=6, seconds=2, microseconds=250)
    assert store.get(s.id) == f
    assert (s.session_dir / "session.json").read_text() == f.to_json()
    again = store.finalize(s.id, -9, ended_at=end + timedelta(seconds=1))
    assert again.exit_code == -9 and again.ended_at == end + timedelta(seconds=1)


def test_finalize_defaults_to_now(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    before = datetime.now(UTC)
    f = store.finalize(s.id, 0)
    after = datetime.now(UTC)
    assert f.ended_at is not None
    assert before - timedelta(seconds=1) <= f.ended_at <= after + timedelta(seconds=1)


def test_finalize_takes_any_timezone(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    end = datetime(2026, 5, 1, 16, 19, 51, tzinfo=timezone(timedelta(hours=2)))
    f = store.finalize(s.id, 0, end)
    assert '"ended_at": "2026-05-01T14:19:51Z"' in f.to_json()
    assert f.ended_at is not None and f.ended_at.tzinfo == UTC


def test_finalize_refuses_bad_values(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    for code in (2**31, -(2**31) - 1, 2**64):
        with pytest.raises(outrig.InvalidArgumentError, match="32-bit"):
            store.finalize(s.id, code)
    for bad in ("0", 1.0, None, True):
        with pytest.raises(TypeError, match="exit_code"):
            store.finalize(s.id, bad)  # type: ignore[arg-type]
    with pytest.raises(outrig.InvalidArgumentError, match="naive"):
        store.finalize(s.id, 0, datetime(2026, 5, 1))
    with pytest.raises(TypeError, match="datetime"):
        store.finalize(s.id, 0, "2026-05-01T00:00:00Z")  # type: ignore[arg-type]
    assert not store.get(s.id).finalized, "nothing was written"
    assert store.finalize(s.id, 2**31 - 1).exit_code == 2**31 - 1
    assert store.finalize(s.id, -(2**31)).exit_code == -(2**31)


def test_finalize_missing_and_corrupt(store: outrig.SessionStore, root: Path) -> None:
    with pytest.raises(outrig.NotFoundError, match="no session nope"):
        store.finalize("nope", 0)
    d = place_record(root, "broken", b"{")
    with pytest.raises(outrig.CorruptRecordError):
        store.finalize("broken", 0)
    assert (d / "session.json").read_bytes() == b"{", "a corrupt record is left alone"


def test_set_sidecar_containers(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    one = store.set_sidecar_containers(s.id, ["tools", "web"])
    assert one.sidecar_container_names == ("tools", "web")
    assert '"sidecar_container_names": [' in one.to_json()
    none = store.set_sidecar_containers(s.id, ())
    assert none.sidecar_container_names == ()
    assert "sidecar_container_names" not in none.to_json()
    with pytest.raises(outrig.InvalidArgumentError, match="empty"):
        store.set_sidecar_containers(s.id, ["a", ""])
    with pytest.raises(TypeError):
        store.set_sidecar_containers(s.id, "tools")
    with pytest.raises(outrig.NotFoundError):
        store.set_sidecar_containers("nope", ["a"])


def test_updates_keep_each_other(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    store.set_sidecar_containers(s.id, ["tools"])
    f = store.finalize(s.id, 4)
    assert f.sidecar_container_names == ("tools",) and f.exit_code == 4
    g = store.set_sidecar_containers(s.id, ["tools", "web"])
    assert g.exit_code == 4 and g.ended_at == f.ended_at


# --- reading --------------------------------------------------------------------------------


def test_get_and_get_by_path_errors(store: outrig.SessionStore, tmp_path: Path) -> None:
    with pytest.raises(outrig.NotFoundError) as info:
        store.get("20260501T134412-3f2a")
    assert isinstance(info.value, FileNotFoundError)
    assert "20260501T134412-3f2a" in str(info.value)
    with pytest.raises(outrig.NotFoundError, match="no session record"):
        store.get_by_path(tmp_path)
    with pytest.raises(outrig.NotFoundError):
        store.get_by_path(tmp_path / "missing")
    with pytest.raises(TypeError):
        store.get_by_path(None)  # type: ignore[arg-type]


def test_list_is_newest_first(store: outrig.SessionStore, new: dict[str, Any], root: Path) -> None:
    assert len(store.list()) == 0, "a missing root lists nothing"
    made = [store.create(**new) for _ in range(3)]
    (root / ".hidden").mkdir()
    (root / "stray-file").write_text("x")
    (root / "no-record").mkdir()
    listing = store.list()
    # Newest first by start time, then by id (sessions of the same second).
    want = sorted(made, key=lambda s: (s.started_at, s.id), reverse=True)
    assert [s.id for s in listing] == [s.id for s in want]
    assert listing.skipped == []


def test_listing_is_a_sequence(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    from collections.abc import Sequence

    made = sorted(
        (store.create(**new) for _ in range(4)), key=lambda s: (s.started_at, s.id), reverse=True
    )
    listing = store.list()
    assert isinstance(listing, Sequence)
    assert len(listing) == 4 and bool(listing)
    assert listing[0] == made[0] and listing[-1] == made[-1]
    assert listing[1:3] == made[1:3] and listing[::-1] == made[::-1] and listing[10:] == []
    assert list(reversed(listing)) == made[::-1]
    assert made[2] in listing and "x" not in listing
    assert listing.index(made[2]) == 2 and listing.count(made[2]) == 1
    assert listing.count(None) == 0
    with pytest.raises(ValueError):
        listing.index(made[2], 3)
    with pytest.raises(IndexError):
        listing[4]
    with pytest.raises(IndexError):
        listing[-5]
    with pytest.raises(TypeError):
        listing["0"]  # type: ignore[call-overload]
    it = iter(listing)
    assert next(it) == made[0] and iter(it) is it
    assert list(it) == made[1:]
    assert repr(listing) == "<Listing: 4 sessions, 0 skipped>"
    assert not outrig.SessionStore(store.root / "nothing").list()


def test_list_reports_unreadable_records(store: outrig.SessionStore, root: Path, new: dict[str, Any]) -> None:
    good = store.create(**new)
    place_record(root, "20260101T000000-0000", b"not json")
    elsewhere = store.create(**new).to_json().replace("outrig-test", "x")
    place_record(root, "20260101T000000-0001", elsewhere.encode())  # id differs from the entry
    big = b"{" + b" " * (1 << 20) + b"}"
    place_record(root, "20260101T000000-0002", big)
    listing = store.list()
    assert good in listing
    skipped = {s.entry: s.reason for s in listing.skipped}
    assert set(skipped) == {"20260101T000000-0000", "20260101T000000-0001", "20260101T000000-0002"}
    assert "session.json" in skipped["20260101T000000-0000"]
    assert "differs from its entry name" in skipped["20260101T000000-0001"]
    assert "limit" in skipped["20260101T000000-0002"]
    assert [s.entry for s in listing.skipped] == sorted(skipped, reverse=True)
    assert all(isinstance(s, outrig.Skipped) for s in listing.skipped)


def test_list_of_a_root_that_is_a_file_is_an_io_error(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(outrig.OutrigIOError) as info:
        outrig.SessionStore(f).list()
    import errno

    assert info.value.errno == errno.ENOTDIR
    assert info.value.filename == str(f)
    assert str(info.value).startswith(f"reading session root {f}")


def test_list_follows_explicit_sessions(store: outrig.SessionStore, new: dict[str, Any], tmp_path: Path) -> None:
    s = store.create(**new, session_dir=tmp_path / "explicit")
    (listed,) = store.list()
    assert listed == s and listed.link_target == tmp_path / "explicit"


# --- remove and clean -------------------------------------------------------------------


def test_remove(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    store.log_path(s.id, "agent.log").write_text("hello\n")
    (s.session_dir / "outrig-enter").write_text("#!/bin/sh\n")
    assert store.remove(s.id) == []
    assert not s.session_dir.exists()
    with pytest.raises(outrig.NotFoundError):
        store.remove(s.id)
    with pytest.raises(outrig.NotFoundError):
        store.get(s.id)


def test_remove_keeps_what_is_not_the_stores(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    (s.session_dir / "notes.txt").write_text("mine")
    (s.session_dir / "b-dir").mkdir()
    assert store.remove(s.id) == ["b-dir", "notes.txt"]
    assert (s.session_dir / "notes.txt").read_text() == "mine"
    assert not (s.session_dir / "session.json").exists()
    assert len(store.list()) == 0


def test_remove_explicit_and_by_path(store: outrig.SessionStore, new: dict[str, Any], tmp_path: Path) -> None:
    a = store.create(**new, session_dir=tmp_path / "a")
    assert store.remove(a.id) == []
    assert not store.entry_path(a.id).is_symlink() and not (tmp_path / "a").exists()
    b = store.create(**new, session_dir=tmp_path / "b")
    (tmp_path / "b" / "keep.txt").write_text("x")
    assert store.remove_by_path(str(tmp_path / "b")) == ["keep.txt"]
    assert not os.path.lexists(store.entry_path(b.id))
    c = store.create(**new)
    assert store.remove_by_path(c.session_dir) == []
    assert len(store.list()) == 0
    with pytest.raises(outrig.NotFoundError):
        store.remove_by_path(tmp_path / "b")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "session.json").write_text("[]")
    with pytest.raises(outrig.CorruptRecordError):
        store.remove_by_path(bad)
    assert (bad / "session.json").exists()


def test_clean(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    old = store.create(**new, started_at=LONG_AGO)
    store.finalize(old.id, 0, LONG_AGO + timedelta(minutes=1))
    recent = store.create(**new)
    store.finalize(recent.id, 1)
    running = store.create(**new, started_at=LONG_AGO)
    dry = store.clean(timedelta(days=1), dry_run=True)
    assert [s.id for s in dry] == [old.id]
    assert store.get(old.id).exit_code == 0, "a dry run removes nothing"
    removed = store.clean(timedelta(days=1))
    assert [s.id for s in removed] == [old.id] and removed[0].exit_code == 0
    assert {s.id for s in store.list()} == {recent.id, running.id}
    assert store.clean(timedelta(days=1)) == []
    assert [s.id for s in store.clean(timedelta(0), dry_run=True)] == [recent.id]


def test_clean_refuses_bad_ages(store: outrig.SessionStore) -> None:
    with pytest.raises(outrig.InvalidArgumentError, match="negative"):
        store.clean(timedelta(seconds=-1))
    with pytest.raises(TypeError, match="timedelta"):
        store.clean(86400)  # type: ignore[arg-type]
    assert store.clean(timedelta.max) == [], "nothing ended that long ago"


# --- logs and paths ---------------------------------------------------------------------


def test_logs(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    assert store.logs(s.id) == []
    p = store.log_path(s.id, "agent.log")
    assert p == s.logs_dir / "agent.log" and p.parent.is_dir() and not p.exists()
    p.write_bytes(b"12345")
    nested = store.log_path(s.id, "tools/web.log")
    nested.write_bytes(b"")
    assert store.logs(s.id) == [outrig.LogFile("agent.log", 5), outrig.LogFile("tools/web.log", 0)]
    assert store.find_log(s.id, "tools/web.log") == nested
    with pytest.raises(outrig.NotFoundError):
        store.find_log(s.id, "missing.log")
    with pytest.raises(outrig.NotFoundError):
        store.logs("nope")
    with pytest.raises(outrig.NotFoundError):
        store.log_path("nope", "a.log")
    (s.logs_dir / "blocked").mkdir()
    with pytest.raises(outrig.DirNotUsableError):
        store.log_path(s.id, "blocked")


@pytest.mark.parametrize("name", ["", "../x", "/abs", "a/../b", "a//b", ".hidden", "a/", "a\0b"])
def test_hostile_log_names(store: outrig.SessionStore, new: dict[str, Any], name: str) -> None:
    s = store.create(**new)
    with pytest.raises(outrig.InvalidArgumentError, match="invalid log name"):
        store.log_path(s.id, name)
    with pytest.raises(outrig.InvalidArgumentError):
        store.find_log(s.id, name)
    assert not s.logs_dir.exists()


def test_entry_path(store: outrig.SessionStore) -> None:
    assert store.entry_path("20260501T134412-3f2a") == store.root / "20260501T134412-3f2a"
    assert not store.root.exists()


# --- the context manager ----------------------------------------------------------------


def test_session_context_finalizes_zero(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    ctx = store.session(**new, agent_name="coder")
    assert ctx.session is None
    with ctx as s:
        assert not s.finalized and s.agent_name == "coder"
        assert not store.get(s.id).finalized
        assert ctx.session == s
    done = store.get(s.id)
    assert done.exit_code == 0 and done.finalized
    assert ctx.session == done
    with pytest.raises(RuntimeError, match="already used"):
        with ctx:
            pass


def test_session_context_finalizes_one_and_reraises(
    store: outrig.SessionStore, new: dict[str, Any]
) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with store.session(**new) as s:
            raise Boom()
    assert store.get(s.id).exit_code == 1
    with pytest.raises(KeyboardInterrupt):
        with store.session(**new) as t:
            raise KeyboardInterrupt
    assert store.get(t.id).exit_code == 130, "as a shell records Ctrl-C"


def test_session_context_refuses_bad_arguments_before_entry(
    store: outrig.SessionStore, new: dict[str, Any]
) -> None:
    with pytest.raises(outrig.InvalidArgumentError, match="naive"):
        store.session(**new, started_at=datetime(2026, 1, 1))
    with pytest.raises(outrig.InvalidArgumentError):
        with store.session(**{**new, "image_tag": ""}):
            pytest.fail("the block must not run when the create fails")
    assert not store.root.exists()


def test_a_session_removed_inside_its_block_is_left_removed(
    store: outrig.SessionStore, new: dict[str, Any]
) -> None:
    with store.session(**new) as s:
        store.remove(s.id)
        assert not s.leased, "removing it by id ended the lease"
    assert not store.entry_path(s.id).exists(), "the exit did not bring it back"
    with pytest.raises(outrig.NotFoundError):
        store.get(s.id)

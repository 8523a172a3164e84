"""Stores and listings cross process boundaries (pickle, multiprocessing); a relative
working directory is recorded absolute."""

from __future__ import annotations

import errno
import multiprocessing
import os
import pickle
from pathlib import Path
from typing import Any, Optional

import pytest

import outrig


def nothing_runs(names: list[str]) -> list[str]:
    """A module-level probe: picklable by reference."""
    return []


def everything_runs(names: list[str]) -> list[str]:
    return list(names)


def list_ids(store: outrig.SessionStore) -> list[str]:
    """Runs in a child process: what the store it was sent lists there."""
    return [s.id for s in store.list()]


def states_there(store: outrig.SessionStore, ids: list[str]) -> list[str]:
    return [store.state(i).name for i in ids]


def test_a_store_pickles_as_its_root_and_probe(root: Path, new: dict[str, Any]) -> None:
    default = outrig.SessionStore(root)
    back = pickle.loads(pickle.dumps(default))
    assert back == default and back.root == default.root

    blind = outrig.SessionStore(root, container_probe=False)
    made = blind.create(**new)
    made.release()  # unfinalized, unleased: the probe decides
    back = pickle.loads(pickle.dumps(blind))
    assert back.state(made.id) == outrig.State.UNKNOWN

    for probe, want in [(nothing_runs, outrig.State.ABANDONED), (everything_runs, outrig.State.RUNNING)]:
        store = outrig.SessionStore(root, container_probe=probe)
        back = pickle.loads(pickle.dumps(store, protocol=pickle.HIGHEST_PROTOCOL))
        assert back.state(made.id) == want, probe.__name__


def test_a_resolved_store_pickles_as_its_resolved_root(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'session-root = "{tmp_path / "from-config"}"\n')
    store = outrig.SessionStore.resolve(global_config=config, container_probe=False)
    back = pickle.loads(pickle.dumps(store))
    assert back.root == tmp_path / "from-config"


def test_an_unpicklable_probe_is_a_clear_error(root: Path) -> None:
    store = outrig.SessionStore(root, container_probe=lambda names: [])
    with pytest.raises(TypeError, match="container_probe .*cannot be pickled.*module-level function") as e:
        pickle.dumps(store)
    assert str(root) in str(e.value)
    assert e.value.__cause__ is not None, "the pickling error is kept as the cause"

    def local_probe(names: list[str]) -> Optional[list[str]]:
        return None

    with pytest.raises(TypeError, match="local_probe"):
        pickle.dumps(outrig.SessionStore(root, container_probe=local_probe))


def test_a_store_goes_to_another_process(root: Path, new: dict[str, Any]) -> None:
    store = outrig.SessionStore(root, container_probe=nothing_runs)
    ids = []
    for _ in range(2):
        with store.session(**new) as s:
            ids.append(s.id)
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: only pickles cross
    with ctx.Pool(1) as pool:
        assert sorted(pool.apply(list_ids, (store,))) == sorted(ids)
        assert pool.apply(states_there, (store, ids)) == ["FINISHED", "FINISHED"]


def test_a_listing_pickles_with_its_sessions_and_skipped(root: Path, new: dict[str, Any]) -> None:
    store = outrig.SessionStore(root, container_probe=False)
    with store.session(**new, agent_name="coder") as s:
        first = s.id
    store.create(**new).release()
    bad = root / "broken"
    bad.mkdir()
    (bad / "session.json").write_text("{")
    listing = store.list()
    assert len(listing) == 2 and len(listing.skipped) == 1

    back = pickle.loads(pickle.dumps(listing))
    assert isinstance(back, outrig.Listing)
    assert list(back) == list(listing)
    assert back.skipped == listing.skipped
    assert [s.id for s in back] == [s.id for s in listing]
    assert next(s for s in back if s.id == first).agent_name == "coder"
    assert repr(back) == repr(listing)
    empty = pickle.loads(pickle.dumps(outrig.SessionStore(root / "none").list()))
    assert len(empty) == 0 and empty.skipped == []


def test_a_relative_working_dir_is_recorded_absolute(
    store: outrig.SessionStore, new: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The core's rule, the same in Rust and C (tests/create.rs, tests/c/test_store.c): joined
    # to the current directory at the create, lexically: `.` dropped, `..` kept.
    monkeypatch.chdir(tmp_path)
    here = os.getcwd()
    made = store.create(**{**new, "working_dir": "relative/dir"})
    made.finalize(0)
    assert os.fspath(made.working_dir) == here + "/relative/dir"
    assert os.fspath(store.get(made.id).working_dir) == here + "/relative/dir"
    with store.session(**{**new, "working_dir": "."}) as s:
        assert os.fspath(s.working_dir) == here
    with store.session(**{**new, "working_dir": Path("./a/./b/../c")}) as s:
        assert os.fspath(s.working_dir) == here + "/a/b/../c"
    # At the create, not when the context manager is made.
    (tmp_path / "later").mkdir()
    later = store.session(**{**new, "working_dir": "repo"})
    monkeypatch.chdir(tmp_path / "later")
    with later as s:
        assert os.fspath(s.working_dir) == os.getcwd() + "/repo"
    # An absolute one is recorded exactly, `.` and all (which pathlib would drop: read the
    # record); an empty one is still refused.
    with store.session(**{**new, "working_dir": "/home/me/./repo"}) as s:
        record = (s.session_dir / "session.json").read_text()
        assert '"working_dir": "/home/me/./repo"' in record
    with pytest.raises(outrig.InvalidArgumentError, match="working_dir"):
        store.create(**{**new, "working_dir": ""})


def test_a_relative_working_dir_from_a_deleted_directory_is_a_clear_error(
    store: outrig.SessionStore, new: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    try:
        with pytest.raises(outrig.OutrigIOError) as caught:
            store.create(**{**new, "working_dir": "repo"})
        # An absolute working_dir needs no current directory.
        store.create(**new).finalize(0)
    finally:
        os.chdir(tmp_path)
    assert caught.value.errno == errno.ENOENT
    assert "the working_dir repo is relative" in str(caught.value)
    assert "current directory" in str(caught.value)
    assert len(store.list()) == 1, "the failed create made nothing"

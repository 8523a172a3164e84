"""The exception classes, the mapping from the core's error kinds, and hostile ids."""

from __future__ import annotations

import errno
import os
import pickle
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import pytest

import outrig
from outrig import _outrig
from conftest import HOSTILE_IDS, tree

#: (class, the builtin it also is, the core kind that maps to it)
CLASSES = [
    (outrig.InvalidArgumentError, ValueError, "invalid argument"),
    (outrig.NotFoundError, FileNotFoundError, "not found"),
    (outrig.AlreadyExistsError, FileExistsError, "already exists"),
    (outrig.DirNotUsableError, None, "directory not usable"),
    (outrig.CorruptRecordError, None, "corrupt record"),
    (outrig.ConfigError, None, "configuration error"),
    (outrig.OutrigIOError, OSError, "I/O error"),
    (outrig.BusyError, BlockingIOError, "busy"),
]


def test_base_class() -> None:
    assert issubclass(outrig.OutrigError, Exception)
    assert outrig.OutrigError.__module__ == "outrig"
    e = outrig.OutrigError("message")
    assert str(e) == "message" and isinstance(e, Exception)


@pytest.mark.parametrize(("cls", "builtin", "kind"), CLASSES)
def test_hierarchy(cls: type[outrig.OutrigError], builtin: type[Exception] | None, kind: str) -> None:
    assert issubclass(cls, outrig.OutrigError)
    assert cls.__module__ == "outrig" and cls.__name__ in outrig.__all__
    assert cls.__doc__
    if builtin is not None:
        assert issubclass(cls, builtin)
    for other_cls, other_builtin, _ in CLASSES:
        if other_cls is not cls:
            assert not issubclass(cls, other_cls)
    # Users can raise and catch them like any exception.
    with pytest.raises(outrig.OutrigError):
        raise cls("raised by hand")


@pytest.mark.parametrize(("cls", "builtin", "kind"), CLASSES)
def test_each_kind_maps_to_its_class(
    cls: type[outrig.OutrigError], builtin: type[Exception] | None, kind: str
) -> None:
    e = _outrig._error_for_kind(kind, f"the {kind} message")
    assert type(e) is cls
    assert isinstance(e, outrig.OutrigError)
    if builtin is not None:
        assert isinstance(e, builtin)
    assert str(e) == f"the {kind} message", "the core's message, no [Errno] prefix"
    assert e.args == (f"the {kind} message",)


def test_os_error_kinds_carry_errno() -> None:
    nf = _outrig._error_for_kind("not found", "m")
    assert isinstance(nf, OSError) and nf.errno == errno.ENOENT
    assert nf.strerror == os.strerror(errno.ENOENT)
    ex = _outrig._error_for_kind("already exists", "m")
    assert isinstance(ex, OSError) and ex.errno == errno.EEXIST
    io = _outrig._error_for_kind("I/O error", "m")
    assert isinstance(io, OSError) and io.errno is None, "no errno is invented for I/O errors"
    with pytest.raises(outrig.InvalidArgumentError, match="unknown error kind"):
        _outrig._error_for_kind("nonsense", "m")


def test_io_error_from_the_filesystem(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OSError) as info:
        outrig.SessionStore(f).list()
    e = info.value
    assert type(e) is outrig.OutrigIOError
    assert (e.errno, e.strerror, e.filename) == (errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(f))
    assert str(e) == f"reading session root {f}: Not a directory (os error 20)"


def test_exceptions_pickle() -> None:
    e = outrig.DirNotUsableError("session directory /x is not empty")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is outrig.DirNotUsableError and str(back) == str(e)


def test_not_found_is_catchable_as_file_not_found(store: outrig.SessionStore) -> None:
    try:
        store.get("20260501T134412-3f2a")
    except FileNotFoundError as e:
        assert isinstance(e, outrig.NotFoundError) and e.errno == errno.ENOENT
    else:
        pytest.fail("no error")


def test_invalid_argument_is_catchable_as_value_error(store: outrig.SessionStore) -> None:
    with pytest.raises(ValueError, match="invalid session id"):
        store.get("..")


def _id_calls(store: outrig.SessionStore) -> list[tuple[str, Callable[[str], Any]]]:
    return [
        ("get", store.get),
        ("finalize", lambda i: store.finalize(i, 0)),
        ("set_sidecar_containers", lambda i: store.set_sidecar_containers(i, ["x"])),
        ("remove", store.remove),
        ("log_path", lambda i: store.log_path(i, "agent.log")),
        ("find_log", lambda i: store.find_log(i, "agent.log")),
        ("logs", store.logs),
        ("entry_path", store.entry_path),
    ]


@pytest.mark.parametrize("bad", HOSTILE_IDS, ids=repr)
def test_hostile_ids_are_refused_everywhere(tmp_path: Path, bad: str) -> None:
    # A root whose neighbours and parents hold things a hostile id would reach.
    root = tmp_path / "a" / "root"
    (tmp_path / "a" / "x").mkdir(parents=True)
    (tmp_path / "a" / "x" / "session.json").write_text("{}")
    (tmp_path / "etc").mkdir()
    store = outrig.SessionStore(root)
    store.create(container_name="c", image_tag="t", working_dir="/w")
    before = tree(tmp_path)
    for name, call in _id_calls(store):
        with pytest.raises(outrig.InvalidArgumentError, match="invalid session id") as info:
            call(bad)
        assert isinstance(info.value, ValueError), name
    assert tree(tmp_path) == before, "nothing was created, removed or changed"
    assert (tmp_path / "a" / "x" / "session.json").read_text() == "{}"


def test_ids_must_be_strings(store: outrig.SessionStore) -> None:
    for call in (store.get, store.remove, store.logs, store.entry_path):
        with pytest.raises(TypeError):
            call(42)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            call(b"20260501T134412-3f2a")  # type: ignore[arg-type]


def test_longest_valid_id_is_accepted(store: outrig.SessionStore) -> None:
    longest = "x" * 255
    assert store.entry_path(longest).name == longest
    with pytest.raises(outrig.NotFoundError):
        store.get(longest)


def test_clean_is_not_fooled_by_hostile_entries(store: outrig.SessionStore, root: Path, tmp_path: Path) -> None:
    # An entry naming a directory outside through a record with a hostile id is skipped.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep")
    d = root / "20260101T000000-0000"
    d.mkdir(parents=True)
    (d / "session.json").write_text(
        '{"id": "../outside", "started_at": "2001-01-01T00:00:00Z", '
        '"ended_at": "2001-01-01T00:00:01Z", "container_name": "c", "image_tag": "t", '
        '"working_dir": "/w", "session_dir": "%s", "exit_code": 0}' % outside
    )
    assert store.clean(timedelta(0)) == []
    assert [s.entry for s in store.list().skipped] == ["20260101T000000-0000"]
    assert (outside / "precious").read_text() == "keep"
    with pytest.raises(outrig.CorruptRecordError, match="invalid session id"):
        store.remove_by_path(d)
    assert (outside / "precious").read_text() == "keep"

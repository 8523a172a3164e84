"""Values leaving the module: pickling, `to_dict(mode="json")`, and comparisons that exist."""

from __future__ import annotations

import json
import pickle
import pydoc
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import outrig
from conftest import place_record

RECORD = """{
  "id": "20260501T134412-3f2a",
  "started_at": "2026-05-01T13:44:12.123456789Z",
  "ended_at": "2026-05-01T13:50:14Z",
  "container_name": "outrig-20260501T134412-3f2a",
  "sidecar_container_names": [
    "tools"
  ],
  "image_tag": "localhost/outrig-coding:d8aa33",
  "image_config_name": "coding",
  "agent_name": "coder",
  "working_dir": "/home/me/repo",
  "session_dir": "/home/me/.local/share/outrig/sessions/20260501T134412-3f2a",
  "exit_code": 0,
  "later": {
    "z": 1,
    "a": 2
  }
}"""

RUNNING = """{
  "id": "20260501T134412-3f2a",
  "started_at": "2026-05-01T13:44:12Z",
  "container_name": "c",
  "image_tag": "t",
  "working_dir": "/w",
  "session_dir": "/s"
}"""

ORDERING = ("__lt__", "__le__", "__gt__", "__ge__")
VALUE_CLASSES = (outrig.Session, outrig.Skipped, outrig.LogFile, outrig.SessionStore)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_sessions_pickle_exactly(protocol: int) -> None:
    """Every field survives, the nanoseconds and the unknown fields the record holds too."""
    s = outrig.Session.from_json(RECORD)
    back = pickle.loads(pickle.dumps(s, protocol))
    assert back == s and type(back) is outrig.Session
    assert back.to_json() == RECORD
    assert back.to_dict() == s.to_dict()
    running = outrig.Session.from_json(RUNNING)
    assert pickle.loads(pickle.dumps(running, protocol)) == running


def test_an_explicit_sessions_link_target_pickles(
    store: outrig.SessionStore, new: dict[str, Any], tmp_path: Path
) -> None:
    """`link_target` is not in the record, so pickling carries it beside the JSON."""
    made = store.create(**new, session_dir=tmp_path / "explicit")
    s = store.get(made.id)
    assert s.link_target == tmp_path / "explicit"
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.link_target == s.link_target
    # Equality sees link_target, so a copy without it would not compare equal.
    assert s != outrig.Session.from_json(s.to_json())


def test_listing_values_pickle(store: outrig.SessionStore, root: Path) -> None:
    store.create(container_name="c", image_tag="t", working_dir="/w")
    place_record(root, "20200101T000000-dead", b"{")
    listing = store.list()
    values: list[object] = [*listing, *listing.skipped]
    assert len(values) == 2
    assert pickle.loads(pickle.dumps(values)) == values
    sid = listing[0].id
    store.log_path(sid, "tools/web.log").write_text("x")
    logs = store.logs(sid)
    assert logs == [outrig.LogFile("tools/web.log", 1)]
    assert pickle.loads(pickle.dumps(logs)) == logs


def test_a_forged_pickle_is_refused() -> None:
    """Unpickling parses the record like from_json: a bad one raises, it makes no session."""
    good = pickle.dumps(outrig.Session.from_json(RUNNING))
    # Same length, so the pickle's own framing still holds.
    forged = good.replace(b'"container_name": "c"', b'"container_name": 7  ')
    assert forged != good
    with pytest.raises(outrig.CorruptRecordError, match="not a session record"):
        pickle.loads(forged)


def test_to_dict_json_mode_is_json_safe() -> None:
    s = outrig.Session.from_json(RECORD)
    d = s.to_dict(mode="json")
    py = s.to_dict()
    assert list(d) == list(py)
    # Times are ISO 8601 text that datetime reads back; paths are str; the rest as in
    # python mode.
    assert d["started_at"] == "2026-05-01T13:44:12.123456+00:00"
    assert d["ended_at"] == "2026-05-01T13:50:14+00:00"
    assert datetime.fromisoformat(d["started_at"]) == s.started_at
    assert datetime.fromisoformat(d["ended_at"]) == s.ended_at
    assert d["working_dir"] == "/home/me/repo" and type(d["working_dir"]) is str
    assert d["session_dir"] == str(s.session_dir)
    for key in ("id", "container_name", "sidecar_container_names", "image_tag", "exit_code"):
        assert d[key] == py[key]
    assert d["sidecar_container_names"] == ["tools"]
    assert json.loads(json.dumps(d)) == d


def test_to_dict_json_mode_of_a_running_explicit_session(
    store: outrig.SessionStore, new: dict[str, Any], tmp_path: Path
) -> None:
    made = store.create(**new, session_dir=tmp_path / "explicit")
    d = store.get(made.id).to_dict(mode="json")
    assert d["ended_at"] is None and d["exit_code"] is None
    assert d["link_target"] == str(tmp_path / "explicit")
    assert json.loads(json.dumps(d)) == d


def test_to_dict_default_mode_is_unchanged() -> None:
    s = outrig.Session.from_json(RECORD)
    assert s.to_dict() == s.to_dict(mode="python")
    d = s.to_dict()
    assert isinstance(d["started_at"], datetime) and isinstance(d["working_dir"], Path)
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps(d)


def test_to_dict_refuses_an_unknown_mode() -> None:
    s = outrig.Session.from_json(RECORD)
    with pytest.raises(ValueError, match="'yaml'"):
        s.to_dict(mode="yaml")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        s.to_dict(mode=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        s.to_dict("json")  # type: ignore[misc]


@pytest.mark.parametrize("cls", VALUE_CLASSES, ids=lambda c: c.__name__)
def test_no_ordering_is_advertised(cls: type) -> None:
    """help() shows no `<`, and `<` fails the way Python's own unordered types fail."""
    text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    for name in ORDERING:
        assert name not in vars(cls)
        assert name not in text
    assert "__eq__" in text and "__hash__" in text


def test_equality_still_works_without_ordering(tmp_path: Path) -> None:
    a, b = outrig.Skipped("e", "why"), outrig.Skipped("e", "why")
    assert a == b and not a != b and hash(a) == hash(b) and a != outrig.Skipped("e", "x")
    assert a != "e" and outrig.LogFile("a", 1) == outrig.LogFile("a", 1)
    assert outrig.SessionStore(tmp_path) == outrig.SessionStore(tmp_path)
    s = outrig.Session.from_json(RECORD)
    assert s == outrig.Session.from_json(RECORD) and s != outrig.Session.from_json(RUNNING)
    for x, y in [(a, b), (s, s), (outrig.LogFile("a", 1), outrig.LogFile("b", 2))]:
        with pytest.raises(TypeError, match="not supported"):
            x < y  # type: ignore[operator]  # noqa: B015
        with pytest.raises(TypeError, match="not supported"):
            x >= y  # type: ignore[operator]  # noqa: B015

"""Session, Skipped and LogFile values; the formatting functions; lazy conversion."""

from __future__ import annotations

import gc
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import outrig
from conftest import place_record

UTC = timezone.utc

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


@pytest.fixture
def session() -> outrig.Session:
    return outrig.Session.from_json(RECORD)


def test_attributes(session: outrig.Session) -> None:
    s = session
    assert s.id == "20260501T134412-3f2a"
    assert s.started_at == datetime(2026, 5, 1, 13, 44, 12, 123456, tzinfo=UTC)
    assert s.started_at.tzinfo is UTC or s.started_at.utcoffset() == timedelta(0)
    assert s.ended_at == datetime(2026, 5, 1, 13, 50, 14, tzinfo=UTC)
    assert s.container_name == "outrig-20260501T134412-3f2a"
    assert s.sidecar_container_names == ("tools",)
    assert s.image_tag == "localhost/outrig-coding:d8aa33"
    assert s.image_config_name == "coding" and s.agent_name == "coder"
    assert s.working_dir == Path("/home/me/repo") and isinstance(s.working_dir, Path)
    assert s.session_dir == Path("/home/me/.local/share/outrig/sessions/20260501T134412-3f2a")
    assert s.logs_dir == s.session_dir / "logs"
    assert s.exit_code == 0 and s.link_target is None
    assert s.finalized
    # The duration is computed from the exact times (6m01.876543211s), cut to microseconds.
    assert s.duration == timedelta(minutes=6, seconds=1, microseconds=876543)


def test_absent_values_are_none() -> None:
    s = outrig.Session.from_json(
        '{"id": "a", "started_at": "2026-05-01T13:44:12Z", "container_name": "c", '
        '"image_tag": "t", "working_dir": "/w", "session_dir": "/s", "agent_name": null}'
    )
    assert s.ended_at is None and s.exit_code is None and s.duration is None and not s.finalized
    assert s.image_config_name is None and s.agent_name is None
    assert s.sidecar_container_names == ()


def test_immutable(session: outrig.Session) -> None:
    with pytest.raises(AttributeError):
        session.exit_code = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        session.anything = 1  # type: ignore[attr-defined]


def test_to_json_is_the_record_bytes(session: outrig.Session) -> None:
    assert session.to_json() == RECORD
    assert isinstance(session.to_json(), str)


def test_to_dict(session: outrig.Session) -> None:
    d = session.to_dict()
    assert list(d) == [
        "id",
        "started_at",
        "ended_at",
        "container_name",
        "sidecar_container_names",
        "image_tag",
        "image_config_name",
        "agent_name",
        "working_dir",
        "session_dir",
        "exit_code",
        "link_target",
    ]
    assert d["started_at"] == session.started_at and d["ended_at"] == session.ended_at
    assert d["sidecar_container_names"] == ["tools"]
    assert d["working_dir"] == Path("/home/me/repo") and d["link_target"] is None
    assert d["exit_code"] == 0
    for key, value in d.items():
        if key != "sidecar_container_names":
            assert getattr(session, key) == value, key


def test_equality_and_hash(session: outrig.Session) -> None:
    same = outrig.Session.from_json(RECORD.encode())
    assert session == same and hash(session) == hash(same)
    assert len({session, same}) == 1
    other = outrig.Session.from_json(RECORD.replace('"exit_code": 0', '"exit_code": 1'))
    assert session != other
    unknown_differs = outrig.Session.from_json(RECORD.replace('"z": 1', '"z": 9'))
    assert session != unknown_differs, "fields unknown to this version count too"
    assert session != RECORD and session != None  # noqa: E711
    # Paths compare as the Path attributes do: "/home/me/repo/" is "/home/me/repo".
    slash = outrig.Session.from_json(RECORD.replace('"/home/me/repo"', '"/home/me/repo/"'))
    assert slash.working_dir == session.working_dir
    assert slash == session and hash(slash) == hash(session)
    moved = outrig.Session.from_json(RECORD.replace('"/home/me/repo"', '"/home/me/repo/x"'))
    assert moved != session


def test_repr(session: outrig.Session) -> None:
    assert repr(session) == (
        "Session(id='20260501T134412-3f2a', "
        "started_at=datetime.datetime(2026, 5, 1, 13, 44, 12, 123456, "
        "tzinfo=datetime.timezone.utc), "
        "ended_at=datetime.datetime(2026, 5, 1, 13, 50, 14, tzinfo=datetime.timezone.utc), "
        "exit_code=0, "
        "container_name='outrig-20260501T134412-3f2a', "
        "image_tag='localhost/outrig-coding:d8aa33', "
        "session_dir='/home/me/.local/share/outrig/sessions/20260501T134412-3f2a')"
    )
    running = outrig.Session.from_json(RECORD.replace('"exit_code": 0,', "").replace(
        '  "ended_at": "2026-05-01T13:50:14Z",\n', ""
    ).replace('"session_dir": "/home/me/.local/share/outrig/sessions/20260501T134412-3f2a"',
              '"session_dir": "/it\'s"'))
    assert "ended_at=None, exit_code=None" in repr(running)
    # The times are the attributes' own reprs: what `started_at` gives, not a string.
    assert f"started_at={session.started_at!r}," in repr(session)
    assert "session_dir=\"/it's\"" in repr(running)


def test_from_json_refuses_non_records() -> None:
    for bad in ("", "[]", "{", '{"id": "../x"}', b"\xff"):
        with pytest.raises(outrig.CorruptRecordError, match="not a session record"):
            outrig.Session.from_json(bad)
    with pytest.raises(TypeError):
        outrig.Session.from_json(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        outrig.Session()  # type: ignore[call-arg]


def test_times_before_the_epoch_and_far_ones() -> None:
    early = outrig.Session.from_json(
        RECORD.replace("2026-05-01T13:44:12.123456789Z", "1969-12-31T23:59:59.9999999Z")
    )
    # Cut toward the past, as datetime cannot hold the last 0.9 microseconds.
    assert early.started_at == datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    ancient = outrig.Session.from_json(
        RECORD.replace("2026-05-01T13:44:12.123456789Z", "0000-06-01T00:00:00Z")
    )
    with pytest.raises(OverflowError, match="years 1 to 9999"):
        ancient.started_at
    assert ancient.duration is not None, "the other fields still read"
    assert '"started_at": "0000-06-01T00:00:00Z"' in ancient.to_json()


def test_every_time_reads_as_the_datetime_it_names() -> None:
    # Times are built through the datetime C API, or else from datetime's pickled state
    # (bindings/python/src/convert.rs): each calendar field must land in its place, on both
    # sides of every carry, whichever way built it.
    import random

    from outrig import _outrig

    rng = random.Random(20261203)
    lo = datetime(1, 1, 1, tzinfo=UTC)
    # jiff, the core's clock, ends 26 hours short of datetime.max.
    span_us = (datetime(9999, 12, 30, 21, 59, 59, 999999, tzinfo=UTC) - lo) // timedelta(
        microseconds=1
    )
    times = [lo + timedelta(microseconds=rng.randrange(span_us + 1)) for _ in range(2000)]
    times += [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(255, 1, 1, tzinfo=UTC),
        datetime(256, 12, 31, 23, 59, 59, 65536, tzinfo=UTC),
        datetime(2024, 2, 29, 0, 0, 0, 255, tzinfo=UTC),
        datetime(9999, 12, 30, 21, 59, 59, 999999, tzinfo=UTC),
    ]
    for when in times:
        stamp = when.isoformat().replace("+00:00", "Z")
        got = outrig.Session.from_json(
            RECORD.replace("2026-05-01T13:44:12.123456789Z", stamp)
        ).started_at
        assert got == when, stamp
        assert type(got) is datetime and got.tzinfo is UTC and got.fold == 0, stamp
        assert got.timetuple()[:6] == when.timetuple()[:6] and got.microsecond == when.microsecond
        in_use, ways = _outrig._datetime_ways(when)
        for name, built in ways:
            assert built == when and type(built) is datetime, (name, stamp)
            assert built.tzinfo is UTC and built.fold == 0, (name, stamp)
    # This interpreter (CPython) offers all three, and lists through its C API.
    assert [name for name, _ in ways] == ["fields", "state", "c-api"]
    assert in_use == "c-api"


def test_skipped_and_logfile_values() -> None:
    a = outrig.Skipped("e", "why")
    assert (a.entry, a.reason) == ("e", "why")
    assert a == outrig.Skipped("e", "why") and a != outrig.Skipped("e", "other")
    assert hash(a) == hash(outrig.Skipped("e", "why"))
    assert repr(a) == "Skipped(entry='e', reason='why')"
    f = outrig.LogFile("tools/web.log", 12)
    assert (f.name, f.size) == ("tools/web.log", 12)
    assert f == outrig.LogFile("tools/web.log", 12) and f != outrig.LogFile("x", 12)
    assert repr(f) == "LogFile(name='tools/web.log', size=12)"
    with pytest.raises(AttributeError):
        f.size = 3  # type: ignore[misc]


def test_copies_and_pickles(session: outrig.Session) -> None:
    import copy
    import pickle

    assert copy.copy(session) is session and copy.deepcopy([session])[0] is session
    for value in (outrig.Skipped("e", "why"), outrig.LogFile("a.log", 3)):
        assert copy.copy(value) == value and copy.deepcopy(value) == value
        back = pickle.loads(pickle.dumps(value))
        assert back == value and type(back) is type(value)
    # Sessions pickle too (test_data_out.py checks every field survives).
    assert pickle.loads(pickle.dumps(session)) == session


def test_format_started_at() -> None:
    t = datetime(2026, 5, 1, 16, 19, 7, 900000, tzinfo=timezone(timedelta(hours=2)))
    assert outrig.format_started_at(t) == "2026-05-01 14:19:07"
    with pytest.raises(outrig.InvalidArgumentError, match="naive"):
        outrig.format_started_at(datetime(2026, 5, 1, 14, 19, 7))
    with pytest.raises(TypeError):
        outrig.format_started_at("2026-05-01")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0m00s"), (44, "0m44s"), (362, "6m02s"), (3599.9, "59m59s"), (3900, "1h05m"), (90061, "25h01m")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert outrig.format_duration(timedelta(seconds=seconds)) == text


def test_format_duration_refuses_bad_values() -> None:
    with pytest.raises(outrig.InvalidArgumentError, match="negative"):
        outrig.format_duration(timedelta(seconds=-1))
    with pytest.raises(TypeError):
        outrig.format_duration(44)  # type: ignore[arg-type]


def test_listing_converts_lazily(store: outrig.SessionStore, root: Path) -> None:
    """A listing holds the core's records: reading it makes no per-session Python objects."""
    n = 300
    for i in range(n):
        sid = f"20260101T{i:06d}-abcd"
        record = json.loads(RECORD)
        record.update(id=sid, session_dir=str(root / sid))
        place_record(root, sid, json.dumps(record, indent=2).encode())
    gc.collect()
    before = sys.getallocatedblocks()
    listing = store.list()
    grew = sys.getallocatedblocks() - before
    assert len(listing) == n
    assert grew < n // 3, f"list() made {grew} Python allocations for {n} sessions"
    # The measure can see per-session objects: materializing them does grow it.
    before = sys.getallocatedblocks()
    sessions = list(listing)
    started = [s.started_at for s in sessions]
    assert sys.getallocatedblocks() - before >= 2 * n
    assert len(started) == n


def test_repeated_reads_agree(session: outrig.Session) -> None:
    assert session.started_at == session.started_at
    assert session.sidecar_container_names == session.sidecar_container_names
    any_value: Any = session.to_dict()
    assert any_value == session.to_dict()


@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1600, 2, 29, 6, 7, 8, 9, tzinfo=UTC),
        datetime(1900, 3, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2000, 2, 29, 12, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(9999, 12, 29, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_times_cross_the_calendar_exactly(
    store: outrig.SessionStore, new: dict[str, Any], when: datetime
) -> None:
    s = store.create(**new, started_at=when)
    got = store.get(s.id).started_at
    assert got == when
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_times_at_the_edges_read_as_the_core_reads_them_and_round_trip() -> None:
    """Each record time at an edge: what `started_at` gives (cut toward the past to the
    microsecond, UTC), what `to_json()` writes (the core's reading, to the nanosecond), and
    that reading that back gives both again."""
    D = datetime
    cases = [
        # A leap second: jiff (outrig's clock too) reads it as the second before.
        ("2016-12-31T23:59:60Z", D(2016, 12, 31, 23, 59, 59, tzinfo=UTC), "2016-12-31T23:59:59Z"),
        (
            "2016-12-31T23:59:60.5Z",
            D(2016, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
            "2016-12-31T23:59:59.5Z",
        ),
        # Finer than a microsecond: cut toward the past, on both sides of the epoch.
        ("2026-01-01T00:00:00.000000999Z", D(2026, 1, 1, tzinfo=UTC), None),
        ("1970-01-01T00:00:00.000000001Z", D(1970, 1, 1, tzinfo=UTC), None),
        ("1969-12-31T23:59:59.000000001Z", D(1969, 12, 31, 23, 59, 59, tzinfo=UTC), None),
        (
            "1969-12-31T23:59:59.9999995Z",
            D(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            None,
        ),
        (
            "1900-02-28T23:59:59.999999999-00:00",
            D(1900, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
            "1900-02-28T23:59:59.999999999Z",
        ),
        # An offset, carried across a year, and into a leap day.
        ("2027-01-01T01:00:00+02:00", D(2026, 12, 31, 23, tzinfo=UTC), "2026-12-31T23:00:00Z"),
        ("2024-02-28T23:30:00-01:00", D(2024, 2, 29, 0, 30, tzinfo=UTC), "2024-02-29T00:30:00Z"),
        # The first datetime, and the last time jiff reads (26 hours short of datetime.max).
        ("0001-01-01T00:00:00Z", D(1, 1, 1, tzinfo=UTC), None),
        ("0001-01-01T00:00:00-00:01", D(1, 1, 1, 0, 1, tzinfo=UTC), "0001-01-01T00:01:00Z"),
        ("9999-12-30T22:00:00.000000001Z", D(9999, 12, 30, 22, tzinfo=UTC), None),
    ]
    for text, want, written in cases:
        s = outrig.Session.from_json(RECORD.replace("2026-05-01T13:44:12.123456789Z", text))
        assert s.started_at == want, text
        assert type(s.started_at) is datetime and s.started_at.tzinfo is UTC, text
        assert json.loads(s.to_json())["started_at"] == (written or text), text
        again = outrig.Session.from_json(s.to_json())
        assert again.started_at == want and again.to_json() == s.to_json(), text
    # Before year 1 (a minute before, by its offset; or a negative year): the record reads,
    # the datetime cannot hold it, and says where to read it.
    for text in ("0001-01-01T00:00:00+00:01", "-000001-01-01T00:00:00Z"):
        s = outrig.Session.from_json(RECORD.replace("2026-05-01T13:44:12.123456789Z", text))
        with pytest.raises(OverflowError, match="to_json"):
            s.started_at
    # What no clock reads is not a record: a 61st second, a tenth fractional digit.
    for text in ("2016-12-31T23:59:61Z", "2026-01-01T00:00:00.1234567891Z"):
        with pytest.raises(outrig.CorruptRecordError, match="started_at|timestamp"):
            outrig.Session.from_json(RECORD.replace("2026-05-01T13:44:12.123456789Z", text))

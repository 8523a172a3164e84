"""The shared conformance vectors (../shared/conformance), through the Python surface."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import outrig
from conftest import VECTOR_ENDED_AT, VECTOR_ID, conformance_dir, place_record


def _cases(suffix: str) -> list[str]:
    return sorted(p.name[: -len(suffix)] for p in conformance_dir().glob(f"*{suffix}"))


VALID = _cases(".input.json")
CORRUPT = _cases(".corrupt.json")


def test_the_vectors_are_there(vectors: Path) -> None:
    assert len(VALID) >= 13 and len(CORRUPT) >= 8
    for case in VALID:
        for kind in ("rewrite", "finalized"):
            assert (vectors / f"{case}.{kind}.json").is_file(), f"{case}.{kind}.json"


@pytest.mark.parametrize("case", VALID)
def test_rewrite_bytes(vectors: Path, root: Path, case: str) -> None:
    data = (vectors / f"{case}.input.json").read_bytes()
    want = (vectors / f"{case}.rewrite.json").read_text(encoding="utf-8")
    d = place_record(root, VECTOR_ID, data)
    store = outrig.SessionStore(root)
    assert store.get_by_path(d).to_json() == want
    assert store.get(VECTOR_ID).to_json() == want
    assert outrig.Session.from_json(data).to_json() == want
    (listed,) = store.list()
    assert listed.to_json() == want and store.list().skipped == []


@pytest.mark.parametrize("case", VALID)
def test_finalize_bytes(vectors: Path, root: Path, case: str) -> None:
    data = (vectors / f"{case}.input.json").read_bytes()
    want = (vectors / f"{case}.finalized.json").read_bytes()
    d = place_record(root, VECTOR_ID, data)
    store = outrig.SessionStore(root)
    done = store.finalize(VECTOR_ID, 0, ended_at=VECTOR_ENDED_AT)
    assert done.to_json().encode() == want
    assert (d / "session.json").read_bytes() == want, "the bytes on disk"
    assert done.ended_at == VECTOR_ENDED_AT and done.exit_code == 0


@pytest.mark.parametrize("case", CORRUPT)
def test_corrupt_records(vectors: Path, root: Path, case: str) -> None:
    data = (vectors / f"{case}.corrupt.json").read_bytes()
    store = outrig.SessionStore(root)
    d = place_record(root, VECTOR_ID, data)
    with pytest.raises(outrig.CorruptRecordError) as info:
        store.get_by_path(d)
    assert str(d / "session.json") in str(info.value)
    with pytest.raises(outrig.CorruptRecordError):
        store.get(VECTOR_ID)
    with pytest.raises(outrig.CorruptRecordError):
        outrig.Session.from_json(data)
    with pytest.raises(outrig.CorruptRecordError):
        store.finalize(VECTOR_ID, 0, VECTOR_ENDED_AT)
    assert (d / "session.json").read_bytes() == data, "left as it was"
    # In a listing it costs only itself.
    good = store.create(container_name="c", image_tag="t", working_dir="/w")
    listing = store.list()
    assert [s.id for s in listing] == [good.id]
    assert [s.entry for s in listing.skipped] == [VECTOR_ID]
    assert "session.json" in listing.skipped[0].reason
    # A corrupt session can still be removed by id.
    assert store.remove(VECTOR_ID) == []
    assert not d.exists()


def test_vector_fields_read_as_python_values(vectors: Path) -> None:
    def read(case: str) -> outrig.Session:
        return outrig.Session.from_json((vectors / f"{case}.input.json").read_bytes())

    legacy = read("03-legacy-container-config-name")
    assert legacy.image_config_name == "planning"
    assert read("04-agent-null").agent_name is None
    assert read("05-no-image-config-name").image_config_name is None
    assert read("06-sidecars").sidecar_container_names == (
        "outrig-20260501T134412-3f2a-tools",
        "outrig-20260501T134412-3f2a-web",
    )
    offset = read("09-offset-timestamp").started_at
    assert offset == datetime(2026, 5, 1, 13, 44, 12, tzinfo=timezone.utc)
    assert offset.utcoffset() is not None and offset.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert read("10-negative-exit").exit_code == -1
    uni = read("11-unicode-paths")
    assert uni.working_dir == Path("/home/jürgen/répo ☃") and uni.agent_name == "研究"
    assert not read("01-running").finalized and read("02-finalized").finalized

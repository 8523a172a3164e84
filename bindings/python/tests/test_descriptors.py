"""What lies on disk cannot hang or redirect the store from Python either: log files handed out
as open files, FIFOs refused at once, text that cannot be stored refused as an argument."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import outrig
from outrig import _outrig

from conftest import tree


def test_log_files_are_handed_out_open(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    with store.append_log(s.id, "tools/web.log") as f:
        f.write(b"one\n")
    with store.append_log(s.id, "tools/web.log") as f:
        f.write(b"two\n")
    reader = store.read_log(s.id, "tools/web.log")
    assert reader.read() == b"one\ntwo\n"
    # Renamed aside with a link planted in its place: the open file still reads the log.
    logs = s.logs_dir
    (logs / "tools" / "web.log").rename(logs / "tools" / "aside.log")
    (logs / "tools" / "web.log").symlink_to("/etc/passwd")
    with open(logs / "tools" / "aside.log", "ab") as w:
        w.write(b"three\n")
    assert reader.read() == b"three\n"
    reader.close()
    for open_log in (store.read_log, store.append_log):
        with pytest.raises(outrig.DirNotUsableError, match="symbolic link"):
            open_log(s.id, "tools/web.log")
    with pytest.raises(outrig.NotFoundError):
        store.read_log(s.id, "missing.log")
    with pytest.raises(outrig.InvalidArgumentError):
        store.append_log(s.id, "../escape.log")


def test_a_fifo_record_is_refused_at_once(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    s.release()  # the child below acts on it as another process would
    record = s.session_dir / "session.json"
    record.unlink()
    os.mkfifo(record)
    # In a child, so a regression hangs the child (and fails by timeout), not the suite.
    code = (
        "import sys, outrig\n"
        "store = outrig.SessionStore(sys.argv[1])\n"
        "for call in (lambda: store.get(sys.argv[2]), lambda: store.finalize(sys.argv[2], 0)):\n"
        "    try:\n"
        "        call()\n"
        "    except outrig.CorruptRecordError as e:\n"
        "        assert 'FIFO' in str(e), e\n"
        "    else:\n"
        "        raise SystemExit('a FIFO record was accepted')\n"
        "assert [k.entry for k in store.list().skipped] == [sys.argv[2]]\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(store.root), s.id],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr


@pytest.mark.parametrize(
    "field", ["container_name", "image_tag", "image_config_name", "agent_name"]
)
def test_text_that_cannot_be_stored_is_an_invalid_argument(
    store: outrig.SessionStore, new: dict[str, Any], root: Path, field: str
) -> None:
    with pytest.raises(outrig.InvalidArgumentError, match="surrogate") as raised:
        store.create(**{**new, field: "bad\ud800"})
    assert isinstance(raised.value, ValueError)
    assert "bad\\ud800" in str(raised.value), "the message shows the text"
    assert not root.exists(), "nothing was made"


def test_surrogates_in_ids_names_and_sidecars(store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = store.create(**new)
    before = (s.session_dir / "session.json").read_bytes()
    calls = [
        lambda: store.create(**{**new, "sidecar_container_names": ["ok", "\udcff"]}),
        lambda: store.set_sidecar_containers(s.id, ["\udcff"]),
        lambda: store.get("\ud800"),
        lambda: store.remove("\ud800"),
        lambda: store.append_log(s.id, "\ud800.log"),
        lambda: store.log_path(s.id, "\ud800.log"),
    ]
    for call in calls:
        with pytest.raises(outrig.InvalidArgumentError, match="surrogate"):
            call()
    assert (s.session_dir / "session.json").read_bytes() == before
    assert tree(s.session_dir) == {"session.json"}


def test_busy_error_is_a_blocking_io_error() -> None:
    err = _outrig._error_for_kind("busy", "session x is in use")
    assert isinstance(err, outrig.BusyError)
    assert isinstance(err, outrig.OutrigError) and isinstance(err, BlockingIOError)
    assert err.errno == errno.EWOULDBLOCK
    assert str(err) == "session x is in use"


def test_records_too_large_to_read_back_are_refused(
    store: outrig.SessionStore, new: dict[str, Any], root: Path
) -> None:
    with pytest.raises(outrig.InvalidArgumentError, match="limit"):
        store.create(**{**new, "container_name": "c" * (1 << 20)})
    assert not root.exists()

"""One store called from many threads at once, and the GIL released during filesystem work."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import outrig


def test_threads_create_finalize_and_list_at_once(
    store: outrig.SessionStore, new: dict[str, Any]
) -> None:
    threads, per_thread = 8, 12
    start = threading.Barrier(threads)

    def work(t: int) -> list[str]:
        start.wait()
        ids = []
        for i in range(per_thread):
            s = store.create(**new, agent_name=f"t{t}")
            store.set_sidecar_containers(s.id, [f"side-{t}-{i}"])
            store.finalize(s.id, t * 100 + i)
            store.list()
            ids.append(s.id)
        return ids

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(work, range(threads)))
    made = [i for ids in results for i in ids]
    assert len(set(made)) == threads * per_thread, "no two creates shared an id"
    listing = store.list()
    assert listing.skipped == []
    assert sorted(s.id for s in listing) == sorted(made)
    for t, ids in enumerate(results):
        for i, sid in enumerate(ids):
            s = store.get(sid)
            assert (s.exit_code, s.agent_name) == (t * 100 + i, f"t{t}")
            assert s.sidecar_container_names == (f"side-{t}-{i}",)


def test_concurrent_updates_of_one_session_lose_nothing(
    store: outrig.SessionStore, new: dict[str, Any]
) -> None:
    for _ in range(10):
        s = store.create(**new)
        gate = threading.Barrier(2)

        def finalize() -> None:
            gate.wait()
            store.finalize(s.id, 7)

        def sidecars() -> None:
            gate.wait()
            store.set_sidecar_containers(s.id, ["tools"])

        threads = [threading.Thread(target=finalize), threading.Thread(target=sidecars)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done = store.get(s.id)
        assert done.exit_code == 7 and done.sidecar_container_names == ("tools",)


# Run in a child process, so that a GIL held while the library waits (which would stop every
# other thread of the process) fails the test by timeout or count instead of hanging it.
GIL_PROBE = r"""
import fcntl, os, sys, threading, time
import outrig

store = outrig.SessionStore(sys.argv[1])
s = store.create(container_name="c", image_tag="t", working_dir="/w")
s.release()
# Held the way a running launcher holds it: finalize waits its bounded time, then is Busy.
fd = os.open(s.session_dir, os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
result = {}
def finalize():
    try:
        store.finalize(s.id, 5)
    except outrig.BusyError as e:
        result["busy"] = e
finalizer = threading.Thread(target=finalize)
started = time.monotonic()
finalizer.start()
# While the finalizer waits inside the library, this thread runs Python and calls the store.
calls = 0
while finalizer.is_alive():
    assert not store.get(s.id).finalized
    assert [x.id for x in store.list()] == [s.id]
    calls += 1
waited = time.monotonic() - started
assert "busy" in result, result
assert calls > 0 and waited >= 0.5, (calls, waited)
fcntl.flock(fd, fcntl.LOCK_UN)
assert store.finalize(s.id, 5).exit_code == 5
print("ok")
"""


def test_the_gil_is_released_while_the_library_waits(root: Path) -> None:
    """A finalize waiting for the session's lock must let other Python threads run."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", GIL_PROBE, str(root)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("other threads stopped while finalize waited: the GIL was not released")
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr

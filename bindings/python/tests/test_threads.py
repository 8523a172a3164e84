"""One store called from many threads at once, and the GIL released during filesystem work."""

from __future__ import annotations

import faulthandler
import fcntl
import os
import threading
import time
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


def _waiting_for_lock(pid: int, inode: int) -> bool:
    """Whether /proc/locks shows a process `pid` blocked on a flock of inode `inode`."""
    with open("/proc/locks") as f:
        for line in f:
            fields = line.split()
            if "->" in fields and "FLOCK" in fields:
                rest = fields[fields.index("->") + 1 :]
                if str(pid) in rest and any(x.endswith(f":{inode}") for x in rest):
                    return True
    return False


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_the_gil_is_released_while_the_library_waits(
    store: outrig.SessionStore, new: dict[str, Any]
) -> None:
    """A finalize blocked on the session's lock must let other Python threads run."""
    s = store.create(**new)
    fd = os.open(s.session_dir, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    result: dict[str, outrig.Session] = {}
    finalizer = threading.Thread(target=lambda: result.update(s=store.finalize(s.id, 5)))
    # Were the GIL held while finalize waits, this thread could never run again: turn that hang
    # into a failure with tracebacks rather than a stuck test run.
    faulthandler.dump_traceback_later(120, exit=True)
    try:
        finalizer.start()
        ino = os.stat(s.session_dir).st_ino
        for _ in range(20000):
            if _waiting_for_lock(os.getpid(), ino):
                break
            time.sleep(0.001)
        else:
            pytest.fail("finalize never waited for the session lock")
        # The finalizer is blocked inside the library, and this thread runs Python and calls
        # the store meanwhile.
        assert finalizer.is_alive()
        assert store.get(s.id).running
        assert [x.id for x in store.list()] == [s.id]
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        finalizer.join()
        faulthandler.cancel_dump_traceback_later()
    assert result["s"].exit_code == 5 and store.get(s.id).exit_code == 5

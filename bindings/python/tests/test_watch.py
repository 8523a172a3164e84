"""`SessionStore.wait` and `SessionStore.watch` across processes: finished (with the exit code),
abandoned (the launcher killed with SIGKILL), removed and timed out; Ctrl-C interrupts a wait;
a watch sees every create, finalize and remove of a storm of 8 processes exactly once, also
after the kernel's queue overflowed while it was not read; the asyncio forms."""

from __future__ import annotations

import asyncio
import collections
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import outrig
from outrig import aio

#: A launcher: creates a session, prints its id, then obeys lines: finalize N, sidecar,
#: remove, exit.
LAUNCHER = """
import sys, outrig
store = outrig.SessionStore(sys.argv[1])
live = store.create(container_name="c", image_tag="img:1", working_dir="/w")
print(live.id, flush=True)
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "finalize":
        live.finalize(int(cmd[1]))
    elif cmd[0] == "sidecar":
        live.set_sidecar_containers(["side-1"])
    elif cmd[0] == "remove":
        store.remove(live.id)
    elif cmd[0] == "exit":
        break
    print("OK", flush=True)
"""

#: A storm worker: creates and finalizes N sessions, prints their ids and READY; on the line
#: `remove`, removes them and prints DONE.
STORM = """
import sys, outrig
store = outrig.SessionStore(sys.argv[1])
ids = []
for i in range(int(sys.argv[2])):
    live = store.create(container_name=f"storm-{i}", image_tag="img:1", working_dir="/w")
    live.finalize(i % 256)
    ids.append(live.id)
print(" ".join(ids), flush=True)
print("READY", flush=True)
if sys.stdin.readline().strip() == "remove":
    for i in ids:
        store.remove(i)
    print("DONE", flush=True)
"""


def nothing_runs(names: list[str]) -> list[str]:
    return []


@pytest.fixture
def quiet_store(root: Path) -> outrig.SessionStore:
    """A store whose container probe says nothing runs (no containers run in these tests)."""
    return outrig.SessionStore(root, container_probe=nothing_runs)


class Launcher:
    def __init__(self, root: Path) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.child.stdout is not None
        self.id = self.child.stdout.readline().strip()
        assert self.id, "the launcher made no session"

    def send(self, line: str) -> None:
        assert self.child.stdin is not None and self.child.stdout is not None
        self.child.stdin.write(line + "\n")
        self.child.stdin.flush()
        assert self.child.stdout.readline().strip() == "OK"

    def kill(self) -> None:
        self.child.kill()  # SIGKILL
        self.child.wait()

    def close(self) -> None:
        if self.child.poll() is None:
            self.child.kill()
        self.child.wait()
        for f in (self.child.stdin, self.child.stdout):
            if f is not None:
                f.close()


@pytest.fixture
def launcher(root: Path) -> Iterator[Launcher]:
    one = Launcher(root)
    yield one
    one.close()


def in_thread(fn: object) -> tuple[threading.Thread, list[object]]:
    """Runs fn() in a thread; the list receives its result or exception."""
    out: list[object] = []

    def run() -> None:
        try:
            out.append(fn())  # type: ignore[operator]
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out.append(e)

    t = threading.Thread(target=run)
    t.start()
    return t, out


def test_wait_returns_finished_when_another_process_finalizes(
    quiet_store: outrig.SessionStore, launcher: Launcher
) -> None:
    t, out = in_thread(lambda: quiet_store.wait(launcher.id, timeout=30))
    time.sleep(0.2)
    launcher.send("sidecar")
    time.sleep(0.2)
    assert out == [], "an update does not end the wait"
    launcher.send("finalize 7")
    t.join(30)
    assert out == [outrig.State.FINISHED]
    assert quiet_store.get(launcher.id).exit_code == 7
    # Already ended: at once.
    assert quiet_store.wait(launcher.id, timeout=0) is outrig.State.FINISHED


def test_wait_returns_abandoned_when_the_launcher_is_killed(
    quiet_store: outrig.SessionStore, launcher: Launcher
) -> None:
    t, out = in_thread(lambda: quiet_store.wait(launcher.id))
    time.sleep(0.2)
    launcher.kill()
    t.join(30)
    assert out == [outrig.State.ABANDONED]
    assert quiet_store.wait(launcher.id) is outrig.State.ABANDONED


def test_wait_raises_not_found_when_the_session_is_removed(
    quiet_store: outrig.SessionStore, launcher: Launcher
) -> None:
    t, out = in_thread(lambda: quiet_store.wait(launcher.id, timeout=30))
    time.sleep(0.2)
    launcher.send("remove")
    t.join(30)
    assert len(out) == 1 and isinstance(out[0], outrig.NotFoundError), out
    assert launcher.id in str(out[0])
    with pytest.raises(outrig.NotFoundError):
        quiet_store.wait("20200101T000000-0000")


def test_wait_raises_timeout_error_while_the_session_runs(
    quiet_store: outrig.SessionStore, launcher: Launcher
) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError) as caught:
        quiet_store.wait(launcher.id, timeout=0.3)
    assert time.monotonic() - started >= 0.3
    assert launcher.id in str(caught.value)
    with pytest.raises(ValueError):
        quiet_store.wait(launcher.id, timeout=-1)
    with pytest.raises(outrig.InvalidArgumentError):
        quiet_store.wait("../x")


def test_an_unknown_state_keeps_the_wait_going(root: Path, launcher: Launcher) -> None:
    store = outrig.SessionStore(root, container_probe=False)
    launcher.kill()
    assert store.state(launcher.id) is outrig.State.UNKNOWN
    with pytest.raises(TimeoutError):
        store.wait(launcher.id, timeout=0.3)


def test_waiting_releases_the_gil(quiet_store: outrig.SessionStore, launcher: Launcher) -> None:
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    with pytest.raises(TimeoutError):
        quiet_store.wait(launcher.id, timeout=0.5)
    stop.set()
    t.join()
    assert ticks > 50


def test_ctrl_c_interrupts_a_wait(root: Path, launcher: Launcher) -> None:
    code = (
        "import sys, outrig\n"
        "print('waiting', flush=True)\n"
        "outrig.SessionStore(sys.argv[1]).wait(sys.argv[2])\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(root), launcher.id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "waiting"
    time.sleep(0.3)
    # Ctrl-C again every 2 s while the child lives: on a host starved of CPU one SIGINT once
    # went unanswered for 10 s (CI, 2026-12-03; not reproduced since, see the closing note of
    # that session). A wait that never answers Ctrl-C still fails here.
    err = ""
    for _ in range(5):
        child.send_signal(signal.SIGINT)
        try:
            _, err = child.communicate(timeout=2)
            break
        except subprocess.TimeoutExpired:
            continue
    else:
        child.kill()
        child.communicate()
        raise AssertionError("five SIGINTs over 10 s did not interrupt the wait")
    assert "KeyboardInterrupt" in err
    assert child.returncode != 0


def events_until(watch: outrig.Watch, enough: object, limit: float = 30) -> list[outrig.WatchEvent]:
    got: list[outrig.WatchEvent] = []
    deadline = time.monotonic() + limit
    while not enough(got):  # type: ignore[operator]
        left = deadline - time.monotonic()
        assert left > 0, [(e.id, e.kind) for e in got]
        e = watch.next(timeout=left)
        if e is not None:
            got.append(e)
    return got


def test_watch_sees_a_launchers_changes(quiet_store: outrig.SessionStore, root: Path) -> None:
    root.mkdir()
    with quiet_store.watch() as watch:
        assert "inotify" in watch.description
        one = Launcher(root)
        try:
            seen = events_until(watch, lambda g: len(g) >= 1)
            one.send("sidecar")
            seen += events_until(watch, lambda g: len(g) >= 1)
            one.send("finalize 3")
            seen += events_until(watch, lambda g: len(g) >= 1)
        finally:
            one.close()
        assert [(e.id, e.kind) for e in seen] == [
            (one.id, "created"),
            (one.id, "updated"),
            (one.id, "finalized"),
        ]
        assert seen[0].kind is outrig.EventKind.CREATED
        assert seen[2].session is not None and seen[2].session.exit_code == 3
        two = Launcher(root)
        try:
            events_until(watch, lambda g: len(g) >= 1)
            two.kill()
            abandoned = events_until(watch, lambda g: len(g) >= 1)
        finally:
            two.close()
        assert [(e.id, e.kind) for e in abandoned] == [(two.id, "abandoned")]
        quiet_store.remove(two.id)
        removed = events_until(watch, lambda g: len(g) >= 1)
        assert [(e.id, e.kind, e.session) for e in removed] == [(two.id, "removed", None)]
        assert watch.next(timeout=0.1) is None
    assert watch.closed
    with pytest.raises(ValueError):
        watch.next(timeout=0)
    watch.close()  # again: nothing


def storm(root: Path, procs: int, each: int) -> tuple[list[subprocess.Popen[str]], list[str]]:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", STORM, str(root), str(each)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(procs)
    ]
    ids: list[str] = []
    for w in workers:
        assert w.stdout is not None
        ids += w.stdout.readline().split()
        assert w.stdout.readline().strip() == "READY"
    assert len(ids) == procs * each
    return workers, ids


def remove_all(workers: list[subprocess.Popen[str]]) -> None:
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("remove\n")
        w.stdin.flush()
    for w in workers:
        assert w.stdout is not None
        assert w.stdout.readline().strip() == "DONE"
        w.communicate(timeout=30)


def per_session(events: list[outrig.WatchEvent]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = collections.defaultdict(list)
    for e in events:
        out[e.id].append(e.kind.value)
    return dict(out)


def flood(root: Path) -> None:
    """More notifications on the root than the kernel queues: a file a listing ignores renamed
    to and fro (two notifications a rename)."""
    queued = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    a, b = root / ".flood-a", root / ".flood-b"
    a.touch()
    for _ in range(queued // 4 + 100):
        a.rename(b)
        b.rename(a)
    a.unlink()


def count(kind: str, n: int) -> object:
    return lambda got: sum(1 for e in got if e.kind == kind) >= n


@pytest.mark.parametrize("overflow", [False, True], ids=["read", "overflowed"])
def test_watch_sees_every_change_of_a_storm_exactly_once(
    quiet_store: outrig.SessionStore, root: Path, overflow: bool
) -> None:
    procs, each = 8, 10
    root.mkdir()
    with quiet_store.watch() as watch:
        workers, ids = storm(root, procs, each)
        if overflow:
            flood(root)
        made = events_until(watch, count("finalized", procs * each))
        assert per_session(made) == {i: ["created", "finalized"] for i in ids}
        remove_all(workers)
        if overflow:
            flood(root)
        removed = events_until(watch, count("removed", procs * each))
        assert per_session(removed) == {i: ["removed"] for i in ids}
        assert watch.next(timeout=0.1) is None
        assert (watch.overflows >= 2) if overflow else (watch.overflows == 0)


def test_aio_wait_and_watch(quiet_store: outrig.SessionStore, root: Path) -> None:
    store = aio.SessionStore.wrap(quiet_store)
    root.mkdir()

    async def main() -> None:
        watch = await store.watch()
        one = Launcher(root)
        try:
            waiting = asyncio.ensure_future(store.wait(one.id, timeout=30))
            await asyncio.sleep(0.2)
            assert not waiting.done()
            await asyncio.get_running_loop().run_in_executor(None, one.send, "finalize 5")
            assert await waiting is outrig.State.FINISHED
            with pytest.raises(TimeoutError):
                two = Launcher(root)
                try:
                    await store.wait(two.id, timeout=0.2)
                finally:
                    two.close()
            kinds = []
            async with watch:
                async for e in watch:
                    if e.id == one.id:
                        kinds.append(e.kind)
                    if e.kind == "finalized":
                        break
            assert kinds == ["created", "finalized"]
            assert watch.closed
            with pytest.raises(outrig.NotFoundError):
                await store.wait("20200101T000000-0000")
            # Cancelling the awaiting task ends the wait.
            three = Launcher(root)
            try:
                task = asyncio.ensure_future(store.wait(three.id))
                await asyncio.sleep(0.2)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            finally:
                three.close()
        finally:
            one.close()

    asyncio.run(main())


def test_event_kinds_are_strings() -> None:
    assert [k.value for k in outrig.EventKind] == [
        "created",
        "updated",
        "finalized",
        "abandoned",
        "removed",
    ]
    assert outrig.EventKind.REMOVED == "removed"
    assert str(outrig.EventKind.CREATED) == "created"

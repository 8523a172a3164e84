"""Leases, states and exit codes from Python: what a launcher sharing a root with outrig needs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import outrig

#: A launcher in another process: creates a session, prints its id, holds it until stdin closes.
HOLDER = r"""
import sys, outrig
store = outrig.SessionStore(sys.argv[1])
s = store.create(container_name="held", image_tag="t", working_dir="/w")
print(s.id, flush=True)
sys.stdin.read()
"""


def nothing_runs(names: list[str]) -> list[str]:
    return []


@pytest.fixture
def quiet_store(root: Path) -> outrig.SessionStore:
    """A store whose container probe says no container runs."""
    return outrig.SessionStore(root, container_probe=nothing_runs)


def hold(root: Path) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def test_create_returns_a_live_session_holding_its_lease(
    quiet_store: outrig.SessionStore, new: dict[str, Any]
) -> None:
    s = quiet_store.create(**new)
    assert isinstance(s, outrig.LiveSession) and isinstance(s, outrig.Session)
    assert s.leased and s.lease_fd() >= 0 and not s.finalized
    assert s.container_name == new["container_name"] and s == quiet_store.get(s.id)
    assert quiet_store.state(s.id) is outrig.State.RUNNING
    # This process's own calls by id go through the lease (another lock of its own would be
    # refused with BusyError).
    quiet_store.set_sidecar_containers(s.id, ["tools"])
    done = quiet_store.finalize(s.id, 3)
    assert done.exit_code == 3 and done.sidecar_container_names == ("tools",)
    assert not s.leased and s.lease_fd() == -1
    assert quiet_store.state(s.id) is outrig.State.FINISHED
    # Released unfinalized: abandoned.
    t = quiet_store.create(**new)
    t.release()
    assert quiet_store.state(t.id) is outrig.State.ABANDONED


def test_a_session_held_by_another_process_is_running_busy_then_abandoned(
    quiet_store: outrig.SessionStore, root: Path
) -> None:
    child, sid = hold(root)
    other, other_id = hold(root)
    try:
        assert quiet_store.state(sid) is outrig.State.RUNNING
        start = time.monotonic()
        with pytest.raises(outrig.BusyError, match="running launcher") as busy:
            quiet_store.finalize(sid, 0)
        assert isinstance(busy.value, BlockingIOError)
        with pytest.raises(outrig.BusyError):
            quiet_store.remove(sid)
        assert 1.5 < time.monotonic() - start < 10, "each waited its one-second bound"
        child.kill()
        child.wait()
        assert quiet_store.state(sid) is outrig.State.ABANDONED
        removed = quiet_store.clean(timedelta(0))
        assert [s.id for s in removed] == [sid]
        assert [s.id for s in quiet_store.list()] == [other_id]
        assert quiet_store.state(other_id) is outrig.State.RUNNING
    finally:
        for p in (child, other):
            p.kill()
            p.wait()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_container_probes(root: Path, new: dict[str, Any]) -> None:
    calls: list[list[str]] = []

    def probe(names: list[str]) -> list[str]:
        calls.append(names)
        return ["side-up"]

    store = outrig.SessionStore(root, container_probe=probe)
    up = store.create(**{**new, "sidecar_container_names": ["side-up"]})
    down = store.create(**new)
    finished = store.create(**new)
    for s in (up, down):
        s.release()
    finished.finalize(0)
    listing = store.list()
    states = dict(zip((s.id for s in listing), store.states(listing)))
    assert states == {
        up.id: outrig.State.RUNNING,
        down.id: outrig.State.ABANDONED,
        finished.id: outrig.State.FINISHED,
    }
    assert len(calls) == 1, "one probe for the whole listing"
    assert sorted(calls[0]) == sorted([new["container_name"]] * 2 + ["side-up"])

    def cannot_tell(names: list[str]) -> None:
        return None

    def broken(names: list[str]) -> list[str]:
        raise RuntimeError("engine down")

    for probe_arg in (cannot_tell, broken, False):
        blind = outrig.SessionStore(root, container_probe=probe_arg)
        assert blind.state(down.id) is outrig.State.UNKNOWN
        # A finished session goes on its end time when no probe is asked; a probe that fails
        # keeps it too (its primary container might run on), as it keeps the unknown ones.
        want = [store.get(finished.id)] if probe_arg is False else []
        assert blind.clean(timedelta(0), dry_run=True) == want
    with pytest.raises(outrig.InvalidArgumentError, match="container_probe"):
        outrig.SessionStore(root, container_probe=42)  # type: ignore[arg-type]


def test_the_default_probe_asks_podman_on_path(tmp_path: Path, root: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    podman = bin_dir / "podman"
    store = outrig.SessionStore(root, container_probe=False)
    s = store.create(container_name="agent-7", image_tag="t", working_dir="/w")
    s.release()
    code = "import sys, outrig; print(outrig.SessionStore(sys.argv[1]).state(sys.argv[2]).name)"

    def state_with(script: str | None) -> str:
        path = str(tmp_path / "empty")
        if script is not None:
            podman.write_text("#!/bin/sh\n" + script + "\n")
            podman.chmod(0o755)
            path = str(bin_dir)
        return state_with_path(path)

    def state_with_path(path: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, str(root), s.id],
            env={**os.environ, "PATH": path},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()

    def listing(*running: str) -> str:
        rows = [f'{{"Names":["{n}"],"State":"running"}}' for n in running]
        rows.append('{"Names":["agent-7-old"],"State":"exited"}')
        return '[ "$*" = "ps -a --format json" ] || exit 2\nprintf \'%s\' \'[' + ",".join(rows) + "]'"

    assert state_with(listing("other", "agent-7")) == "RUNNING"
    assert state_with(listing("other")) == "ABANDONED"
    assert state_with("exit 125") == "UNKNOWN"
    assert state_with("echo other; echo agent-7") == "UNKNOWN", "not a listing: cannot tell"
    assert state_with(None) == "ABANDONED", "no engine installed: nothing can run"
    state_with(listing("agent-7"))
    podman.chmod(0o644)
    assert state_with_path(str(bin_dir)) == "UNKNOWN", "a podman that cannot run is broken"


def test_out_of_descriptors_nothing_is_removed(tmp_path: Path, root: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    podman = bin_dir / "podman"
    podman.write_text(
        "#!/bin/sh\nprintf '%s' '[{\"Names\":[\"agent-up\"],\"State\":\"running\"}]'\n"
    )
    podman.chmod(0o755)
    store = outrig.SessionStore(root, container_probe=False)
    s = store.create(container_name="agent-up", image_tag="t", working_dir="/w")
    s.release()
    code = (
        "import resource, sys, outrig\n"
        "store = outrig.SessionStore(sys.argv[1])\n"
        "n = int(sys.argv[3])\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))\n"
        "try:\n"
        "    store.remove(sys.argv[2])\n"
        "    print('REMOVED')\n"
        "except outrig.OutrigError as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    outcomes = []
    for limit in range(6, 15):
        done = subprocess.run(
            [sys.executable, "-c", code, str(root), s.id, str(limit)],
            env={**os.environ, "PATH": str(bin_dir)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "REMOVED" not in done.stdout, (limit, done.stdout)
        assert store.get(s.id).id == s.id
        outcomes.append(done.stdout.strip())
    assert any("BusyError" in o and "agent-up" in o for o in outcomes), outcomes


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("pass", 0),
        ("s.set_exit_code(7)", 7),
        ("s.set_exit_code(7); raise ValueError", 7),
        ("raise ValueError", 1),
        ("raise KeyboardInterrupt", 130),
        ("sys.exit(3)", 3),
        ("sys.exit()", 0),
        ("sys.exit('bye')", 1),
        ("s.finalize(3)", 3),
        ("store.finalize(s.id, 4)", 4),
    ],
)
def test_the_with_block_records_the_exit_code_a_shell_would(
    quiet_store: outrig.SessionStore, new: dict[str, Any], body: str, code: int
) -> None:
    made: list[outrig.LiveSession] = []
    try:
        with quiet_store.create(**new) as s:
            made.append(s)
            exec(body, {"s": s, "store": quiet_store, "sys": sys})
    except (ValueError, KeyboardInterrupt, SystemExit):
        pass
    assert quiet_store.get(made[0].id).exit_code == code
    assert not made[0].leased


def test_exit_codes_from_subprocess() -> None:
    assert outrig.exit_code_from_returncode(0) == 0
    assert outrig.exit_code_from_returncode(2) == 2
    assert outrig.exit_code_from_returncode(-signal.SIGTERM) == 143
    assert outrig.exit_code_from_returncode(-signal.SIGINT) == 130
    done = subprocess.run(["sh", "-c", "kill -TERM $$"], check=False)
    assert done.returncode == -15
    assert outrig.exit_code_from_returncode(done.returncode) == 143


def _in_fork_child(body: Any) -> int:
    """Runs ``body()`` in a forked child; returns its exit status (0: every check held)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            body()
        except BaseException:  # noqa: BLE001 - any failure is the child's answer
            import traceback

            traceback.print_exc()
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.parametrize("how", ["del", "release", "with"])
def test_a_fork_child_cannot_end_its_parents_lease(
    quiet_store: outrig.SessionStore, new: dict[str, Any], how: str
) -> None:
    store = quiet_store
    if how == "with":
        ctx = store.session(**new)
        s = ctx.__enter__()
    else:
        s = store.create(**new)
    record = Path(s.session_dir) / "session.json"
    before = record.read_bytes()

    def child() -> None:
        nonlocal s
        assert not s.leased and s.lease_fd() == -1
        if how == "del":
            # The child's last references go: the handle is dropped here.
            holder.clear()
            s = None  # type: ignore[assignment]
        elif how == "release":
            s.release()
        else:
            ctx.__exit__(None, None, None)

    holder = [s]
    assert _in_fork_child(child) == 0
    assert record.read_bytes() == before, "the child wrote nothing"
    assert s.leased
    assert store.state(s.id) is outrig.State.RUNNING
    assert store.clean(timedelta(0)) == [], "clean keeps the parent's running session"
    if how == "with":
        ctx.__exit__(None, None, None)
    else:
        s.finalize(0)
    assert store.state(s.id) is outrig.State.FINISHED


def test_a_fork_child_updates_as_another_process(
    root: Path, new: dict[str, Any]
) -> None:
    store = outrig.SessionStore(root, container_probe=nothing_runs)
    s = store.create(**new)

    def child() -> None:
        for attempt in (
            lambda: s.finalize(9),
            lambda: s.set_sidecar_containers(["child"]),
            lambda: store.finalize(s.id, 9),
            lambda: store.remove(s.id),
            lambda: store.remove(s.id, force=True),
            # forced skips only the container check, never the parent's lease
            lambda: store.remove_by_path(s.session_dir, force=True),
        ):
            with pytest.raises(outrig.BusyError):
                attempt()

    assert _in_fork_child(child) == 0
    assert store.get(s.id).exit_code is None
    assert s.finalize(0).exit_code == 0


def test_removal_fails_closed_and_force_overrides_it(root: Path, new: dict[str, Any]) -> None:
    def cannot_tell(names: list[str]) -> None:
        return None

    blind = outrig.SessionStore(root, container_probe=cannot_tell)
    s = blind.create(**new)
    s.release()
    with pytest.raises(outrig.BusyError, match="cannot tell"):
        blind.remove(s.id)
    assert blind.get(s.id).id == s.id
    assert blind.remove(s.id, force=True) == []
    with pytest.raises(outrig.NotFoundError):
        blind.get(s.id)

    # A finished session whose primary container runs on is kept, as outrig keeps it.
    up = outrig.SessionStore(root, container_probe=lambda names: [n for n in names if n == "attached"])
    done = up.create(**{**new, "container_name": "attached"})
    done.finalize(0)
    with pytest.raises(outrig.BusyError, match="attached"):
        up.remove(done.id)
    assert up.clean(timedelta(0)) == []


def test_running_is_deprecated_for_finalized(quiet_store: outrig.SessionStore, new: dict[str, Any]) -> None:
    s = quiet_store.create(**new)
    with pytest.warns(DeprecationWarning, match="finalized"):
        assert s.running
    assert not s.finalized
    assert s.finalize(0).finalized


def test_a_clean_whose_removals_fail_in_different_ways_raises_the_first_with_its_errno(
    tmp_path: Path, new: dict[str, Any]
) -> None:
    """Sessions whose removal fails, each in its own way, among ones that go: the clean
    removes the others, then raises the first failure (newest first) with its errno and path,
    `.removed` and every failure in `.failures`. Run as `nobody` in a forked child when the
    tests run as root, whom permission bits do not stop."""
    import errno
    import shutil
    import tempfile

    # Not under tmp_path: pytest's own directory of it is root's alone.
    top = Path(tempfile.mkdtemp(prefix="outrig-nobody-"))
    top.chmod(0o755)
    base = top / "nobody"
    base.mkdir()
    base.chmod(0o777)
    as_root = os.geteuid() == 0

    def child() -> None:
        store = outrig.SessionStore(base / "root", container_probe=nothing_runs)
        made = []
        for i in range(5):
            s = store.create(**new)
            s.finalize(0)
            made.append(s)
        # Oldest first: made[4] is the newest, the first a clean meets.
        ok = {made[0].id, made[2].id}
        read_only = Path(made[1].session_dir)  # EACCES unlinking the record
        deep = Path(made[3].session_dir) / "logs" / "sub"  # EACCES deep in logs/
        with store.append_log(made[3].id, "sub/agent.log") as log:
            log.write(b"x\n")
        failing = {made[1].id, made[3].id}
        if as_root:
            # Everything made so far is handed to nobody, but for made[4]: EPERM, a sticky
            # directory of root's whose record is root's too.
            for top, dirs, files in os.walk(base / "root"):
                for name in [top, *(os.path.join(top, n) for n in dirs + files)]:
                    os.lchown(name, 65534, 65534)
            sticky = Path(made[4].session_dir)
            os.chown(sticky, 0, 0)
            os.chown(sticky / "session.json", 0, 0)
            (sticky / "session.json").chmod(0o644)  # readable, not removable
            sticky.chmod(0o1777)
            failing.add(made[4].id)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        else:
            ok.add(made[4].id)
        read_only.chmod(0o555)
        deep.chmod(0o555)
        try:
            store.clean(timedelta(0))
        except outrig.OutrigIOError as e:
            first = made[4] if as_root else made[3]
            want = errno.EPERM if as_root else errno.EACCES
            assert e.errno == want, e
            assert e.filename is not None and str(e.filename).startswith(
                str(first.session_dir)
            ), (e.filename, e)
            assert f"{len(failing)} of the sessions to clean could not be removed" in str(e)
            assert {s.id for s in e.removed} == ok  # type: ignore[attr-defined]
            failures = e.failures  # type: ignore[attr-defined]
            assert {s.id for s, _ in failures} == failing
            assert [s.id for s, _ in failures][0] == first.id, "newest first"
            for s, message in failures:
                assert str(s.session_dir) in message or s.id in message, message
        else:
            raise AssertionError("the clean did not fail")
        read_only.chmod(0o755)
        deep.chmod(0o755)
        for s in made:
            if s.id in failing and s.id != made[4].id:
                assert store.get(s.id).id == s.id, "a failed removal keeps the record"
        listed = {s.id for s in store.list()}
        assert listed == failing, "the removable ones went, the failed ones stay listed"

    try:
        assert _in_fork_child(child) == 0
    finally:
        shutil.rmtree(top)

"""outrig.aio: the store's calls awaited, run in a worker thread so the event loop keeps going."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, TypeVar

import pytest

import outrig
from conftest import place_record
from outrig import aio

T = TypeVar("T")

#: How long a test waits for something another thread must do before calling it a hang.
PATIENCE = 10.0


def run(make: Callable[[], Awaitable[T]]) -> T:
    """Runs a coroutine on a fresh event loop (no pytest plugin needed)."""

    async def main() -> T:
        return await make()

    return asyncio.run(main())


def test_the_store_works_through_the_facade(root: Path, new: dict[str, Any]) -> None:
    async def scenario() -> None:
        store = aio.SessionStore(root)
        assert store.root == root and store.sync == outrig.SessionStore(root)
        assert repr(store) == f"<outrig.aio.SessionStore root={str(root)!r}>"
        s = await store.create(**new, sidecar_container_names=["tools"])
        assert isinstance(s, outrig.Session) and not s.finalized
        assert store.entry_path(s.id) == root / s.id
        assert (await store.get(s.id)) == s
        assert (await store.get_by_path(root / s.id)) == s
        s = await store.set_sidecar_containers(s.id, ["a", "b"])
        assert s.sidecar_container_names == ("a", "b")
        log = await store.log_path(s.id, "tools/web.log")
        log.write_text("hello")
        assert (await store.find_log(s.id, "tools/web.log")) == log
        assert (await store.logs(s.id)) == [outrig.LogFile("tools/web.log", 5)]
        done = await store.finalize(s.id, 3)
        assert done.exit_code == 3 and done.finalized
        listing = await store.list()
        assert isinstance(listing, outrig.Listing) and list(listing) == [done]
        assert (await store.clean(timedelta(days=1), dry_run=True)) == []
        assert (await store.remove(s.id)) == []
        assert len(await store.list()) == 0
        other = await store.create(**new)
        assert (await store.remove_by_path(root / other.id)) == []
        assert (await store.list()).skipped == []

    run(scenario)


def test_errors_are_the_modules(root: Path) -> None:
    store = aio.SessionStore(root)
    with pytest.raises(outrig.NotFoundError):
        run(lambda: store.get("20260101T000000-0000"))
    with pytest.raises(outrig.InvalidArgumentError):
        run(lambda: store.get("../etc"))
    with pytest.raises(outrig.InvalidArgumentError):
        store.entry_path("../etc")


def test_resolve_and_wrap(root: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'session-root = "{root}"\n')
    store = run(lambda: aio.SessionStore.resolve(global_config=config))
    assert isinstance(store, aio.SessionStore) and store.root == root
    explicit = run(lambda: aio.SessionStore.resolve(tmp_path / "x", global_config=config))
    assert explicit.root == tmp_path / "x"
    with pytest.raises(outrig.ConfigError, match="does not exist"):
        run(lambda: aio.SessionStore.resolve(global_config=tmp_path / "missing.toml"))
    sync = outrig.SessionStore(root)
    assert aio.SessionStore.wrap(sync).sync is sync


def test_the_session_context_finalizes(root: Path, new: dict[str, Any]) -> None:
    store = aio.SessionStore(root)

    async def ok() -> outrig.Session:
        ctx = store.session(**new)
        assert ctx.session is None
        async with ctx as s:
            assert not s.finalized and ctx.session == s
        assert ctx.session is not None
        return ctx.session

    done = run(ok)
    assert done.exit_code == 0 and store.sync.get(done.id) == done

    async def fails() -> None:
        async with store.session(**new):
            raise KeyError("boom")

    with pytest.raises(KeyError):
        run(fails)
    assert sorted(s.exit_code or 0 for s in store.sync.list()) == [0, 1]


def test_a_cancelled_block_is_finalized_as_failed(root: Path, new: dict[str, Any]) -> None:
    store = aio.SessionStore(root)

    async def scenario() -> None:
        async def body() -> None:
            async with store.session(**new):
                await asyncio.sleep(3600)

        task = asyncio.create_task(body())
        deadline = time.monotonic() + PATIENCE
        while not store.sync.list() and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario)
    [s] = store.sync.list()
    assert s.exit_code == 1


def test_a_cancel_during_creation_still_finalizes(root: Path, new: dict[str, Any]) -> None:
    """The create runs on in its thread; the session it makes must not stay running."""
    store = aio.SessionStore(root)

    async def scenario() -> None:
        async def body() -> None:
            async with store.session(**new):
                raise AssertionError("the block must not run")

        task = asyncio.create_task(body())
        await asyncio.sleep(0)  # the task's first step submits the create, then waits
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario)  # asyncio.run waits for the executor's work before it returns
    assert [s.exit_code for s in store.sync.list()] == [1]


class BlockingContext:
    """A sync SessionContext whose creation waits for a signal, recording its exit."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.exited = threading.Event()
        self.exit_args: tuple[Any, ...] = ()
        self.session = None

    def __enter__(self) -> str:
        self.entered.set()
        assert self.release.wait(PATIENCE)
        return "created"

    def __exit__(self, *args: Any) -> bool:
        self.exit_args = args
        self.exited.set()
        return False


def test_a_cancel_during_creation_finalizes_once_created() -> None:
    ctx = BlockingContext()
    store = aio.SessionStore.wrap(type("Fake", (), {"session": lambda self, **kw: ctx})())

    async def scenario() -> None:
        async def body() -> None:
            async with store.session():
                raise AssertionError("the block must not run")

        task = asyncio.create_task(body())
        while not ctx.entered.is_set():
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not ctx.exited.is_set()  # the creation has not finished yet
        ctx.release.set()
        deadline = time.monotonic() + PATIENCE
        while not ctx.exited.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.001)

    run(scenario)
    assert ctx.exited.is_set()
    assert ctx.exit_args[0] is asyncio.CancelledError


class BlockingStore:
    """A store whose `list` returns only once the event loop has run while it waited."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.thread: int | None = None

    def list(self) -> str:
        self.thread = threading.get_ident()
        self.started.set()
        if not self.release.wait(PATIENCE):
            raise TimeoutError("the event loop did not run while list() did")
        return "listed"


def test_calls_run_off_the_loop() -> None:
    """Deterministic: the call waits for the loop, so a call made on the loop would hang."""
    fake = BlockingStore()
    store = aio.SessionStore.wrap(fake)  # type: ignore[arg-type]

    async def scenario() -> tuple[object, int]:
        call = asyncio.ensure_future(store.list())
        while not fake.started.is_set():
            await asyncio.sleep(0.001)
        fake.release.set()  # the loop ran while list() was waiting
        return await call, threading.get_ident()

    result, loop_thread = run(scenario)
    assert result == "listed"
    assert fake.thread is not None and fake.thread != loop_thread


def test_a_big_listing_does_not_stall_the_loop(root: Path) -> None:
    """A ticker on the loop keeps ticking while real listings of 3,000 sessions run."""
    n = 3000
    for i in range(n):
        sid = f"20260101T{i:06d}-abcd"
        record = {
            "id": sid,
            "started_at": "2026-01-01T00:00:00Z",
            "container_name": "c",
            "image_tag": "t",
            "working_dir": "/w",
            "session_dir": str(root / sid),
        }
        place_record(root, sid, json.dumps(record).encode())
    store = aio.SessionStore(root)

    async def scenario() -> int:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.001)

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        during = 0
        for _ in range(5):
            before = ticks
            listing = await store.list()
            during += ticks - before
            assert len(listing) == n
        stop.set()
        await ticking
        return during

    # A call made on the loop itself never yields, so no tick could land inside one.
    assert run(scenario) >= 3


def test_every_store_method_is_offered() -> None:
    """A method added to the synchronous store needs its line in aio's table and stubs."""
    sync_methods = {
        name
        for name, _ in inspect.getmembers(outrig.SessionStore, callable)
        if not name.startswith("_") and name != "resolve"
    }
    offered = set(aio._IN_THREAD) | set(aio._DIRECT) | set(aio._OWN) | {"session"}
    assert sync_methods == offered
    for name in aio._IN_THREAD:
        method = getattr(aio.SessionStore, name)
        assert inspect.iscoroutinefunction(method), name
        assert inspect.signature(method) == inspect.signature(getattr(outrig.SessionStore, name))
        assert method.__doc__ == getattr(outrig.SessionStore, name).__doc__
    for name in aio._DIRECT:
        assert not inspect.iscoroutinefunction(getattr(aio.SessionStore, name))
    for name in aio._OWN:
        assert inspect.iscoroutinefunction(getattr(aio.SessionStore, name)), name
    stub = (Path(aio.__file__).parent / "aio.pyi").read_text()
    for name in sync_methods:
        assert f" def {name}(" in stub, f"aio.pyi lacks {name}"

"""Typical asyncio use, fully annotated: `mypy --strict` checks it against aio.pyi, pytest
runs it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import outrig
from outrig import aio


async def launch(store: aio.SessionStore, workdir: Path) -> outrig.Session:
    async with store.session(
        container_name="outrig-typed", image_tag="img:1", working_dir=workdir
    ) as s:
        log: Path = await store.log_path(s.id, "agent.log")
        log.write_text("hello\n")
    done = await store.get(s.id)
    return done


async def tidy(store: aio.SessionStore) -> list[str]:
    listing: outrig.Listing = await store.list()
    logs: list[outrig.LogFile] = await store.logs(listing[0].id)
    removed: list[outrig.Session] = await store.clean(timedelta(0), dry_run=True)
    kept: list[str] = await store.remove(listing[0].id)
    return [f.name for f in logs] + [s.id for s in removed] + kept


def test_typed_async_use(tmp_path: Path) -> None:
    async def main() -> tuple[outrig.Session, list[str]]:
        store = aio.SessionStore(tmp_path / "root")
        sync: outrig.SessionStore = store.sync
        assert aio.SessionStore.wrap(sync).root == store.root
        done = await launch(store, tmp_path)
        return done, await tidy(store)

    done, names = asyncio.run(main())
    assert done.exit_code == 0
    assert names[0] == "agent.log" and names[1] == done.id and names[2:] == []


async def watch_one(store: aio.SessionStore, workdir: Path) -> list[str]:
    kinds: list[str] = []
    async with await store.watch() as watch:
        s = await launch(store, workdir)
        await store.finalize(s.id, 0)
        state: outrig.State = await store.wait(s.id)
        assert state is outrig.State.FINISHED
        async for event in watch:
            kinds.append(event.kind.value)
            if event.kind is outrig.EventKind.FINALIZED:
                break
    return kinds


def test_typed_async_watch(tmp_path: Path) -> None:
    store = aio.SessionStore(tmp_path / "root")
    assert asyncio.run(watch_one(store, tmp_path)) == ["created", "finalized"]

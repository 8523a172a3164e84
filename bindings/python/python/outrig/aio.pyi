"""Type stubs of outrig.aio: the asyncio face of the session store."""

import builtins
import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Literal, final

from typing_extensions import Self, TypeAlias

from io import BufferedReader, BufferedWriter

from . import Listing, LiveSession, LogFile, Session, State, WatchEvent
from . import Watch as _SyncWatch
from . import SessionStore as _SyncStore
from . import _Probe

_StrPath: TypeAlias = str | os.PathLike[str]

__all__ = ["SessionContext", "SessionStore", "Watch"]

@final
class SessionContext:
    """``async with store.session(...) as s``: creates on entry, finalizes on exit (0, or 1
    when the block raises or is cancelled), each step in a worker thread."""

    def __init__(self, sync: object) -> None: ...
    @property
    def session(self) -> Session | None:
        """None before entry, the LiveSession inside the block, the finalized record after."""
    async def __aenter__(self) -> LiveSession: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]: ...

@final
class Watch:
    """``store.watch()`` for asyncio: ``async for event in watch``."""

    def __init__(self, sync: _SyncWatch) -> None: ...
    @property
    def sync(self) -> _SyncWatch: ...
    @property
    def description(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    async def next(self, timeout: float | None = None) -> WatchEvent | None: ...
    def __aiter__(self) -> Self: ...
    async def __anext__(self) -> WatchEvent: ...
    def close(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool: ...

@final
class SessionStore:
    """The synchronous ``outrig.SessionStore``'s calls as coroutines run in a worker thread."""

    def __init__(
        self, root: _StrPath | None = None, *, container_probe: _Probe = None
    ) -> None: ...
    @classmethod
    def wrap(cls, store: _SyncStore) -> Self:
        """The facade over an existing synchronous store."""
    @classmethod
    async def resolve(
        cls,
        root: _StrPath | None = None,
        *,
        global_config: _StrPath | None = None,
        container_probe: _Probe = None,
    ) -> Self: ...
    @property
    def sync(self) -> _SyncStore:
        """The synchronous store this facade calls."""
    @property
    def root(self) -> Path: ...
    async def create(
        self,
        *,
        container_name: str,
        image_tag: str,
        working_dir: _StrPath,
        image_config_name: str | None = None,
        agent_name: str | None = None,
        sidecar_container_names: Sequence[str] = (),
        session_dir: _StrPath | None = None,
        started_at: datetime | None = None,
    ) -> LiveSession: ...
    async def state(self, id: str) -> State: ...
    async def states(self, sessions: Sequence[Session]) -> builtins.list[State]: ...
    async def finalize(
        self, id: str, exit_code: int, ended_at: datetime | None = None
    ) -> Session: ...
    async def set_sidecar_containers(self, id: str, names: Sequence[str]) -> Session: ...
    async def list(self) -> Listing: ...
    async def get(self, id: str) -> Session: ...
    async def get_by_path(self, dir: _StrPath) -> Session: ...
    async def remove(self, id: str, *, force: bool = False) -> builtins.list[str]: ...
    async def remove_by_path(self, dir: _StrPath, *, force: bool = False) -> builtins.list[str]: ...
    async def clean(
        self, older_than: timedelta, *, dry_run: bool = False
    ) -> builtins.list[Session]: ...
    async def clean_session(self, id: str, *, dry_run: bool = False) -> builtins.list[Session]: ...
    async def append_log(self, id: str, name: str) -> BufferedWriter: ...
    async def read_log(self, id: str, name: str) -> BufferedReader: ...
    async def log_path(self, id: str, name: str) -> Path: ...
    async def find_log(self, id: str, name: str) -> Path: ...
    async def logs(self, id: str) -> builtins.list[LogFile]: ...
    async def wait(self, id: str, timeout: float | None = None) -> State:
        """Waits (on the event loop, no thread) until the session is no longer running."""
    async def watch(self) -> Watch: ...
    def entry_path(self, id: str) -> Path:
        """``<root>/<id>``; touches nothing, so it is not awaited."""
    def session(
        self,
        *,
        container_name: str,
        image_tag: str,
        working_dir: _StrPath,
        image_config_name: str | None = None,
        agent_name: str | None = None,
        sidecar_container_names: Sequence[str] = (),
        session_dir: _StrPath | None = None,
        started_at: datetime | None = None,
    ) -> SessionContext: ...

"""Type stubs of outrig: the documented interface of the module."""

import builtins
import enum
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from io import BufferedReader, BufferedWriter
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, final, overload

from typing_extensions import Self, TypeAlias, disjoint_base

_StrPath: TypeAlias = str | os.PathLike[str]

__version__: str
__all__ = [
    "AlreadyExistsError",
    "BusyError",
    "ConfigError",
    "CorruptRecordError",
    "DirNotUsableError",
    "EventKind",
    "InvalidArgumentError",
    "Listing",
    "LiveSession",
    "LogFile",
    "NotFoundError",
    "OutrigError",
    "OutrigIOError",
    "Session",
    "SessionContext",
    "SessionStore",
    "Skipped",
    "State",
    "Watch",
    "WatchEvent",
    "__version__",
    "exit_code_from_returncode",
    "format_duration",
    "format_started_at",
]

class OutrigError(Exception):
    """Base class of every error the session store raises; ``str()`` is the message, which
    names the path or id concerned and says what to do."""

class InvalidArgumentError(OutrigError, ValueError):
    """An argument was refused before anything touched the filesystem: an invalid session id
    or log name, an empty required value, a naive datetime, an exit code out of range."""

class NotFoundError(OutrigError, FileNotFoundError):
    """The session, record or path named does not exist (``errno`` is ENOENT)."""

class AlreadyExistsError(OutrigError, FileExistsError):
    """Something that must be new already exists (``errno`` is EEXIST)."""

class DirNotUsableError(OutrigError):
    """An explicit session directory cannot take a new session (not a directory, not empty,
    holds an earlier record, inside the root), or a log path is blocked."""

class CorruptRecordError(OutrigError):
    """A ``session.json`` could not be read as a session record."""

class ConfigError(OutrigError):
    """The global config file is unreadable or malformed, or no home directory is known when
    the default root needs one."""

class BusyError(OutrigError, BlockingIOError):
    """The session is in use by a running launcher: its lock was not free within the store's
    short bounded wait."""

class OutrigIOError(OutrigError, OSError):
    """Any other operating-system error: ``errno`` is set, and ``filename`` when the error is
    about one path."""

@disjoint_base
class Session:
    """One session as recorded in its ``session.json``. Immutable; fields are converted when
    read. Times are aware UTC datetimes (to the microsecond), paths are ``Path``s, absent values
    ``None``."""

    @staticmethod
    def from_json(data: str | bytes) -> Session:
        """Parses a record; raises CorruptRecordError when it is not one."""
    @property
    def id(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def ended_at(self) -> datetime | None: ...
    @property
    def container_name(self) -> str: ...
    @property
    def sidecar_container_names(self) -> tuple[str, ...]: ...
    @property
    def image_tag(self) -> str: ...
    @property
    def image_config_name(self) -> str | None: ...
    @property
    def agent_name(self) -> str | None: ...
    @property
    def working_dir(self) -> Path: ...
    @property
    def session_dir(self) -> Path: ...
    @property
    def exit_code(self) -> int | None: ...
    @property
    def link_target(self) -> Path | None:
        """Where ``<root>/<id>`` points for an explicit session; never written to disk."""
    @property
    def logs_dir(self) -> Path: ...
    @property
    def finalized(self) -> bool:
        """Whether the session was finalized (``ended_at`` is set); whether an unfinalized
        session runs is ``store.state(id)``'s answer."""
    @property
    def running(self) -> bool:
        """Deprecated (warns): ``not finalized``, which is not ``State.RUNNING``."""
    @property
    def duration(self) -> timedelta | None:
        """``ended_at - started_at``, or None until the session is finalized."""
    def to_json(self) -> str:
        """The record's exact bytes as outrig writes them."""
    def to_dict(self, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """The attributes, in the record's order, then ``link_target``. ``mode="json"`` gives
        JSON-safe values: times as ISO 8601 text (``isoformat()``), paths as ``str``."""
    def __copy__(self) -> Self: ...
    def __deepcopy__(self, memo: Any, /) -> Self: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Skipped:
    """A root entry whose record could not be read or parsed."""

    def __new__(cls, entry: str, reason: str) -> Self: ...
    @property
    def entry(self) -> str: ...
    @property
    def reason(self) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class LogFile:
    """A file under a session's ``logs/``: its name relative to ``logs/`` and its size."""

    def __new__(cls, name: str, size: int) -> Self: ...
    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Listing(Sequence[Session]):
    """The sessions of a root, newest first; ``skipped`` holds the unreadable entries.
    Pickles with its sessions (each as its record) and skipped entries."""

    @property
    def skipped(self) -> list[Skipped]: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int, /) -> Session: ...
    @overload
    def __getitem__(self, index: slice, /) -> list[Session]: ...
    def __iter__(self) -> Iterator[Session]: ...
    def __reversed__(self) -> Iterator[Session]: ...
    def __contains__(self, value: object, /) -> bool: ...
    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int: ...
    def count(self, value: Any) -> int: ...

@final
class LiveSession(Session):
    """A session this process created and runs, holding its lease: every attribute of
    Session (as create wrote the record). Other processes see it running and get BusyError
    from finalize and remove until it is finalized or released. As a context manager it
    finalizes on exit unless the block did: the code from set_exit_code, else 130 for
    KeyboardInterrupt, SystemExit.code for sys.exit, 1 for another exception, 0 otherwise."""

    def finalize(self, exit_code: int, ended_at: datetime | None = None) -> Session:
        """Finalizes through the lease and ends it."""
    def set_sidecar_containers(self, names: Sequence[str]) -> Session: ...
    def set_exit_code(self, exit_code: int) -> None:
        """The code the with block records when it ends."""
    def release(self) -> None:
        """Ends the lease without finalizing."""
    @property
    def leased(self) -> bool: ...
    def lease_fd(self) -> int:
        """The descriptor holding the lease, or -1; pass it to a child to extend the lease."""
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> Literal[False]: ...

class State(enum.Enum):
    """What is known of a session's life."""

    RUNNING = "running"
    FINISHED = "finished"
    ABANDONED = "abandoned"
    UNKNOWN = "unknown"

class EventKind(str, enum.Enum):
    """What happened to a session; each member equals its string."""

    CREATED = "created"
    UPDATED = "updated"
    FINALIZED = "finalized"
    ABANDONED = "abandoned"
    REMOVED = "removed"
    def __new__(cls, value: str) -> Self: ...

@final
class WatchEvent:
    """One change of one session."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> EventKind: ...
    @property
    def session(self) -> Session | None:
        """The record as read after the change; None for a removal."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: None  # type: ignore[assignment]

@final
class Watch:
    """The changes of the sessions under a root, from ``SessionStore.watch()`` on:
    iterating blocks until the next event (Ctrl-C interrupts it). Close it with ``close()`` or
    a ``with`` block."""

    def __iter__(self) -> Self: ...
    def __next__(self) -> WatchEvent: ...
    def next(self, timeout: float | None = None) -> WatchEvent | None:
        """The next event within ``timeout`` seconds (None: until there is one), or None."""
    def fileno(self) -> int:
        """Readable when ``next(0)`` may have an event; never read it."""
    @property
    def description(self) -> str:
        """Where the events come from (says when it polls, and why)."""
    @property
    def overflows(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool: ...

@final
class _Waiter:
    def poll(self) -> State | None: ...
    def fileno(self) -> int: ...
    def close(self) -> None: ...

_Probe: TypeAlias = Callable[[builtins.list[str]], Iterable[str] | None] | bool | None

@final
class SessionContext:
    """``with store.session(...) as s``: creates a LiveSession on entry, which holds the
    lease for the block and finalizes on exit by LiveSession's rules."""

    @property
    def session(self) -> Session | None:
        """None before entry, the LiveSession inside the block, the finalized record after."""
    def __enter__(self) -> LiveSession: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> Literal[False]: ...

@final
class SessionStore:
    """The session records under one root directory. Thread-safe; filesystem work releases
    the GIL. Pickles (for multiprocessing) as its root and its container_probe argument: a
    probe callable must pickle too (a module-level function; a lambda raises TypeError)."""

    def __new__(cls, root: _StrPath | None = None, *, container_probe: _Probe = None) -> Self:
        """A store at ``root`` (made absolute), or at outrig's own root when None.
        ``container_probe``: None asks podman/docker (spawns ``podman ps``), False never asks,
        or a callable taking container names and returning those running (None: cannot
        tell)."""
    @classmethod
    def resolve(
        cls,
        root: _StrPath | None = None,
        *,
        global_config: _StrPath | None = None,
        container_probe: _Probe = None,
    ) -> Self:
        """A store at ``root``, else the global config's ``session-root``, else the XDG
        default. Raises ``ConfigError`` for an unreadable or malformed config, and for a
        ``global_config`` that does not exist (only the default location may be absent)."""
    @property
    def root(self) -> Path: ...
    def create(
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
    ) -> LiveSession:
        """Creates a session holding its lease. A relative ``working_dir`` is recorded
        absolute, as outrig records it: joined to the current directory at the create,
        lexically (``..`` kept, no symlink resolved); an absolute one as given."""
    def state(self, id: str) -> State: ...
    def states(self, sessions: Sequence[Session]) -> builtins.list[State]:
        """Each session's state, with one container probe for all."""
    def finalize(self, id: str, exit_code: int, ended_at: datetime | None = None) -> Session: ...
    def set_sidecar_containers(self, id: str, names: Sequence[str]) -> Session: ...
    def list(self) -> Listing: ...
    def get(self, id: str) -> Session: ...
    def get_by_path(self, dir: _StrPath) -> Session: ...
    def remove(self, id: str, *, force: bool = False) -> builtins.list[str]:
        """Removes the session; returns the names kept in its directory. BusyError when it
        runs or might (the probe cannot tell); ``force`` skips the container check."""
    def remove_by_path(self, dir: _StrPath, *, force: bool = False) -> builtins.list[str]: ...
    def clean(self, older_than: timedelta, *, dry_run: bool = False) -> builtins.list[Session]:
        """Removes (or with dry_run only reports) the finished sessions that ended, and the
        abandoned ones that started, before now - older_than. A removal that fails does not
        stop the others: the first failure is raised afterwards (errno and filename of it),
        with ``.removed`` (the sessions removed) and ``.failures`` ((Session, message) pairs)."""
    def clean_session(self, id: str, *, dry_run: bool = False) -> builtins.list[Session]:
        """Removes the session if finished or abandoned, whatever its age."""
    def append_log(self, id: str, name: str) -> BufferedWriter:
        """Opens a log file for appending (created with the directories on the way); nothing
        on the way is followed, and writes reach that file whatever is renamed later."""
    def read_log(self, id: str, name: str) -> BufferedReader:
        """Opens an existing log file for reading; nothing on the way is followed."""
    def log_path(self, id: str, name: str) -> Path:
        """The path of a log file (advisory: prefer append_log)."""
    def find_log(self, id: str, name: str) -> Path:
        """The path of an existing log file, for reading; creates nothing (advisory: prefer
        read_log)."""
    def logs(self, id: str) -> builtins.list[LogFile]: ...
    def entry_path(self, id: str) -> Path: ...
    def wait(self, id: str, timeout: float | None = None) -> State:
        """Waits until the session is no longer running: FINISHED or ABANDONED. Raises
        NotFoundError when it was removed, TimeoutError when the timeout passed."""
    def watch(self) -> Watch:
        """The changes of every session of the root from now on."""
    def _waiter(self, id: str) -> _Waiter: ...
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
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def exit_code_from_returncode(returncode: int) -> int:
    """The code to record: returncode, or 128+N for -N (signal N)."""

def format_started_at(t: datetime) -> str:
    """``2026-05-01 14:19:07`` (UTC), as ``outrig ls`` shows a start time."""

def format_duration(d: timedelta) -> str:
    """``0m44s``, ``6m02s``, ``1h05m``, as ``outrig ls`` shows a duration."""

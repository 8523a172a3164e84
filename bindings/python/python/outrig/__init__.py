"""outrig's session store, for Python scripts.

Create, finalize, list, clean and remove session records in exactly the layout and bytes outrig
writes, so a session made here is indistinguishable from one outrig made::

    import outrig

    store = outrig.SessionStore()  # outrig's own root; or SessionStore("/some/root")
    with store.session(container_name="demo", image_tag="img:1", working_dir=".") as s:
        store.log_path(s.id, "agent.log").write_text("hello\\n")
    for s in store.list():
        print(s.id, outrig.format_started_at(s.started_at))

The work is done by the Rust core (the compiled ``outrig._outrig``); the typed interface is in
``__init__.pyi``. For asyncio, ``outrig.aio.SessionStore`` runs the same calls in a worker
thread.
"""

import enum
from collections.abc import Sequence

from ._outrig import (
    AlreadyExistsError,
    BusyError,
    ConfigError,
    CorruptRecordError,
    DirNotUsableError,
    InvalidArgumentError,
    Listing,
    LiveSession,
    LogFile,
    NotFoundError,
    OutrigError,
    OutrigIOError,
    Session,
    SessionContext,
    SessionStore,
    Skipped,
    Watch,
    WatchEvent,
    __version__,
    exit_code_from_returncode,
    format_duration,
    format_started_at,
)


class State(enum.Enum):
    """What is known of a session's life (`SessionStore.state`, `SessionStore.states`)."""

    #: Not finalized, and its lease is held (by a launcher, or `outrig run-new`), or one of
    #: its containers runs.
    RUNNING = "running"
    #: Finalized.
    FINISHED = "finished"
    #: Not finalized, no lease, and no container of it runs: its launcher died.
    ABANDONED = "abandoned"
    #: Not finalized, no lease, and the container probe could not tell (or there is none).
    UNKNOWN = "unknown"


class EventKind(str, enum.Enum):
    """What happened to a session (`WatchEvent.kind`); each member equals its string."""

    #: A session appeared (its record was written).
    CREATED = "created"
    #: Its record changed without ending it (sidecar containers set, a field rewritten).
    UPDATED = "updated"
    #: It was finalized: its record has an end time and an exit code.
    FINALIZED = "finalized"
    #: Its launcher's lease ended without a finalize and no container of it runs.
    ABANDONED = "abandoned"
    #: It was removed.
    REMOVED = "removed"

    def __str__(self) -> str:
        return str(self.value)


# The value classes compare for equality only. The compiled classes get `__lt__`, `__le__`,
# `__gt__` and `__ge__` from their equality slot, which only return NotImplemented yet show in
# help() as if ordering worked; without them the class's comparison falls back to `object`'s
# (`==` still uses the class's `__eq__`), and `<` raises Python's usual TypeError.
for _cls in (Session, LiveSession, Skipped, LogFile, SessionStore, WatchEvent):
    for _name in ("__lt__", "__le__", "__gt__", "__ge__"):
        if _name in vars(_cls):
            delattr(_cls, _name)
del _cls, _name

# A Listing is a read-only sequence of sessions (len, indexing, slicing, iteration, `in`,
# index, count); registering it makes isinstance(listing, Sequence) true.
Sequence.register(Listing)

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

"""outrig's session store for asyncio: the same calls, awaited, run in a worker thread.

Every store call touches the filesystem (a listing of thousands of sessions takes a noticeable
fraction of a second), so calling the store directly from a coroutine stalls the event loop.
This facade runs each call with ``loop.run_in_executor`` on the loop's default executor; the
compiled store releases the GIL while it works, so the loop keeps running meanwhile::

    from outrig import aio

    async def main() -> None:
        store = aio.SessionStore("/some/root")
        async with store.session(container_name="demo", image_tag="img:1", working_dir=".") as s:
            ...
        for s in await store.list():
            print(s.id)

Values (``Session``, ``Listing``, ``LogFile``) and errors are the synchronous module's. A call
whose awaiting task is cancelled still completes in its thread; only its result is dropped.
The typed interface is in ``aio.pyi``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any, Callable

from . import _outrig

__all__ = ["SessionContext", "SessionStore", "Watch"]

#: The store's methods that touch the filesystem, run in a worker thread when awaited. Adding
#: one of the synchronous store's methods here (and its typed line to ``aio.pyi``) is all it
#: takes to offer it here.
_IN_THREAD = (
    "create",
    "finalize",
    "set_sidecar_containers",
    "list",
    "get",
    "get_by_path",
    "remove",
    "remove_by_path",
    "clean",
    "clean_session",
    "state",
    "states",
    "append_log",
    "read_log",
    "log_path",
    "find_log",
    "logs",
)

#: Methods that touch nothing (they only compute a path) and are called directly.
_DIRECT = ("entry_path",)

#: Methods with an asyncio form of their own (the event loop waits on a descriptor instead of
#: a thread sleeping in the call), defined on the class below.
_OWN = ("wait", "watch")


async def _readable(fd: int, timeout: float | None) -> None:
    """Returns when ``fd`` is readable or ``timeout`` seconds passed (None: no limit)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await asyncio.wait_for(ready, timeout)
    except asyncio.TimeoutError:
        pass
    finally:
        loop.remove_reader(fd)


class Watch:
    """``store.watch()`` for asyncio: ``async for event in watch`` awaits each event without
    a thread sleeping on it (the event loop waits for the watch's descriptor). Close it with
    ``close()`` or ``async with``/``with``."""

    __slots__ = ("_sync",)

    def __init__(self, sync: Any) -> None:
        self._sync = sync

    @property
    def sync(self) -> Any:
        """The synchronous ``outrig.Watch``."""
        return self._sync

    @property
    def description(self) -> Any:
        """Where the events come from."""
        return self._sync.description

    @property
    def closed(self) -> Any:
        """Whether ``close()`` was called."""
        return self._sync.closed

    async def next(self, timeout: float | None = None) -> Any:
        """The next event within ``timeout`` seconds (None: until there is one), or None."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            # The work that is due (reading records, asking leases) runs in a worker thread.
            event = await _in_thread(self._sync.next, 0)
            if event is not None:
                return event
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return None
            await _readable(self._sync.fileno(), left)

    def __aiter__(self) -> Watch:
        return self

    async def __anext__(self) -> Any:
        return await self.next()

    def close(self) -> None:
        """Stops watching; closing again does nothing."""
        self._sync.close()

    async def __aenter__(self) -> Watch:
        return self

    async def __aexit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> bool:
        self.close()
        return False

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> bool:
        self.close()
        return False


async def _in_thread(call: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Runs ``call`` on the running loop's default executor and awaits its result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(call, *args, **kwargs))


class SessionContext:
    """``async with store.session(...) as s``: creates the session on entry and finalizes it on
    exit (exit code 0, or 1 when the block raises or is cancelled; the exception propagates),
    each step in a worker thread."""

    __slots__ = ("_sync",)

    def __init__(self, sync: Any) -> None:
        self._sync = sync

    @property
    def session(self) -> Any:
        """None before entry, the created record inside the block, the finalized one after."""
        return self._sync.session

    async def __aenter__(self) -> Any:
        loop = asyncio.get_running_loop()
        entering = loop.run_in_executor(None, self._sync.__enter__)
        try:
            # Shielded: a cancellation stops the wait, not the create already under way.
            return await asyncio.shield(entering)
        except asyncio.CancelledError as cancelled:
            # No `__aexit__` follows a failed `__aenter__`, so the session the create is still
            # making would stay "running" forever: finalize it (exit code 1) once it exists.
            entering.add_done_callback(functools.partial(self._finalize_after, cancelled))
            raise

    def _finalize_after(self, cancelled: BaseException, entering: asyncio.Future[Any]) -> None:
        if entering.cancelled() or entering.exception() is not None:
            return  # nothing was created
        finalize = functools.partial(
            self._sync.__exit__, type(cancelled), cancelled, cancelled.__traceback__
        )
        try:
            entering.get_loop().run_in_executor(None, finalize)
        except RuntimeError:
            # The loop is shutting its executor down (asyncio.run ending): finalize here.
            finalize()

    async def __aexit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> Any:
        return await _in_thread(self._sync.__exit__, exc_type, exc_value, traceback)


class SessionStore:
    """The session records under one root directory, for asyncio: the synchronous
    ``outrig.SessionStore``'s methods as coroutines run in a worker thread. ``entry_path`` and
    ``root`` touch nothing and are plain."""

    __slots__ = ("_sync",)

    def __init__(self, root: Any = None, *, container_probe: Any = None) -> None:
        """A store at ``root`` (made absolute), or at outrig's own root when None (which reads
        at most the global config file); ``container_probe`` as for ``outrig.SessionStore``."""
        self._sync = _outrig.SessionStore(root, container_probe=container_probe)

    @classmethod
    def wrap(cls, store: Any) -> SessionStore:
        """The facade over an existing synchronous store (they share everything)."""
        self = cls.__new__(cls)
        self._sync = store
        return self

    @classmethod
    async def resolve(
        cls, root: Any = None, *, global_config: Any = None, container_probe: Any = None
    ) -> SessionStore:
        """As ``outrig.SessionStore.resolve``, reading the config in a worker thread."""
        sync = await _in_thread(
            _outrig.SessionStore.resolve,
            root,
            global_config=global_config,
            container_probe=container_probe,
        )
        return cls.wrap(sync)

    @property
    def sync(self) -> Any:
        """The synchronous store this facade calls."""
        return self._sync

    @property
    def root(self) -> Any:
        """The root directory (absolute)."""
        return self._sync.root

    async def wait(self, id: str, timeout: float | None = None) -> Any:
        """As ``outrig.SessionStore.wait``, awaited: the event loop waits for the session's
        changes (no thread sleeps on it), so cancelling the awaiting task ends the wait."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        if timeout is not None and not timeout >= 0:
            raise ValueError(f"timeout must be None or a number of seconds >= 0, not {timeout}")
        waiter = await _in_thread(self._sync._waiter, id)
        try:
            while True:
                state = await _in_thread(waiter.poll)
                if state is not None:
                    return state
                left = None if deadline is None else deadline - loop.time()
                if left is not None and left <= 0:
                    raise TimeoutError(f"session {id} still runs after {timeout} s of waiting")
                await _readable(waiter.fileno(), left)
        finally:
            waiter.close()

    async def watch(self) -> Watch:
        """As ``outrig.SessionStore.watch``: an async iterator of the changes from now on."""
        return Watch(await _in_thread(self._sync.watch))

    def session(self, **kwargs: Any) -> SessionContext:
        """An async context manager: ``create(**kwargs)`` on entry, ``finalize`` on exit."""
        return SessionContext(self._sync.session(**kwargs))

    def __repr__(self) -> str:
        return f"<outrig.aio.SessionStore root={str(self._sync.root)!r}>"


def _awaitable(name: str) -> Callable[..., Any]:
    """``SessionStore.<name>`` as a coroutine that runs the synchronous method in a thread."""
    sync = getattr(_outrig.SessionStore, name)

    async def method(self: SessionStore, /, *args: Any, **kwargs: Any) -> Any:
        # Looked up on the wrapped store at call time, so `wrap` takes any store-like object.
        return await _in_thread(getattr(self._sync, name), *args, **kwargs)

    return _like(method, sync, name)


def _direct(name: str) -> Callable[..., Any]:
    """``SessionStore.<name>`` called straight through."""
    sync = getattr(_outrig.SessionStore, name)

    def method(self: SessionStore, /, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._sync, name)(*args, **kwargs)

    return _like(method, sync, name)


def _like(method: Callable[..., Any], sync: Any, name: str) -> Callable[..., Any]:
    """Gives ``method`` the synchronous method's name, docs and signature, for help()."""
    method.__name__ = name
    method.__qualname__ = f"SessionStore.{name}"
    method.__module__ = __name__
    method.__doc__ = sync.__doc__
    method.__signature__ = inspect.signature(sync)  # type: ignore[attr-defined]
    return method


SessionStore.session.__signature__ = inspect.signature(  # type: ignore[attr-defined]
    _outrig.SessionStore.session
)
for _name in _IN_THREAD:
    setattr(SessionStore, _name, _awaitable(_name))
for _name in _DIRECT:
    setattr(SessionStore, _name, _direct(_name))
del _name

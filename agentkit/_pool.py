"""One API client (one HTTP connection pool) per agent and event loop, and the loop behind ``run_sync``.

A connection belongs to the event loop that opened it, so an agent keeps one client per running loop
(asyncio loops and trio runs alike) and reuses it for every run on that loop: no handshake per run.
Clients of loops that have ended are dropped (their sockets die with the loop), so an agent that is never
closed does not accumulate them.

Synchronous callers (``run_sync``) all share one background thread running one asyncio loop for the
process. Their runs therefore reuse the same connections call after call, and ``run_sync`` works the same
inside a thread that is already running an event loop (Jupyter, an async web handler): it never nests
loops, it waits for the background one.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import sys
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from ._client import DeepSeekClient
from ._errors import UserError
from ._perloop import current_loop

_T = TypeVar("_T")


@dataclass(eq=False)
class _Entry:
    loop: object
    client: DeepSeekClient
    runs: int = 0
    """Runs using the client now: a client closed by ``aclose`` meanwhile closes when the last ends."""
    closing: bool = False


class ClientPool:
    """The clients of one agent, one per event loop, made by ``factory`` on first use. A run leases its
    loop's client for its whole length, so closing the agent (another task's ``async with agent``
    ending) never closes a client under a run: new runs get a new client, and the old one closes when
    its last run ends."""

    def __init__(
        self, factory: Callable[[], DeepSeekClient], shared: Callable[[], DeepSeekClient | None]
    ) -> None:
        self._factory = factory
        self._shared = shared
        """The user's own client (``client=``, or one made once around their ``http_client``): used on
        every loop and never closed here."""
        self._clients: dict[int, _Entry] = {}
        self._leased: dict[int, _Entry] = {}
        """By ``id(client)``: the entries with runs, including those closed meanwhile."""
        self._lock = threading.Lock()
        """Threads each running their own loop (``asyncio.run`` per request) share the agent: one at a
        time changes which loops have clients."""

    def lease(self) -> DeepSeekClient:
        """This event loop's client, for one run: ``give_back`` it when the run ends."""
        shared = self._shared()
        if shared is not None:
            return shared
        loop = current_loop()
        with self._lock:
            entry = self._clients.get(id(loop))
            if entry is None or entry.loop is not loop:
                self._drop_ended()
                entry = self._clients[id(loop)] = _Entry(loop, self._factory())
                if loop is SYNC_LOOP.loop:
                    SYNC_LOOP.clients.add(entry.client)
            entry.runs += 1
            self._leased[id(entry.client)] = entry
        return entry.client

    async def give_back(self, client: DeepSeekClient) -> None:
        entry = self._leased.get(id(client))
        if entry is None or entry.client is not client:
            return  # the user's own client
        entry.runs -= 1
        if entry.runs == 0:
            del self._leased[id(client)]
            if entry.closing:
                await client.aclose()

    async def aclose(self) -> None:
        """Close this loop's client and the ``run_sync`` loop's (each once its runs have ended); forget
        those of other loops (a connection cannot be closed from a loop that does not own it)."""
        with self._lock:
            entries, self._clients = list(self._clients.values()), {}
        here = current_loop()
        for entry in entries:
            if entry.runs:
                entry.closing = entry.loop is here or entry.loop is SYNC_LOOP.loop
            elif entry.loop is here:
                await entry.client.aclose()
            elif entry.loop is SYNC_LOOP.loop and SYNC_LOOP.alive():
                SYNC_LOOP.submit(entry.client.aclose())

    def _drop_ended(self) -> None:
        """Forget the clients of loops that have ended (their runs, if any, were abandoned)."""
        for entries in (self._clients, self._leased):
            for key, entry in list(entries.items()):
                if _ended(entry.loop):
                    del entries[key]


def _ended(loop: object) -> bool:
    if isinstance(loop, asyncio.AbstractEventLoop):
        return loop.is_closed()
    return getattr(getattr(loop, "coro", None), "cr_frame", None) is None  # a trio run's root task


class _SyncLoop:
    """A daemon thread running one asyncio event loop, started on first use (and again after a fork)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clients: weakref.WeakSet[DeepSeekClient] = weakref.WeakSet()
        """The clients made on this loop, closed when the interpreter exits (no unclosed sockets)."""
        self._pid = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def alive(self) -> bool:
        return self.loop is not None and self._pid == os.getpid() and not self.loop.is_closed()

    def run(self, function: Callable[[], Awaitable[_T]]) -> _T:
        """Run ``function()`` on the loop and wait for its result; Ctrl-C cancels it."""
        if self._thread is threading.current_thread():  # waiting here would stop the loop it waits for
            raise UserError(
                "run_sync was called on agentkit's background loop, from async code of a run that "
                "run_sync started (a tool, hook or callback): use 'await agent.run(...)' there"
            )
        future = self.submit(_call(function))
        try:
            result: _T = future.result()
            return result
        except BaseException:
            future.cancel()
            raise

    def submit(self, coroutine: Coroutine[Any, Any, _T]) -> Any:
        with self._lock:
            if not self.alive():
                self.loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=_serve, args=(self.loop,), name="agentkit-run-sync", daemon=True
                )
                self._thread.start()
            loop = self.loop
        assert loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, loop)


    def close(self) -> None:
        """Close the clients on the loop and stop it (at interpreter exit)."""
        if not self.alive():
            return
        clients = list(self.clients)
        with contextlib.suppress(Exception):
            self.submit(_close_all(clients)).result(timeout=5)
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    loop.run_forever()
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


async def _close_all(clients: list[DeepSeekClient]) -> None:
    for client in clients:
        await client.aclose()


async def _call(function: Callable[[], Awaitable[_T]]) -> _T:
    # The task runs in a copy of the caller's context (its context variables carry over), but the
    # caller may be a trio run, whose context tells sniffio (and so httpcore) "trio": say asyncio here.
    sniffio = sys.modules.get("sniffio")
    if sniffio is not None:
        sniffio.current_async_library_cvar.set(None)
    return await function()


SYNC_LOOP = _SyncLoop()
atexit.register(SYNC_LOOP.close)

"""The HTTP transport of the clients agentkit makes itself: the fastest one that keeps httpx's API.

httpx's own connection pool (httpcore) spends CPU per request that grows with the connections in
flight: with 100 runs in flight, a raw httpx loop spends ~3 ms of CPU per run against ~1.1 ms on the
aiohttp transport (``httpx-aiohttp``, the one the official openai SDK offers for the same reason), and
finishes ~2.7x sooner (``bench/concurrent_runs.py``). So on asyncio, when the ``aiohttp`` extra is
installed, agentkit's clients send through aiohttp; on trio (which aiohttp does not run on) and without
the extra, through httpx's own transport. Either way the client is an ``httpx.AsyncClient``: timeouts
(the read timeout is the stream idle timeout on both), retries, key masking and errors are the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
import weakref
from collections.abc import AsyncGenerator
from typing import Any, Literal

import httpx

Transport = Literal["auto", "httpx", "aiohttp"]

LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


def make_http_client(timeout: httpx.Timeout, transport: Transport = "auto") -> httpx.AsyncClient:
    """A new ``httpx.AsyncClient`` on the chosen transport (``"auto"``: aiohttp when it can be used)."""
    if transport == "aiohttp" or (transport == "auto" and aiohttp_usable()):
        from httpx_aiohttp import AiohttpTransport

        return httpx.AsyncClient(timeout=timeout, transport=AiohttpTransport(limits=LIMITS))
    return httpx.AsyncClient(timeout=timeout, limits=LIMITS)


def close_with_the_loop(owner: object, http: httpx.AsyncClient) -> None:
    """Make sure ``http`` is closed on its event loop even if ``owner`` never closes it: when the loop
    shuts down (``asyncio.run``, ``anyio.run`` and ``trio.run`` close every parked async generator before
    the loop ends), or when ``owner`` is garbage-collected while the loop goes on (``_release``). So a
    client never closed still closes its connections on the loop that owns them, and neither aiohttp nor
    Python has an unclosed socket to warn about. Without a running loop, nothing to do.

    The parked generator is held here, not by ``owner``, so that it never dies in one garbage cycle with
    the client it must close."""
    token = None
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        token = _trio_token()
        if token is None:
            return
    closer = _close_when_closed(http)
    with contextlib.suppress(StopIteration):
        closer.__anext__().send(None)  # to its first yield, which comes before any await
    _PARKED[id(closer)] = closer
    weakref.finalize(owner, _release, id(closer), token)


_PARKED: dict[int, AsyncGenerator[None, None]] = {}


async def _close_when_closed(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await http.aclose()


def _trio_token() -> Any:
    trio = sys.modules.get("trio")
    try:
        return None if trio is None else trio.lowlevel.current_trio_token()
    except RuntimeError:  # not in a trio run
        return None


def _release(key: int, token: Any) -> None:
    """``owner`` is gone. On asyncio, dropping the generator lets the loop finalise it; trio would warn
    about a generator dropped unfinished, so it is closed in a system task of the run instead (if the
    run has ended, so has the generator)."""
    closer = _PARKED.pop(key, None)
    if closer is not None and token is not None:
        with contextlib.suppress(RuntimeError):  # trio.RunFinishedError
            token.run_sync_soon(_spawn_closing, closer)


def _spawn_closing(closer: AsyncGenerator[None, None]) -> None:
    sys.modules["trio"].lowlevel.spawn_system_task(_finish, closer)


async def _finish(closer: AsyncGenerator[None, None]) -> None:
    with contextlib.suppress(Exception):  # a system task must not fail: the run would crash
        await closer.aclose()


def aiohttp_usable() -> bool:
    """The aiohttp transport is installed and this thread runs an asyncio loop (clients are made in the
    loop that uses them: an aiohttp session belongs to one loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return importlib.util.find_spec("httpx_aiohttp") is not None


def is_timeout(error: httpx.TransportError) -> bool:
    """Whether a transport error is really a timeout. httpx-aiohttp maps every aiohttp connection error
    (refused, reset, server disconnected) to ``httpx.ConnectTimeout``; the aiohttp error it chains tells
    which it was (aiohttp's timeouts are ``TimeoutError``s)."""
    if not isinstance(error, httpx.TimeoutException):
        return False
    cause = error.__cause__
    from_aiohttp = type(cause).__module__.startswith("aiohttp")
    return not from_aiohttp or isinstance(cause, (TimeoutError, asyncio.TimeoutError))

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
import weakref
from collections.abc import AsyncGenerator
from typing import Literal

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
    """Make sure ``http`` is closed on its asyncio loop even if ``owner`` never closes it: when the loop
    shuts down (``asyncio.run`` and ``anyio.run`` close every parked async generator before the loop
    ends), or when ``owner`` is garbage-collected while the loop goes on (the loop then finalises the
    generator, which closes ``http``). So a client never closed still closes its connections on the loop
    that owns them, and aiohttp has nothing to warn about. Without a running asyncio loop, nothing to do.

    The parked generator is held here, not by ``owner``, so that it never dies in one garbage cycle with
    the client it must close."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    closer = _close_when_closed(http)
    with contextlib.suppress(StopIteration):
        closer.__anext__().send(None)  # to its first yield, which comes before any await
    _PARKED[id(closer)] = closer
    weakref.finalize(owner, _PARKED.pop, id(closer), None)


_PARKED: dict[int, AsyncGenerator[None, None]] = {}


async def _close_when_closed(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await http.aclose()


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

"""One live connection to an MCP server, held by a task of its own.

The MCP SDK's ``Client`` runs task groups that must be left by the task that entered them, but an
``MCPServer`` is shared: several runs enter it at once, and the last one out (any of them) closes it.
So the client lives in a detached task (``spawn``) that opens it, serves until told to stop, and closes
it; runs only talk to it. If the connection dies (a stdio server crashes, an HTTP server goes away), the
task ends on its own and cancels every request still waiting on it, so no caller hangs on a dead server.
An HTTP server that forgets our session (it restarted) answers 404, which marks the connection dead too.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

import anyio
import anyio.abc
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.client.subscriptions import ListenNotSupportedError

from .._errors import AgentkitError

if sys.version_info < (3, 11):  # anyio's backport
    from exceptiongroup import BaseExceptionGroup

logger = logging.getLogger("agentkit")

_T = TypeVar("_T")
_DETACHED: set[asyncio.Task[None]] = set()


class MCPServerError(AgentkitError):
    """An MCP server could not be reached, or stopped answering (crashed, exited, disconnected)."""


class ConnectionLost(MCPServerError):
    """The connection ended while a request was waiting for its answer."""


def spawn(function: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``function`` in a task that belongs to no caller (the event loop's own), on asyncio or trio,
    with no context variables of the caller's (no run's hooks or tool call leak into the connection)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio: trio, the other backend anyio runs on
        import trio

        trio.lowlevel.spawn_system_task(function)  # system tasks start with an empty context
        return
    task = contextvars.Context().run(loop.create_task, function())
    _DETACHED.add(task)  # the loop keeps only a weak reference
    task.add_done_callback(_DETACHED.discard)


class Connection:
    """A client connected to one server, for as long as ``close`` is not called and the server lives."""

    def __init__(self, make_client: Callable[[], Client], label: str, connect_timeout: float) -> None:
        self._make_client = make_client
        self._label = label
        self._connect_timeout = connect_timeout
        self.client: Client | None = None
        self.error: BaseException | None = None
        self.lost = False
        """Set when a request saw the connection close: the next request opens a new one."""
        self._ready = anyio.Event()
        self._stop = anyio.Event()
        self._done = anyio.Event()
        self._scope = anyio.CancelScope()
        self._waiting: set[anyio.CancelScope] = set()

    @classmethod
    async def open(
        cls,
        make_client: Callable[[], Client],
        label: str,
        connect_timeout: float,
        on_change: Callable[[], None],
    ) -> Connection:
        """Connect, or raise ``MCPServerError`` saying why not."""
        connection = cls(make_client, label, connect_timeout)
        spawn(lambda: connection._serve(on_change))
        try:
            await connection._ready.wait()
        except BaseException:  # cancelled while connecting: give up connecting
            connection._scope.cancel()
            raise
        if connection.client is None:
            raise MCPServerError(f"could not connect to the MCP server {label}: {_reason(connection.error)}")
        return connection

    @property
    def alive(self) -> bool:
        return not self.lost and not self._done.is_set()

    async def close(self) -> None:
        """Close the client (the server process ends with it) and wait until it is closed."""
        self._stop.set()
        await self._done.wait()

    async def request(self, send: Callable[[Client], Awaitable[_T]]) -> _T:
        """``send(client)``, cancelled with ``ConnectionLost`` if the connection ends first."""
        client = self.client
        if client is None or not self.alive:
            raise ConnectionLost(f"the connection to the MCP server {self._label} is closed")
        scope = anyio.CancelScope()
        self._waiting.add(scope)
        try:
            with scope:
                return await send(client)
        finally:
            self._waiting.discard(scope)
        self.lost = True  # only reached when _serve cancelled the scope: the connection ended
        raise ConnectionLost(f"the connection to the MCP server {self._label} closed: {_reason(self.error)}")

    async def _serve(self, on_change: Callable[[], None]) -> None:
        try:
            with self._scope:
                self._scope.deadline = anyio.current_time() + self._connect_timeout
                async with self._make_client() as client, anyio.create_task_group() as tasks:
                    self._scope.deadline = math.inf
                    self.client = client
                    capabilities = client.server_capabilities.tools
                    if capabilities is not None and capabilities.list_changed:  # listening before any
                        await tasks.start(_listen, client, on_change, self._connect_timeout)  # call
                    self._ready.set()
                    await self._stop.wait()
                    tasks.cancel_scope.cancel()
            if self._scope.cancelled_caught and self.client is None:
                self.error = TimeoutError(
                    f"no answer within {self._connect_timeout:g} s; if it is slow to start, raise its "
                    "connect_timeout"
                )
        except Exception as exc:  # the connection failed or died: kept for the messages that follow
            self.error = exc
        finally:
            self._done.set()
            self._ready.set()
            for scope in self._waiting:
                scope.cancel()


async def _listen(
    client: Client,
    on_change: Callable[[], None],
    ack_timeout: float,
    *,
    task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Since protocol 2026-07-28 a server sends list changes only on a ``subscriptions/listen`` stream
    (before, as notifications that ``MCPServer``'s message handler sees): keep one open. Started once the
    server has acknowledged it (or could not, within ``ack_timeout``): a change is never replayed, so one
    made by the first call would be lost if the stream opened after it."""
    started = False
    try:
        async with AsyncExitStack() as stack:
            with anyio.move_on_after(ack_timeout) as waiting:
                subscription = await stack.enter_async_context(client.listen(tools_list_changed=True))
            task_status.started()
            started = True
            if waiting.cancelled_caught:
                logger.debug("MCP list-change subscription: no acknowledgment in %g s", ack_timeout)
                return
            async for _event in subscription:
                on_change()
    except ListenNotSupportedError:
        pass
    except Exception as exc:  # the tool list is then refreshed only on reconnection
        logger.debug("MCP list-change subscription ended: %r", exc)
    if not started:
        task_status.started()


@asynccontextmanager
async def http_transport(
    url: str, headers: dict[str, str], forgotten: Callable[[], None]
) -> AsyncIterator[Any]:
    """Streamable HTTP with ``headers`` on every request (the SDK's own timeouts: 30 s, 5 min to read),
    calling ``forgotten`` when the server answers 404 to a request of our session."""

    async def check(response: httpx2.Response) -> None:
        if response.status_code == 404 and "mcp-session-id" in response.request.headers:
            forgotten()

    timeout = httpx2.Timeout(30.0, read=300.0)
    hooks = {"response": [check]}
    async with httpx2.AsyncClient(headers=headers, timeout=timeout, event_hooks=hooks) as http, (
        streamable_http_client(url, http_client=http)
    ) as streams:
        yield streams


def _reason(error: BaseException | None) -> str:
    """One line for an error, a task group's single failure unwrapped."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    if error is None:
        return "it closed"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__

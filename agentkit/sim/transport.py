"""An in-process httpx transport that really streams an ASGI app's response.

``httpx.ASGITransport`` collects the whole body before returning, so keep-alive comments, chunk
timing and a connection cut mid-stream are invisible through it. This transport hands each body part
to the client as the app sends it; an app that dies mid-body surfaces as the same
``httpx.RemoteProtocolError`` a real dropped connection gives.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import anyio
import httpx
from anyio.streams.memory import MemoryObjectReceiveStream

from .errors import ConnectionDropped

ASGIApp = Any
_INCOMPLETE = "peer closed connection without sending complete message body (incomplete chunked read)"


def _spawn(func: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Start ``func`` as a background task of the running event loop (asyncio or trio)."""
    trio = sys.modules.get("trio")
    if trio is not None and trio.lowlevel.in_trio_run():
        trio.lowlevel.spawn_system_task(func)
        return
    task = asyncio.get_running_loop().create_task(func())
    _TASKS.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_TASKS.discard)


_TASKS: set[asyncio.Task[None]] = set()


class _Body(httpx.AsyncByteStream):
    def __init__(self, parts: AsyncIterator[bytes]) -> None:
        self._parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._parts:
            yield part

    async def aclose(self) -> None:
        await self._parts.aclose()  # type: ignore[attr-defined]


class StreamingASGITransport(httpx.AsyncBaseTransport):
    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 123)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        parts = self._run(request)
        start = await parts.__anext__()
        status, headers = start
        return httpx.Response(status, headers=headers, stream=_Body(self._bodies(parts)), request=request)

    async def _bodies(self, parts: AsyncIterator[Any]) -> AsyncIterator[bytes]:
        try:
            async for part in parts:
                yield part
        finally:
            await parts.aclose()  # type: ignore[attr-defined]

    async def _run(self, request: httpx.Request) -> AsyncIterator[Any]:
        body = await request.aread()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port or 80),
            "client": self.client,
            "root_path": "",
        }
        send_out, receive_out = anyio.create_memory_object_stream[Any](math.inf)
        request_sent = False
        disconnected = anyio.Event()
        app_scope = anyio.CancelScope()

        async def receive() -> dict[str, Any]:
            nonlocal request_sent
            if not request_sent:
                request_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            await send_out.send(message)

        async def run_app() -> None:
            with app_scope, send_out:
                try:
                    await self.app(scope, receive, send)
                except ConnectionDropped:
                    await send_out.send({"type": "sim.dropped"})
                except Exception as exc:  # re-raised in the client's task
                    await send_out.send({"type": "sim.error", "error": exc})

        # The app runs as a task of its own, not in a task group held open across this generator's
        # yields: the reader may wrap each read in its own cancel scope (an idle deadline), and scopes
        # held across yields would then exit out of order.
        _spawn(run_app)
        try:
            async for item in self._messages(receive_out):
                yield item
        finally:
            disconnected.set()
            app_scope.cancel()

    @staticmethod
    async def _messages(receive: MemoryObjectReceiveStream[Any]) -> AsyncIterator[Any]:
        started = False
        async with receive:
            async for message in receive:
                if message["type"] == "http.response.start":
                    started = True
                    yield message["status"], [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
                elif message["type"] == "http.response.body":
                    if message.get("body"):
                        yield message["body"]
                    if not message.get("more_body", False):
                        return
                elif message["type"] == "sim.error":
                    raise message["error"]
                elif message["type"] == "sim.dropped":
                    if not started:
                        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
                    raise httpx.RemoteProtocolError(_INCOMPLETE)
        if not started:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

"""Stream idle timeouts per transport: a loopback socket (httpx read timeout) and ASGI (the simulator)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from client_wire import API_KEY, chunk, sse

from agentkit._client import DeepSeekClient
from agentkit._errors import StreamIdleTimeoutError

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """The loopback server below is plain asyncio."""
    return "asyncio"

HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


@pytest.fixture
async def stalling_server() -> AsyncIterator[tuple[str, list[int]]]:
    """Sends one SSE event and a keep-alive, then goes silent with the socket open."""
    connections: list[int] = []
    release = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        first = sse(chunk({"role": "assistant", "content": None, "reasoning_content": "Let me"}), done=False)
        writer.write(HEAD + http_chunk(first) + http_chunk(b": keep-alive\n\n"))
        await writer.drain()
        await release.wait()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", connections
    release.set()
    server.close()
    await server.wait_closed()


async def test_stalled_network_stream_raises_idle_timeout(stalling_server: tuple[str, list[int]]) -> None:
    base_url, connections = stalling_server
    async with DeepSeekClient(api_key=API_KEY, base_url=base_url, stream_idle_timeout=0.2) as client:
        assert client._idle_guard == "httpx", "a plain httpx client: the idle timeout is httpx's read timeout"
        seen = []
        with pytest.raises(StreamIdleTimeoutError, match=r"sent nothing for 0\.2s"):
            async for c in client.chat_stream(
                {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
            ):
                seen.append(c)
    assert [c.choices[0].delta.reasoning_content for c in seen] == ["Let me"]
    assert len(connections) == 1


def test_idle_guard_per_transport() -> None:
    """A client of the user's may have any transport: every read gets its own deadline."""
    mock = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert DeepSeekClient(api_key=API_KEY, http_client=mock)._idle_guard == "each read"
    asgi = httpx.AsyncClient(transport=httpx.ASGITransport(app=lambda scope, receive, send: None))
    assert DeepSeekClient(api_key=API_KEY, http_client=asgi)._idle_guard == "each read"


def asgi_app(stall: bool) -> object:
    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        if stall:
            await anyio.sleep_forever()
        body = sse(chunk({"role": "assistant", "content": "Hi"}), chunk({"content": ""}, "stop"))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )  # type: ignore[operator]
        for part in body.split(b"\n\n"):
            await send({"type": "http.response.body", "body": part + b"\n\n", "more_body": True})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"", "more_body": False})  # type: ignore[operator]

    return app


async def test_asgi_stream_and_stall() -> None:
    request: Any = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi_app(stall=False)), base_url="http://sim"
    ) as http:  # type: ignore[arg-type]
        client = DeepSeekClient(api_key=API_KEY, base_url="http://sim", http_client=http)
        stream = client.chat_stream(request)
        async for _ in stream:
            pass
        assert stream.completion.choices[0].message.content == "Hi"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi_app(stall=True))) as http:  # type: ignore[arg-type]
        client = DeepSeekClient(api_key=API_KEY, base_url="http://sim", http_client=http, max_retries=0)
        client.stream_idle_timeout = 0.05
        with anyio.fail_after(10), pytest.raises(StreamIdleTimeoutError, match="no response"):
            async with client.chat_stream(request):
                pass

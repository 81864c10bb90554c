"""Over a real loopback socket: the stream idle timeout is httpx's own read timeout there."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from client_wire import API_KEY, chunk, sse

from agentkit._client import DeepSeekClient
from agentkit._errors import StreamIdleTimeoutError

pytestmark = pytest.mark.anyio

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
        assert client._network, "a plain httpx client: idle timeout rides on httpx's read timeout"
        seen = []
        with pytest.raises(StreamIdleTimeoutError, match=r"sent nothing for 0\.2s"):
            async for c in client.chat_stream(
                {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
            ):
                seen.append(c)
    assert [c.choices[0].delta.reasoning_content for c in seen] == ["Let me"]
    assert len(connections) == 1


def test_test_transports_get_a_deadline_per_read() -> None:
    mock = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert not DeepSeekClient(api_key=API_KEY, http_client=mock)._network

from __future__ import annotations

import logging

import httpx
import pytest
from client_wire import USAGE, Server, chunk, completion, sse, stream_response

from agentkit._client import DeepSeekClient
from agentkit.sim import Simulator

pytestmark = pytest.mark.anyio


async def test_chat_and_stream_give_the_same_message(client: DeepSeekClient, server: Server) -> None:
    message = {"role": "assistant", "content": "Hello!", "reasoning_content": ""}
    server.responses = [
        httpx.Response(200, json=completion(message)),
        stream_response(
            sse(
                chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
                chunk({"content": "Hel", "reasoning_content": None}),
                chunk({"content": "lo!", "reasoning_content": None}),
                chunk({"content": "", "reasoning_content": None}, "stop", USAGE),
            )
        ),
    ]
    request = {"model": "deepseek-v4-flash", "messages": [{"role": "user", "content": "Hi"}]}
    plain = await client.chat(request)  # type: ignore[arg-type]
    async with client.chat_stream(request) as stream:  # type: ignore[arg-type]
        chunks = [c async for c in stream]
    assert len(chunks) == 4
    assert stream.completion == plain
    assert stream.completion.model_dump() == plain.model_dump()
    assert plain.choices[0].message.reasoning_content == ""


@pytest.mark.anyio
async def test_log_lines_name_the_server_actually_used(caplog: pytest.LogCaptureFixture) -> None:
    """An in-process simulator's client has its own base URL: requests and logs use it, not DeepSeek's."""
    sim = Simulator(era="deepseek-v4")
    caplog.set_level(logging.DEBUG, logger="agentkit")
    async with DeepSeekClient(http_client=sim.http_client()) as client:
        assert client.base_url == "http://sim"
        await client.chat({"model": "deepseek-v4-flash", "messages": [{"role": "user", "content": "Hi"}]})
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("POST http://sim/chat/completions") for line in lines), lines
    assert not any("api.deepseek.com" in line for line in lines)

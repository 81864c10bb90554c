"""The in-process transport streams like a socket: reads under their own deadlines, early close."""

from __future__ import annotations

import pytest

from agentkit import DeepSeekClient
from agentkit.sim import SIM_API_KEY, Reply, Simulator

REQUEST = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_stream_read_to_the_end_and_closed_early(anyio_backend: str) -> None:
    sim = Simulator()
    sim.script(Reply(content="hello there"), Reply(content="a long answer " * 20))
    async with sim.http_client() as http:
        # A test transport gets the client's idle deadline around every read: scopes must nest.
        client = DeepSeekClient(api_key=SIM_API_KEY, base_url="http://sim", http_client=http)
        async with client.chat_stream(REQUEST) as stream:  # type: ignore[arg-type]
            chunks = [chunk async for chunk in stream]
        assert len(chunks) > 2
        assert stream.completion.choices[0].message.content == "hello there"
        async with client.chat_stream(REQUEST) as stream:  # type: ignore[arg-type]
            async for _ in stream:
                break  # leaving early closes the response and stops the app cleanly
    assert len(sim.requests) == 2

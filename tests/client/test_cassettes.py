"""Real recorded DeepSeek traffic (tests/data/cassettes) through the client, over MockTransport."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from client_wire import Server, load_cassette, stream_response

from agentkit._client import DeepSeekClient
from agentkit._sse import SSEDecoder, parse_chunks
from agentkit._wire import ChatCompletion

pytestmark = pytest.mark.anyio

NON_STREAMED = [
    ("test_deepseek_model_thinking_part.yaml", 0),
    ("test_deepseek_deferred_capability_with_thinking.yaml", 0),
    ("test_deepseek_deferred_capability_with_thinking.yaml", 1),
    ("test_deepseek_deferred_capability_with_thinking.yaml", 2),
]


def recorded(name: str, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    interaction = load_cassette(name)[index]
    return interaction["request"]["parsed_body"], interaction["response"]


@pytest.mark.parametrize(("name", "index"), NON_STREAMED)
async def test_recorded_non_streamed_response_parses_losslessly(
    client: DeepSeekClient, server: Server, name: str, index: int
) -> None:
    request, response = recorded(name, index)
    body = response["parsed_body"]
    server.responses = [httpx.Response(200, json=body)]
    result = await client.chat(request)  # type: ignore[arg-type]
    assert result.model_dump(exclude_unset=True) == body
    assert server.bodies == [request], "the recorded request is sent back unchanged"
    assert result.usage is not None
    assert (
        result.usage.prompt_tokens
        == result.usage.prompt_cache_hit_tokens + result.usage.prompt_cache_miss_tokens
    )
    assert result.usage.reasoning_tokens == body["usage"]["completion_tokens_details"]["reasoning_tokens"]


async def test_recorded_parallel_tool_calls(client: DeepSeekClient, server: Server) -> None:
    _, response = recorded("test_deepseek_deferred_capability_with_thinking.yaml", 1)
    server.responses = [httpx.Response(200, json=response["parsed_body"])]
    result = await client.chat({"model": "deepseek-reasoner", "messages": [{"role": "user", "content": "4"}]})
    message = result.choices[0].message
    assert result.choices[0].finish_reason == "tool_calls"
    assert [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []] == [
        ("call_00_6edlnw3Z1MgeMfey687g8451", "get_player_name", "{}"),
        ("call_01_km02sac7sHxNDPATKLZy7705", "roll_dice", "{}"),
    ]
    assert message.content == "Let me get your name and roll the die!"
    assert message.reasoning_content


async def test_recorded_stream_assembles_into_the_message(client: DeepSeekClient, server: Server) -> None:
    request, response = recorded("test_deepseek_model_thinking_stream.yaml", 0)
    raw: str = response["body"]["string"]
    server.responses = [stream_response(raw.encode())]
    async with client.chat_stream(request) as stream:  # type: ignore[arg-type]
        chunks = [c async for c in stream]
    deltas = [
        json.loads(line[6:])["choices"][0]["delta"] for line in raw.split("\n") if line.startswith("data: {")
    ]
    assert len(chunks) == len(deltas) > 200
    result = stream.completion
    message = result.choices[0].message
    assert message.content == "".join(d["content"] or "" for d in deltas)
    assert message.reasoning_content == "".join(d["reasoning_content"] or "" for d in deltas)
    assert message.content == "Hello there! 😊 How can I help you today?"
    assert result.choices[0].finish_reason == "stop"
    assert result.id == "33be18fc-3842-486c-8c29-dd8e578f7f20"
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.reasoning_tokens) == (
        6,
        212,
        198,
    )
    assert server.bodies == [request], "stream and stream_options.include_usage are sent as recorded"


async def test_recorded_stream_in_single_byte_reads(client: DeepSeekClient, server: Server) -> None:
    _, response = recorded("test_deepseek_model_thinking_stream.yaml", 0)
    raw = response["body"]["string"].encode()
    whole = SSEDecoder()
    expected = [c for e in whole.feed(raw) for c in parse_chunks(e)]
    server.responses = [stream_response(raw[i : i + 7] for i in range(0, len(raw), 7))]
    request = {"model": "deepseek-reasoner", "messages": [{"role": "user", "content": "Hello"}]}
    async with client.chat_stream(request) as stream:  # type: ignore[arg-type]
        assert [c async for c in stream] == expected


async def test_recorded_stream_and_non_streamed_form_are_identical(
    client: DeepSeekClient, server: Server
) -> None:
    """The non-streamed body DeepSeek would send for the recorded stream, rebuilt from its chunks."""
    _, response = recorded("test_deepseek_model_thinking_stream.yaml", 0)
    raw = response["body"]["string"]
    events = [json.loads(line[6:]) for line in raw.split("\n") if line.startswith("data: {")]
    first, last = events[0], events[-1]
    non_streamed = {
        "id": first["id"],
        "object": "chat.completion",
        "created": first["created"],
        "model": first["model"],
        "system_fingerprint": first["system_fingerprint"],
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "".join(e["choices"][0]["delta"]["content"] or "" for e in events),
                    "reasoning_content": "".join(
                        e["choices"][0]["delta"]["reasoning_content"] or "" for e in events
                    ),
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": last["usage"],
    }
    server.responses = [httpx.Response(200, json=non_streamed), stream_response(raw.encode())]
    request = {"model": "deepseek-reasoner", "messages": [{"role": "user", "content": "Hello"}]}
    plain = await client.chat(request)  # type: ignore[arg-type]
    async with client.chat_stream(request) as stream:  # type: ignore[arg-type]
        async for _ in stream:
            pass
    assert stream.completion == plain == ChatCompletion.model_validate(non_streamed)

"""What goes on the wire: URLs (plain vs /beta), headers and request bodies, byte for byte."""

from __future__ import annotations

import httpx
import pytest
from client_wire import API_KEY, USAGE, Server, chunk, completion, sse, stream_response
from inline_snapshot import snapshot

from agentkit._client import DeepSeekClient, dumps, split_base_url
from agentkit._errors import UserError
from agentkit._wire import ChatRequest

pytestmark = pytest.mark.anyio

HELLO: ChatRequest = {"model": "deepseek-v4-flash", "messages": [{"role": "user", "content": "你好"}]}
ANSWER = httpx.Response(200, json=completion({"role": "assistant", "content": "Hi"}))
STREAM = stream_response(
    sse(chunk({"role": "assistant", "content": "Hi"}), chunk({"content": ""}, "stop", USAGE))
)
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.deepseek.com", ("https://api.deepseek.com", "https://api.deepseek.com/beta")),
        ("https://api.deepseek.com/", ("https://api.deepseek.com", "https://api.deepseek.com/beta")),
        ("https://api.deepseek.com/v1", ("https://api.deepseek.com/v1", "https://api.deepseek.com/beta")),
        ("https://api.deepseek.com/beta", ("https://api.deepseek.com", "https://api.deepseek.com/beta")),
        ("https://api.deepseek.com/beta/", ("https://api.deepseek.com", "https://api.deepseek.com/beta")),
        ("http://sim", ("http://sim", "http://sim/beta")),
    ],
)
def test_base_urls(given: str, expected: tuple[str, str]) -> None:
    assert split_base_url(given) == expected


@pytest.mark.parametrize(
    "base", ["https://api.deepseek.com", "https://api.deepseek.com/v1", "https://api.deepseek.com/beta"]
)
async def test_plain_and_beta_endpoints_whatever_the_base(server: Server, base: str) -> None:
    server.responses = [
        ANSWER,
        ANSWER,
        ANSWER,
        httpx.Response(
            200, json={"id": "x", "object": "text_completion", "model": "m", "choices": [{"text": "b"}]}
        ),
        httpx.Response(
            200, json={"object": "list", "data": [{"id": "deepseek-v4-flash", "object": "model"}]}
        ),
        httpx.Response(200, json={"is_available": True, "balance_infos": []}),
    ]
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handler)) as http:
        client = DeepSeekClient(api_key=API_KEY, base_url=base, http_client=http)
        await client.chat(HELLO)
        prefix: ChatRequest = {
            **HELLO,
            "messages": [*HELLO["messages"], {"role": "assistant", "content": "```python\n", "prefix": True}],
        }
        await client.chat(prefix)
        strict_tool = {"type": "function", "function": {**WEATHER_TOOL["function"], "strict": True}}
        await client.chat({**HELLO, "tools": [WEATHER_TOOL, strict_tool]})  # type: ignore[list-item]
        await client.fim({"model": "deepseek-v4-flash", "prompt": "def f(", "suffix": "    return x"})
        await client.list_models()
        await client.get_balance()
    root = base.removesuffix("/beta")
    assert server.urls == [
        f"{root}/chat/completions",
        "https://api.deepseek.com/beta/chat/completions",
        "https://api.deepseek.com/beta/chat/completions",
        "https://api.deepseek.com/beta/completions",
        f"{root}/models",
        f"{root}/user/balance",
    ]
    assert [r.method for r in server.requests] == ["POST"] * 4 + ["GET"] * 2


async def test_request_headers(client: DeepSeekClient, server: Server) -> None:
    server.responses = [ANSWER]
    await client.chat(HELLO)
    headers = server.requests[0].headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"


async def test_chat_body_is_compact_utf8_in_the_callers_key_order(
    client: DeepSeekClient, server: Server
) -> None:
    server.responses = [ANSWER]
    request: ChatRequest = {
        "model": "deepseek-v4-flash",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in 杭州?"},
            {
                "role": "assistant",
                "content": None,
                "reasoning_content": "",
                "tool_calls": [
                    {
                        "id": "call_00_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "杭州"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_00_a", "content": "晴, 25°C"},
        ],
        "tools": [WEATHER_TOOL],  # type: ignore[list-item]
        "thinking": {"type": "enabled"},
        "reasoning_effort": "high",
    }
    await client.chat(request)
    assert server.requests[0].content == dumps(request)
    assert server.requests[0].content.decode() == snapshot(
        '{"model":"deepseek-v4-flash","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in 杭州?"},{"role":"assistant","content":null,"reasoning_content":"","tool_calls":[{"id":"call_00_a","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\": \\"杭州\\"}"}}]},{"role":"tool","tool_call_id":"call_00_a","content":"晴, 25°C"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Get the weather.","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}}],"thinking":{"type":"enabled"},"reasoning_effort":"high"}'  # noqa: E501
    )


async def test_chat_never_asks_for_a_stream(client: DeepSeekClient, server: Server) -> None:
    server.responses = [ANSWER]
    request: ChatRequest = {**HELLO, "stream": True}
    await client.chat(request)
    assert server.bodies[0]["stream"] is False
    assert request["stream"] is True, "the caller's dict is not modified"


async def test_stream_body_asks_for_usage(client: DeepSeekClient, server: Server) -> None:
    server.responses = [STREAM]
    async with client.chat_stream(HELLO) as stream:
        async for _ in stream:
            pass
    assert server.bodies[0] == snapshot(
        {
            "model": "deepseek-v4-flash",
            "messages": [{"role": "user", "content": "你好"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )
    assert "stream" not in HELLO


async def test_stream_keeps_the_callers_stream_options(client: DeepSeekClient, server: Server) -> None:
    server.responses = [STREAM]
    async for _ in client.chat_stream({**HELLO, "stream_options": {"include_usage": False}}):
        pass
    assert server.bodies[0]["stream_options"] == {"include_usage": False}


async def test_prefix_completion_payload(client: DeepSeekClient, server: Server) -> None:
    server.responses = [ANSWER]
    await client.chat(
        {
            "model": "deepseek-v4-flash",
            "messages": [
                {"role": "user", "content": "Please write quick sort code"},
                {"role": "assistant", "content": "```python\n", "prefix": True},
            ],
            "stop": ["```"],
        }
    )
    assert server.urls == ["https://api.deepseek.com/beta/chat/completions"]
    assert server.bodies[0] == snapshot(
        {
            "model": "deepseek-v4-flash",
            "messages": [
                {"role": "user", "content": "Please write quick sort code"},
                {"role": "assistant", "content": "```python\n", "prefix": True},
            ],
            "stop": ["```"],
        }
    )


async def test_fim_payload_and_response(client: DeepSeekClient, server: Server) -> None:
    server.responses = [
        httpx.Response(
            200,
            json={
                "id": "5b2a1b0e",
                "object": "text_completion",
                "created": 1781233924,
                "model": "deepseek-v4-flash",
                "system_fingerprint": "fp_8b330d02d0",
                "choices": [
                    {
                        "text": "a, b):\n",
                        "index": 0,
                        "logprobs": {
                            "text_offset": [0],
                            "token_logprobs": [-0.1],
                            "tokens": ["a"],
                            "top_logprobs": [{"a": -0.1}],
                        },
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": 9,
                    "completion_tokens": 4,
                    "total_tokens": 13,
                    "prompt_cache_hit_tokens": 0,
                    "prompt_cache_miss_tokens": 9,
                },
            },
        )
    ]
    result = await client.fim(
        {"model": "deepseek-v4-flash", "prompt": "def add(", "suffix": "    return a + b", "max_tokens": 64}
    )
    assert server.bodies[0] == snapshot(
        {"model": "deepseek-v4-flash", "prompt": "def add(", "suffix": "    return a + b", "max_tokens": 64}
    )
    assert result.choices[0].text == "a, b):\n"
    assert result.choices[0].logprobs is not None and result.choices[0].logprobs.tokens == ["a"]


async def test_models_and_balance(client: DeepSeekClient, server: Server) -> None:
    server.responses = [
        httpx.Response(
            200,
            json={
                "object": "list",
                "data": [
                    {"id": "deepseek-v4-flash", "object": "model", "owned_by": "deepseek"},
                    {"id": "deepseek-v4-pro", "object": "model", "owned_by": "deepseek"},
                ],
            },
        ),
        httpx.Response(
            200,
            json={
                "is_available": True,
                "balance_infos": [
                    {
                        "currency": "CNY",
                        "total_balance": "2.30",
                        "granted_balance": "0.00",
                        "topped_up_balance": "2.30",
                    }
                ],
            },
        ),
    ]
    models = await client.list_models()
    balance = await client.get_balance()
    assert [m.id for m in models.data] == ["deepseek-v4-flash", "deepseek-v4-pro"]
    assert balance.is_available and balance.balance_infos[0].total_balance == "2.30"
    assert [r.content for r in server.requests] == [b"", b""]


async def test_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch, server: Server) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-from-env")
    monkeypatch.setenv("DEEPSEEK_BASE_URL", "http://localhost:8000/v1")
    server.responses = [ANSWER]
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handler)) as http:
        client = DeepSeekClient(http_client=http)
        await client.chat(HELLO)
        overridden = DeepSeekClient(api_key="sk-arg", base_url="http://other", http_client=http)
        await overridden.chat(HELLO)
    assert server.urls == ["http://localhost:8000/v1/chat/completions", "http://other/chat/completions"]
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer sk-from-env", "Bearer sk-arg"]


def test_no_key_is_a_clear_error_before_any_request() -> None:
    with pytest.raises(UserError, match="DEEPSEEK_API_KEY"):
        DeepSeekClient()


async def test_own_http_client_is_closed_but_a_given_one_is_not(server: Server) -> None:
    async with DeepSeekClient(api_key=API_KEY) as owned:
        http = owned._http
    assert http.is_closed
    given = httpx.AsyncClient(transport=httpx.MockTransport(server.handler))
    async with DeepSeekClient(api_key=API_KEY, http_client=given):
        pass
    assert not given.is_closed
    await given.aclose()

"""Every validation rule: status code and exact error text, in DeepSeek's error body shape."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from sim_helpers import chat, user

from agentkit.sim import SIM_API_KEY, Simulator
from agentkit.sim.errors import TOOL_CALLS_UNANSWERED, TOOL_WITHOUT_CALL

pytestmark = pytest.mark.anyio

CALL = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
ASSISTANT_CALL = {"role": "assistant", "content": None, "reasoning_content": "", "tool_calls": [CALL]}
PLAIN = {"model": "deepseek-chat", "messages": [user("Hi")]}


def tool(name: str, parameters: dict[str, Any] | None = None, strict: bool = False) -> dict[str, Any]:
    function: dict[str, Any] = {"name": name, "description": "d"}
    if parameters is not None:
        function["parameters"] = parameters
    if strict:
        function["strict"] = True
    return {"type": "function", "function": function}


STRICT_OK = {
    "type": "object",
    "properties": {"a": {"type": "string"}},
    "required": ["a"],
    "additionalProperties": False,
}

STRICT = "Invalid schema for function 'a' in strict mode: "
SHAPE = "Failed to deserialize the JSON body into the target type: "
CASES: list[tuple[str, dict[str, Any], str, int, str]] = [
    ("unknown model", {**PLAIN, "model": "gpt-4"}, "/chat/completions", 400, "Model Not Exist"),
    (
        "empty messages",
        {**PLAIN, "messages": []},
        "/chat/completions",
        400,
        "Invalid messages: at least one message is required.",
    ),
    (
        "129 tools",
        {**PLAIN, "tools": [tool(f"t{i}") for i in range(129)]},
        "/chat/completions",
        400,
        "Invalid tools: at most 128 tools are supported, got 129.",
    ),
    (
        "bad tool name",
        {**PLAIN, "tools": [tool("get weather")]},
        "/chat/completions",
        400,
        "Invalid tools[0].function.name: 'get weather' must be 1 to 64 characters of a-z, A-Z, 0-9, "
        "underscores and dashes.",
    ),
    (
        "65-char tool name",
        {**PLAIN, "tools": [tool("x" * 65)]},
        "/chat/completions",
        400,
        f"Invalid tools[0].function.name: '{'x' * 65}' must be 1 to 64 characters of a-z, A-Z, 0-9, "
        "underscores and dashes.",
    ),
    (
        "duplicate tool",
        {**PLAIN, "tools": [tool("a"), tool("a")]},
        "/chat/completions",
        400,
        "Invalid tools: duplicate function name 'a'.",
    ),
    (
        "parameters not an object schema",
        {**PLAIN, "tools": [tool("a", {"type": "string"})]},
        "/chat/completions",
        400,
        "Invalid tools[0].function.parameters: the schema must be of type 'object'.",
    ),
    (
        "tool_choice names an unknown tool",
        {**PLAIN, "tools": [tool("a")], "tool_choice": {"type": "function", "function": {"name": "b"}}},
        "/chat/completions",
        400,
        "Invalid tool_choice: function 'b' is not in tools.",
    ),
    (
        "tool_choice without tools",
        {**PLAIN, "tool_choice": "required"},
        "/chat/completions",
        400,
        "Invalid tool_choice: tools must be given when tool_choice is not 'none'.",
    ),
    (
        "tool message without a call",
        {**PLAIN, "messages": [user("Hi"), {"role": "tool", "tool_call_id": "x", "content": "r"}]},
        "/chat/completions",
        400,
        TOOL_WITHOUT_CALL,
    ),
    (
        "unanswered tool call",
        {**PLAIN, "messages": [user("Hi"), ASSISTANT_CALL, user("again")]},
        "/chat/completions",
        400,
        TOOL_CALLS_UNANSWERED,
    ),
    (
        "tool call left open at the end",
        {**PLAIN, "messages": [user("Hi"), ASSISTANT_CALL]},
        "/chat/completions",
        400,
        TOOL_CALLS_UNANSWERED,
    ),
    (
        "prefix outside beta",
        {**PLAIN, "messages": [user("Hi"), {"role": "assistant", "content": "x", "prefix": True}]},
        "/chat/completions",
        400,
        "Chat prefix completion is a beta feature: use base_url https://api.deepseek.com/beta.",
    ),
    (
        "prefix not on the last message",
        {
            **PLAIN,
            "messages": [user("Hi"), {"role": "assistant", "content": "x", "prefix": True}, user("more")],
        },
        "/beta/chat/completions",
        400,
        "Invalid messages: `prefix` is only allowed on the last message, of role assistant.",
    ),
    (
        "json mode without the word json",
        {**PLAIN, "response_format": {"type": "json_object"}},
        "/chat/completions",
        400,
        "Prompt must contain the word 'json' in some form to use 'response_format' of type 'json_object'.",
    ),
    (
        "max_tokens above the bound",
        {**PLAIN, "model": "deepseek-v3.2", "max_tokens": 8193},
        "/chat/completions",
        400,
        "Invalid max_tokens value, the valid range of max_tokens is [1, 8192]",
    ),
    (
        "max_tokens zero",
        {**PLAIN, "model": "deepseek-v3.2", "max_tokens": 0},
        "/chat/completions",
        400,
        "Invalid max_tokens value, the valid range of max_tokens is [1, 8192]",
    ),
    (
        "temperature out of range",
        {**PLAIN, "temperature": 2.5},
        "/chat/completions",
        400,
        "Invalid temperature value, the valid range of temperature is [0, 2]",
    ),
    (
        "17 stop sequences",
        {**PLAIN, "stop": [str(i) for i in range(17)]},
        "/chat/completions",
        400,
        "Invalid stop: at most 16 stop sequences are supported.",
    ),
    (
        "top_logprobs without logprobs",
        {**PLAIN, "top_logprobs": 3},
        "/chat/completions",
        400,
        "Invalid top_logprobs: it must be in [0, 20] and needs logprobs=true.",
    ),
    (
        "thinking: logprobs",
        {**PLAIN, "model": "deepseek-reasoner", "logprobs": True},
        "/chat/completions",
        400,
        "logprobs and top_logprobs are not supported in thinking mode.",
    ),
    (
        "thinking: tool_choice required",
        {**PLAIN, "model": "deepseek-v4-flash", "tools": [tool("a")], "tool_choice": "required"},
        "/chat/completions",
        400,
        "tool_choice is not supported in thinking mode: use 'auto' or 'none'.",
    ),
    (
        "thinking: named tool_choice",
        {
            **PLAIN,
            "model": "deepseek-v4-flash",
            "tools": [tool("a")],
            "tool_choice": {"type": "function", "function": {"name": "a"}},
        },
        "/chat/completions",
        400,
        "tool_choice is not supported in thinking mode: use 'auto' or 'none'.",
    ),
    (
        "bad user_id",
        {**PLAIN, "user_id": "a b"},
        "/chat/completions",
        400,
        "Invalid user_id: it must match [a-zA-Z0-9\\-_]+ and be at most 512 characters.",
    ),
    (
        "strict: property not required",
        {**PLAIN, "tools": [tool("a", {**STRICT_OK, "required": []}, strict=True)]},
        "/beta/chat/completions",
        400,
        STRICT + "parameters: every property must be listed in 'required'; missing ['a']",
    ),
    (
        "strict: additionalProperties",
        {
            **PLAIN,
            "tools": [tool("a", {k: v for k, v in STRICT_OK.items() if k != "additionalProperties"}, True)],
        },
        "/beta/chat/completions",
        400,
        STRICT + "parameters: 'additionalProperties' must be false",
    ),
    (
        "strict: minLength",
        {
            **PLAIN,
            "tools": [
                tool("a", {**STRICT_OK, "properties": {"a": {"type": "string", "minLength": 1}}}, True)
            ],
        },
        "/beta/chat/completions",
        400,
        STRICT + "parameters.properties.a: 'minLength' is not supported",
    ),
    (
        "strict: maxItems",
        {
            **PLAIN,
            "tools": [
                tool(
                    "a",
                    {
                        **STRICT_OK,
                        "properties": {"a": {"type": "array", "items": {"type": "string"}, "maxItems": 2}},
                    },
                    True,
                )
            ],
        },
        "/beta/chat/completions",
        400,
        STRICT + "parameters.properties.a: 'maxItems' is not supported",
    ),
    (
        "strict: unsupported format",
        {
            **PLAIN,
            "tools": [
                tool("a", {**STRICT_OK, "properties": {"a": {"type": "string", "format": "date"}}}, True)
            ],
        },
        "/beta/chat/completions",
        400,
        STRICT + "parameters.properties.a: unsupported format 'date'",
    ),
    (
        "malformed message",
        {**PLAIN, "messages": [{"role": "user"}]},
        "/chat/completions",
        422,
        SHAPE + "messages[0].content: missing field `content`",
    ),
    (
        "unknown role",
        {**PLAIN, "messages": [{"role": "robot", "content": "x"}]},
        "/chat/completions",
        422,
        SHAPE + "messages[0]: unknown variant `robot`, expected one of `system`, `user`, `assistant`, `tool`",
    ),
    (
        "thinking as a boolean",
        {**PLAIN, "thinking": True},
        "/chat/completions",
        422,
        SHAPE + "thinking: Input should be a valid dictionary",
    ),
]


@pytest.mark.parametrize(
    ("body", "path", "status", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_rule(
    http: httpx.AsyncClient, body: dict[str, Any], path: str, status: int, message: str
) -> None:
    response = await http.post(path, json=copy.deepcopy(body))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"] == message
    assert error["type"] == "invalid_request_error"


async def test_r1_and_v32_require_beta_for_strict_tools_but_v4_accepts_them_as_recorded() -> None:
    body = {**PLAIN, "tools": [tool("a", STRICT_OK, strict=True)]}
    for era, status in (("deepseek-r1", 400), ("deepseek-v3.2", 400), ("deepseek-v4", 200)):
        async with Simulator(era=era).http_client() as client:  # type: ignore[arg-type]
            response = await client.post("/chat/completions", json=body)
            assert response.status_code == status, (era, response.text)
            assert (await client.post("/beta/chat/completions", json=body)).status_code == 200


async def test_valid_strict_schema_with_refs_passes_on_beta(http: httpx.AsyncClient) -> None:
    schema = {
        "type": "object",
        "properties": {"author": {"$ref": "#/$def/author"}, "email": {"type": "string", "format": "email"}},
        "required": ["author", "email"],
        "additionalProperties": False,
        "$def": {
            "author": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
                "additionalProperties": False,
            }
        },
    }
    response = await chat(
        http, "/beta/chat/completions", messages=[user("Hi")], tools=[tool("a", schema, True)]
    )
    assert response.status_code == 200, response.text


async def test_null_optional_fields_count_as_absent(http: httpx.AsyncClient) -> None:
    body = {
        **PLAIN,
        "stop": None,
        "tools": None,
        "stream_options": None,
        "messages": [
            user("Hi"),
            {"role": "assistant", "content": "Hello", "tool_calls": None, "name": None},
            user("Again"),
        ],
    }
    assert (await http.post("/chat/completions", json=body)).status_code == 200


async def test_context_length_is_enforced(http: httpx.AsyncClient) -> None:
    sim = Simulator(era="deepseek-r1")
    async with sim.http_client() as client:
        response = await chat(client, model="deepseek-chat", messages=[user("a " * 120_000)], max_tokens=100)
    message = response.json()["error"]["message"]
    assert response.status_code == 400
    assert message.startswith("This model's maximum context length is 65536 tokens. However, you requested ")


async def test_invalid_json_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Failed to parse the request body as JSON")


async def test_thinking_ignores_sampling_parameters(http: httpx.AsyncClient) -> None:
    response = await chat(
        http,
        model="deepseek-reasoner",
        messages=[user("Hi")],
        temperature=0.2,
        top_p=0.5,
        presence_penalty=1,
        frequency_penalty=1,
    )
    assert response.status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic " + SIM_API_KEY])
async def test_auth(sim: Simulator, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(sim.app), base_url="http://sim") as client:
        response = await client.post("/chat/completions", json=PLAIN, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == {
        "message": "Authentication Fails, Your api key is invalid",
        "type": "authentication_error",
        "param": None,
        "code": "authentication_error",
    }


async def test_configurable_keys() -> None:
    sim = Simulator(api_keys=("k1", "k2"))
    async with sim.http_client(headers={"Authorization": "Bearer k2"}) as client:
        assert (await client.post("/chat/completions", json=PLAIN)).status_code == 200
    assert sim.requests[0].headers["authorization"] == "Bearer <redacted>"


async def test_balance_at_zero_gives_402(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.balance = "0.00"
    response = await http.post("/chat/completions", json=PLAIN)
    assert response.status_code == 402
    assert response.json()["error"]["message"] == "Insufficient Balance"
    assert (await http.get("/user/balance")).json()["is_available"] is False


@pytest.mark.parametrize("path", ["/chat/completions", "/v1/chat/completions", "/beta/chat/completions"])
async def test_chat_routes(http: httpx.AsyncClient, path: str) -> None:
    assert (await http.post(path, json=PLAIN)).status_code == 200


async def test_fim_only_on_beta_and_not_in_thinking_mode(http: httpx.AsyncClient) -> None:
    body = {"model": "deepseek-chat", "prompt": "def fib(a):", "suffix": "    return fib(a-1) + fib(a-2)"}
    assert (await http.post("/beta/completions", json=body)).status_code == 200
    outside = await http.post("/completions", json=body)
    assert outside.status_code == 404
    assert "beta" in outside.json()["error"]["message"]
    thinking = await http.post("/beta/completions", json={**body, "model": "deepseek-reasoner"})
    assert thinking.status_code == 400
    assert thinking.json()["error"]["message"] == "FIM completion is not supported in thinking mode."
    too_long = await http.post("/beta/completions", json={**body, "max_tokens": 4097})
    assert (
        too_long.json()["error"]["message"]
        == "Invalid max_tokens value, the valid range of max_tokens is [1, 4096]"
    )


async def test_models_and_balance(http: httpx.AsyncClient) -> None:
    models = (await http.get("/models")).json()
    assert models == {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "owned_by": "deepseek"}
            for name in ("deepseek-v4-flash", "deepseek-v4-pro", "deepseek-flash")
        ],
    }
    balance = (await http.get("/user/balance")).json()
    assert balance == {
        "is_available": True,
        "balance_infos": [
            {
                "currency": "CNY",
                "total_balance": "100.00",
                "granted_balance": "0.00",
                "topped_up_balance": "100.00",
            }
        ],
    }


async def test_requests_are_recorded_byte_for_byte(sim: Simulator, http: httpx.AsyncClient) -> None:
    raw = b'{"model":"deepseek-chat","messages":[{"role":"user","content":"\xe4\xbd\xa0\xe5\xa5\xbd"}]}'
    await http.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
    recorded = sim.requests[-1]
    assert recorded.body == raw
    assert recorded.path == "/v1/chat/completions"
    assert recorded.json == {"model": "deepseek-chat", "messages": [{"role": "user", "content": "你好"}]}

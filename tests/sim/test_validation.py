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
        "Stop string array too long: 17",  # V4, live-probed texts kept by an API gateway (2026-09-01)
    ),
    (
        "top_logprobs without logprobs",
        {**PLAIN, "top_logprobs": 3},
        "/chat/completions",
        400,
        "Invalid top_logprobs and logprobs value, logprobs must be set to true if top_logprobs is used.",
    ),
    (
        "top_logprobs above 20",
        {**PLAIN, "logprobs": True, "top_logprobs": 21},
        "/chat/completions",
        400,
        "Invalid top_logprobs value, the valid range of top_logprobs is [0, 20].",
    ),
    (
        "n above 1",  # vibrantlabsai/ragas #1072, deepseek-ai/DeepSeek-V3 #291: one choice only
        {**PLAIN, "n": 2},
        "/chat/completions",
        400,
        "Invalid n value (currently only n = 1 is supported)",
    ),
    (
        "json_schema response format",  # llm-exe/llm-exe #662, UKGovernmentBEIS/inspect_ai #4916
        {**PLAIN, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}},
        "/chat/completions",
        400,
        "This response_format type is unavailable now",
    ),
    (
        "top_p zero in V4",
        {**PLAIN, "top_p": 0},
        "/chat/completions",
        400,
        "Invalid top_p value, the valid range of top_p is (0, 1.0]",
    ),
    (
        "thinking: tool_choice required",
        {**PLAIN, "model": "deepseek-v4-flash", "tools": [tool("a")], "tool_choice": "required"},
        "/chat/completions",
        400,
        "Thinking mode does not support this tool_choice",  # deepseek-ai/DeepSeek-V3 #1376
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
        "Thinking mode does not support this tool_choice",  # osaurus-ai/osaurus #1940
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


@pytest.mark.parametrize("era", ["deepseek-r1", "deepseek-v3.2", "deepseek-v4"])
async def test_strict_tools_off_beta_are_accepted_and_not_enforced(era: str) -> None:
    """langchain-ai/langchain #40030: off /beta "the flag is accepted and no validation happens"; the V4
    cassette test_deepseek_deferred_capability_with_thinking sent strict tools there and got 200; V3.2
    clients add it to every tool (enricoros/big-AGI #910). On /beta the schema is checked."""
    loose = {k: v for k, v in STRICT_OK.items() if k != "additionalProperties"}
    body = {**PLAIN, "tools": [tool("a", loose, strict=True)]}
    async with Simulator(era=era).http_client() as client:  # type: ignore[arg-type]
        assert (await client.post("/chat/completions", json=body)).status_code == 200
        beta = await client.post("/beta/chat/completions", json=body)
    assert beta.status_code == 400
    assert beta.json()["error"]["message"] == STRICT + "parameters: 'additionalProperties' must be false"


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
    message = "Failed to parse the request body as JSON: key must be a string at line 1 column 2"
    assert response.json()["error"]["message"] == message


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


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Authentication Fails (auth header format should be Bearer sk-...)"),
        ("Basic " + SIM_API_KEY, "Authentication Fails (auth header format should be Bearer sk-...)"),
        ("Bearer sk-wrong-abcd", "Authentication Fails, Your api key: ****abcd is invalid"),
    ],
)
async def test_auth(sim: Simulator, header: str | None, message: str) -> None:
    """The two 401 texts, with the key masked to its last four characters (continuedev/continue #11820,
    linshenkx/prompt-optimizer #170); type authentication_error, code invalid_request_error
    (droidrun/mobilerun #28)."""
    headers = {"Authorization": header} if header else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(sim.app), base_url="http://sim") as client:
        response = await client.post("/chat/completions", json=PLAIN, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == {
        "message": message,
        "type": "authentication_error",
        "param": None,
        "code": "invalid_request_error",
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
    # recorded bodies (cc-switch logs, an OpenRouter raw error): type unknown_error
    assert response.json()["error"] == {
        "message": "Insufficient Balance",
        "type": "unknown_error",
        "param": None,
        "code": "invalid_request_error",
    }
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

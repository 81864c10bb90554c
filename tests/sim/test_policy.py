"""The weightless model: scripted replies, and the default policy's plausible agent behaviour."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest
from sim_helpers import CLOCK, WEATHER, chat, user

from agentkit.sim import Reply, Simulator

pytestmark = pytest.mark.anyio

SEARCH = {
    "type": "function",
    "function": {
        "name": "search_flights",
        "description": "Search flights between two airports on a date.",
        "parameters": {
            "type": "object",
            "properties": {
                "origin": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "passengers": {"type": "integer", "minimum": 1, "maximum": 9},
                "date": {"type": "string", "format": "date"},
                "cabin": {"anyOf": [{"type": "string", "enum": ["economy", "business"]}, {"type": "null"}]},
                "contact": {"$ref": "#/$defs/contact"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "id": {"type": "string", "format": "uuid"},
            },
            "required": ["origin", "passengers", "date", "cabin", "contact", "tags", "id"],
            "$defs": {
                "contact": {
                    "type": "object",
                    "properties": {"email": {"type": "string", "format": "email"}},
                    "required": ["email"],
                }
            },
        },
    },
}


async def ask(http: httpx.AsyncClient, text: str, **body: Any) -> dict[str, Any]:
    response = await chat(http, messages=[user(text)], **body)
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["choices"][0]["message"]
    return message


async def test_calls_matching_tools_in_parallel(http: httpx.AsyncClient) -> None:
    message = await ask(
        http, "What is the weather and the local time in Tokyo?", tools=[WEATHER, CLOCK, SEARCH]
    )
    calls = {c["function"]["name"]: json.loads(c["function"]["arguments"]) for c in message["tool_calls"]}
    assert calls == {"get_weather": {"city": "Tokyo"}, "get_time": {"timezone": "Asia/Tokyo"}}


async def test_one_tool_once_per_named_thing(http: httpx.AsyncClient) -> None:
    message = await ask(http, "Weather in Hangzhou and Beijing?", tools=[WEATHER, CLOCK])
    args = [json.loads(c["function"]["arguments"]) for c in message["tool_calls"]]
    assert args == [{"city": "Hangzhou"}, {"city": "Beijing"}]
    assert [c["id"][:8] for c in message["tool_calls"]] == ["call_00_", "call_01_"]


async def test_arguments_satisfy_the_schema(http: httpx.AsyncClient) -> None:
    message = await ask(http, "Search flights from PEK for 2 passengers", tools=[SEARCH])
    (call,) = message["tool_calls"]
    arguments = json.loads(call["function"]["arguments"])
    schema = SEARCH["function"]["parameters"]
    jsonschema.validate(arguments, schema, format_checker=jsonschema.FormatChecker())
    assert arguments["origin"] == "PEK" and arguments["passengers"] == 2


async def test_answers_from_tool_results(http: httpx.AsyncClient) -> None:
    first = await ask(http, "Weather in Paris?", tools=[WEATHER])
    messages = [
        user("Weather in Paris?"),
        first,
        {"role": "tool", "tool_call_id": first["tool_calls"][0]["id"], "content": "18 C and cloudy"},
    ]
    response = (await chat(http, messages=messages, tools=[WEATHER])).json()
    message = response["choices"][0]["message"]
    assert "18 C and cloudy" in message["content"]
    assert "tool_calls" not in message
    assert response["choices"][0]["finish_reason"] == "stop"


async def test_no_matching_tool_gives_text(http: httpx.AsyncClient) -> None:
    message = await ask(http, "Hello!", tools=[WEATHER])
    assert message["content"] == "Hello! How can I help you today?"
    assert "tool_calls" not in message


async def test_json_mode_returns_json_following_the_example(http: httpx.AsyncClient) -> None:
    system = 'Reply in json like {"question": "...", "answer": "..."}'
    response = await chat(
        http,
        messages=[{"role": "system", "content": system}, user("Which is the longest river?")],
        response_format={"type": "json_object"},
    )
    assert set(json.loads(response.json()["choices"][0]["message"]["content"])) == {"question", "answer"}


async def test_reasoning_only_in_thinking_mode(http: httpx.AsyncClient) -> None:
    thinking = await ask(http, "Why is the sky blue?")
    plain = await ask(http, "Why is the sky blue?", thinking={"type": "disabled"})
    assert thinking["reasoning_content"] and thinking["content"]
    assert "reasoning_content" not in plain


async def test_deterministic_per_seed() -> None:
    async def run(seed: int) -> list[Any]:
        sim = Simulator(seed=seed)
        async with sim.http_client() as client:
            bodies = [
                (await chat(client, messages=[user(q)], tools=[WEATHER, SEARCH])).json()
                for q in ("Weather in Oslo?", "Tell me a story", "Search flights for 3 passengers")
            ]
        return [(b["id"], b["choices"], b["usage"]) for b in bodies]

    assert await run(1) == await run(1)
    assert await run(1) != await run(2)


async def test_script_queue_and_functions(sim: Simulator, http: httpx.AsyncClient) -> None:
    seen: list[dict[str, Any]] = []

    def reply(request: dict[str, Any]) -> Reply:
        seen.append(request)
        return Reply(content=f"{len(request['messages'])} messages")

    async def later(request: dict[str, Any]) -> Reply:
        return Reply(tool_calls=[("get_weather", '{"city": "Rome"')], finish_reason="length")

    sim.script(Reply(content="one", reasoning="because"), reply, later)
    first = await ask(http, "a")
    assert (first["content"], first["reasoning_content"]) == ("one", "because")
    assert (await ask(http, "b"))["content"] == "1 messages"
    assert seen[0]["messages"] == [user("b")]
    response = (await chat(http, messages=[user("c")], tools=[WEATHER])).json()
    assert response["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == '{"city": "Rome"'
    assert response["choices"][0]["finish_reason"] == "length"
    assert (await ask(http, "Hello"))["content"] == "Hello! How can I help you today?"  # script used up


async def test_stop_and_max_tokens(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.script(Reply(content="```python\nprint(1)\n```\nmore"), Reply(content="word " * 100))
    stopped = (
        await chat(http, messages=[user("code")], stop=["```\n"], thinking={"type": "disabled"})
    ).json()
    assert stopped["choices"][0]["message"]["content"] == "```python\nprint(1)\n"
    cut = (await chat(http, messages=[user("long")], max_tokens=10, thinking={"type": "disabled"})).json()
    assert cut["choices"][0]["finish_reason"] == "length"
    assert cut["usage"]["completion_tokens"] <= 10


async def test_prefix_completion_continues_the_prefix(http: httpx.AsyncClient) -> None:
    response = await chat(
        http,
        "/beta/chat/completions",
        model="deepseek-chat",
        stop=["```"],
        messages=[
            user("Please write quick sort code"),
            {"role": "assistant", "content": "```python\n", "prefix": True},
        ],
    )
    content = response.json()["choices"][0]["message"]["content"]
    assert content.startswith("def quick_sort(arr):") and "```" not in content


async def test_default_max_tokens_bounds_the_answer() -> None:
    sim = Simulator(era="deepseek-r1")
    sim.script(Reply(content="word " * 4000))  # 6000 tokens, above deepseek-chat's default of 4096
    async with sim.http_client() as client:
        body = (await chat(client, model="deepseek-chat", messages=[user("long")])).json()
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] <= 4096

"""Each era's reasoning_content rule, with its exact error text, and a client that follows it succeeds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sim_helpers import WEATHER, chat, user

from agentkit.sim import Reply, Simulator
from agentkit.sim.errors import R1_REASONING_IN_INPUT, V4_MISSING_REASONING

pytestmark = pytest.mark.anyio

V32_TEXT = (
    "Missing `reasoning_content` field in the assistant message at message index 2. For more information, "
    "please refer to https://api-docs.deepseek.com/guides/thinking_mode#tool-calls"
)
R1_TEXT = (
    "The reasoning_content is an intermediate result for display purposes only and will not be included in "
    "the context for inference. Please remove the reasoning_content from your message to reduce network "
    "traffic."
)
V4_TEXT = "The `reasoning_content` in the thinking mode must be passed back to the API."


def test_error_constants_are_the_documented_texts() -> None:
    assert R1_REASONING_IN_INPUT == R1_TEXT
    assert V4_MISSING_REASONING == V4_TEXT


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


async def run_tool_turn(
    client: httpx.AsyncClient, model: str, messages: list[dict[str, Any]], **extra: Any
) -> list[dict[str, Any]]:
    """One user turn of an agent loop: call, answer the tool calls, call again; returns the new messages."""
    first = await chat(client, model=model, messages=messages, tools=[WEATHER], **extra)
    assert first.status_code == 200, first.text
    assistant = first.json()["choices"][0]["message"]
    results = [{"role": "tool", "tool_call_id": c["id"], "content": "21 C"} for c in assistant["tool_calls"]]
    second = await chat(
        client, model=model, messages=[*messages, assistant, *results], tools=[WEATHER], **extra
    )
    assert second.status_code == 200, second.text
    return [assistant, *results, second.json()["choices"][0]["message"]]


def strip(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "reasoning_content"}


# ----------------------------------------------------------------------------------------------- V4


async def test_v4_with_tools_requires_reasoning_on_every_assistant_message(http: httpx.AsyncClient) -> None:
    turn = await run_tool_turn(http, "deepseek-v4-flash", [user("Weather in Paris?")])
    history = [user("Weather in Paris?"), *turn, user("And in Rome?")]
    ok = await chat(http, messages=history, tools=[WEATHER])
    assert ok.status_code == 200
    # The final answer of the earlier turn had no tool call: it must still come back (V4 current docs).
    final_stripped = [*history[:-2], strip(history[-2]), history[-1]]
    response = await chat(http, messages=final_stripped, tools=[WEATHER])
    assert response.status_code == 400
    assert error_of(response) == {
        "message": V4_TEXT,
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_request_error",
    }


async def test_v4_empty_string_counts_as_passed_back(http: httpx.AsyncClient) -> None:
    messages = [
        user("Weather in Paris?"),
        {
            "role": "assistant",
            "content": None,
            "reasoning_content": "",
            "tool_calls": [
                {"id": "auto_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "auto_1", "content": "sunny"},
    ]
    assert (await chat(http, messages=messages, tools=[WEATHER])).status_code == 200
    messages[1]["reasoning_content"] = None
    assert error_of(await chat(http, messages=messages, tools=[WEATHER]))["message"] == V4_TEXT


async def test_v4_without_tools_ignores_reasoning(http: httpx.AsyncClient) -> None:
    history = [user("Hi"), {"role": "assistant", "content": "Hello!"}, user("Again")]
    assert (await chat(http, messages=history)).status_code == 200
    history[1]["reasoning_content"] = "old thoughts"
    assert (await chat(http, messages=history)).status_code == 200


@pytest.mark.parametrize(
    ("model", "thinking"),
    [("deepseek-v4-flash", {"type": "disabled"}), ("deepseek-chat", None)],
)
async def test_v4_non_thinking_does_not_require_reasoning(
    http: httpx.AsyncClient, model: str, thinking: dict[str, str] | None
) -> None:
    extra = {"thinking": thinking} if thinking else {}
    history = [user("Hi"), {"role": "assistant", "content": "Hello!"}, user("Weather in Paris?")]
    response = await chat(http, model=model, messages=history, tools=[WEATHER], **extra)
    assert response.status_code == 200
    assert "reasoning_content" not in response.json()["choices"][0]["message"]


async def test_v4_thinks_by_default_and_old_names_are_served_by_flash(
    http: httpx.AsyncClient,
) -> None:
    flash = (await chat(http, messages=[user("Hi")])).json()
    assert "reasoning_content" in flash["choices"][0]["message"]
    reasoner = (await chat(http, model="deepseek-reasoner", messages=[user("Hi")])).json()
    assert reasoner["model"] == "deepseek-v4-flash"
    assert isinstance(reasoner["choices"][0]["message"]["reasoning_content"], str)


async def test_lenient_switch_turns_the_checks_off() -> None:
    sim = Simulator(reasoning_check="off")
    history = [user("Hi"), {"role": "assistant", "content": "Hello!"}, user("Weather in Paris?")]
    async with sim.http_client() as client:
        assert (await chat(client, messages=history, tools=[WEATHER])).status_code == 200


# --------------------------------------------------------------------------------------------- V3.2


async def test_v32_current_turn_tool_calls_need_reasoning_and_earlier_turns_are_ignored() -> None:
    sim = Simulator(era="deepseek-v3.2")
    thinking = {"thinking": {"type": "enabled"}}
    async with sim.http_client() as client:
        turn1 = await run_tool_turn(client, "deepseek-chat", [user("Weather in Paris?")], **thinking)
        assert all("reasoning_content" in m for m in turn1 if m["role"] == "assistant")
        # The documented client: clear reasoning_content of earlier turns, keep everything else.
        cleared = [{**m, "reasoning_content": None} if m["role"] == "assistant" else m for m in turn1]
        history = [user("Weather in Paris?"), *cleared, user("And the weather in Rome?")]
        turn2 = await run_tool_turn(client, "deepseek-chat", history, **thinking)
        assert turn2[-1]["content"]
        # Inside the current turn the tool-call message must carry it: index 2 here.
        messages = [
            {"role": "system", "content": "Be brief."},
            user("Weather in Paris?"),
            strip(turn1[0]),
            *turn1[1:-1],
        ]
        response = await chat(client, model="deepseek-chat", messages=messages, tools=[WEATHER], **thinking)
        assert response.status_code == 400
        assert error_of(response)["message"] == V32_TEXT


async def test_v32_reasoner_always_thinks_and_chat_only_when_enabled() -> None:
    sim = Simulator(era="deepseek-v3.2")
    assistant = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
        ],
    }
    messages = [user("Weather?"), assistant, {"role": "tool", "tool_call_id": "c1", "content": "sunny"}]
    async with sim.http_client() as client:
        assert (
            await chat(client, model="deepseek-chat", messages=messages, tools=[WEATHER])
        ).status_code == 200
        reasoner = await chat(client, model="deepseek-reasoner", messages=messages, tools=[WEATHER])
        assert error_of(reasoner)["message"] == V32_TEXT.replace("index 2", "index 1")


async def test_model_name_selects_the_era_on_any_server(http: httpx.AsyncClient) -> None:
    assistant = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
        ],
    }
    messages = [user("Weather?"), assistant, {"role": "tool", "tool_call_id": "c1", "content": "sunny"}]
    v32 = await chat(
        http, model="deepseek-v3.2", messages=messages, tools=[WEATHER], thinking={"type": "enabled"}
    )
    assert "message index 1" in error_of(v32)["message"]
    r1 = await chat(
        http,
        model="deepseek-r1",
        messages=[user("a"), {**assistant, "tool_calls": [], "reasoning_content": "x"}, user("b")],
    )
    assert error_of(r1)["message"] == R1_TEXT


# ----------------------------------------------------------------------------------------------- R1


async def test_r1_rejects_reasoning_in_input_and_the_documented_client_succeeds() -> None:
    sim = Simulator(era="deepseek-r1")
    async with sim.http_client() as client:
        messages = [user("9.11 and 9.8, which is greater?")]
        first = (await chat(client, model="deepseek-reasoner", messages=messages)).json()
        message = first["choices"][0]["message"]
        assert message["reasoning_content"]
        bad = await chat(client, model="deepseek-reasoner", messages=[*messages, message, user("Why?")])
        assert bad.status_code == 400
        assert error_of(bad)["message"] == R1_TEXT
        good = [*messages, {"role": "assistant", "content": message["content"]}, user("Why?")]
        assert (await chat(client, model="deepseek-reasoner", messages=good)).status_code == 200


async def test_r1_rejects_successive_messages_with_the_exact_text() -> None:
    sim = Simulator(era="deepseek-r1")
    async with sim.http_client() as client:
        response = await chat(
            client,
            model="deepseek-reasoner",
            messages=[{"role": "system", "content": "s"}, user("a"), user("b")],
        )
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "deepseek-reasoner does not support successive user or assistant messages (messages[1] and "
        "messages[2] in your input). You should interleave the user/assistant messages in the message "
        "sequence."
    )


async def test_r1_chat_model_never_thinks_and_accepts_successive_messages() -> None:
    sim = Simulator(era="deepseek-r1")
    async with sim.http_client() as client:
        response = await chat(client, model="deepseek-chat", messages=[user("a"), user("b")])
    assert response.status_code == 200
    assert "reasoning_content" not in response.json()["choices"][0]["message"]
    assert response.json()["model"] == "deepseek-chat"


async def test_r1_reasoner_does_not_support_tools() -> None:
    sim = Simulator(era="deepseek-r1")
    sim.script(Reply(content="unused"))
    async with sim.http_client() as client:
        response = await chat(client, model="deepseek-reasoner", messages=[user("a")], tools=[WEATHER])
    # the R1-era text has no full stop: obot-platform/obot #1475, spring-projects/spring-ai #2643
    assert error_of(response)["message"] == "deepseek-reasoner does not support Function Calling"

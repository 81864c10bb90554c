"""What each request sends back of earlier reasoning, seen in the requests the simulator received:
the current turn found wherever the last user message is, histories from elsewhere (a ``null`` reasoning,
no reasoning key, keys of their own), and what a custom policy is told."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from agentkit import Agent, ReplayContext, get_profile, tool
from agentkit.sim import SIM_API_KEY, Reply, Simulator


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"{city}: sunny"


def make(sim: Simulator, model: str, **kwargs: Any) -> Agent[Any, Any]:
    return Agent(
        model=model, tools=[get_weather], http_client=sim.http_client(), base_url="http://sim",
        api_key=SIM_API_KEY, **kwargs,
    )


def assistants(body: dict[str, Any] | None) -> list[dict[str, Any]]:
    assert body is not None
    return [m for m in body["messages"] if m["role"] == "assistant"]


def call(call_id: str, city: str) -> dict[str, Any]:
    arguments = '{"city": "' + city + '"}'
    return {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": arguments}}


@pytest.mark.anyio
async def test_v3_2_drops_the_earlier_turn_whatever_the_parity_of_the_last_user_message() -> None:
    sim = Simulator(era="deepseek-v3.2")
    sim.script(
        Reply(reasoning="r1", content="Hello."),
        Reply(reasoning="r2", tool_calls=[("get_weather", {"city": c}) for c in ("Paris", "Lima")]),
        Reply(reasoning="r3", content="Sunny in both."),
    )
    agent = make(sim, "deepseek-reasoner", profile="deepseek-v3.2")
    first = await agent.run("Hi")
    await agent.run("Weather in Paris and Lima?", history=first.messages)
    # [user, assistant r1, user, assistant r2 + two calls, tool, tool]: the last user is 4 from the end
    body = sim.requests[-1].json
    assert [m.get("reasoning_content") for m in assistants(body)] == [None, "r2"]
    assert "reasoning_content" not in assistants(body)[0]


@pytest.mark.anyio
async def test_v3_2_drops_the_reasoning_of_an_opening_greeting() -> None:
    sim = Simulator(era="deepseek-v3.2")
    sim.script(Reply(reasoning="r2", content="Sunny."))
    history = [{"role": "assistant", "content": "Hello! Ask me anything.", "reasoning_content": "greet"}]
    await make(sim, "deepseek-reasoner", profile="deepseek-v3.2").run("Weather in Oslo?", history=history)
    assert assistants(sim.requests[0].json) == [{"role": "assistant", "content": "Hello! Ask me anything."}]


@pytest.mark.anyio
async def test_v3_2_continuing_a_history_with_no_user_message_keeps_its_tool_loop() -> None:
    sim = Simulator(era="deepseek-v3.2")
    sim.script(Reply(reasoning="r2", content="Sunny."))
    history = [
        {"role": "assistant", "content": None, "reasoning_content": "r1", "tool_calls": [call("c1", "Oslo")]},
        {"role": "tool", "tool_call_id": "c1", "content": "Oslo: sunny"},
    ]
    await make(sim, "deepseek-reasoner", profile="deepseek-v3.2").run(None, history=history)
    assert [m.get("reasoning_content") for m in assistants(sim.requests[0].json)] == ["r1"]


@pytest.mark.anyio
async def test_v4_with_tools_fills_in_reasoning_missing_from_a_history_made_elsewhere() -> None:
    sim = Simulator(era="deepseek-v4")
    sim.script(Reply(reasoning="r3", content="Sunny in both."))
    history = [
        {"role": "user", "content": "Weather in Oslo and Rome?"},
        {"role": "assistant", "content": None, "reasoning_content": None, "tool_calls": [call("c1", "Oslo")]},
        {"role": "tool", "tool_call_id": "c1", "content": "Oslo: sunny"},
        {"role": "assistant", "content": "Rome next.", "tool_calls": [call("c2", "Rome")], "name": "helper"},
        {"role": "tool", "tool_call_id": "c2", "content": "Rome: sunny"},
    ]
    await make(sim, "deepseek-v4-flash").run(None, history=history)
    first, second = assistants(sim.requests[0].json)
    # reasoning goes right after content, as the API returns it; every other key is kept, in order
    assert list(first.items()) == [
        ("role", "assistant"), ("content", None), ("reasoning_content", ""),
        ("tool_calls", [call("c1", "Oslo")]),
    ]
    assert list(second.items()) == [
        ("role", "assistant"), ("content", "Rome next."), ("reasoning_content", ""),
        ("tool_calls", [call("c2", "Rome")]), ("name", "helper"),
    ]
    assert history[1]["reasoning_content"] is None and "reasoning_content" not in history[3]  # untouched


@pytest.mark.anyio
@pytest.mark.parametrize("thinking", [True, False])
async def test_a_custom_policy_is_told_where_each_message_stands(thinking: bool) -> None:
    seen: list[tuple[int, bool, bool, bool]] = []

    def record(ctx: ReplayContext) -> bool:
        seen.append((ctx.index, ctx.current_turn, ctx.has_tools, ctx.thinking))
        return False

    sim = Simulator(era="deepseek-v4", reasoning_check="off")
    sim.script(Reply(content="Fine."))
    profile = dataclasses.replace(get_profile("deepseek-v4"), name="recording", reasoning_replay=record)
    history = [
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None, "reasoning_content": "r1", "tool_calls": [call("c1", "Oslo")]},
        {"role": "tool", "tool_call_id": "c1", "content": "Oslo: sunny"},
        {"role": "assistant", "content": "Sunny.", "reasoning_content": "r2"},
    ]
    agent = make(sim, "deepseek-v4-flash", profile=profile, settings={"thinking": thinking})
    await agent.run("And tomorrow?", history=history)
    assert seen == [(1, False, True, thinking), (3, False, True, thinking)]
    assert [m.get("reasoning_content") for m in assistants(sim.requests[0].json)] == [None, None]

"""The docs/design.md example, with its exact names, against the simulator (default policy and scripted)."""

from __future__ import annotations

import time
from typing import Literal

import anyio
import pytest

from agentkit import Agent, RunDone, RunResult, TextDelta, ToolResult, tool
from agentkit.sim import SIM_API_KEY, Reply, Simulator, serve

from .conftest import AgentFactory, assert_every_call_answered


@tool
async def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Get the current weather for a city.

    Args:
        city: City name, e.g. "Hangzhou".
        unit: Temperature unit.
    """
    return f"{city}: 21 degrees {unit.upper()}, sunny"


def example_agent(sim: Simulator | None = None, base_url: str = "http://sim") -> Agent:
    """docs/design.md's agent, on ``sim`` in process, or on a simulator served at ``base_url``."""
    return Agent(
        model="deepseek-chat",
        tools=[get_weather],
        instructions="You are a helpful assistant.",
        output_type=str,
        max_turns=20,
        profile=None,
        http_client=sim.http_client() if sim is not None else None,
        base_url=base_url,
        api_key=SIM_API_KEY,
    )


def test_design_example_default_policy_run_sync() -> None:
    sim = Simulator(era="deepseek-v4")
    agent = example_agent(sim)
    assert agent.profile.name == "deepseek-v4"
    assert get_weather.schema["function"]["name"] == "get_weather"

    result = agent.run_sync("Weather in Hangzhou and Beijing?")

    assert isinstance(result, RunResult)
    assert "Hangzhou: 21 degrees C" in result.output and "Beijing: 21 degrees C" in result.output
    roles = [m["role"] for m in result.messages]
    assert roles == ["system", "user", "assistant", "tool", "tool", "assistant"]
    assert_every_call_answered(result.messages)
    assert result.usage.requests == 2 and result.usage.tool_calls == 2
    assert result.usage.prompt_tokens > 0 and result.usage.cost > 0

    again = agent.run_sync("And in Paris?", history=result.messages)
    assert again.messages[: len(result.messages)] == result.messages
    assert "Paris" in again.output


@pytest.mark.anyio
async def test_design_example_scripted_run_and_stream() -> None:
    sim = Simulator(era="deepseek-v4")
    sim.script(
        Reply(
            tool_calls=[
                ("get_weather", {"city": "Hangzhou"}),
                ("get_weather", {"city": "Beijing", "unit": "f"}),
            ]
        ),
        Reply(content="Hangzhou is 21 C and Beijing 21 F."),
        Reply(tool_calls=[("get_weather", {"city": "Paris"})]),
        Reply(content="Paris is sunny."),
    )
    with serve(sim, host="127.0.0.1", port=0) as base_url:
        agent = example_agent(base_url=base_url)
        await check_scripted(agent)


async def check_scripted(agent: Agent) -> None:
    result = await agent.run("Weather in Hangzhou and Beijing?")
    assert result.output == "Hangzhou is 21 C and Beijing 21 F."
    tool_answers = [m["content"] for m in result.messages if m["role"] == "tool"]
    assert tool_answers == ["Hangzhou: 21 degrees C, sunny", "Beijing: 21 degrees F, sunny"]

    events = [event async for event in agent.run_stream("And Paris?", history=result.messages)]
    assert isinstance(events[-1], RunDone)
    assert events[-1].result.output == "Paris is sunny."
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Paris is sunny."
    assert [e.content for e in events if isinstance(e, ToolResult)] == ["Paris: 21 degrees C, sunny"]


def test_design_example_over_loopback_uvicorn() -> None:
    """End to end: a real HTTP server on 127.0.0.1, the client's own connection pool, streaming too."""
    sim = Simulator(era="deepseek-v4")
    with serve(sim, host="127.0.0.1", port=0) as base_url:
        agent = example_agent(base_url=base_url)
        result = agent.run_sync("Weather in Hangzhou and Beijing?")
        assert "Hangzhou" in result.output and "Beijing" in result.output

        async def stream() -> RunResult:
            events = [e async for e in agent.run_stream("Weather in Lima?", history=result.messages)]
            assert isinstance(events[-1], RunDone)
            return events[-1].result

        streamed = anyio.run(stream)
        assert "Lima" in streamed.output
        assert_every_call_answered(streamed.messages)
    assert all(r.path == "/chat/completions" for r in sim.requests)


@tool
async def slow_async_a(x: int) -> int:
    """Slow async tool A."""
    await anyio.sleep(0.5)
    return x


@tool
async def slow_async_b(x: int) -> int:
    """Slow async tool B."""
    await anyio.sleep(0.5)
    return x + 1


@tool
def slow_blocking_c(x: int) -> int:
    """Slow blocking tool C."""
    time.sleep(0.5)
    return x + 2


@tool
def slow_blocking_d(x: int) -> int:
    """Slow blocking tool D."""
    time.sleep(0.5)
    return x + 3


@pytest.mark.anyio
async def test_four_slow_tools_run_concurrently(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(
        Reply(
            tool_calls=[
                ("slow_async_a", {"x": 1}),
                ("slow_blocking_c", {"x": 1}),
                ("slow_async_b", {"x": 1}),
                ("slow_blocking_d", {"x": 1}),
            ]
        ),
        Reply(content="done"),
    )
    agent = make_agent(tools=[slow_async_a, slow_async_b, slow_blocking_c, slow_blocking_d])
    start = time.perf_counter()
    result = await agent.run("go")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.5, elapsed
    assert [m["content"] for m in result.messages if m["role"] == "tool"] == ["1", "3", "2", "4"]

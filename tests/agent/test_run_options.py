"""Per-agent and per-run options that the other files do not reach: settings merged key by key, the
worker-thread limit and default timeout of tools, ``end_strategy`` on a spent retry budget, a dataclass
``output_type``, and ``run_sync`` inside a running trio loop."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import anyio
import pytest

from agentkit import ModelSettings, tool
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory


@tool
def echo(text: str) -> str:
    """Echo the text."""
    return text


@pytest.mark.anyio
async def test_run_settings_override_agent_settings_key_by_key(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    agent = make_agent(
        tools=[echo],
        settings={"thinking": False, "temperature": 0.5, "top_p": 0.9, "parallel_tool_calls": True},
    )
    sim.script(Reply(content="one"), Reply(content="two"))
    run_settings: ModelSettings = {
        "temperature": 0.0,
        "max_tokens": 100,
        "stop": ["END"],
        "presence_penalty": 0.5,
        "frequency_penalty": -0.5,
        "parallel_tool_calls": False,
        "tool_choice": "required",
    }
    await agent.run("first", settings=run_settings)
    await agent.run("second")
    first, second = (r.json for r in sim.requests)
    assert first is not None and second is not None
    sent = {k: v for k, v in first.items() if k not in ("model", "messages", "tools")}
    assert sent == {**run_settings, "top_p": 0.9, "thinking": {"type": "disabled"}}
    plain = {k: v for k, v in second.items() if k not in ("model", "messages", "tools")}
    agent_only = {"temperature": 0.5, "top_p": 0.9, "parallel_tool_calls": True}
    assert plain == {**agent_only, "thinking": {"type": "disabled"}}


in_flight = 0
peak = 0
lock = threading.Lock()


@tool
def blocking(n: int) -> int:
    """Blocks its worker thread for a moment."""
    global in_flight, peak
    with lock:
        in_flight += 1
        peak = max(peak, in_flight)
    time.sleep(0.05)
    with lock:
        in_flight -= 1
    return n


@tool
async def stuck() -> str:
    """Never finishes."""
    await anyio.sleep(10)
    return "late"


@pytest.mark.anyio
@pytest.mark.parametrize(("threads", "expected_peak"), [(1, 1), (3, 3)])
async def test_tool_threads_bound_blocking_tools(
    sim: Simulator, make_agent: AgentFactory, threads: int, expected_peak: int
) -> None:
    global peak
    peak = 0
    sim.script(Reply(tool_calls=[("blocking", {"n": n}) for n in range(3)]), Reply(content="done"))
    result = await make_agent(tools=[blocking], tool_threads=threads).run("go")
    assert [m["content"] for m in result.messages if m["role"] == "tool"] == ["0", "1", "2"]
    assert peak == expected_peak


@pytest.mark.anyio
async def test_the_agent_tool_timeout_applies_to_tools_without_their_own(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(Reply(tool_calls=[("stuck", {}), ("echo", {"text": "hi"})]), Reply(content="done"))
    result = await make_agent(tools=[stuck, echo], tool_timeout=0.05).run("go")
    answers = [m["content"] for m in result.messages if m["role"] == "tool"]
    assert answers == ["Error: 'stuck' timed out after 0.05 s.", "hi"]


@tool(retries=0)
def broken() -> str:
    """Always fails."""
    raise RuntimeError("out of order")


@pytest.mark.anyio
async def test_end_strategy_final_answer_when_a_retry_budget_runs_out(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(Reply(tool_calls=[("broken", {})]), Reply(content="The tool is out of order."))
    result = await make_agent(tools=[broken], end_strategy="final_answer").run("go")
    assert result.output == "The tool is out of order."
    last = sim.requests[-1].json
    assert last is not None and last["tool_choice"] == "none"


@dataclass
class Point:
    x: int
    y: int


@pytest.mark.anyio
async def test_dataclass_output_in_json_mode(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(content='{"x": "left"}'), Reply(content='{"x": 1, "y": 2}'))
    result = await make_agent(output_type=Point).run("Where?")
    assert result.output == Point(1, 2)
    body = sim.requests[0].json
    assert body is not None and body["response_format"] == {"type": "json_object"}
    retry = result.messages[-2]
    assert retry["role"] == "user" and "- y: required, but missing" in retry["content"], retry


def test_run_sync_inside_a_running_trio_loop(sim: Simulator, make_agent: AgentFactory) -> None:
    import trio

    agent = make_agent()

    async def caller() -> str:
        return str(agent.run_sync("Hello").output)  # blocks trio's thread; the run gets its own loop

    assert trio.run(caller)

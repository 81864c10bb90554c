"""Conversations that continue across runs, agents and sessions: the running agent's instructions lead
every request; an abandoned, cancelled or failed run leaves a conversation every profile accepts; errors
carry the usage they cost; text that is not valid Unicode never breaks a session or a request."""

from __future__ import annotations

import os
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

from agentkit import (
    InMemorySession,
    MaxTurnsExceeded,
    RunDone,
    SQLiteSession,
    TextDelta,
    ToolResult,
    tool,
)
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory, assert_every_call_answered


class City(BaseModel):
    name: str


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


def roles(request: dict[str, Any] | None) -> list[str]:
    assert request is not None
    return [m["role"] for m in request["messages"]]


def system_of(request: dict[str, Any] | None) -> str:
    assert request is not None and request["messages"][0]["role"] == "system"
    return str(request["messages"][0]["content"])


@pytest.mark.anyio
async def test_json_output_continuing_a_history_made_with_instructions(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(Reply(content="Hello."), Reply(content='{"name": "Paris"}'))
    first = await make_agent(instructions="Be brief.").run("Hi")
    result = await make_agent(output_type=City).run("Name a city.", history=first.messages)
    assert result.output == City(name="Paris")
    sent = sim.requests[-1].json
    assert roles(sent) == ["system", "user", "assistant", "user"]
    assert "json" in system_of(sent).lower()  # DeepSeek's JSON mode needs the word in the prompt
    assert "Be brief." not in system_of(sent)


@pytest.mark.anyio
async def test_changed_instructions_lead_and_replace_the_old_ones(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    session = InMemorySession()
    sim.script(Reply(content="One."), Reply(content="Two."), Reply(content="Three."))
    await make_agent(instructions="Old rules.").run("1", session=session)
    await make_agent(instructions="New rules.").run("2", session=session)
    sent = sim.requests[-1].json
    assert roles(sent) == ["system", "user", "assistant", "user"]
    assert system_of(sent) == "New rules."
    assert [m["role"] for m in await session.load()] == ["user", "assistant", "user", "assistant"]
    # and the other way: an agent without instructions continuing a history that had some keeps them
    third = await make_agent().run(
        "3", history=[{"role": "system", "content": "Kept."}, *await session.load()]
    )
    assert system_of(sim.requests[-1].json) == "Kept." and third.messages[0]["content"] == "Kept."


@pytest.mark.anyio
async def test_instructions_never_land_mid_conversation(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(content="Hello."), Reply(content="Sure."))
    first = await make_agent().run("Hi")  # a history with no system message
    second = await make_agent(instructions="Be brief.").run("Again", history=first.messages)
    assert roles(sim.requests[-1].json) == ["system", "user", "assistant", "user"]
    assert [m["role"] for m in second.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert second.new_messages() == second.messages[3:]


@pytest.mark.anyio
async def test_the_prefix_is_byte_stable_for_an_agent_across_runs(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    session = InMemorySession()
    agent = make_agent(instructions="Be brief.", tools=[lookup])
    sim.script(Reply(content="One."), Reply(content="Two."))
    await agent.run("1", session=session)
    await agent.run("2", session=session)
    first, second = (r.body for r in sim.requests[-2:])
    assert first is not None and second is not None
    assert second.startswith(first[: first.index(b'"content":"1"')])


@pytest.mark.anyio
@pytest.mark.parametrize("era", ["deepseek-r1", "deepseek-v4"])
async def test_a_stream_broken_off_leaves_the_session_valid(era: str, make_agent: AgentFactory) -> None:
    """R1 answers 400 to two user messages in a row: the abandoned prompt must not stay behind."""
    sim = Simulator(era=era)
    model = "deepseek-reasoner" if era == "deepseek-r1" else "deepseek-v4-flash"
    session = InMemorySession()
    sim.script(Reply(content="A long answer that the user stops reading."), Reply(content="Fine."))
    agent = make_agent(sim, model=model)
    async for event in agent.run_stream("First question", session=session):
        if isinstance(event, TextDelta):
            break  # the user closes the page
    assert await session.load() == []
    result = await agent.run("Second question", session=session)
    assert result.output == "Fine."
    assert [m["role"] for m in await session.load()] == ["user", "assistant"]


@pytest.mark.anyio
async def test_a_cancelled_run_leaves_the_session_valid(
    sim: Simulator, make_agent: AgentFactory, tmp_path: Any
) -> None:
    session = SQLiteSession(tmp_path / "s.db")
    started = anyio.Event()

    @tool
    async def slow(key: str) -> str:
        """Slow."""
        started.set()
        await anyio.sleep(60)
        return key

    sim.script(Reply(tool_calls=[("slow", {"key": "a"})]))
    agent = make_agent(tools=[slow])
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: agent.run("Go", session=session))
        await started.wait()
        tg.cancel_scope.cancel()
    saved = await session.load()
    assert [m["role"] for m in saved] == ["user", "assistant", "tool"]  # every call answered
    assert_every_call_answered(saved)
    sim.script(Reply(content="Resumed."))
    assert (await agent.run("Go on", session=session)).output == "Resumed."


@pytest.mark.anyio
async def test_a_run_error_carries_usage_and_only_what_was_exchanged(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(*[Reply(tool_calls=[("lookup", {"key": "a"})])] * 2)
    with pytest.raises(MaxTurnsExceeded) as caught:
        await make_agent(tools=[lookup], max_turns=2).run("Loop")
    error = caught.value
    assert error.usage.requests == 2 and error.usage.total_tokens > 0 and error.usage.cost > 0
    assert error.usage.tool_calls == 2
    assert [m["role"] for m in error.messages] == ["user", "assistant", "tool", "assistant", "tool"]


@pytest.mark.anyio
async def test_lone_surrogates_in_tool_output_are_escaped_visibly(
    sim: Simulator, make_agent: AgentFactory, tmp_path: Any
) -> None:
    name = os.fsdecode(b"report-\xff.txt")  # a file name that is not UTF-8: "report-\udcff.txt"

    @tool
    def list_names() -> list[str]:
        """List file names."""
        return [name]

    session = SQLiteSession(tmp_path / "s.db")
    sim.script(Reply(tool_calls=[("list_names", {})]), Reply(content="One file."))
    events = [e async for e in make_agent(tools=[list_names]).run_stream("Files?", session=session)]
    answer = next(e for e in events if isinstance(e, ToolResult))
    assert answer.content == '["report-\\udcff.txt"]'  # the lone surrogate written as a visible escape
    assert isinstance(events[-1], RunDone) and events[-1].result.output == "One file."
    assert (await session.load())[2]["content"] == answer.content

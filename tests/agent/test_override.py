"""``Agent.override``: for the runs started inside the block (in this task and the tasks it starts),
never elsewhere, and nothing of the agent changed after it."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from agentkit import Agent, tool
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


@tool
def other(key: str) -> str:
    """Another tool."""
    return key


def sent(sim: Simulator) -> list[dict[str, Any]]:
    bodies = [r.json for r in sim.requests]
    assert all(b is not None for b in bodies)
    return [b for b in bodies if b is not None]


@pytest.mark.anyio
async def test_model_client_tools_settings_and_instructions_swapped_inside_only(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    agent = make_agent(tools=[lookup], instructions="Be brief.", settings={"temperature": 0.5})
    elsewhere = Simulator()
    await agent.run("before")
    with agent.override(
        model="deepseek-v4-pro",
        http_client=elsewhere.http_client(),
        tools=[other],
        settings={"max_tokens": 99},
        instructions=lambda ctx: "Be thorough.",
    ):
        await agent.run("inside")
    await agent.run("outside")

    (inside,) = sent(elsewhere)
    assert inside["model"] == "deepseek-v4-pro"
    assert [t["function"]["name"] for t in inside["tools"]] == ["other"]
    assert inside["max_tokens"] == 99 and "temperature" not in inside
    assert inside["messages"][0] == {"role": "system", "content": "Be thorough."}
    before, outside = sent(sim)
    assert outside["messages"][1:] == [{"role": "user", "content": "outside"}]
    assert {**outside, "messages": []} == {**before, "messages": []}
    assert outside["model"] == "deepseek-v4-flash"
    assert [t["function"]["name"] for t in outside["tools"]] == ["lookup"]
    assert outside["temperature"] == 0.5 and "max_tokens" not in outside
    assert outside["messages"][0] == {"role": "system", "content": "Be brief."}


@pytest.mark.anyio
async def test_an_override_reaches_tasks_started_inside_and_never_a_task_outside(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    agent = make_agent()
    gate = anyio.Event()
    models: dict[str, str] = {}

    async def run(name: str) -> None:
        await gate.wait()  # all three run at once, after the block has ended
        result = await agent.run(name)
        models[name] = result.messages[-1]["content"]

    sim.script(*(lambda body: Reply(content=f"{body['model']}") for _ in range(3)))
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(run, "outside")
        with agent.override(model="deepseek-v4-pro"):
            tasks.start_soon(run, "inside 1")
            tasks.start_soon(run, "inside 2")
        gate.set()
    pro = "deepseek-v4-pro"
    assert models == {"outside": "deepseek-v4-flash", "inside 1": pro, "inside 2": pro}
    await agent.run("after")
    assert sent(sim)[-1]["model"] == "deepseek-v4-flash"


def test_run_sync_inside_an_override_uses_it(sim: Simulator, make_agent: AgentFactory) -> None:
    agent = make_agent()
    with agent.override(model="deepseek-v4-pro"):
        agent.run_sync("hello")
    agent.run_sync("hello")
    assert [b["model"] for b in sent(sim)] == ["deepseek-v4-pro", "deepseek-v4-flash"]


@pytest.mark.anyio
async def test_overrides_nest(make_agent: AgentFactory) -> None:
    local = Simulator()
    agent = make_agent()
    with agent.override(http_client=local.http_client()):
        with agent.override(model="deepseek-reasoner"):  # on top of the outer one
            await agent.run("one")
        await agent.run("two")
    assert [b["model"] for b in sent(local)] == ["deepseek-reasoner", "deepseek-v4-flash"]
    assert agent.model == "deepseek-v4-flash" and agent.profile.name == "deepseek-v4"


@pytest.mark.anyio
async def test_a_model_of_another_family_brings_its_profile(sim: Simulator, make_agent: AgentFactory) -> None:
    local = Simulator()
    agent = make_agent(tools=[lookup], settings={"thinking": True})
    history = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello", "reasoning_content": "old thoughts"},
    ]
    with agent.override(model="deepseek-v3.2", http_client=local.http_client()):
        await agent.run("again", history=history)
    await agent.run("again", history=history)
    # V3.2 drops the reasoning of earlier turns; the agent's own V4 profile sends it back with tools.
    assert sent(local)[0]["messages"][1] == {"role": "assistant", "content": "hello"}
    assert sent(sim)[0]["messages"][1]["reasoning_content"] == "old thoughts"


def test_unknown_overrides_are_refused(make_agent: AgentFactory) -> None:
    agent = make_agent()
    with pytest.raises(TypeError, match="unknown arguments \\['modle'\\]"):
        agent.override(modle="x").__enter__()  # type: ignore[call-arg]


@pytest.mark.anyio
async def test_an_override_of_a_sub_agents_connection_wins_over_the_callers(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    own = Simulator()
    researcher = Agent(model="deepseek-v4-flash", name="researcher")
    sim.script(Reply(tool_calls=[("researcher", {"task": "tea"})]), Reply(content="done"))
    own.script(Reply(content="tea facts"))
    with researcher.override(http_client=own.http_client()):
        result = await make_agent(tools=[researcher.as_tool()]).run("go")
    assert result.messages[2]["content"] == "tea facts"
    assert len(own.requests) == 1 and len(sim.requests) == 2

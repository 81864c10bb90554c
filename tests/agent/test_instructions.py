"""Instructions as a function of the run's ``RunContext`` (sync or async): called once when a run
starts, so every request of the run begins with the same bytes."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from agentkit import RunContext, tool
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


def messages_prefix(body: bytes) -> bytes:
    """The request body up to the end of its ``messages`` (the part the next request must repeat)."""
    return body[: body.index(b'],"tools"')]


@pytest.mark.anyio
async def test_a_function_is_called_once_per_run_and_sees_the_deps(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    calls: list[Any] = []

    def instructions(ctx: RunContext[dict[str, str]]) -> str:
        calls.append(ctx.deps)
        return f"You help {ctx.deps['user']}. This is instruction number {len(calls)}."

    agent = make_agent(tools=[lookup], instructions=instructions)
    sim.script(
        Reply(tool_calls=[("lookup", {"key": "a"})]),
        Reply(tool_calls=[("lookup", {"key": "b"})]),
        Reply(content="done"),
        Reply(content="again"),
    )
    await agent.run("go", deps={"user": "Alice"})
    assert calls == [{"user": "Alice"}]
    bodies = [r.body for r in sim.requests]
    assert len(bodies) == 3
    for earlier, later in itertools.pairwise(bodies):  # each request repeats the one before, byte for byte
        assert later.startswith(messages_prefix(earlier))
    first = sim.requests[0].json
    assert first is not None
    system = {"role": "system", "content": "You help Alice. This is instruction number 1."}
    assert first["messages"][0] == system

    await agent.run("go on", deps={"user": "Bob"})  # a new run: called again
    last = sim.requests[-1].json
    assert last is not None
    assert last["messages"][0] == {"role": "system", "content": "You help Bob. This is instruction number 2."}


@pytest.mark.anyio
async def test_an_async_function_is_awaited(sim: Simulator, make_agent: AgentFactory) -> None:
    async def instructions(ctx: RunContext[None]) -> str:
        return f"Model {ctx.model}, turn {ctx.turn}."

    sim.script(Reply(content="hi"))
    result = await make_agent(instructions=instructions).run("hello")
    assert result.messages[0] == {"role": "system", "content": "Model deepseek-v4-flash, turn 0."}

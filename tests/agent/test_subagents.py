"""``Agent.as_tool``: an agent as a tool of another, on the simulator (asyncio and trio).

The sub-agents here are built without any connection of their own and no key is in the environment:
if they did not run on the calling run's client they could not make a request at all."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from agentkit import (
    Agent,
    ChatCompletion,
    Hook,
    ModelRequestInfo,
    ModelResponseDone,
    ResponseItem,
    RunContext,
    RunDone,
    RunInfo,
    StreamEvent,
    SubAgentEvent,
    TextDelta,
    ToolCallStarted,
    ToolResult,
    UserError,
    tool,
)
from agentkit._hooks import using_hooks
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory, assert_every_call_answered


class Recorder(Hook):
    """Every run and every completed response, of the parent and of its sub-agents."""

    def __init__(self) -> None:
        self.runs: list[RunInfo] = []
        self.completions: list[tuple[RunInfo, ChatCompletion]] = []

    def wrap_run(self, run: RunInfo, events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
        self.runs.append(run)
        return events

    async def wrap_request(
        self, request: ModelRequestInfo, proceed: Callable[[], AsyncIterator[ResponseItem]]
    ) -> AsyncIterator[ResponseItem]:
        async for item in proceed():
            if isinstance(item, ChatCompletion):
                self.completions.append((request.run, item))
            yield item


def researcher(**kwargs: Any) -> Agent[Any, Any]:
    @tool
    def search(ctx: RunContext[dict[str, str]], query: str) -> str:
        """Search the notes."""
        return ctx.deps.get(query, "nothing")

    return Agent(model="deepseek-v4-flash", tools=[search], instructions="You research.", name="researcher",
                 **kwargs)


@pytest.mark.anyio
async def test_usage_of_a_sub_agent_is_counted_once_in_the_parent(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(
        Reply(tool_calls=[("research", {"task": "What is tea?"})]),  # writer
        Reply(tool_calls=[("search", {"query": "tea"})]),  # researcher
        Reply(content="Tea is a drink."),  # researcher
        Reply(content="Tea, a drink."),  # writer
    )
    writer = make_agent(tools=[researcher().as_tool(name="research", description="Research a topic.")])
    recorder = Recorder()
    with using_hooks(recorder):
        result = await writer.run("Write about tea.", deps={"tea": "a drink from China"})

    assert result.output == "Tea, a drink."
    parent, child = recorder.runs
    assert child.parent is parent and parent.parent is None
    assert [run for run, _ in recorder.completions] == [parent, child, child, parent]
    every = [c.usage for _, c in recorder.completions]
    assert all(u is not None and u.total_tokens > 0 for u in every)
    usage = result.usage
    assert usage.total_tokens == sum(u.total_tokens for u in every if u)
    assert usage.prompt_tokens == sum(u.prompt_tokens for u in every if u)
    assert usage.requests == 4 and usage.tool_calls == 2
    research = usage.agents["research"]
    assert research.requests == 2 and research.tool_calls == 1
    own = [c.usage for r, c in recorder.completions if r is child and c.usage]
    assert research.total_tokens == sum(u.total_tokens for u in own)
    assert research.cost > 0 and usage.cost > research.cost
    assert result.models == ["deepseek-v4-flash", "deepseek-v4-flash"]  # the writer's own two requests
    # The researcher saw the deps, with its own instructions, tools and conversation.
    sub_first = sim.requests[1].json
    assert sub_first is not None
    assert sub_first["messages"][:2] == [
        {"role": "system", "content": "You research."},
        {"role": "user", "content": "What is tea?"},
    ]
    assert [t["function"]["name"] for t in sub_first["tools"]] == ["search"]
    sub_second = sim.requests[2].json
    assert sub_second is not None and sub_second["messages"][-1]["content"] == "a drink from China"
    call_id = result.messages[1]["tool_calls"][0]["id"]
    assert result.messages[2] == {"role": "tool", "content": "Tea is a drink.", "tool_call_id": call_id}


@pytest.mark.anyio
async def test_a_sub_agent_runs_on_the_callers_client(sim: Simulator, make_agent: AgentFactory) -> None:
    clients: dict[str, Any] = {}

    @tool
    def where(ctx: RunContext[Any]) -> str:
        """Say where you run."""
        clients["sub"] = ctx.client
        return "here"

    @tool
    def note(ctx: RunContext[Any]) -> str:
        """Take a note."""
        clients["parent"] = ctx.client
        return "noted"

    sub = Agent(model="deepseek-v4-flash", tools=[where])
    sim.script(
        Reply(tool_calls=[("note", {}), ("helper", {"task": "where?"})]),
        Reply(tool_calls=[("where", {})]),
        Reply(content="there"),
        Reply(content="done"),
    )
    await make_agent(tools=[note, sub.as_tool(name="helper")]).run("go")
    assert clients["sub"] is clients["parent"] is not None


@pytest.mark.anyio
async def test_a_sub_agent_failure_becomes_a_tool_message(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(
        Reply(tool_calls=[("research", {"task": "dig"})]),
        Reply(tool_calls=[("search", {"query": "x"})]),  # the researcher's only request: max_turns=1
        Reply(content="I could not find out."),
    )
    writer = make_agent(tools=[researcher(max_turns=1).as_tool(name="research")])
    result = await writer.run("go", deps={})
    answer = result.messages[2]
    assert answer["role"] == "tool"
    assert answer["content"].startswith(
        "Error: 'research' raised MaxTurnsExceeded: the run reached max_turns=1"
    )
    assert result.output == "I could not find out."
    assert result.usage.agents["research"].requests == 1  # what the failed run spent still counts
    assert result.usage.requests == 3
    assert_every_call_answered(result.messages)


@pytest.mark.anyio
async def test_sub_agent_events_reach_the_parent_stream_marked(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(
        Reply(tool_calls=[("research", {"task": "tea"}), ("research", {"task": "coffee"})]),
        Reply(content="About tea."),  # the two researcher runs, concurrently: each takes one reply
        Reply(content="About tea."),
        Reply(content="Both."),
    )
    writer = make_agent(tools=[researcher().as_tool(name="research")])
    events = [event async for event in writer.run_stream("go", deps={})]

    started = [e.tool_call_id for e in events if isinstance(e, ToolCallStarted)]
    relayed = [e for e in events if isinstance(e, SubAgentEvent)]
    assert {e.agent for e in relayed} == {"research"}
    assert not any(isinstance(e.event, RunDone) for e in relayed)
    for call_id in started:
        own = [e.event for e in relayed if e.tool_call_id == call_id]
        assert "".join(e.text for e in own if isinstance(e, TextDelta)) == "About tea."
        assert isinstance(own[-1], ModelResponseDone)
    # One call's events arrive together; all of them after the writer's tool-call response and
    # before the answers of its calls.
    first = events.index(relayed[0])
    groups = [e.tool_call_id for e in relayed]
    assert groups == sorted(groups, key=groups.index)
    answers = [i for i, e in enumerate(events) if isinstance(e, ToolResult)]
    tool_response = next(i for i, e in enumerate(events) if isinstance(e, ModelResponseDone))
    assert tool_response < first and events.index(relayed[-1]) < min(answers)
    assert isinstance(events[-1], RunDone) and events[-1].result.output == "Both."
    assert events[-1].result.usage.agents["research"].requests == 2


@pytest.mark.anyio
async def test_a_stream_abandoned_after_sub_agent_events_ends_cleanly(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(Reply(tool_calls=[("research", {"task": "tea"})]), Reply(content="About tea."))
    writer = make_agent(tools=[researcher().as_tool(name="research")])
    stream = writer.run_stream("go", deps={})
    async for event in stream:  # no aclosing: the generator is simply dropped
        if isinstance(event, SubAgentEvent):
            break
    del stream
    gc.collect()  # an async generator holding a task group across the yield would fail here
    assert len(sim.requests) == 2  # nothing more was asked


@pytest.mark.anyio
async def test_a_reasoner_sub_agent_in_a_chat_parent_keeps_each_profiles_rule(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    @tool
    def look(topic: str) -> str:
        """Look a topic up."""
        return f"facts on {topic}"

    # deepseek-chat (V4, no thinking) calls a deepseek-reasoner sub-agent (V4, thinking: with tools its
    # reasoning must come back on every assistant message, or the simulator answers 400) and an R1
    # sub-agent (deepseek-r1 selects the R1 era: reasoning sent back is a 400).
    thinker = Agent(model="deepseek-reasoner", tools=[look], name="thinker")
    r1 = Agent(model="deepseek-r1", name="r1")
    sim.script(
        Reply(tool_calls=[("thinker", {"task": "tea"})]),
        Reply(reasoning="I should look it up.", tool_calls=[("look", {"topic": "tea"})]),
        Reply(reasoning="Now I know.", content="Tea facts."),
        Reply(tool_calls=[("r1", {"task": "coffee"})]),
        Reply(reasoning="Coffee thoughts.", content="Coffee facts."),
        Reply(content="Summary."),
    )
    writer = make_agent(model="deepseek-chat", tools=[thinker.as_tool(), r1.as_tool()])
    result = await writer.run("go")
    assert result.output == "Summary."

    bodies = [r.json for r in sim.requests]
    assert all(b is not None for b in bodies)
    models = [b["model"] for b in bodies if b]
    chat, reasoner = "deepseek-chat", "deepseek-reasoner"
    assert models == [chat, reasoner, reasoner, chat, "deepseek-r1", chat]
    thinker_second = bodies[2]
    assert thinker_second is not None
    assistant = [m for m in thinker_second["messages"] if m["role"] == "assistant"]
    assert [m["reasoning_content"] for m in assistant] == ["I should look it up."]
    for body in (bodies[0], bodies[3], bodies[5]):  # the writer's: none of the sub-agents' thoughts
        assert body is not None
        assert all(m.get("reasoning_content") in (None, "") for m in body["messages"])
    r1_body = bodies[4]
    assert r1_body is not None and all("reasoning_content" not in m for m in r1_body["messages"])
    assert set(result.usage.agents) == {"thinker", "r1"}
    assert result.usage.agents["thinker"].reasoning_tokens > 0


@pytest.mark.anyio
async def test_a_sub_agent_cannot_defer_approvals(sim: Simulator, make_agent: AgentFactory) -> None:
    @tool(requires_approval=True)
    def wipe() -> str:
        """Wipe everything."""
        return "wiped"

    careful = Agent(model="deepseek-v4-flash", tools=[wipe], approve="defer", name="careful")
    sim.script(Reply(tool_calls=[("careful", {"task": "wipe"})]), Reply(tool_calls=[("wipe", {})]))
    with pytest.raises(UserError, match="the careful agent stopped for approvals"):
        await make_agent(tools=[careful.as_tool()]).run("go")

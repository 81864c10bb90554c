"""Errors become tool messages; budgets and limits end runs with typed errors carrying the messages;
every tool call is answered on every path, cancellation included."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from agentkit import (
    Agent,
    ApprovalRequiredError,
    Hook,
    InMemorySession,
    InsufficientBalanceError,
    MaxTurnsExceeded,
    RunContext,
    RunInfo,
    StreamEvent,
    ToolRetriesExceeded,
    UsageLimitExceeded,
    UsageLimits,
    UserError,
    tool,
)
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory, assert_every_call_answered


@tool
def divide(a: int, b: int) -> float:
    """Divide a by b."""
    return a / b


@tool(timeout=0.2)
async def hang() -> str:
    """Never finishes in time."""
    await anyio.sleep(10)
    return "late"


@tool(retries=0)
def fragile() -> str:
    """Always fails."""
    raise RuntimeError("disk on fire")


def tool_answers(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "tool"]


@pytest.mark.anyio
async def test_each_failure_becomes_a_tool_message(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(
        Reply(
            tool_calls=[
                ("divide", {"a": 1, "b": 0}),  # the tool raises
                ("divide", '{"a": 1, "b":'),  # not JSON
                ("divide", {"a": "one", "b": 2}),  # fails validation
                ("nope", {}),  # unknown tool
                ("hang", {}),  # times out
                ("divide", {"a": 6, "b": 3}),  # fine
            ]
        ),
        Reply(content="I see the errors."),
    )
    result = await make_agent(tools=[divide, hang]).run("go")
    answers = tool_answers(result.messages)
    assert answers[0].startswith("Error: 'divide' raised ZeroDivisionError")
    assert answers[1].startswith("Error: ") and "divide" in answers[1] and "JSON" in answers[1]
    assert answers[2].startswith("Error: Invalid arguments for tool 'divide'") and '"one"' in answers[2]
    assert answers[3] == "Error: there is no tool named 'nope'. Available tools: divide, hang."
    assert answers[4] == "Error: 'hang' timed out after 0.2 s."
    assert answers[5] == "2.0"
    assert result.output == "I see the errors."
    assert_every_call_answered(result.messages)


@pytest.mark.anyio
async def test_retry_budget_exhausted_names_the_tool(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(tool_calls=[("fragile", {})]))
    with pytest.raises(ToolRetriesExceeded, match="'fragile' failed in 1 responses") as caught:
        await make_agent(tools=[fragile]).run("go")
    assert tool_answers(caught.value.messages) == ["Error: 'fragile' raised RuntimeError: disk on fire"]
    assert_every_call_answered(caught.value.messages)


@pytest.mark.anyio
async def test_agent_retry_budget_lets_the_model_retry(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(
        Reply(tool_calls=[("divide", {"a": 1, "b": 0})]),
        Reply(tool_calls=[("divide", {"a": 1, "b": 0})]),
        Reply(tool_calls=[("divide", {"a": 1, "b": 0})]),
    )
    with pytest.raises(
        ToolRetriesExceeded, match="'divide' failed in 3 responses, more than its retry budget of 2"
    ):
        await make_agent(tools=[divide], tool_retries=2).run("go")


@pytest.mark.anyio
async def test_max_turns(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(*[Reply(tool_calls=[("divide", {"a": 4, "b": 2})])] * 3)
    with pytest.raises(MaxTurnsExceeded, match="max_turns=3") as caught:
        await make_agent(tools=[divide], max_turns=3).run("go")
    assert len(sim.requests) == 3
    assert tool_answers(caught.value.messages) == ["2.0"] * 3
    assert_every_call_answered(caught.value.messages)


@pytest.mark.anyio
async def test_end_strategy_final_answer_asks_once_without_tools(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(*[Reply(tool_calls=[("divide", {"a": 4, "b": 2})])] * 2, Reply(content="It is 2."))
    result = await make_agent(tools=[divide], max_turns=2, end_strategy="final_answer").run("go")
    assert result.output == "It is 2."
    last = sim.requests[-1].json
    assert last is not None and last["tool_choice"] == "none" and last["tools"]


@pytest.mark.anyio
async def test_usage_limits_checked_before_each_request(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(*[Reply(tool_calls=[("divide", {"a": 4, "b": 2})])] * 3)
    agent = make_agent(tools=[divide])
    with pytest.raises(UsageLimitExceeded, match="request_limit of 2") as caught:
        await agent.run("go", usage_limits=UsageLimits(request_limit=2))
    assert len(sim.requests) == 2
    assert_every_call_answered(caught.value.messages)
    assert caught.value.messages[0] == {"role": "user", "content": "go"}


@pytest.mark.anyio
async def test_api_errors_carry_the_messages(sim: Simulator, make_agent: AgentFactory) -> None:
    def then_fail(request: dict[str, Any]) -> Reply:
        sim.inject("402")  # the next request: insufficient balance (not retried)
        return Reply(tool_calls=[("divide", {"a": 4, "b": 2})])

    sim.script(then_fail)
    with pytest.raises(InsufficientBalanceError) as caught:
        await make_agent(tools=[divide]).run("go")
    assert [m["role"] for m in caught.value.messages] == ["user", "assistant", "tool"]
    assert_every_call_answered(caught.value.messages)


sequence: list[str] = []


@tool(sequential=True)
async def migrate() -> str:
    """Runs alone."""
    sequence.append("migrate-start")
    await anyio.sleep(0.05)
    sequence.append("migrate-end")
    return "migrated"


@tool
async def probe(n: int) -> str:
    """Runs concurrently."""
    sequence.append(f"probe{n}-start")
    await anyio.sleep(0.05)
    sequence.append(f"probe{n}-end")
    return f"probe {n}"


@pytest.mark.anyio
async def test_sequential_tools_run_alone(sim: Simulator, make_agent: AgentFactory) -> None:
    sequence.clear()
    sim.script(
        Reply(tool_calls=[("probe", {"n": 1}), ("probe", {"n": 2}), ("migrate", {}), ("probe", {"n": 3})]),
        Reply(content="ok"),
    )
    result = await make_agent(tools=[probe, migrate]).run("go")
    assert sorted(sequence[:2]) == ["probe1-start", "probe2-start"]  # concurrent: both start first
    assert sorted(sequence[2:4]) == ["probe1-end", "probe2-end"]
    assert sequence[4:] == ["migrate-start", "migrate-end", "probe3-start", "probe3-end"]
    assert tool_answers(result.messages) == ["probe 1", "probe 2", "migrated", "probe 3"]


@tool(requires_approval=True)
def delete_file(path: str) -> str:
    """Delete a file."""
    return f"deleted {path}"


@pytest.mark.anyio
async def test_approval(sim: Simulator, make_agent: AgentFactory) -> None:
    asked: list[tuple[str, dict[str, Any]]] = []

    async def approve(name: str, arguments: dict[str, Any]) -> bool:
        asked.append((name, arguments))
        return arguments["path"] != "/etc/passwd"

    sim.script(
        Reply(tool_calls=[("delete_file", {"path": "/tmp/x"}), ("delete_file", {"path": "/etc/passwd"})]),
        Reply(content="ok"),
    )
    result = await make_agent(tools=[delete_file], approve=approve).run("go")
    assert sorted(asked, key=lambda a: a[1]["path"]) == [  # asked concurrently, with the tool's name
        ("delete_file", {"path": "/etc/passwd"}),
        ("delete_file", {"path": "/tmp/x"}),
    ]
    assert tool_answers(result.messages) == [
        "deleted /tmp/x",
        "The user did not approve this call to 'delete_file'; it was not run.",
    ]


@pytest.mark.anyio
async def test_an_approve_callback_that_raises_stops_the_run(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    def approve(name: str, arguments: dict[str, Any]) -> bool:
        return {"/tmp/x": True}[arguments["path"]]  # a policy with a hole

    sim.script(Reply(tool_calls=[("delete_file", {"path": "/etc/passwd"})]), Reply(content="ok"))
    session = InMemorySession()
    agent = make_agent(tools=[delete_file], approve=approve)
    with pytest.raises(UserError, match=r"the approve callback raised KeyError for a call to 'delete_file': "
                       r"'/etc/passwd'\. The call was not run and the run stopped") as caught:
        await agent.run("go", session=session)
    assert isinstance(caught.value.__cause__, KeyError)
    assert len(sim.requests) == 1  # the model was not told, and asked nothing more
    saved = await session.load()  # kept whole: the call answered as not run
    assert_every_call_answered(saved)
    assert saved[-1]["content"] == "The tool call was cancelled before it finished (the run was stopped)."


@pytest.mark.anyio
async def test_approval_needs_a_callback(sim: Simulator, make_agent: AgentFactory) -> None:
    with pytest.raises(ApprovalRequiredError, match="delete_file"):
        await make_agent(tools=[delete_file]).run("go")
    assert sim.requests == []


@tool
async def slow_step(ctx: RunContext[Any], n: int) -> str:
    """Slow."""
    ctx.deps.append(n)
    await anyio.sleep(10)
    return "never"


@tool
def quick_step(n: int) -> str:
    """Quick."""
    return f"quick {n}"


@pytest.mark.anyio
async def test_cancelling_a_run_answers_every_call(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(tool_calls=[("quick_step", {"n": 1}), ("slow_step", {"n": 2}), ("slow_step", {"n": 3})]))
    session = InMemorySession()
    running: list[int] = []
    with anyio.move_on_after(0.5) as scope:
        await make_agent(tools=[quick_step, slow_step]).run("go", session=session, deps=running)
    assert scope.cancelled_caught and sorted(running) == [2, 3]
    messages = await session.load()
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool", "tool"]
    assert_every_call_answered(messages)
    assert tool_answers(messages)[0] == "quick 1"
    assert "cancelled" in tool_answers(messages)[1] and "cancelled" in tool_answers(messages)[2]


class CostMeter(Hook):
    """What an application counts of each run, however the run ends."""

    def __init__(self) -> None:
        self.requests, self.cost = 0, 0.0

    async def wrap_run(self, run: RunInfo, events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
        try:
            async for event in events:
                yield event
        finally:  # run.usage is live: here it holds every request the run made
            self.requests += run.usage.requests
            self.cost += run.usage.cost


@pytest.mark.anyio
async def test_a_hook_counts_the_usage_of_a_cancelled_run(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(tool_calls=[("slow_step", {"n": 1})]))
    meter = CostMeter()
    with anyio.move_on_after(0.5) as scope:  # a cancellation carries no usage: the hook saw it
        await make_agent(tools=[slow_step], hooks=[meter]).run("go", deps=[])
    assert scope.cancelled_caught
    assert meter.requests == 1 and meter.cost > 0


@pytest.mark.anyio
async def test_bad_settings_fail_before_any_request(sim: Simulator, make_agent: AgentFactory) -> None:
    with pytest.raises(UserError, match="tool_choice"):
        await make_agent(tools=[divide], settings={"tool_choice": "required"}).run("go")
    with pytest.raises(UserError, match="logprobs"):
        await make_agent(settings={"logprobs": True}).run("go")
    with pytest.raises(UserError, match="max_tokens=500000"):
        await make_agent(settings={"max_tokens": 500_000}).run("go")
    assert sim.requests == []
    # without thinking, tool_choice "required" is allowed
    sim.script(Reply(tool_calls=[("divide", {"a": 4, "b": 2})]), Reply(content="2"))
    agent = make_agent(tools=[divide], settings={"thinking": False, "tool_choice": "required"})
    assert (await agent.run("go")).output == "2"
    assert sim.requests[0].json is not None
    assert sim.requests[0].json["thinking"] == {"type": "disabled"}


def test_run_sync_inside_a_running_event_loop(sim: Simulator, make_agent: AgentFactory) -> None:
    agent = make_agent()

    async def caller() -> str:
        return agent.run_sync("Hello").output  # blocks this loop's thread; the run gets its own loop

    start = time.perf_counter()
    assert anyio.run(caller)
    assert time.perf_counter() - start < 30


class Stop(BaseException):
    """Like KeyboardInterrupt: not an error of the tool, so it ends the run."""


@tool
async def stop(n: int) -> str:
    """Stop everything."""
    raise Stop(n)


@pytest.mark.anyio
@pytest.mark.parametrize("calls", [1, 3])
async def test_what_ends_the_run_from_a_tool_call_is_raised_as_itself(
    sim: Simulator, make_agent: AgentFactory, calls: int
) -> None:
    """However many calls the model made at once, not wrapped in the task group's exception group,
    so ``except UserError`` (or Ctrl-C) works the same; the step is still answered in the session."""

    @tool(requires_approval=True)
    def wipe() -> str:
        """Wipe everything."""
        return "wiped"

    careful = Agent(model="deepseek-v4-flash", tools=[wipe], approve="defer", name="careful")
    sim.script(
        Reply(tool_calls=[("careful", {"task": f"wipe {n}"}) for n in range(calls)]),
        *[Reply(tool_calls=[("wipe", {})])] * calls,
    )
    session = InMemorySession()
    with pytest.raises(UserError, match="the careful agent stopped for approvals"):
        await make_agent(tools=[careful.as_tool()]).run("go", session=session)
    assert_every_call_answered(await session.load())

    sim.script(Reply(tool_calls=[("stop", {"n": n}) for n in range(calls)]))
    with pytest.raises(Stop):
        await make_agent(tools=[stop]).run("go")

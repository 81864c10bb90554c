"""Each tool call's answer, as ``run_stream`` shows it: the call id, the tool name, the text, and whether
it counts as a failure; and what a tool learns about its own call."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

from agentkit import (
    ApprovalRequiredError,
    Hook,
    RunContext,
    RunDone,
    RunInfo,
    StreamEvent,
    ToolCallInfo,
    ToolResult,
    tool,
)
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory

NOT_RUN = "Not run: the final answer was given in the same response."


@tool
def double(x: int) -> int:
    """Double x."""
    return 2 * x


@tool
def boom() -> str:
    """Fails with a message."""
    raise ValueError("bad input")


@tool
def mute() -> str:
    """Fails without a message."""
    raise ValueError()


@tool(timeout=5)
def fails_fast() -> str:
    """Has a timeout, but fails long before it for another reason."""
    raise LookupError("no such record")


@tool(timeout=0.05)
async def sleepy() -> str:
    """Never finishes in time."""
    await anyio.sleep(10)
    return "late"


@tool(requires_approval=True)
def erase(path: str) -> str:
    """Erase a file."""
    return f"erased {path}"


@tool(timeout=5)
def whoami(ctx: RunContext[None]) -> str:
    """Says which call it answers."""
    return f"{ctx.tool_call_id} {ctx.tool_name}"


class Answer(BaseModel):
    text: str


async def answers(agent: Any, prompt: str = "go", **options: Any) -> tuple[list[ToolResult], list[str]]:
    """The ToolResult events of a run, and the ids of the calls they answer (in call order)."""
    results: list[ToolResult] = []
    ids: list[str] = []
    async for event in agent.run_stream(prompt, **options):
        if isinstance(event, ToolResult):
            results.append(event)
        elif isinstance(event, RunDone):
            calls = [m.get("tool_calls", ()) for m in event.result.messages if m["role"] == "assistant"]
            ids = [call["id"] for batch in calls for call in batch]
    return results, ids


@pytest.mark.anyio
async def test_every_answer_names_its_call_and_says_whether_it_failed(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(
        Reply(
            tool_calls=[
                ("double", {"x": 2}),
                ("nope", {}),
                ("double", '{"x": '),
                ("double", {"x": "two"}),
                ("boom", {}),
                ("mute", {}),
                ("fails_fast", {}),
                ("sleepy", {}),
                ("erase", {"path": "a.txt"}),
            ]
        ),
        Reply(content="done"),
    )
    tools = [double, boom, mute, fails_fast, sleepy, erase]
    agent = make_agent(tools=tools, approve=lambda name, args: False)
    results, ids = await answers(agent)
    assert [r.tool_call_id for r in results] == ids
    shown = [(r.name, r.is_error, r.content.splitlines()[0]) for r in results]
    assert shown == [
        ("double", False, "4"),
        ("nope", True, "Error: there is no tool named 'nope'. "
                       "Available tools: double, boom, mute, fails_fast, sleepy, erase."),
        ("double", True, shown[2][2]),
        ("double", True, "Error: Invalid arguments for tool 'double':"),
        ("boom", True, "Error: 'boom' raised ValueError: bad input"),
        ("mute", True, "Error: 'mute' raised ValueError"),
        ("fails_fast", True, "Error: 'fails_fast' raised LookupError: no such record"),
        ("sleepy", True, "Error: 'sleepy' timed out after 0.05 s."),
        ("erase", False, "The user did not approve this call to 'erase'; it was not run."),
    ]
    assert shown[2][2].startswith("Error: ") and "JSON" in shown[2][2]


@pytest.mark.anyio
async def test_an_agent_without_tools_says_so_to_a_model_that_calls_one(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(Reply(tool_calls=[("search", {"q": "x"})]), Reply(content="ok"))
    results, ids = await answers(make_agent())
    assert results == [
        ToolResult(ids[0], "search", "Error: there is no tool named 'search'. Available tools: none.", True)
    ]


@pytest.mark.anyio
async def test_the_final_answer_ends_the_response_and_the_other_calls_are_not_run(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(
        Reply(tool_calls=[("final_result", {"text": 1})]),  # invalid: the model is told, and tries again
        Reply(
            tool_calls=[
                ("double", {"x": 1}),
                ("final_result", {"text": "first"}),
                ("final_result", {"text": "second"}),
            ]
        ),
    )
    agent = make_agent(tools=[double], output_type=Answer)
    results, ids = await answers(agent)
    assert [r.tool_call_id for r in results] == ids
    assert [(r.name, r.is_error) for r in results] == [
        ("final_result", True),
        ("double", False),
        ("final_result", False),
        ("final_result", False),
    ]
    assert "text" in results[0].content
    assert [r.content for r in results[1:]] == [NOT_RUN, "Final answer received.", NOT_RUN]


@pytest.mark.anyio
async def test_a_tool_with_a_timeout_sees_its_own_call(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(tool_calls=[("whoami", {}), ("whoami", {})]), Reply(content="done"))
    results, ids = await answers(make_agent(tools=[whoami]))
    assert [r.content for r in results] == [f"{ids[0]} whoami", f"{ids[1]} whoami"]


in_flight = peak = 0
lock = threading.Lock()


@tool(timeout=5)
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


@pytest.mark.anyio
async def test_tool_threads_bound_blocking_tools_with_a_timeout_too(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    global peak
    peak = 0
    sim.script(Reply(tool_calls=[("blocking", {"n": n}) for n in range(3)]), Reply(content="done"))
    results, _ = await answers(make_agent(tools=[blocking], tool_threads=1))
    assert [r.content for r in results] == ["0", "1", "2"]
    assert peak == 1


class Recorder(Hook):
    """Sees every tool call of the runs it is given to; may answer some itself."""

    def __init__(self, answer: dict[str, str] | None = None, approve: bool | None = None) -> None:
        self.calls: list[tuple[str, str, str | None, str | None]] = []
        self.parents: list[RunInfo | None] = []
        self.answer, self.approve = answer or {}, approve

    def wrap_run(self, run: RunInfo, events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
        self.parents.append(run.parent)
        return events

    async def wrap_tool_call(
        self, call: ToolCallInfo, proceed: Callable[[], Awaitable[ToolResult]]
    ) -> ToolResult:
        name = call.call["function"]["name"]
        self.calls.append((call.call["id"], name, call.tool.name if call.tool else None, call.run.prompt))
        call.approval = self.approve
        if name in self.answer:
            return ToolResult(call.call["id"], name, self.answer[name])
        return await proceed()


@pytest.mark.anyio
async def test_hooks_see_each_call_and_may_answer_or_approve_it(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(
        Reply(tool_calls=[("double", {"x": 4}), ("boom", {}), ("erase", {"path": "b.txt"}), ("nope", {})]),
        Reply(content="done"),
    )
    hook = Recorder(answer={"boom": "answered by the hook"}, approve=True)
    asked: list[str] = []
    agent = make_agent(
        tools=[double, boom, erase], hooks=[hook], approve=lambda name, args: asked.append(name)
    )
    results, ids = await answers(agent, "Do it")
    assert sorted(hook.calls, key=lambda c: ids.index(c[0])) == [  # calls run concurrently
        (ids[0], "double", "double", "Do it"),
        (ids[1], "boom", "boom", "Do it"),
        (ids[2], "erase", "erase", "Do it"),
        (ids[3], "nope", None, "Do it"),
    ]
    assert [r.content.splitlines()[0] for r in results] == [
        "8",
        "answered by the hook",
        "erased b.txt",  # approved by the hook: the approve callback was not asked
        "Error: there is no tool named 'nope'. Available tools: double, boom, erase.",
    ]
    assert asked == []


class Decider(Recorder):
    def decides_approvals(self, run: RunInfo) -> bool:
        return True


@pytest.mark.anyio
@pytest.mark.parametrize("approve", [None, "defer"])
async def test_a_hook_that_decides_approvals_stands_in_for_the_approve_callback(
    sim: Simulator, make_agent: AgentFactory, approve: str | None
) -> None:
    """Without such a hook the run is refused at once (no callback) or stops for a person (defer)."""
    plain_hook = make_agent(tools=[erase], hooks=[Recorder(approve=True)], approve=approve)
    if approve is None:
        with pytest.raises(ApprovalRequiredError):
            await plain_hook.run("Erase a.txt")
    else:
        sim.script(Reply(tool_calls=[("erase", {"path": "a.txt"})]))
        stopped = await plain_hook.run("Erase a.txt")
        waiting = [(p.tool_name, p.arguments) for p in stopped.pending_approvals]
        assert waiting == [("erase", {"path": "a.txt"})]
    sim.script(Reply(tool_calls=[("erase", {"path": "b.txt"})]), Reply(content="done"))
    deciding_hook = make_agent(tools=[erase], hooks=[Decider(approve=True)], approve=approve)
    result = await deciding_hook.run("Erase b.txt")
    assert [m["content"] for m in result.messages if m["role"] == "tool"] == ["erased b.txt"]
    assert result.pending_approvals == [] and result.output == "done"


@pytest.mark.anyio
async def test_a_run_started_by_a_tool_is_the_child_of_the_calling_run(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    hook = Recorder()
    inner = make_agent(hooks=[hook])

    @tool
    async def delegate(task: str) -> str:
        """Hand a task to another agent."""
        return (await inner.run(task)).output

    sim.script(
        Reply(tool_calls=[("delegate", {"task": "sub task"})]), Reply(content="inner"), Reply(content="done")
    )
    outer = make_agent(tools=[delegate], hooks=[hook])
    result = await outer.run("main task")
    assert [m["content"] for m in result.messages if m["role"] == "tool"] == ["inner"]
    outer_run, inner_parent = hook.parents
    assert outer_run is None
    assert inner_parent is not None and inner_parent.prompt == "main task" and inner_parent.agent is outer

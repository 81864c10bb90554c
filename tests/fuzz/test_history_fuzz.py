"""Message-history assembly against random sequences of tool outcomes, through the Agent.

The model (the simulator, scripted) answers with random batches of tool calls whose outcomes are drawn
from: success, the tool raises, arguments that are not JSON, an unknown tool, a timeout, approval
refused, approval given. Whatever the mix, and whatever the retry budget, the run ends with the final
answer or with ToolRetriesExceeded, whichever the budget calls for (computed independently), and the
messages (and the session) keep the invariant: every call answered once, in order, with the answer its
outcome calls for; tools that must not run did not run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from hypothesis import HealthCheck, given, settings, strategies as st

from agentkit._agent import Agent
from agentkit._errors import ToolRetriesExceeded
from agentkit._events import RunDone
from agentkit._session import InMemorySession
from agentkit._tool import tool
from agentkit.sim import SIM_API_KEY, Reply, Simulator

Invariant = Callable[[list[dict[str, Any]]], None]

ran: list[int] = []


@tool
def ok(n: int) -> str:
    """Succeeds."""
    ran.append(n)
    return f"ok {n}"


@tool
def raises(n: int) -> str:
    """Fails."""
    raise ValueError(f"bad {n}")


@tool(timeout=0.01)
async def slow(n: int) -> str:
    """Never finishes in time."""
    await anyio.sleep(5)
    ran.append(n)
    return "late"


@tool(requires_approval=True)
def guarded(n: int) -> str:
    """Needs approval: even n are approved, odd n refused."""
    ran.append(n)
    return f"guarded {n}"


def approve(name: str, arguments: dict[str, Any]) -> bool:
    return bool(arguments["n"] % 2 == 0)


KINDS = ["success", "exception", "invalid-json", "unknown-tool", "timeout", "refused", "approved"]


def call_for(kind: str, n: int) -> tuple[str, dict[str, Any] | str]:
    """The call the model makes for an outcome; ``n`` is unique per call (even for ``approved``)."""
    calls: dict[str, tuple[str, dict[str, Any] | str]] = {
        "success": ("ok", {"n": n}),
        "exception": ("raises", {"n": n}),
        "invalid-json": ("ok", f'{{"n": {n}'),
        "unknown-tool": ("nope", {"n": n}),
        "timeout": ("slow", {"n": n}),
        "refused": ("guarded", {"n": n + 1}),
        "approved": ("guarded", {"n": n}),
    }
    return calls[kind]


def expected_answer(kind: str, n: int) -> str:
    return {
        "success": f"ok {n}",
        "exception": f"Error: 'raises' raised ValueError: bad {n}",
        "invalid-json": "not valid JSON",
        "unknown-tool": "there is no tool named 'nope'",
        "timeout": "Error: 'slow' timed out after 0.01 s.",
        "refused": "The user did not approve this call to 'guarded'; it was not run.",
        "approved": f"guarded {n}",
    }[kind]


FAILING_TOOL = {"exception": "raises", "invalid-json": "ok", "unknown-tool": "nope", "timeout": "slow"}
"""The tool whose retry budget an outcome charges; success and approval outcomes charge none."""


def batches_run(batches: list[list[str]], tool_retries: int) -> tuple[int, bool]:
    """How many batches the run answers, and whether it ends with ToolRetriesExceeded: a tool's failures
    count once per response, and the run stops after the response that takes one past the budget."""
    failures: dict[str, int] = {}
    for index, batch in enumerate(batches):
        for name in {FAILING_TOOL[kind] for kind in batch if kind in FAILING_TOOL}:
            failures[name] = failures.get(name, 0) + 1
        if any(count > tool_retries for count in failures.values()):
            return index + 1, True
    return len(batches), False


responses = st.lists(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4), max_size=4)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=responses, tool_retries=st.integers(0, 3), stream=st.booleans())
def test_any_sequence_of_tool_outcomes_keeps_the_history_consistent(
    assert_consistent: Invariant, batches: list[list[str]], tool_retries: int, stream: bool
) -> None:
    ran.clear()
    numbered = [[(kind, 2 * (10 * b + i)) for i, kind in enumerate(batch)] for b, batch in enumerate(batches)]
    sim = Simulator(seed=0)
    sim.script(*[Reply(tool_calls=[call_for(k, n) for k, n in batch]) for batch in numbered])
    sim.script(Reply(content="done"))
    session = InMemorySession()

    async def main() -> tuple[list[dict[str, Any]], Any, BaseException | None]:
        async with sim.http_client() as http:
            agent: Agent[Any, Any] = Agent(
                "deepseek-v4-flash",
                tools=[ok, raises, slow, guarded],
                approve=approve,
                tool_retries=tool_retries,
                http_client=http,
                base_url="http://sim",
                api_key=SIM_API_KEY,
            )
            try:
                if stream:
                    events = [event async for event in agent.run_stream("go", session=session)]
                    assert isinstance(events[-1], RunDone)
                    result = events[-1].result
                else:
                    result = await agent.run("go", session=session)
            except ToolRetriesExceeded as exc:
                return exc.messages, None, exc
            return result.messages, result.output, None

    messages, output, error = anyio.run(main)
    assert_consistent(messages)
    assert anyio.run(session.load) == messages

    tool_messages = [m["content"] for m in messages if m["role"] == "tool"]
    answered = [pair for batch in numbered for pair in batch][: len(tool_messages)]
    assert len(answered) == len(tool_messages)
    for (kind, n), content in zip(answered, tool_messages, strict=True):
        assert expected_answer(kind, n) in content, (kind, content)
    assert sorted(ran) == sorted(n for kind, n in answered if kind in ("success", "approved"))
    answered_batches, exceeded = batches_run(batches, tool_retries)
    assert (error is not None) == exceeded, (batches, tool_retries, error)
    assert len(tool_messages) == sum(map(len, batches[:answered_batches]))
    if exceeded:
        assert messages[-1]["role"] == "tool"  # it stopped right after answering the batch that ran out
    else:
        assert output == "done" and messages[-1]["role"] == "assistant"

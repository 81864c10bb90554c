"""``run_stream``: typed events in order, the last one ``RunDone`` with the result; the same
conversation as ``run``. Streams go over loopback (the simulator's real SSE framing)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from agentkit import (
    Agent,
    APIConnectionError,
    DeepSeekClient,
    ModelResponseDone,
    ReasoningDelta,
    ResponseRestarted,
    RunDone,
    StreamEvent,
    TextDelta,
    ToolArgumentsDelta,
    ToolCallStarted,
    ToolResult,
    tool,
)
from agentkit.sim import SIM_API_KEY, Reply, Simulator, serve

from .conftest import assert_every_call_answered


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Simulator, str]]:
    sim = Simulator(era="deepseek-v4")
    with serve(sim, host="127.0.0.1", port=0) as base_url:
        yield sim, base_url


def agent_on(base_url: str, **kwargs: Any) -> Agent:
    return Agent(model="deepseek-v4-flash", base_url=base_url, api_key=SIM_API_KEY, **kwargs)


@pytest.mark.anyio
async def test_stream_events(served: tuple[Simulator, str]) -> None:
    sim, base_url = served
    sim.script(
        Reply(reasoning="Need two lookups.", tool_calls=[("lookup", {"key": "a"}), ("lookup", {"key": "b"})]),
        Reply(reasoning="Got them.", content="a and b are known."),
    )
    events: list[StreamEvent] = [e async for e in agent_on(base_url, tools=[lookup]).run_stream("go")]

    assert isinstance(events[-1], RunDone)
    result = events[-1].result
    assert result.output == "a and b are known."
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "Need two lookups.Got them."
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "a and b are known."
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    assert [(e.name, e.index) for e in started] == [("lookup", 0), ("lookup", 1)]
    for call in started:
        arguments = "".join(
            e.delta
            for e in events
            if isinstance(e, ToolArgumentsDelta) and e.tool_call_id == call.tool_call_id
        )
        assert arguments in ('{"key": "a"}', '{"key": "b"}')
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [(r.tool_call_id, r.content) for r in results] == [
        (s.tool_call_id, f"value of {k}") for s, k in zip(started, "ab", strict=True)
    ]
    done = [e for e in events if isinstance(e, ModelResponseDone)]
    assert [d.finish_reason for d in done] == ["tool_calls", "stop"]
    assert all(d.usage is not None and d.usage.total_tokens > 0 for d in done)
    assert result.usage.requests == 2 and result.usage.tool_calls == 2
    assert_every_call_answered(result.messages)
    # order: reasoning, then the calls, their results after the first response, then the answer
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("ToolResult") > kinds.index("ModelResponseDone") > kinds.index("ToolCallStarted")
    assert kinds.index("TextDelta") > kinds.index("ToolResult")


@pytest.mark.anyio
async def test_stream_and_run_build_the_same_conversation(served: tuple[Simulator, str]) -> None:
    sim, base_url = served
    agent = agent_on(base_url, tools=[lookup], instructions="Be brief.")
    script = (
        Reply(reasoning="r", tool_calls=[("lookup", {"key": "k"})]),
        Reply(reasoning="", content="done"),
    )
    sim.script(*script)
    ran = await agent.run("go")
    sim.script(*script)
    streamed = [e async for e in agent.run_stream("go")][-1]
    assert isinstance(streamed, RunDone)

    def strip(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Ids differ per response; a streamed tool-call message assembles content "" where the
        non-streamed one has null (the client's assembler), which means the same to the API."""
        return [
            {
                **{k: v for k, v in m.items() if k not in ("tool_call_id", "tool_calls")},
                "content": m["content"] or None,
            }
            for m in messages
        ]

    assert strip(streamed.result.messages) == strip(ran.messages)
    assert streamed.result.messages[-1] == {"role": "assistant", "content": "done", "reasoning_content": ""}


@pytest.mark.anyio
async def test_a_stream_broken_midway_is_restarted(served: tuple[Simulator, str]) -> None:
    sim, base_url = served
    sim.script(Reply(content="This answer will be cut off."), Reply(content="The whole answer."))
    sim.inject("drop;after=3")
    client = DeepSeekClient(api_key=SIM_API_KEY, base_url=base_url)
    client.retry = dataclasses.replace(client.retry, base_delay=0.01)
    events = [e async for e in agent_on(base_url, client=client).run_stream("go")]

    restarts = [e for e in events if isinstance(e, ResponseRestarted)]
    assert [(e.attempt, type(e.error)) for e in restarts] == [(1, APIConnectionError)]
    after = events[events.index(restarts[0]) :]
    assert "".join(e.text for e in after if isinstance(e, TextDelta)) == "The whole answer."
    assert isinstance(events[-1], RunDone)
    assert events[-1].result.messages == [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": "The whole answer.", "reasoning_content": ""},
    ]

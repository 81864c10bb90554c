"""Sessions: each completed step is appended (the prompt with the first answer; instructions never,
they belong to the agent that runs); a process killed between steps resumes with every message it had
finished, and the simulator (strict V4 rules) accepts the resumed conversation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from agentkit import InMemorySession, ModelResponseDone, SQLiteSession, UserError, tool
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory, HeldTool, assert_every_call_answered

CHILD = textwrap.dedent(
    """
    import sys, anyio
    from agentkit import Agent, SQLiteSession, tool
    from agentkit.sim import SIM_API_KEY, Reply, Simulator

    @tool
    def lookup(key: str) -> str:
        \"\"\"Look a key up.\"\"\"
        return f"value of {key}"

    class Reporting(SQLiteSession):
        steps = 0

        async def append(self, messages):
            await super().append(messages)
            Reporting.steps += 1
            print(f"STEP {Reporting.steps} {len(messages)}", flush=True)
            if Reporting.steps == 2:
                await anyio.sleep(30)  # killed here, between two steps

    async def main():
        sim = Simulator(era="deepseek-v4")
        sim.script(
            Reply(reasoning="first", tool_calls=[("lookup", {"key": "a"}), ("lookup", {"key": "b"})]),
            Reply(reasoning="", tool_calls=[("lookup", {"key": "c"})]),
            Reply(content="never reached"),
        )
        agent = Agent(model="deepseek-v4-flash", tools=[lookup], instructions="Be brief.",
                      http_client=sim.http_client(), base_url="http://sim", api_key=SIM_API_KEY)
        await agent.run("Look up a, b, then c.", session=Reporting(sys.argv[1], session_id="chat"))

    anyio.run(main)
    """
)


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


@pytest.mark.anyio
async def test_killed_between_steps_resumes_without_loss(tmp_path: Path, make_agent: AgentFactory) -> None:
    db = tmp_path / "chat.sqlite3"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(db)], stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    assert child.stdout is not None
    lines = []
    for line in child.stdout:
        lines.append(line.strip())
        if line.startswith("STEP 2"):
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert lines == ["STEP 1 4", "STEP 2 2"]  # [user, assistant, 2 tools], [assistant, tool]

    session = SQLiteSession(db, session_id="chat")
    saved = await session.load()
    assert [m["role"] for m in saved] == ["user", "assistant", "tool", "tool", "assistant", "tool"]
    assert saved[1]["reasoning_content"] == "first" and saved[4]["reasoning_content"] == ""
    assert_every_call_answered(saved)

    sim = Simulator(era="deepseek-v4")  # a fresh server: the whole conversation comes from the session
    sim.script(Reply(reasoning="done", content="a, b and c are known."))
    result = await make_agent(sim, tools=[lookup], instructions="Be brief.").run(session=session)
    assert result.output == "a, b and c are known."
    system = {"role": "system", "content": "Be brief."}
    assert result.messages[: len(saved) + 1] == [system, *saved]
    assert await session.load() == result.messages[1:]
    sent = sim.requests[0].json
    assert sent is not None and sent["messages"] == [system, *saved]  # reasoning kept, "" included


@pytest.mark.anyio
async def test_session_receives_each_step_and_continues(sim: Simulator, make_agent: AgentFactory) -> None:
    session = InMemorySession()
    appended: list[int] = []
    original = session.append

    async def spy(messages: list[dict[str, object]]) -> None:
        appended.append(len(messages))
        await original(messages)

    session.append = spy  # type: ignore[method-assign]
    agent = make_agent(tools=[lookup])
    sim.script(Reply(tool_calls=[("lookup", {"key": "a"})]), Reply(content="a is known."))
    await agent.run("Look up a.", session=session)
    sim.script(Reply(content="Nothing else."))
    second = await agent.run("Anything else?", session=session)
    assert appended == [3, 1, 2]  # [user, assistant, tool], [assistant], [user, assistant]
    assert [m["role"] for m in second.messages] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
    ]
    assert second.new_messages() == second.messages[4:]
    with pytest.raises(UserError, match="history= or session="):
        await agent.run("x", session=session, history=[])


@pytest.mark.anyio
async def test_a_session_takes_one_run_at_a_time(sim: Simulator, make_agent: AgentFactory) -> None:
    """Two runs at once on one session would interleave their steps into one garbled conversation (two
    answers in a row, each after the other's question): the run started earlier raises instead of
    writing, and the session holds the later run's conversation whole."""
    slow_lookup = HeldTool("slow_lookup")
    agent = make_agent(tools=[lookup, slow_lookup.tool])
    session = InMemorySession()
    sim.script(
        Reply(tool_calls=[("slow_lookup", {"key": "a"})]),
        Reply(tool_calls=[("lookup", {"key": "b"})]),
        Reply(content="b is known."),
    )
    async def first() -> None:
        with pytest.raises(UserError, match="another run started on this run's session"):
            await agent.run("Look up a.", session=session)

    async with anyio.create_task_group() as group:
        group.start_soon(first)
        await slow_lookup.started.wait()
        assert (await agent.run("Look up b.", session=session)).output == "b is known."
        slow_lookup.release.set()
    saved = await session.load()
    assert [(m["role"], m.get("content")) for m in saved] == [
        ("user", "Look up b."),
        ("assistant", None),
        ("tool", "value of b"),
        ("assistant", "b is known."),
    ]


@pytest.mark.anyio
async def test_a_stream_left_unread_cannot_write_after_a_later_run(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    """Stopping reading a ``run_stream`` and running again on the session is fine; the stream, if read
    on afterwards, raises rather than appending its step after the later run's."""
    agent = make_agent(tools=[lookup])
    session = InMemorySession()
    sim.script(Reply(tool_calls=[("lookup", {"key": "a"})]), Reply(content="Hi."))
    stream = agent.run_stream("Look up a.", session=session)
    async for event in stream:
        if isinstance(event, ModelResponseDone):
            break  # the tool call is about to run
    assert (await agent.run("Hello.", session=session)).output == "Hi."
    with pytest.raises(UserError, match="another run started"):
        async for _ in stream:
            pass
    assert [m["role"] for m in await session.load()] == ["user", "assistant"]

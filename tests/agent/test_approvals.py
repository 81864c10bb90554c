"""Deferred approvals: ``approve="defer"`` stops a run with the calls that wait for a person, and a later
run on the same history or session (in another process too) goes on with the decisions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentkit import ApprovalRequest, Denied, RunDone, SQLiteSession, ToolResult, UserError, tool
from agentkit.sim import SIM_API_KEY, Reply, Simulator, serve

from .conftest import AgentFactory, assert_every_call_answered

deleted: list[str] = []
listed: list[str] = []


@tool(requires_approval=True)
def delete_file(path: str) -> str:
    """Delete a file."""
    deleted.append(path)
    return f"deleted {path}"


@tool
def list_files() -> list[str]:
    """List the files."""
    listed.append("listed")
    return ["a.txt", "b.txt"]


@pytest.fixture(autouse=True)
def _clean() -> None:
    deleted.clear()
    listed.clear()


def requests_sent(sim: Simulator) -> list[dict[str, Any]]:
    bodies = [r.json for r in sim.requests]
    assert all(b is not None for b in bodies)
    return [b for b in bodies if b is not None]


CALLS = Reply(
    tool_calls=[("list_files", {}), ("delete_file", {"path": "a.txt"}), ("delete_file", {"path": "b.txt"})]
)


@pytest.mark.anyio
async def test_a_run_stops_before_any_call_with_the_pending_requests(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(CALLS)
    result = await make_agent(tools=[list_files, delete_file]).run("Clean up.", approve="defer")
    calls = result.messages[-1]["tool_calls"]
    assert result.output is None
    assert result.pending_approvals == [
        ApprovalRequest(calls[1]["id"], "delete_file", {"path": "a.txt"}),
        ApprovalRequest(calls[2]["id"], "delete_file", {"path": "b.txt"}),
    ]
    assert [m["role"] for m in result.messages] == ["user", "assistant"]
    assert deleted == [] and listed == []  # nothing ran, not even the call needing no approval
    assert len(sim.requests) == 1


@pytest.mark.anyio
async def test_a_later_run_goes_on_with_the_decisions(sim: Simulator, make_agent: AgentFactory) -> None:
    agent = make_agent(tools=[list_files, delete_file], approve="defer")
    sim.script(CALLS, Reply(content="Deleted a.txt, kept b.txt."))
    stopped = await agent.run("Clean up.")
    first, second = (request.tool_call_id for request in stopped.pending_approvals)

    result = await agent.run(history=stopped.messages, decisions={first: True, second: Denied("b is needed")})
    assert result.output == "Deleted a.txt, kept b.txt."
    assert deleted == ["a.txt"] and listed == ["listed"]
    answers = [m for m in result.messages if m["role"] == "tool"]
    assert [a["content"] for a in answers] == [
        '["a.txt","b.txt"]',
        "deleted a.txt",
        "The user did not approve this call to 'delete_file'; it was not run. Reason: b is needed",
    ]
    assert result.new_messages()[0] == answers[0]  # this run's messages start with the answers
    assert result.usage.requests == 1 and result.pending_approvals == []
    sent = requests_sent(sim)[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool", "tool"]
    assert [m["content"] for m in sent[2:]] == [a["content"] for a in answers]
    assert_every_call_answered(sent)  # every answer, in the order of the calls


@pytest.mark.anyio
async def test_undecided_calls_stop_the_run_again_without_a_request(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    agent = make_agent(tools=[list_files, delete_file], approve="defer")
    sim.script(CALLS)
    stopped = await agent.run("Clean up.")
    first, second = stopped.pending_approvals
    again = await agent.run(history=stopped.messages, decisions={first.tool_call_id: True})
    assert again.pending_approvals == [second]
    assert again.messages == stopped.messages and again.new_messages() == []
    assert deleted == [] and len(sim.requests) == 1


@pytest.mark.anyio
async def test_a_new_prompt_instead_of_decisions_closes_the_calls(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    agent = make_agent(tools=[list_files, delete_file], approve="defer")
    sim.script(CALLS, Reply(content="Fine, nothing deleted."))
    stopped = await agent.run("Clean up.")
    result = await agent.run("Never mind.", history=stopped.messages)
    assert result.output == "Fine, nothing deleted."
    assert deleted == [] and listed == []
    sent = requests_sent(sim)[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool", "tool", "user"]
    assert {m["content"] for m in sent if m["role"] == "tool"} == {
        "Not run: the user sent a new message instead of deciding whether this call may run."
    }
    assert_every_call_answered(sent)


@pytest.mark.anyio
async def test_decisions_for_calls_that_do_not_wait_are_refused(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    agent = make_agent(tools=[list_files, delete_file], approve="defer")
    with pytest.raises(UserError, match=r"decisions for unknown tool calls \['call_x'\]: no tool call waits"):
        await agent.run(history=[{"role": "user", "content": "hi"}], decisions={"call_x": True})
    sim.script(CALLS)
    stopped = await agent.run("Clean up.")
    with pytest.raises(UserError, match=r"unknown tool calls \['call_x'\]: the waiting calls are \["):
        await agent.run(history=stopped.messages, decisions={"call_x": True})
    with pytest.raises(UserError, match="pass them with prompt=None"):
        await agent.run("and now?", history=stopped.messages, decisions={"call_x": True})


@pytest.mark.anyio
async def test_a_streamed_run_ends_with_the_pending_requests(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(CALLS)
    events = [e async for e in make_agent(tools=[list_files, delete_file]).run_stream("go", approve="defer")]
    assert not any(isinstance(e, ToolResult) for e in events)
    done = events[-1]
    assert isinstance(done, RunDone) and len(done.result.pending_approvals) == 2


@pytest.mark.anyio
async def test_a_callback_still_decides_the_calls_without_a_decision(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    asked: list[dict[str, Any]] = []

    def approve(name: str, arguments: dict[str, Any]) -> bool:
        asked.append(arguments)
        return True

    sim.script(CALLS, Reply(content="done"))
    agent = make_agent(tools=[list_files, delete_file])
    stopped = await agent.run("Clean up.", approve="defer")
    first = stopped.pending_approvals[0].tool_call_id
    await agent.run(history=stopped.messages, approve=approve, decisions={first: False})
    assert asked == [{"path": "b.txt"}] and deleted == ["b.txt"]


SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from agentkit import Agent, Denied, SQLiteSession, tool

    @tool(requires_approval=True)
    def delete_file(path: str) -> str:
        '''Delete a file.'''
        Path(path).unlink()
        return f"deleted {path}"

    agent = Agent(model="deepseek-v4-flash", tools=[delete_file], approve="defer")
    session = SQLiteSession(sys.argv[1], session_id="ticket-7")
    if sys.argv[2] == "ask":
        result = agent.run_sync("Delete old.txt and keep.txt.", session=session)
        print(json.dumps([[r.tool_call_id, r.arguments["path"]] for r in result.pending_approvals]))
    else:
        pending = json.loads(sys.argv[3])
        decisions = {call: True if path == "old.txt" else Denied("still used") for call, path in pending}
        print(agent.run_sync(session=session, decisions=decisions).output)
    """
)


def test_a_deferred_approval_resumes_from_a_session_in_a_new_process(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x")
    (tmp_path / "keep.txt").write_text("y")
    sim = Simulator()
    sim.script(
        Reply(tool_calls=[("delete_file", {"path": "old.txt"}), ("delete_file", {"path": "keep.txt"})]),
        Reply(content="old.txt is gone; keep.txt stays."),
    )
    with serve(sim, host="127.0.0.1", port=0) as base_url:
        env = {**os.environ, "DEEPSEEK_BASE_URL": base_url, "DEEPSEEK_API_KEY": SIM_API_KEY}

        def run(*args: str) -> str:
            done = subprocess.run([sys.executable, "-c", SCRIPT, "chat.db", *args], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            return done.stdout.strip()

        pending = run("ask")
        assert [path for _, path in json.loads(pending)] == ["old.txt", "keep.txt"]
        assert (tmp_path / "old.txt").exists()  # nothing ran before the decision
        assert run("decide", pending) == "old.txt is gone; keep.txt stays."
    assert not (tmp_path / "old.txt").exists() and (tmp_path / "keep.txt").exists()
    stored = anyio.run(SQLiteSession(tmp_path / "chat.db", session_id="ticket-7").load)
    assert [m["role"] for m in stored] == ["user", "assistant", "tool", "tool", "assistant"]
    assert stored[3]["content"].endswith("Reason: still used")
    assert_every_call_answered(stored)

"""A stdio server that dies: killed mid-call, or exiting in a call. The run goes on with an error message
for the model, the next call starts the server again (up to ``max_restarts``), and connections are shared
and held as documented."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentkit import tool
from agentkit.mcp import MCPServer, MCPServerError
from agentkit.sim import Reply, Simulator

from .conftest import PYTHON, SERVERS, AgentFactory, tool_messages

pytestmark = pytest.mark.anyio
CRASHY = str(SERVERS / "crashy.py")


async def _kill_when_hanging(pid_file: Path) -> int:
    while True:
        try:
            pid = int(pid_file.read_text())
            break
        except (FileNotFoundError, ValueError):
            await anyio.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    return pid


@pytest.mark.parametrize("held", [True, False], ids=["agent-entered", "per-run"])
async def test_killing_the_server_mid_run(
    held: bool, tmp_path: Path, make_agent: AgentFactory, sim: Simulator
) -> None:
    pid_file = tmp_path / "pid"
    server = MCPServer.stdio(PYTHON, [CRASHY], env={"PID_FILE": str(pid_file)}, name="crashy")
    sim.script(
        Reply(tool_calls=[("hang", {})]),
        Reply(content="It crashed."),
        Reply(tool_calls=[("pid", {})]),
        Reply(content="Ok."),
    )
    agent = make_agent(tools=[server])
    async with anyio.create_task_group() as tasks:
        if held:
            await agent.__aenter__()
        killed: list[int] = []
        tasks.start_soon(lambda: _record(killed, _kill_when_hanging(pid_file)))
        first = await agent.run("Hang.")
        second = await agent.run("What is your process id?")
        await agent.aclose()
    restart = "it will be started again for the next call"
    assert tool_messages(first.messages) == [
        "Error: 'hang' raised MCPServerError: the MCP server 'crashy' closed the connection during the call "
        f"(it crashed, exited or went away); {restart}"
    ]
    assert first.output == "It crashed."
    assert int(tool_messages(second.messages)[0]) not in killed
    assert second.output == "Ok."


async def _record(into: list[int], pid: object) -> None:
    into.append(await pid)  # type: ignore[misc]


async def test_restarts_are_limited(make_agent: AgentFactory, sim: Simulator) -> None:
    server = MCPServer.stdio(PYTHON, [CRASHY], name="crashy", max_restarts=1)
    sim.script(
        Reply(tool_calls=[("die", {})]),
        Reply(tool_calls=[("die", {})]),
        Reply(tool_calls=[("pid", {})]),
        Reply(content="Gave up."),
    )
    agent = make_agent(tools=[server], tool_retries=5)
    async with agent:
        result = await agent.run("Die twice.")
    closed = (
        "Error: 'die' raised MCPServerError: the MCP server 'crashy' closed the connection during the call "
        "(it crashed, exited or went away); "
    )
    assert tool_messages(result.messages) == [
        closed + "it will be started again for the next call",
        closed + "it was restarted once already and will not be again",
        "Error: 'pid' raised MCPServerError: the MCP server 'crashy' stopped and was restarted once already; "
        "it is not started again until it is closed and reopened",
    ]
    sim.script(Reply(tool_calls=[("pid", {})]), Reply(content="Back."))
    assert int(tool_messages((await agent.run("Pid?")).messages)[-1]) > 0  # reopened: restarts counted anew


async def test_one_process_per_opening(make_agent: AgentFactory, sim: Simulator) -> None:
    server = MCPServer.stdio(PYTHON, [CRASHY])
    agent = make_agent(tools=[server])

    def pid_then_answer(request: dict[str, Any]) -> Reply:  # runs may interleave: answer by the request
        if request["messages"][-1]["role"] == "tool":
            return Reply(content="Ok.")
        return Reply(tool_calls=[("pid", {})])

    async def pid_of_a_run() -> int:
        sim.script(pid_then_answer, pid_then_answer)
        return int(tool_messages((await agent.run("Pid?")).messages)[0])

    async with agent:  # held open across runs
        held = {await pid_of_a_run(), await pid_of_a_run()}
    apart = {await pid_of_a_run(), await pid_of_a_run()}  # each run opens and closes it
    assert len(held) == 1 and len(apart) == 2 and not held & apart

    pids: list[int] = []
    async with anyio.create_task_group() as tasks:  # concurrent runs share one opening
        for _ in range(3):
            tasks.start_soon(lambda: _record(pids, pid_of_a_run()))
    assert len(pids) == 3 and len(set(pids)) == 1


async def test_a_server_that_cannot_start_is_a_clear_error(make_agent: AgentFactory, sim: Simulator) -> None:
    broken = MCPServer.stdio(PYTHON, ["-c", "raise SystemExit(1)"], name="broken")
    with pytest.raises(MCPServerError, match="could not connect to the MCP server 'broken': "):
        await make_agent(tools=[broken]).run("Hello")
    silent = MCPServer.stdio(
        PYTHON, ["-c", "import time; time.sleep(60)"], name="silent", connect_timeout=0.5
    )
    slow = r"'silent': TimeoutError: no answer within 0\.5 s; if it is slow to start, raise its connect_"
    with pytest.raises(MCPServerError, match=slow + "timeout$"):
        await make_agent(tools=[silent]).run("Hello")
    assert sim.requests == []


async def test_a_run_cancelled_while_the_server_starts_leaves_no_process(
    tmp_path: Path, make_agent: AgentFactory
) -> None:
    pid_file = tmp_path / "pid"
    starts_slowly = (
        "import os, pathlib, time; pathlib.Path(os.environ['PID_FILE']).write_text(str(os.getpid())); "
        "time.sleep(60)"
    )
    server = MCPServer.stdio(PYTHON, ["-c", starts_slowly], env={"PID_FILE": str(pid_file)})
    agent = make_agent(tools=[server])
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(agent.run, "Hello")
        while not pid_file.exists() or not pid_file.read_text():
            await anyio.sleep(0.02)
        tasks.cancel_scope.cancel()
    pid = int(pid_file.read_text())
    with anyio.fail_after(20):  # generous: the SDK closes stdin, then terminates, then kills
        while _running(pid):
            await anyio.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie waiting to be reaped is gone too
        return stat.read().split()[2] != "Z"


async def test_a_run_started_inside_async_with_agent_keeps_its_servers_until_it_ends(
    make_agent: AgentFactory, sim: Simulator
) -> None:
    """A run started while the agent is entered (a request a web app is still serving when its lifespan
    ends) holds the servers too: leaving ``async with agent`` closes them only once that run is done."""
    left = anyio.Event()

    @tool
    async def wait_for_the_agent_to_be_left() -> str:
        """Waits until the test has left ``async with agent``."""
        await left.wait()
        return "left"

    server = MCPServer.stdio(PYTHON, [CRASHY], name="crashy")
    agent = make_agent(tools=[server, wait_for_the_agent_to_be_left])
    sim.script(
        Reply(tool_calls=[("wait_for_the_agent_to_be_left", {})]),
        Reply(tool_calls=[("pid", {})]),
        Reply(content="Done."),
    )
    results: list[Any] = []

    async def run() -> None:
        results.append(await agent.run("Wait, then tell me your process id."))

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tasks:
            async with agent:
                tasks.start_soon(run)
                while not sim.requests:  # the run has listed the tools and asked the model
                    await anyio.sleep(0.01)
            left.set()
        (result,) = results
        answers = tool_messages(result.messages)
        assert answers[0] == "left" and answers[1].isdigit(), answers
        while _running(int(answers[1])):  # closed by the run, the last one out
            await anyio.sleep(0.05)

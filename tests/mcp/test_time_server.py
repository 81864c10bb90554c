"""mcp-server-time (the reference server, from PyPI) over stdio: its tools with its own schemas, and a
real answer through a run on the simulator."""

from __future__ import annotations

import json
import threading

import anyio
import pytest
from mcp import Client, StdioServerParameters

from agentkit import Agent, ToolCallStarted, ToolResult, UserError
from agentkit.mcp import MCPServer, MCPServerError
from agentkit.sim import SIM_API_KEY, Simulator

from .conftest import PYTHON, AgentFactory, tool_messages

pytestmark = pytest.mark.anyio
TIME_SERVER = [PYTHON, "-m", "mcp_server_time", "--local-timezone", "Asia/Shanghai"]


async def test_tools_come_with_the_servers_own_schemas() -> None:
    clock = MCPServer.stdio(TIME_SERVER[0], TIME_SERVER[1:])
    async with clock:
        tools = await clock.list_tools()
        assert await clock.list_tools() is tools  # cached: the same list object
    async with Client(StdioServerParameters(command=TIME_SERVER[0], args=TIME_SERVER[1:]), cache=None) as sdk:
        listed = (await sdk.list_tools()).tools
    assert [t.name for t in tools] == [t.name for t in listed] == ["get_current_time", "convert_time"]
    for ours, theirs in zip(tools, listed, strict=True):
        assert ours.schema == {
            "type": "function",
            "function": {
                "name": theirs.name,
                "description": theirs.description,
                "parameters": theirs.input_schema,
            },
        }
        assert not ours.strict


async def test_a_run_gets_the_real_time(make_agent: AgentFactory, sim: Simulator) -> None:
    clock = MCPServer.stdio(TIME_SERVER[0], TIME_SERVER[1:], prefix="time")
    agent = make_agent(tools=[clock])
    events = [
        event async for event in agent.run_stream("What is the current time in the timezone Asia/Tokyo?")
    ]
    result = events[-1].result  # type: ignore[attr-defined]

    started = [e for e in events if isinstance(e, ToolCallStarted)]
    finished = [e for e in events if isinstance(e, ToolResult)]
    assert [e.name for e in started] == [e.name for e in finished] == ["time_get_current_time"]
    assert not finished[0].is_error
    answer = json.loads(tool_messages(result.messages)[0])  # the server's structuredContent, compact
    assert answer["timezone"] == "Asia/Tokyo" and answer["datetime"].endswith("+09:00")
    assert set(answer) == {"timezone", "datetime", "day_of_week", "is_dst"}
    assert result.usage.tool_calls == 1 and result.usage.requests == 2
    assert answer["datetime"] in result.output
    offered = sim.requests[0].json["tools"]  # type: ignore[index]
    assert [t["function"]["name"] for t in offered] == ["time_get_current_time", "time_convert_time"]


async def test_an_agent_held_open_on_one_loop_runs_on_another_too(make_agent: AgentFactory) -> None:
    """A connection belongs to its event loop: run_sync (agentkit's background loop) opens its own while
    the agent holds one open here; the server itself says which loops have it open."""
    clock = MCPServer.stdio(TIME_SERVER[0], TIME_SERVER[1:], prefix="time")
    agent = make_agent(tools=[clock])
    question = "What is the current time in the timezone Asia/Tokyo?"
    with anyio.fail_after(60):
        async with agent:
            here = await agent.run(question)
            there = await anyio.to_thread.run_sync(agent.run_sync, question, abandon_on_cancel=True)
            with pytest.raises(UserError, match=r"open on another event loop only: .* open it \(`async"):
                await anyio.to_thread.run_sync(anyio.run, clock.list_tools, abandon_on_cancel=True)
            assert len(await clock.list_tools()) == 2  # still open here
    for result in (here, there):
        assert json.loads(tool_messages(result.messages)[0])["timezone"] == "Asia/Tokyo"
    with pytest.raises(UserError, match=r"open the MCP server .* first"):
        await clock.list_tools()


def test_agents_held_open_on_two_loops_at_once_each_close_their_own() -> None:
    """Two threads, each with its own loop, both inside ``async with agent`` at the same time: each
    opens and closes its own connection; afterwards the server is open nowhere."""
    clock = MCPServer.stdio(TIME_SERVER[0], TIME_SERVER[1:], prefix="time")
    sim = Simulator()
    agent = Agent(tools=[clock], api_key=SIM_API_KEY, base_url="http://sim", http_client=sim.http_client())
    both_in = threading.Barrier(2, timeout=60)
    outputs: list[str] = []

    async def hold_and_run() -> None:
        async with agent:
            await anyio.to_thread.run_sync(both_in.wait)
            result = await agent.run("What is the current time in the timezone Asia/Tokyo?")
            outputs.append(json.loads(tool_messages(result.messages)[0])["timezone"])
            await anyio.to_thread.run_sync(both_in.wait)  # neither leaves before the other has run

    threads = [threading.Thread(target=anyio.run, args=(hold_and_run,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outputs == ["Asia/Tokyo", "Asia/Tokyo"]
    with pytest.raises(UserError, match=r"open the MCP server .* first"):
        anyio.run(clock.list_tools)


async def test_a_server_that_fails_to_start_is_left_open_nowhere() -> None:
    broken = MCPServer.stdio(PYTHON, ["-c", "import sys; sys.exit(1)"], connect_timeout=20)
    for _ in range(2):
        with pytest.raises(MCPServerError):
            async with broken:
                pass
    with pytest.raises(UserError, match=r"open the MCP server .* first"):
        await broken.list_tools()

"""mcp-server-time (the reference server, from PyPI) over stdio: its tools with its own schemas, and a
real answer through a run on the simulator."""

from __future__ import annotations

import json

import pytest
from mcp import Client, StdioServerParameters

from agentkit import ToolCallStarted, ToolResult
from agentkit.mcp import MCPServer
from agentkit.sim import Simulator

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

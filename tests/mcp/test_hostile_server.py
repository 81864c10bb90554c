"""A server that misbehaves in ways no SDK server would (``servers/hostile.py``): it hangs on a request,
or answers with what MCP does not allow. The run gets a clear error or a short tool message, never a hang
or pydantic's dump of the server's answer."""

from __future__ import annotations

import anyio
import pytest

from agentkit.mcp import MCPServer, MCPServerError
from agentkit.sim import Reply, Simulator

from .conftest import PYTHON, SERVERS, AgentFactory, tool_messages

pytestmark = pytest.mark.anyio
HOSTILE = str(SERVERS / "hostile.py")


def hostile(behaviour: str, **options: object) -> MCPServer:
    return MCPServer.stdio(PYTHON, [HOSTILE, behaviour], name="hostile", **options)  # type: ignore[arg-type]


async def test_a_server_that_never_lists_its_tools_times_out(
    make_agent: AgentFactory, sim: Simulator
) -> None:
    agent = make_agent(tools=[hostile("hang-list", connect_timeout=1)])
    with anyio.fail_after(30), pytest.raises(MCPServerError) as caught:
        await agent.run("Hello")
    assert str(caught.value) == (
        "the MCP server 'hostile' did not list its tools within 1 s; if it is slow to start, raise its "
        "connect_timeout"
    )
    assert sim.requests == []


async def test_a_server_that_exits_while_listing_is_restarted_as_documented() -> None:
    server = hostile("exit-on-list", max_restarts=1)
    failures = []
    async with server:
        for _ in range(3):
            with pytest.raises(MCPServerError) as caught:
                await server.list_tools()
            failures.append(str(caught.value))
    closed = (
        "the MCP server 'hostile' closed the connection while listing its tools (it crashed, exited or went "
        "away); "
    )
    assert failures == [
        closed + "it will be started again for the next call",
        closed + "it was restarted once already and will not be again",
        "the MCP server 'hostile' stopped and was restarted once already; it is not started again until it "
        "is closed and reopened",
    ]


async def test_names_the_api_would_refuse_are_left_out_with_the_reason() -> None:
    server = hostile("long-names", prefix="toolbox")
    async with server:
        assert [t.name for t in await server.list_tools()] == ["toolbox_echo"]
    reason = "its name for the model has {} characters, and the API accepts 1 to 64; a shorter prefix "
    reason += "may fit it"
    assert server.refused == {"y" * 60: reason.format(68), "z" * 70: reason.format(78)}


async def test_a_tool_list_that_is_not_valid_mcp_is_a_clear_error(
    make_agent: AgentFactory, sim: Simulator
) -> None:
    with pytest.raises(MCPServerError) as caught:
        await make_agent(tools=[hostile("bad-list")]).run("Hello")
    assert str(caught.value) == (
        "the MCP server 'hostile' sent a tool list that is not valid MCP: tools.1.inputSchema: Field required"
    )
    assert sim.requests == []


async def test_a_result_that_is_not_valid_mcp_is_a_short_tool_message(
    make_agent: AgentFactory, sim: Simulator
) -> None:
    sim.script(Reply(tool_calls=[("echo", {"text": "hi"})]), Reply(content="It failed."))
    result = await make_agent(tools=[hostile("bad-result")]).run("Echo hi.")
    assert tool_messages(result.messages) == [
        "Error: 'echo' raised MCPToolError: the server's answer is not valid MCP (13 errors, the first: "
        "content.0.TextContent.text: Field required)"
    ]

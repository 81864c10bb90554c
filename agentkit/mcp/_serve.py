"""Serving agentkit tools to any MCP client over stdio (what ``agentkit mcp serve`` runs).

The server lists each tool with the very schema the model sees (``Tool.schema``: strict-converted when the
tool is strict), and answers a call the way the agent answers one: arguments read by
``Tool.parse_arguments``, the tool run with its own timeout, the result as ``Tool.serialize`` writes it.
Bad arguments, an exception or a timeout come back as an error result (``isError``) whose text tells the
caller what went wrong, never as a protocol error. It is built on the SDK's low-level ``Server``, not on
its decorator API, because that would derive its own schemas from the functions.
"""

from __future__ import annotations

from typing import Any

import anyio
from mcp import types
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server

from .. import __version__
from .._context import RunContext
from .._errors import ToolArgumentError
from .._toolset import Toolset


def tool_server(toolset: Toolset, name: str = "agentkit") -> Server[Any]:
    """An MCP server offering the tools of ``toolset``."""
    listing = types.ListToolsResult(
        tools=[
            types.Tool(
                name=tool.name,
                description=tool.description or None,
                input_schema=tool.schema["function"]["parameters"],
            )
            for tool in toolset
        ]
    )

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return listing

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        return await _call(toolset, params.name, params.arguments or {})

    return Server(name, version=__version__, on_list_tools=list_tools, on_call_tool=call_tool)


async def _call(toolset: Toolset, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    tool = toolset.get(name)
    if tool is None:
        known = ", ".join(t.name for t in toolset)
        return _error(f"There is no tool named {name!r}. Available tools: {known}.")
    context = RunContext(deps=None, tool_name=name) if tool.takes_context else None
    timeout = tool.timeout
    try:
        values = tool.parse_arguments(arguments)
        with anyio.move_on_after(timeout if timeout is not None else float("inf")) as deadline:
            result = await tool.call(values, context)
    except ToolArgumentError as exc:
        return _error(str(exc))
    except Exception as exc:
        return _error(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    if deadline.cancelled_caught:
        return _error(f"{name!r} timed out after {timeout:g} s.")
    return types.CallToolResult(content=[types.TextContent(type="text", text=tool.serialize(result))])


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


async def serve_stdio(toolset: Toolset) -> None:
    """Serve ``toolset`` on this process's stdin and stdout until the client closes stdin."""
    server = tool_server(toolset)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())

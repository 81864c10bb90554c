"""Streamable-HTTP MCP servers built with the SDK's ``MCPServer`` (FastMCP in SDK 1.x), served by the tests.

``build(legacy=...)`` makes the main test server. With ``legacy=True`` it answers ``server/discover``
advertising only handshake-era protocol versions (as go-sdk's stateful default does), so clients fall
back to the ``initialize`` handshake: the era where list changes come as plain notifications.
"""

# No `from __future__ import annotations`: the SDK reads the tools' annotations at run time.
import base64
from typing import Annotated, Any

import anyio
from mcp import types
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Resolve, Sample
from mcp.types.version import HANDSHAKE_PROTOCOL_VERSIONS

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(92)).decode()


def ask(topic: str) -> Sample:
    """The sampling request of ``haiku``."""
    prompt = types.TextContent(type="text", text=f"Write a haiku about {topic}.")
    return Sample(
        [types.SamplingMessage(role="user", content=prompt)], max_tokens=60, system_prompt="Be brief."
    )


def build(*, legacy: bool = False) -> MCPServer:
    server = MCPServer("test-http")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    def explode(reason: str) -> str:
        """Always fails."""
        raise ValueError(f"exploded because {reason}")

    @server.tool()
    async def slow(seconds: float) -> str:
        """Sleep, then answer."""
        await anyio.sleep(seconds)
        return "finally"

    @server.tool()
    async def grow(ctx: Context) -> str:
        """Add a tool named extra, and tell the clients the list changed."""

        def extra(x: int) -> int:
            """Double x."""
            return 2 * x

        server.add_tool(extra, name="extra")
        if ctx.protocol_version in HANDSHAKE_PROTOCOL_VERSIONS:
            await ctx.session.send_tool_list_changed()
        else:
            await ctx.notify_tools_changed()
        return "added extra"

    @server.tool()
    def whoami(ctx: Context) -> str:
        """The Authorization header of the request."""
        return (ctx.headers or {}).get("authorization", "none")

    @server.tool(structured_output=False)
    def media() -> list[Any]:
        """Text, an image, an embedded text resource, an embedded binary resource and a link."""
        return [
            types.TextContent(type="text", text="Here is the chart."),
            types.ImageContent(type="image", data=PNG, mime_type="image/png"),
            types.EmbeddedResource(
                type="resource",
                resource=types.TextResourceContents(
                    uri="file:///notes.txt", mime_type="text/plain", text="a note"
                ),
            ),
            types.EmbeddedResource(
                type="resource",
                resource=types.BlobResourceContents(
                    uri="file:///data.bin", blob=base64.b64encode(bytes(5)).decode()
                ),
            ),
            types.ResourceLink(
                type="resource_link", uri="https://example.com/r", name="report", mime_type="text/html"
            ),
        ]

    @server.tool()
    async def haiku(topic: str, answer: Annotated[types.CreateMessageResult, Resolve(ask)]) -> str:
        """A haiku, written by the client's own model (sampling)."""
        text = answer.content.text if isinstance(answer.content, types.TextContent) else "?"
        return f"{answer.model} wrote: {text}"

    @server.tool(name="notes.search")
    def search_notes(text: str) -> str:
        """A name with a dot, which DeepSeek's API does not accept."""
        return f"no notes about {text}"

    @server.tool()
    def configure(options: dict[str, Any], name: str = "default") -> str:
        """Takes a free-form mapping (not strict-compatible)."""
        return f"{name}: {sorted(options)}"

    if legacy:

        async def discover(ctx: Any, params: Any) -> types.DiscoverResult:
            return types.DiscoverResult(
                supported_versions=list(HANDSHAKE_PROTOCOL_VERSIONS), capabilities=types.ServerCapabilities()
            )

        server._lowlevel_server.add_request_handler("server/discover", types.RequestParams, discover)
    return server


def crowded(count: int) -> MCPServer:
    """A server with ``count`` tools, tool_0 ... tool_{count-1}."""
    server = MCPServer("crowded")
    for i in range(count):
        server.add_tool(lambda: "ok", name=f"tool_{i}", description=f"Tool number {i}.")
    return server

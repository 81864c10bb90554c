"""A stdio MCP server whose one tool asks the client's model for its answer (sampling)."""

# No `from __future__ import annotations`: the SDK reads the tool's annotations at run time.
from typing import Annotated

from mcp import types
from mcp.server import MCPServer
from mcp.server.mcpserver.resolve import Resolve, Sample

server = MCPServer("sampling")


def ask(topic: str) -> Sample:
    prompt = types.TextContent(type="text", text=f"Write a haiku about {topic}.")
    return Sample([types.SamplingMessage(role="user", content=prompt)], max_tokens=60)


@server.tool()
async def haiku(topic: str, answer: Annotated[types.CreateMessageResult, Resolve(ask)]) -> str:
    """A haiku, written by the client's own model."""
    text = answer.content.text if isinstance(answer.content, types.TextContent) else "?"
    return f"{answer.model} wrote: {text}"


if __name__ == "__main__":
    server.run("stdio")

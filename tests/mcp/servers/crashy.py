"""A stdio MCP server (the SDK's MCPServer) that can be killed mid-call: ``hang`` writes the process id to
the file named by ``$PID_FILE`` and then waits; ``die`` exits the process in the middle of its call."""

from __future__ import annotations

import os
import pathlib

import anyio
from mcp.server import MCPServer

server = MCPServer("crashy")


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool()
async def hang() -> str:
    """Wait (almost) forever."""
    pathlib.Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
    await anyio.sleep(3600)
    return "never"


@server.tool()
def die() -> str:
    """Exit the server process in the middle of the call."""
    os._exit(3)


if __name__ == "__main__":
    server.run()

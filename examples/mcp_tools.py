"""MCP servers as tools: the reference time server and agentkit's own math tools served over MCP, in one
agent next to a plain Python tool.

    pip install 'agentkit[mcp]' mcp-server-time
    python examples/mcp_tools.py

Both servers run as subprocesses (stdio) for as long as the agent is entered (``async with agent``), and
their tool calls stream like any other. Runs on DeepSeek when DEEPSEEK_API_KEY is set, otherwise on the
bundled simulator (the first line says which).
"""

from __future__ import annotations

import sys

import anyio
from _backend import backend

from agentkit import Agent, RunDone, ToolResult, tool
from agentkit.mcp import MCPServer


@tool
def city_timezone(city: str) -> str:
    """The IANA timezone of a city.

    Args:
        city: City name, e.g. "Tokyo".
    """
    zones = {"tokyo": "Asia/Tokyo", "hangzhou": "Asia/Shanghai", "paris": "Europe/Paris"}
    return zones.get(city.lower(), "unknown")


async def main() -> None:
    clock = MCPServer.stdio(sys.executable, ["-m", "mcp_server_time"], prefix="time")
    served = ["-m", "agentkit", "mcp", "serve", "--tools", "math"]  # agentkit's own tools, over MCP
    math = MCPServer.stdio(sys.executable, served, prefix="math")
    agent = Agent(
        model="deepseek-chat",
        tools=[city_timezone, clock, math],
        instructions="You are a concise assistant. Use the tools; call them in parallel when you can.",
    )
    async with agent:  # both servers start once here, and stay up for every run inside
        print("tools:", ", ".join(t.name for t in [*await clock.list_tools(), *await math.list_tools()]))
        prompt = "What is the current time in the timezone Asia/Tokyo, and calculate 2**32 for me."
        async for event in agent.run_stream(prompt):
            if isinstance(event, ToolResult):  # MCP tools stream like any tool
                print(f"  tool call: {event.name} -> {event.content}")
            elif isinstance(event, RunDone):
                print(f"answer: {event.result.output}")
                usage = event.result.usage
                calls = f"{usage.requests} requests, {usage.tool_calls} tool calls"
                print(f"usage: {calls}, cost ${usage.cost:.6f}")


if __name__ == "__main__":
    with backend():
        anyio.run(main)

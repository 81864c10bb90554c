"""A tool source (``ToolSource``: an MCP server, or one of yours) whose tools change between runs: every
run offers the tools the source lists at its start."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import pytest

from agentkit import RunContext, Tool, ToolSource
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory

pytestmark = pytest.mark.anyio


class Versions:
    """Offers one tool, ``tool_v{version}``; ``change()`` makes a new version (a new list, as the
    protocol asks, the old one dropped)."""

    def __init__(self) -> None:
        self.version = 0
        self.tools = self._tools()

    def change(self) -> None:
        self.version += 1
        self.tools = self._tools()

    def _tools(self) -> list[Tool[..., Any]]:
        async def answer(ctx: RunContext[Any], arguments: dict[str, Any]) -> str:
            return "ok"

        return [Tool.from_schema(f"tool_v{self.version}", {"type": "object"}, answer)]

    async def __aenter__(self) -> Versions:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def list_tools(self) -> list[Tool[..., Any]]:
        return self.tools


async def test_each_run_offers_the_sources_current_tools(make_agent: AgentFactory, sim: Simulator) -> None:
    source = Versions()
    assert isinstance(source, ToolSource)
    agent = make_agent(tools=[source])
    offered: list[list[str]] = []
    for changes in range(1, 7):  # several changes between runs: a dropped list's memory gets reused
        for _ in range(changes):
            source.change()
        sim.script(Reply(content="Ok."))
        await agent.run("Hello")
        offered.append([t["function"]["name"] for t in sim.requests[-1].json["tools"]])  # type: ignore[index]
    assert offered == [["tool_v1"], ["tool_v3"], ["tool_v6"], ["tool_v10"], ["tool_v15"], ["tool_v21"]]

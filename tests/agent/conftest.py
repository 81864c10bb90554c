"""Agent tests run on asyncio and trio, against the simulator in process (``sim.http_client``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from agentkit import Agent, Tool, tool
from agentkit.sim import SIM_API_KEY, Simulator


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sim() -> Simulator:
    return Simulator(era="deepseek-v4")


AgentFactory = Callable[..., Agent[Any, Any]]


@pytest.fixture
def make_agent(sim: Simulator) -> AgentFactory:
    """``make_agent(**agent_kwargs)``: an Agent wired to the ``sim`` fixture in process."""

    def make(sim_: Simulator | None = None, **kwargs: Any) -> Agent[Any, Any]:
        target = sim_ or sim
        kwargs.setdefault("model", "deepseek-v4-flash")
        return Agent(http_client=target.http_client(), base_url="http://sim", api_key=SIM_API_KEY, **kwargs)

    return make


def assert_every_call_answered(messages: list[dict[str, Any]]) -> None:
    """The invariant: each assistant tool_calls message is followed by one tool answer per id."""
    for i, message in enumerate(messages):
        if message["role"] != "assistant" or not message.get("tool_calls"):
            continue
        ids = [call["id"] for call in message["tool_calls"]]
        answers = [m["tool_call_id"] for m in messages[i + 1 : i + 1 + len(ids)] if m["role"] == "tool"]
        assert answers == ids, (ids, answers)


class HeldTool:
    """A tool ``name(key)`` that says when a call has started and answers only once released: a run
    caught in the middle of a tool call."""

    def __init__(self, name: str) -> None:
        self.started, self.release = anyio.Event(), anyio.Event()

        async def held(key: str) -> str:
            """Look a key up, slowly."""
            self.started.set()
            await self.release.wait()
            return f"value of {key}"

        self.tool: Tool = tool(held, name=name)

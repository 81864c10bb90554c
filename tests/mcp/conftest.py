"""MCP tests: real servers nobody here wrote (mcp-server-time, mcp-server-fetch, servers built with the SDK),
real clients (the SDK's, Pydantic AI's), agents on the simulator in process; on asyncio and trio."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from agentkit import Agent
from agentkit.sim import SIM_API_KEY, Simulator

SERVERS = Path(__file__).parent / "servers"
PYTHON = sys.executable


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sim() -> Simulator:
    return Simulator(era="deepseek-v4")


AgentFactory = Callable[..., Agent[Any, Any]]


@pytest.fixture
def make_agent(sim: Simulator) -> AgentFactory:
    """``make_agent(tools=[...], **kwargs)``: an Agent on the ``sim`` fixture, in process."""

    def make(**kwargs: Any) -> Agent[Any, Any]:
        kwargs.setdefault("model", "deepseek-v4-flash")
        return Agent(http_client=sim.http_client(), base_url="http://sim", api_key=SIM_API_KEY, **kwargs)

    return make


@contextmanager
def serve_asgi(app: Any, port: int = 0, timeout: float = 20.0) -> Iterator[str]:
    """Run an ASGI app (with its lifespan) with uvicorn on 127.0.0.1 in a daemon thread; yield its URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tool_messages(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "tool"]

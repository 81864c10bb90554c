"""Fixtures for the client tests: a client wired to a scripted ``httpx.MockTransport``, no real sleeps."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from client_wire import API_KEY, Server, Sleeps

from agentkit._client import DeepSeekClient


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """The client runs on both backends anyio supports."""
    return str(request.param)


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(server: Server, sleeps: Sleeps) -> AsyncIterator[DeepSeekClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server.handler))
    client = DeepSeekClient(api_key=API_KEY, http_client=http)
    client.retry.sleep = sleeps
    client.retry.random = lambda: 0.5
    yield client
    await http.aclose()

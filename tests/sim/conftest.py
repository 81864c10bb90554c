"""Fixtures for the simulator tests: an in-process client and a uvicorn-served simulator."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from agentkit.sim import Simulator, serve


@pytest.fixture
def sim() -> Simulator:
    return Simulator()


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with sim.http_client() as client:
        yield client


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Simulator, str]]:
    """One uvicorn-served simulator per test module (starting a server per test would be slow)."""
    simulator = Simulator()
    with serve(simulator) as base_url:
        yield simulator, base_url

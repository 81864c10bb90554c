"""Fixtures of the fault suite; the rig itself is in ``fault_rig.py`` (importable by mypy too)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fault_rig import Gate, Rig, Served

from agentkit._session import SQLiteSession
from agentkit.sim import Simulator, serve


@pytest.fixture(scope="session")
def gate_server() -> Iterator[tuple[Gate, str]]:
    """One uvicorn server for the whole fault suite (a server per test would cost a thread start)."""
    gate = Gate()
    with serve(cast(Simulator, Served(gate))) as base_url:
        yield gate, base_url


@pytest.fixture(params=["httpx", "aiohttp"])
def transport(request: pytest.FixtureRequest) -> str:
    """Every fault test holds on both HTTP transports agentkit's clients use (``_transport``)."""
    return str(request.param)


@pytest.fixture
def rig(gate_server: tuple[Gate, str], tmp_path: Path, transport: str) -> Rig:
    gate, url = gate_server
    sim = Simulator(era="deepseek-v4", seed=0)
    gate.reset(sim)
    return Rig(sim, gate, url, SQLiteSession(tmp_path / "session.db"), transport=transport)


@pytest.fixture(params=[False, True], ids=["run", "stream"])
def stream(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)

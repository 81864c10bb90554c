"""Durable runs: DBOS on a throwaway SQLite file, the simulator on loopback, child processes that die.

Crash tests run the durable program in a child process (``durable_child.py``, the CLI) so that it can
really die (``os._exit``, ``kill -9``) and a new process can resume it; the simulator stays in the test
process, which counts the requests it answered.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit.durable import shutdown
from agentkit.sim import SIM_API_KEY, Simulator, serve

CHILD = Path(__file__).with_name("durable_child.py")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sim() -> Simulator:
    return Simulator(seed=7)  # fixed ids, so a resumed run can be compared with a fresh one byte for byte


@pytest.fixture
def sim_url(sim: Simulator) -> Iterator[str]:
    with serve(sim) as url:
        yield url


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'durable.sqlite'}"


@pytest.fixture(autouse=True)
def _stop_dbos() -> Iterator[None]:
    """DBOS is one per process: each test starts its own (on its own file) and stops it."""
    yield
    shutdown()


@pytest.fixture
def child_env(sim_url: str) -> dict[str, str]:
    """The environment of a child process talking to the ``sim`` fixture."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEPSEEK_", "DBOS"))}
    env.update(DEEPSEEK_API_KEY=SIM_API_KEY, DEEPSEEK_BASE_URL=sim_url, PYTHONUNBUFFERED="1")
    return env


Child = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def child(child_env: dict[str, str], tmp_path: Path) -> Child:
    """``child(scenario, workflow_id)``: run ``durable_child.py`` to its end (or its death)."""

    def run(scenario: str, workflow_id: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(CHILD), scenario, str(tmp_path), workflow_id],
            env=child_env, capture_output=True, text=True, timeout=60, **kwargs,
        )

    return run

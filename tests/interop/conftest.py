"""The interop suite: ``agentkit sim`` started as its command, on loopback, once per era, and driven by
clients nobody here wrote (the openai SDK, the OpenAI Agents SDK, Pydantic AI, litellm), each set up the
way its own docs show. A failure here is either a simulator divergence or the real API's own answer,
asserted with the real text."""

from __future__ import annotations

import importlib
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

# litellm fetches its model price map from the internet at import unless told to use the copy it ships
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

# litellm's import quiets and filters loggers for the whole process (httpx to WARNING, among others);
# the suite's own logging tests run in the same process, so that is undone right after the import.
_LITELLM_LOGGERS = (
    "httpx",
    "asyncio",
    "backoff",
    "uvicorn.error",
    "uvicorn.access",
    "apscheduler.executors.default",
    "apscheduler.scheduler",
)


def import_litellm() -> ModuleType:
    """``import litellm``, leaving every logger as it found it."""
    saved = {
        name: (logging.getLogger(name).level, list(logging.getLogger(name).filters))
        for name in _LITELLM_LOGGERS
    }
    module = importlib.import_module("litellm")
    for name, (level, filters) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.filters[:] = filters
    module.telemetry = False
    return module


ERAS = ["deepseek-r1", "deepseek-v3.2", "deepseek-v4"]
KEY = "sk-agentkit-sim"
Server = Callable[[str], str]


def _start(era: str) -> tuple[subprocess.Popen[str], str]:
    """``agentkit sim --port 0 --era ERA``; returns the process and the base URL it prints."""
    command = [str(Path(sys.executable).with_name("agentkit")), "sim", "--port", "0", "--era", era]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=30)
        except queue.Empty:
            process.kill()
            raise RuntimeError(f"agentkit sim --era {era} printed no base URL in 30 s") from None
        if "DEEPSEEK_BASE_URL=" in line:
            return process, line.split("=", 1)[1].strip()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """``server(era)``: the base URL of an ``agentkit sim`` process for that era (one per era)."""
    running: dict[str, tuple[subprocess.Popen[str], str]] = {}

    def url(era: str) -> str:
        if era not in running:
            running[era] = _start(era)
        return running[era][1]

    yield url
    for process, _ in running.values():
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(params=ERAS)
def era(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def base_url(server: Server, era: str) -> str:
    return server(era)

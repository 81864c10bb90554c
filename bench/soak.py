"""Soak: 1,000 agent runs, 100 at a time, against the simulator over loopback, 10% of requests faulted.

The simulator runs in its own process (``python -m agentkit.sim --port 0``, its default tool-calling
policy answering). Every request the agents send gets, with probability ``--fault-rate``, an
``X-Sim-Fault`` header drawn from the simulator's faults (429, 500, 503, empty bodies, drops before and
in the middle of a response, stalls, keep-alives, latency, invalid or truncated tool arguments,
insufficient_system_resource). Runs alternate between ``run`` and ``run_stream`` and keep their
conversation in one shared SQLite file (a session id per run).

After each run, the messages it returned (or its typed error carried) are compared with the session on
disk (a message missing or different there is *lost*) and checked for tool calls without an answer
(*dangling*). Both must be 0. The run is bounded in count (``--runs``) and time (``--deadline``).
Usage: ``.venv/bin/python bench/soak.py [--runs 1000] [--concurrency 100] [--fault-rate 0.1] [--seed 0]``
"""

from __future__ import annotations

import argparse
import collections
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
import httpx

from agentkit._agent import Agent
from agentkit._client import DeepSeekClient
from agentkit._errors import AgentkitError
from agentkit._events import RunDone
from agentkit._retry import RetryPolicy
from agentkit._session import SQLiteSession
from agentkit._tool import tool
from agentkit.sim import SIM_API_KEY

FAULTS = [
    "429;retry_after=0.05",
    "500",
    "503",
    "empty-body",
    "drop;after=0",
    "drop;after=3",
    "stall;after=2;seconds=3",
    "keepalive;seconds=0.3;interval=0.1",
    "latency;seconds=0.2",
    "invalid-args",
    "truncated-args",
    "insufficient-system-resource",
]
CITIES = ["Paris", "Berlin", "Tokyo", "Lima", "Oslo", "Cairo", "Quito", "Hanoi"]


@tool
async def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: City name, e.g. "Paris".
    """
    await anyio.sleep(0.01)
    if city.lower().startswith("q"):
        raise RuntimeError(f"the weather service has no data for {city}")
    return f"{city}: 18 C, light wind"


@tool
def convert_temperature(celsius: float, unit: Literal["fahrenheit", "kelvin"] = "fahrenheit") -> str:
    """Convert a temperature in Celsius to Fahrenheit or Kelvin."""
    return f"{celsius * 9 / 5 + 32:.1f} F" if unit == "fahrenheit" else f"{celsius + 273.15:.2f} K"


@dataclass
class Tally:
    completed: int = 0
    typed_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    other_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    lost: int = 0
    dangling: int = 0
    empty_answers: int = 0
    requests: int = 0
    faulted: int = 0
    times: list[float] = field(default_factory=list)


def dangling_calls(messages: list[dict[str, Any]]) -> int:
    """Tool calls not answered by the tool messages right after their assistant message."""
    count = 0
    for i, message in enumerate(messages):
        calls = (
            [c["id"] for c in message.get("tool_calls") or ()] if message.get("role") == "assistant" else []
        )
        answers = collections.Counter(
            m.get("tool_call_id") for m in messages[i + 1 : i + 1 + len(calls)] if m.get("role") == "tool"
        )
        count += sum((collections.Counter(calls) - answers).values())
    return count


def lost_messages(returned: list[dict[str, Any]], stored: list[dict[str, Any]]) -> int:
    """Messages of the run's result that are not on disk as they are (missing, or different)."""
    same = sum(1 for a, b in zip(returned, stored, strict=False) if a == b)
    return len(returned) - same + max(0, len(stored) - len(returned))


async def one_run(index: int, client: DeepSeekClient, db: Path, tally: Tally) -> None:
    session = SQLiteSession(db, session_id=f"run-{index}", timeout=30)
    rng = random.Random(index)
    cities = rng.sample(CITIES, rng.randint(1, 3))
    prompt = f"What is the weather in {' and '.join(cities)}?"
    agent: Agent[Any, Any] = Agent(
        "deepseek-v4-flash", tools=[get_weather, convert_temperature], client=client, max_turns=8
    )
    started = time.perf_counter()
    messages: list[dict[str, Any]]
    try:
        with anyio.fail_after(60):
            if index % 2:
                result = None
                async for event in agent.run_stream(prompt, session=session):
                    if isinstance(event, RunDone):
                        result = event.result
                assert result is not None
            else:
                result = await agent.run(prompt, session=session)
        messages = result.messages
        tally.completed += 1
        tally.empty_answers += not result.output
    except AgentkitError as exc:
        tally.typed_errors[type(exc).__name__] += 1
        messages = getattr(exc, "messages", [])
    except Exception as exc:  # a bug: neither an answer nor a typed error
        tally.other_errors[f"{type(exc).__name__}: {exc}"[:120]] += 1
        messages = []
    tally.times.append(time.perf_counter() - started)
    stored = await session.load()
    tally.lost += lost_messages(messages, stored)
    tally.dangling += dangling_calls(messages) + dangling_calls(stored)


async def soak(base_url: str, args: argparse.Namespace, db: Path) -> tuple[Tally, int, float]:
    tally = Tally()
    rng = random.Random(args.seed)

    async def maybe_fault(request: httpx.Request) -> None:
        tally.requests += 1
        if rng.random() < args.fault_rate:
            tally.faulted += 1
            request.headers["X-Sim-Fault"] = rng.choice(FAULTS)

    http = httpx.AsyncClient(
        timeout=httpx.Timeout(10.0),
        limits=httpx.Limits(max_connections=args.concurrency * 2, max_keepalive_connections=args.concurrency),
        event_hooks={"request": [maybe_fault]},
    )
    client = DeepSeekClient(api_key=SIM_API_KEY, base_url=base_url, http_client=http, stream_idle_timeout=1.5)
    client.retry = RetryPolicy(max_retries=3, base_delay=0.05, max_delay=0.5)
    limiter = anyio.Semaphore(args.concurrency)
    started = 0

    async def gated(index: int) -> None:
        async with limiter:
            await one_run(index, client, db, tally)

    began = time.perf_counter()
    async with http:
        with anyio.move_on_after(args.deadline):
            async with anyio.create_task_group() as tg:
                for index in range(args.runs):
                    await limiter.acquire()  # start no more than can run: a deadline leaves none half-queued
                    limiter.release()
                    tg.start_soon(gated, index)
                    started += 1
    return tally, started, time.perf_counter() - began


def peak_rss_mb(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def report(tally: Tally, started: int, elapsed: float, args: argparse.Namespace, server_mb: float) -> None:
    times = sorted(tally.times)
    finished = len(times)
    print(
        f"soak: {args.runs} agent runs, {args.concurrency} at a time, simulator over loopback (own process)"
    )
    print(
        f"  requests sent: {tally.requests}, faulted: {tally.faulted} "
        f"({100 * tally.faulted / max(tally.requests, 1):.1f}%), wall time {elapsed:.1f} s"
    )
    print(f"  runs started: {started}, finished: {finished}")
    print(f"  completed: {tally.completed} (of which {tally.empty_answers} with an empty answer)")
    typed = ", ".join(f"{name} {n}" for name, n in tally.typed_errors.most_common()) or "none"
    print(f"  failed with a typed error: {sum(tally.typed_errors.values())} ({typed})")
    print(f"  failed otherwise (bugs): {sum(tally.other_errors.values())}")
    for text, n in tally.other_errors.most_common(5):
        print(f"    {n} x {text}")
    print(f"  lost messages: {tally.lost}")
    print(f"  dangling tool calls: {tally.dangling}")
    if times:
        p99 = times[min(finished - 1, round(0.99 * (finished - 1)))]
        print(f"  run time: p50 {statistics.median(times) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    print(f"  peak memory (max RSS): agents {peak_rss_mb():.0f} MB, simulator {server_mb:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds before no new run starts")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "agentkit.sim", "--port", "0", "--seed", str(args.seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(3)]
        base_url = lines[1].split("=", 1)[1].strip()
        with tempfile.TemporaryDirectory() as folder:
            tally, started, elapsed = anyio.run(soak, base_url, args, Path(folder) / "sessions.db")
        server_mb = peak_rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    report(tally, started, elapsed, args, server_mb)
    ok = tally.lost == 0 and tally.dangling == 0 and not tally.other_errors and started == args.runs
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

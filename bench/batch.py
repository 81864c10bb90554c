"""A durable batch against plain ``asyncio.gather``: throughput ratio, and the cost of one checkpoint.

1,000 prompts (one model request each) on the simulator answering after 50 ms, ``--concurrency`` at a
time: once with ``asyncio.gather`` and a semaphore, once as a durable batch (``DurableAgent.batch``: a
DBOS queue, every request checkpointed, every answer written to a file as it finishes) on SQLite. The
simulator runs in its own process, so only the client side is compared.

A third pass runs the durable batch with a second worker process on the same database (the scale-out
that plain ``asyncio.gather`` lacks). A fourth runs DBOS alone: as many workflows, ``--concurrency`` at a
time, each of one step that only waits as long as the simulator (no agentkit, no HTTP, started directly
rather than from a queue): the most any DBOS-based batch can reach in this process, and so the ceiling
of the durable batch's ratio on this machine. A fifth runs the same prompts through Pydantic AI's own
DBOS integration (``DBOSDurability``: each run a workflow, each model request a step), ``--concurrency`` at a
time with ``asyncio.gather`` and a semaphore (it has no batch of its own), when Pydantic AI is installed
(``pip install -e '.[bench]'``). The checkpoint cost is measured apart: one run of 20 tool rounds
(41 steps: 21 model requests and 20 tool calls) against an in-process simulator without latency, durable
minus plain, per step.

Usage: ``.venv/bin/python bench/batch.py [--prompts 1000] [--concurrency 16] [--latency 0.05]
[--database sqlite:///... | postgresql://...]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from dbos import DBOS, SetWorkflowID

from agentkit import Agent, tool
from agentkit.durable import DurableAgent
from agentkit.sim import SIM_API_KEY, Reply, Simulator

ROUNDS = 20


@tool
def step(n: int) -> int:
    """Return n."""
    return n


@DBOS.workflow(name="bench.dbos_alone")
async def waiting_workflow(seconds: float) -> None:
    """DBOS's own cost: a workflow of one step that stands in for a model request."""
    await DBOS.run_step_async({"name": "wait"}, asyncio.sleep, seconds)


def rounds_script(sim: Simulator) -> None:
    sim.script(*[Reply(tool_calls=[("step", {"n": i})]) for i in range(ROUNDS)], Reply(content="done"))


async def durable_batch(
    durable: DurableAgent[None, str], prompts: list[str], concurrency: int, out: Path
) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    report = await durable.batch(prompts, output=out, concurrency=concurrency, progress=False)
    assert report.done == len(prompts), report
    return time.perf_counter() - started, time.process_time() - cpu


async def dbos_alone(count: int, concurrency: int, latency: float) -> tuple[float, float]:
    gate = asyncio.Semaphore(concurrency)
    stamp = time.time_ns()

    async def one(i: int) -> None:
        async with gate:
            with SetWorkflowID(f"bench-alone-{stamp}-{i}"):
                handle = await DBOS.start_workflow_async(waiting_workflow, latency)
            await handle.get_result()

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(i) for i in range(count)))
    return time.perf_counter() - started, time.process_time() - cpu


async def checkpoint_cost(
    plain_agent: Agent[None, str], durable: DurableAgent[None, str], sim: Simulator
) -> float:
    """Seconds per step that durability adds to a sequential run (best of 5 each)."""
    plain_times, durable_times = [], []
    for i in range(5):
        rounds_script(sim)
        started = time.perf_counter()
        await plain_agent.run("Count.")
        plain_times.append(time.perf_counter() - started)
        rounds_script(sim)
        started = time.perf_counter()
        await durable.run("Count.", workflow_id=f"rounds-{i}")
        durable_times.append(time.perf_counter() - started)
    return (min(durable_times) - min(plain_times)) / (2 * ROUNDS + 1)


def pydantic_ai_durable(base_url: str) -> Callable[[str], Awaitable[object]] | None:
    """Pydantic AI's durable agent on the simulator, run in a workflow of its own as its docs show
    (registered before DBOS launches)."""
    try:
        from pydantic_ai import Agent as PydanticAgent
        from pydantic_ai.durable_exec.dbos import DBOSDurability
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider
    except ImportError:
        return None
    provider = OpenAIProvider(base_url=f"{base_url}/v1", api_key=SIM_API_KEY)
    agent = PydanticAgent(OpenAIChatModel("deepseek-chat", provider=provider), name="bench_pydantic_ai",
                          capabilities=[DBOSDurability()])

    @DBOS.workflow(name="bench.pydantic_ai")
    async def run(prompt: str) -> str:
        return (await agent.run(prompt)).output

    return run


async def gathered(run: Callable[[str], Awaitable[object]], prompts: list[str],
                   concurrency: int) -> tuple[float, float]:
    gate = asyncio.Semaphore(concurrency)

    async def one(prompt: str) -> None:
        async with gate:
            await run(prompt)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(p) for p in prompts))
    return time.perf_counter() - started, time.process_time() - cpu


def batch_agent(base_url: str, database: str) -> DurableAgent[None, str]:
    agent = Agent(api_key=SIM_API_KEY, base_url=base_url)
    return DurableAgent(agent, name="bench-batch", database_url=database)


async def worker(base_url: str, database: str) -> None:
    """A second worker process on the batch's queue."""
    durable = batch_agent(base_url, database)
    await durable.launch("second-worker")
    print("ready", flush=True)
    await durable.work()


def second_worker(base_url: str, database: str) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, __file__, "--worker", database, base_url],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    return process


async def bench(base_url: str, args: argparse.Namespace, folder: Path) -> None:
    prompts = [f"Summarise ticket {i} in one line." for i in range(args.prompts)]
    database = args.database or f"sqlite:///{folder / 'bench.sqlite'}"
    sim = Simulator()
    plain_agent = Agent(api_key=SIM_API_KEY, base_url=base_url)
    durable = batch_agent(base_url, database)
    rounds = Agent(tools=[step], api_key=SIM_API_KEY, base_url="http://sim", http_client=sim.http_client(),
                   max_turns=ROUNDS + 1)
    durable_rounds = DurableAgent(Agent(tools=[step], api_key=SIM_API_KEY, base_url="http://sim",
                                        http_client=sim.http_client(), max_turns=ROUNDS + 1),
                                  name="bench-rounds", database_url=database)
    pydantic_ai = pydantic_ai_durable(base_url)
    await durable.launch()
    await gathered(plain_agent.run, prompts[:32], args.concurrency)  # warm up: connections, imports
    plain_seconds, plain_cpu = await gathered(plain_agent.run, prompts, args.concurrency)
    one = folder / "one.jsonl"
    durable_seconds, durable_cpu = await durable_batch(durable, prompts, args.concurrency, one)
    alone_seconds, alone_cpu = await dbos_alone(len(prompts), args.concurrency, args.latency)
    if pydantic_ai is not None:
        await gathered(pydantic_ai, prompts[:32], args.concurrency)
        pai_seconds, pai_cpu = await gathered(pydantic_ai, prompts, args.concurrency)
    per_step = await checkpoint_cost(rounds, durable_rounds, sim)
    helper = second_worker(base_url, database)
    try:
        two_seconds, _ = await durable_batch(durable, prompts, args.concurrency, folder / "two.jsonl")
    finally:
        helper.send_signal(signal.SIGINT)
        helper.wait(timeout=30)
    n = len(prompts)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{n} prompts, {args.concurrency} at a time, {args.latency * 1000:.0f} ms per response, "
          f"{database.split(':', 1)[0]} (load average {load}):")
    print(f"  plain asyncio.gather: {n / plain_seconds:6.1f} prompts/s ({plain_seconds:.2f} s, "
          f"{plain_cpu / n * 1000:.1f} ms CPU a prompt)")
    print(f"  durable batch:        {n / durable_seconds:6.1f} prompts/s ({durable_seconds:.2f} s, "
          f"{durable_cpu / n * 1000:.1f} ms CPU a prompt)")
    print(f"  ratio durable/plain:  {plain_seconds / durable_seconds:.2f}x")
    print(f"  DBOS alone (ceiling): {n / alone_seconds:6.1f} prompts/s ({alone_seconds:.2f} s, "
          f"{alone_cpu / n * 1000:.1f} ms CPU a workflow; ratio {plain_seconds / alone_seconds:.2f}x, "
          f"durable batch at {alone_seconds / durable_seconds:.2f}x of it)")
    if pydantic_ai is not None:
        print(f"  Pydantic AI on DBOS:   {n / pai_seconds:6.1f} prompts/s ({pai_seconds:.2f} s, "
              f"{pai_cpu / n * 1000:.1f} ms CPU a prompt; ratio {plain_seconds / pai_seconds:.2f}x)")
    print(f"  durable, 2 processes: {n / two_seconds:6.1f} prompts/s ({two_seconds:.2f} s; "
          f"ratio {plain_seconds / two_seconds:.2f}x)")
    steps = 2 * ROUNDS + 1
    print(f"  checkpoint cost:      {per_step * 1000:.2f} ms per step (sequential run, {steps} steps)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds before each response")
    parser.add_argument("--database", help="DBOS database URL (default: a fresh SQLite file)")
    parser.add_argument("--worker", nargs=2, metavar=("DATABASE", "BASE_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(worker(args.worker[1], args.worker[0]))
        return 0
    server = subprocess.Popen([sys.executable, "-m", "agentkit.sim", "--port", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base_url = [server.stdout.readline() for _ in range(3)][1].split("=", 1)[1].strip()
        latency = {"fault": f"latency;seconds={args.latency}", "times": None}
        httpx.post(f"{base_url}/_sim/faults", json=latency,
                   headers={"Authorization": f"Bearer {SIM_API_KEY}"}).raise_for_status()
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(bench(base_url, args, Path(folder)))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())

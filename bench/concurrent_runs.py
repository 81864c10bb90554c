"""Many agent runs at once over real loopback sockets: N runs with C in flight against a canned server.

The server runs in its own process (aiohttp's web server, HTTP/1.1 keep-alive) and answers each
``POST /v1/chat/completions`` after ``--latency-ms``: first four parallel ``get_weather`` tool calls, then,
once the request carries tool results, the final answer (the bodies of ``bench/overhead.py``). Every
contender is built once, the way its README shows, and measured in a fresh process of its own so that its
CPU time (``time.process_time``: the client process only) and peak RSS are its own. One warm-up wave of C
runs comes first; then N runs are timed. Figures are printed with their ratio to the faster raw loop.

Contenders: two hand-written loops on one shared ``httpx.AsyncClient`` (httpx's own transport, and the
aiohttp transport of ``httpx-aiohttp``), agentkit, Pydantic AI and the OpenAI Agents SDK; one that is not
installed is skipped (``pip install -e '.[bench]'``).

Run: ``.venv/bin/python bench/concurrent_runs.py [--runs 1000] [--concurrency 10,100] [--latency-ms 50]
[--only raw-httpx,raw-aiohttp,agentkit,pydantic-ai,openai-agents]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
from overhead import FINAL, HEADERS, TOOL_CALLS, get_weather

MODEL = "deepseek-chat"
API_KEY = "sk-bench"
INSTRUCTIONS = "You are a helpful assistant."
PROMPT = "Weather in four cities?"
TOOL_SCHEMA = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

Run = Callable[[], Awaitable[str]]
Contender = Callable[[str], AbstractAsyncContextManager[Run]]


# --------------------------------------------------------------------------- the canned server


def serve(latency: float) -> None:
    """Print the port, then answer until terminated. ``GET /cpu`` tells the server's own CPU time."""
    from aiohttp import web

    async def chat(request: web.Request) -> web.Response:
        body = await request.read()
        await asyncio.sleep(latency)
        answered = b'"role":"tool"' in body or b'"role": "tool"' in body
        return web.Response(body=FINAL if answered else TOOL_CALLS, content_type="application/json")

    async def cpu(request: web.Request) -> web.Response:
        return web.json_response({"cpu": time.process_time()})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/cpu", cpu)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, backlog=4096, print=None, access_log=None, handle_signals=True)


# --------------------------------------------------------------------------- contenders


def raw_loop(client: httpx.AsyncClient) -> Run:
    """The floor: the agent loop written by hand on one shared client."""

    async def run() -> str:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": PROMPT},
        ]
        headers = {**HEADERS, "authorization": f"Bearer {API_KEY}"}
        while True:
            body = {"model": MODEL, "messages": messages, "tools": [TOOL_SCHEMA]}
            response = await client.post("/chat/completions", content=json.dumps(body), headers=headers)
            response.raise_for_status()
            message = response.json()["choices"][0]["message"]
            messages.append(message)
            if not message.get("tool_calls"):
                return str(message["content"])
            for call in message["tool_calls"]:
                result = await get_weather(**json.loads(call["function"]["arguments"]))
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})

    return run


@asynccontextmanager
async def raw_httpx(base_url: str) -> AsyncIterator[Run]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        yield raw_loop(client)


@asynccontextmanager
async def raw_aiohttp(base_url: str) -> AsyncIterator[Run]:
    from httpx_aiohttp import AiohttpTransport

    async with httpx.AsyncClient(base_url=base_url, transport=AiohttpTransport()) as client:
        yield raw_loop(client)


@asynccontextmanager
async def agentkit_agent(base_url: str) -> AsyncIterator[Run]:
    from agentkit import Agent

    agent = Agent(
        model=MODEL, tools=[get_weather], instructions=INSTRUCTIONS, base_url=base_url, api_key=API_KEY
    )

    async def run() -> str:
        return (await agent.run(PROMPT)).output

    if not hasattr(Agent, "__aenter__"):  # before agentkit had one connection pool per agent
        yield run
        return
    async with agent:
        yield run


@asynccontextmanager
async def pydantic_ai_agent(base_url: str) -> AsyncIterator[Run]:
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIChatModel(MODEL, provider=OpenAIProvider(base_url=base_url, api_key=API_KEY))
    agent = Agent(model, instructions=INSTRUCTIONS, tools=[get_weather])

    async def run() -> str:
        return (await agent.run(PROMPT)).output

    yield run


@asynccontextmanager
async def openai_agents_agent(base_url: str) -> AsyncIterator[Run]:
    from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
    from openai import AsyncOpenAI

    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=base_url, api_key=API_KEY)
    agent = Agent(
        name="bench",
        instructions=INSTRUCTIONS,
        tools=[function_tool(get_weather)],
        model=OpenAIChatCompletionsModel(model=MODEL, openai_client=client),
    )

    async def run() -> str:
        return str((await Runner.run(agent, PROMPT)).final_output)

    async with client:
        yield run


CONTENDERS: dict[str, tuple[str, Contender]] = {
    "raw-httpx": ("raw loop, httpx transport", raw_httpx),
    "raw-aiohttp": ("raw loop, aiohttp transport", raw_aiohttp),
    "agentkit": ("agentkit", agentkit_agent),
    "pydantic-ai": ("Pydantic AI", pydantic_ai_agent),
    "openai-agents": ("OpenAI Agents SDK", openai_agents_agent),
}
RAW = ("raw-httpx", "raw-aiohttp")


# --------------------------------------------------------------------------- one contender, own process


async def drive(name: str, base_url: str, runs: int, concurrency: int) -> dict[str, float]:
    """One warm-up wave of ``concurrency`` runs, then ``runs`` runs with ``concurrency`` in flight."""
    async with CONTENDERS[name][1](base_url) as run:
        outputs = await asyncio.gather(*(run() for _ in range(concurrency)))
        assert all("Sunny" in output for output in outputs), outputs[:1]
        left = runs

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await run()

        cpu, start = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return {"wall": wall, "cpu": cpu / runs, "rss": peak / (2**20 if sys.platform == "darwin" else 2**10)}


def child(name: str, port: int, runs: int, concurrency: int) -> None:
    """Print one JSON line: the figures, or which module is missing."""
    try:
        result: dict[str, Any] = asyncio.run(drive(name, f"http://127.0.0.1:{port}/v1", runs, concurrency))
    except ImportError as exc:
        result = {"missing": exc.name or str(exc)}
    print(json.dumps(result))


# --------------------------------------------------------------------------- the parent


def measure(name: str, port: int, runs: int, concurrency: int) -> dict[str, Any]:
    server_cpu = httpx.get(f"http://127.0.0.1:{port}/cpu").json()["cpu"]
    argv = [sys.executable, __file__, "--child", name, "--port", str(port)]
    argv += ["--runs", str(runs), "--concurrency", str(concurrency)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False)
    except subprocess.TimeoutExpired:
        return {"failed": "timed out after 30 min"}
    if done.returncode != 0:
        return {"failed": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["server_cpu"] = (httpx.get(f"http://127.0.0.1:{port}/cpu").json()["cpu"] - server_cpu) / runs
    return result


def report(results: dict[str, dict[str, Any]], runs: int, concurrency: int, latency_ms: float) -> None:
    measured = {name: r for name, r in results.items() if "wall" in r}
    raw = [name for name in RAW if name in measured]
    ref = measured[min(raw, key=lambda name: measured[name]["wall"])] if raw else None
    load = "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\n{runs} runs, {concurrency} in flight, {latency_ms:g} ms server latency, 2 requests and")
    print(f"4 tool calls per run; {load}; x = ratio to the faster raw loop (by wall time)")
    print(f"{'':28s}{'wall s':>9s}{'x':>7s}{'CPU/run ms':>12s}{'x':>7s}{'peak RSS MB':>13s}{'x':>7s}", end="")
    print(f"{'server CPU/run ms':>19s}")
    for name, r in results.items():
        label = CONTENDERS[name][0]
        if "missing" in r:
            print(f"{label:28s}skipped: {r['missing']} not installed (pip install -e '.[bench]')")
        elif "failed" in r:
            print(f"{label:28s}failed: {r['failed']}")
        else:
            cells = []
            for key, scale, width in (("wall", 1, 9), ("cpu", 1e3, 12), ("rss", 1, 13)):
                ratio = f"{r[key] / ref[key]:6.2f}x" if ref else "      -"
                cells.append(f"{r[key] * scale:{width}.{1 if key == 'rss' else 2}f}{ratio}")
            print(f"{label:28s}{''.join(cells)}{r['server_cpu'] * 1e3:19.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--concurrency", default="10,100", help="comma-separated, e.g. 10,100")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--only", default=",".join(CONTENDERS), help=f"comma-separated: {','.join(CONTENDERS)}"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.latency_ms / 1e3)
    elif args.child:
        child(args.child, args.port, args.runs, int(args.concurrency))
    else:
        compare(parser, args)


def compare(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Start the server, measure each contender at each concurrency, print one table per level."""
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    if unknown := [name for name in names if name not in CONTENDERS]:
        parser.error(f"unknown contender {', '.join(unknown)}; choose from {', '.join(CONTENDERS)}")
    levels = [int(level) for level in args.concurrency.split(",")]
    argv = [sys.executable, __file__, "--serve", "--latency-ms", str(args.latency_ms)]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline() if server.stdout else ""
        if not line.strip().isdigit():
            sys.exit("the canned server did not start: aiohttp is needed (pip install -e '.[bench]')")
        port = int(line)
        for concurrency in levels:
            results = {name: measure(name, port, args.runs, concurrency) for name in names}
            report(results, args.runs, concurrency, args.latency_ms)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()

"""500 concurrent streaming chat requests through the simulator on loopback; prints requests/s.

The simulator runs in its own process (``python -m agentkit.sim --port 0``) so the client's work does not
share a GIL with the server's. Every stream must end with a finish_reason, usage and ``data: [DONE]``.
Usage: ``.venv/bin/python bench/sim_load.py [--requests 500] [--concurrency 500]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import subprocess
import sys
import time

from agentkit.sim import SIM_API_KEY

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def _dechunk(raw: bytes) -> bytes:
    """The body of a chunked HTTP/1.1 response."""
    body, rest = b"", raw
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body
        body, rest = body + rest[:size], rest[size + 2 :]


async def one(host: str, port: int, index: int) -> float:
    """One streamed request on its own connection, with a minimal HTTP/1.1 client: httpx would spend more
    CPU than the server and the figure would measure the client."""
    body = json.dumps(
        {
            "model": "deepseek-v4-flash",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": f"Weather in Paris, request {index}?"}],
            "tools": TOOLS,
        }
    ).encode()
    head = (
        f"POST /chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {SIM_API_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(head.encode() + body)
    raw = await reader.read(-1)
    writer.close()
    elapsed = time.perf_counter() - started
    status, _, rest = raw.partition(b"\r\n")
    headers, _, payload = rest.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 200") and b"chunked" in headers.lower(), status
    events = [line[6:] for line in _dechunk(payload).decode().split("\n\n") if line.startswith("data: ")]
    final = json.loads(events[-2])
    if not (
        events[-1] == "[DONE]" and final["choices"][0]["finish_reason"] == "tool_calls" and final["usage"]
    ):
        raise AssertionError(f"request {index} incomplete: {events[-2:]}")
    return elapsed


async def load(base_url: str, requests: int, concurrency: int) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    gate = asyncio.Semaphore(concurrency)

    async def gated(index: int) -> float:
        async with gate:
            return await one(host, int(port), index)

    await one(host, int(port), -1)  # warm up
    started = time.perf_counter()
    latencies = sorted(await asyncio.gather(*(gated(i) for i in range(requests))))
    elapsed = time.perf_counter() - started
    print(f"{requests} streaming requests, {concurrency} concurrent: all complete")
    print(f"  {requests / elapsed:.0f} requests/s ({elapsed:.2f} s total)")
    print(
        f"  latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))] * 1000:.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=500)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "agentkit.sim", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(3)]
        base_url = lines[1].split("=", 1)[1].strip()
        asyncio.run(load(base_url, args.requests, args.concurrency))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())

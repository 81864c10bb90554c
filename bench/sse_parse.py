"""Streaming parse speed: agentkit's ChatStream vs a bare ``aiter_lines`` + ``json.loads`` loop.

A 20,000-chunk DeepSeek-shaped body (reasoning deltas, then content, then usage, keep-alives in between)
is served by ``httpx.MockTransport``, once as a single body and once as one read per event (the way a
real stream arrives). agentkit's side does everything a caller gets: typed ``ChatCompletionChunk``
objects plus the assembled message. The ratio is baseline time / agentkit time (1.0 = as fast; the
target is >= 0.5). The official openai SDK's figure is printed too when it is installed.

    .venv/bin/python bench/sse_parse.py [--chunks 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from agentkit._client import DeepSeekClient

URL = "https://api.deepseek.com/chat/completions"
REQUEST: Any = {"model": "deepseek-v4-flash", "messages": [{"role": "user", "content": "Hi"}]}


def make_events(n: int) -> list[bytes]:
    base = {
        "id": "23d01db0-7b76-413e-b4fd-b0bf3362f996",
        "object": "chat.completion.chunk",
        "created": 1781233924,
        "model": "deepseek-v4-flash",
        "system_fingerprint": "fp_8b330d02d0_prod0820_fp8_kvcache_20260402",
    }
    events = []
    for i in range(n):
        if i == 0:
            delta: dict[str, Any] = {"role": "assistant", "content": None, "reasoning_content": ""}
        elif i < n // 2:
            delta = {"content": None, "reasoning_content": f" think{i}"}
        else:
            delta = {"content": f" word{i}", "reasoning_content": None}
        last = i == n - 1
        usage = {"prompt_tokens": 6, "completion_tokens": n, "total_tokens": n + 6} if last else None
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": "stop" if last else None}
        event = {**base, "choices": [choice], "usage": usage}
        events.append(b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n")
        if i % 1000 == 0:
            events.append(b": keep-alive\n\n")
    events.append(b"data: [DONE]\n\n")
    return events


class Body(httpx.AsyncByteStream):
    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part


def http_client(parts: list[bytes]) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Body(parts))

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def baseline(http: httpx.AsyncClient) -> int:
    count = 0
    async with http.stream("POST", URL, json={**REQUEST, "stream": True}) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                data = line[6:]
                if data == "[DONE]":
                    break
                json.loads(data)
                count += 1
    return count


async def agentkit_stream(http: httpx.AsyncClient) -> int:
    client = DeepSeekClient(api_key="sk-bench", http_client=http)
    count = 0
    async with client.chat_stream(REQUEST) as stream:
        async for _ in stream:
            count += 1
    assert stream.completion.choices[0].finish_reason == "stop"
    return count


def openai_runner() -> Callable[[httpx.AsyncClient], Awaitable[int]] | None:
    try:
        import openai
    except ImportError:
        return None

    async def run(http: httpx.AsyncClient) -> int:
        client = openai.AsyncOpenAI(api_key="sk-bench", base_url="https://api.deepseek.com", http_client=http)
        count = 0
        stream = await client.chat.completions.create(stream=True, **REQUEST)
        async for _ in stream:
            count += 1
        return count

    return run


async def best_of(
    run: Callable[[httpx.AsyncClient], Awaitable[int]], parts: list[bytes], repeat: int
) -> float:
    times = []
    async with http_client(parts) as http:
        for _ in range(repeat):
            started = time.perf_counter()
            count = await run(http)
            times.append(time.perf_counter() - started)
    assert count >= 20_000 or count > 0, count
    return min(times)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    events = make_events(args.chunks)
    shapes = {"one read per event": events, "single body": [b"".join(events)]}
    runners: dict[str, Callable[[httpx.AsyncClient], Awaitable[int]]] = {"agentkit": agentkit_stream}
    sdk = openai_runner()
    if sdk is not None:
        runners["openai SDK"] = sdk
    print(f"{args.chunks} chunks, best of {args.repeat}; ratio = baseline time / time (higher is faster)")
    ratios: dict[tuple[str, str], float] = {}
    for shape, parts in shapes.items():
        base = await best_of(baseline, parts, args.repeat)
        print(f"[{shape}] aiter_lines + json.loads: {base * 1000:.1f} ms")
        for name, run in runners.items():
            elapsed = await best_of(run, parts, args.repeat)
            ratios[shape, name] = base / elapsed
            print(f"[{shape}] {name}: {elapsed * 1000:.1f} ms, ratio {base / elapsed:.2f}x")
    print(f"ratio on the {args.chunks}-chunk body: {ratios['single body', 'agentkit']:.2f}x (target >= 0.5)")
    print(
        "note: with one read per event, a non-network transport such as MockTransport pays an anyio deadline "
        "per read for the stream idle timeout; over a real socket that timeout is httpx's own read timeout"
    )


if __name__ == "__main__":
    asyncio.run(main())

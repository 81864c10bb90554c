"""Framework overhead: one 2-request, 4-tool agent run through a zero-latency in-process transport.

Every contender talks to the same ``httpx.MockTransport`` returning canned DeepSeek responses (first a
response with four parallel tool calls, then a final answer), so what is measured is the framework's own
work per run: building requests, parsing responses, validating arguments, running tools. Each figure is
the median per-run time, printed with its ratio to a hand-written httpx loop (the floor).

Run: ``.venv/bin/python bench/overhead.py [runs]``. The OpenAI Agents SDK, Pydantic AI and the
OpenTelemetry SDK (for "agentkit, tracing on": ``agentkit.otel`` with spans and metrics recorded) come
from the ``bench`` extra; a contender that is not installed is skipped.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

BASE_URL = "http://bench.local/v1"
CITIES = ["Hangzhou", "Beijing", "Paris", "Lima"]


def _completion(message: dict[str, Any], finish_reason: str) -> bytes:
    return json.dumps(
        {
            "id": "930c60df-bf64-41c9-a88e-3ec75f81e00e",
            "object": "chat.completion",
            "created": 1781082253,
            "model": "deepseek-v4-flash",
            "system_fingerprint": "fp_8b330d02d0_prod0820_fp8_kvcache_20260402",
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
            "usage": {
                "prompt_tokens": 563,
                "completion_tokens": 116,
                "total_tokens": 679,
                "prompt_cache_hit_tokens": 512,
                "prompt_cache_miss_tokens": 51,
                "prompt_tokens_details": {"cached_tokens": 512},
                "completion_tokens_details": {"reasoning_tokens": 60},
            },
        }
    ).encode()


TOOL_CALLS = _completion(
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "index": i,
                "id": f"call_0{i}_sXqYgMESDht75NCLLZtt980{i}",
                "type": "function",
                "function": {"name": "get_weather", "arguments": json.dumps({"city": city})},
            }
            for i, city in enumerate(CITIES)
        ],
    },
    "tool_calls",
)
FINAL = _completion({"role": "assistant", "content": "Sunny everywhere, 21 degrees."}, "stop")
HEADERS = {"content-type": "application/json"}


def handler(request: httpx.Request) -> httpx.Response:
    """Tool calls first; the final answer once the request carries tool results."""
    body = request.content
    answered = b'"role":"tool"' in body or b'"role": "tool"' in body
    return httpx.Response(200, content=FINAL if answered else TOOL_CALLS, headers=HEADERS)


def http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url=BASE_URL)


async def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: City name, e.g. "Hangzhou".
    """
    return f"{city}: sunny, 21 C"


# --------------------------------------------------------------------------- contenders


async def make_handwritten() -> Callable[[], Awaitable[Any]]:
    client = http_client()
    tool_schema = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }

    async def run() -> str:
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Weather in four cities?"},
        ]
        while True:
            body = {"model": "deepseek-chat", "messages": messages, "tools": [tool_schema]}
            response = await client.post("/chat/completions", content=json.dumps(body), headers=HEADERS)
            message = response.json()["choices"][0]["message"]
            messages.append(message)
            if not message.get("tool_calls"):
                return str(message["content"])
            for call in message["tool_calls"]:
                args = json.loads(call["function"]["arguments"])
                result = await get_weather(**args)
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})

    return run


async def make_agentkit(hooks: Sequence[Any] = ()) -> Callable[[], Awaitable[Any]]:
    from agentkit import Agent, tool

    agent = Agent(
        model="deepseek-chat",
        tools=[tool(get_weather)],
        instructions="You are a helpful assistant.",
        http_client=http_client(),
        base_url=BASE_URL,
        api_key="sk-bench",
        hooks=hooks,
    )

    async def run() -> str:
        return (await agent.run("Weather in four cities?")).output

    return run


async def make_agentkit_traced() -> Callable[[], Awaitable[Any]]:
    """agentkit with OpenTelemetry tracing and metrics on (the SDK; spans batched to an exporter that
    drops them, so the figure is agentkit's and the SDK's in-process work, not a network's)."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    from agentkit.otel import Instrumentation

    class Drop(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(Drop()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return await make_agentkit(hooks=[Instrumentation(tracer_provider, meter_provider)])


async def make_openai_agents() -> Callable[[], Awaitable[Any]]:
    from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
    from openai import AsyncOpenAI

    set_tracing_disabled(True)
    openai_client = AsyncOpenAI(base_url=BASE_URL, api_key="sk-bench", http_client=http_client())
    agent = Agent(
        name="bench",
        instructions="You are a helpful assistant.",
        tools=[function_tool(get_weather)],
        model=OpenAIChatCompletionsModel(model="deepseek-chat", openai_client=openai_client),
    )

    async def run() -> str:
        return str((await Runner.run(agent, "Weather in four cities?")).final_output)

    return run


async def make_pydantic_ai() -> Callable[[], Awaitable[Any]]:
    from openai import AsyncOpenAI
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    openai_client = AsyncOpenAI(base_url=BASE_URL, api_key="sk-bench", http_client=http_client())
    model = OpenAIChatModel("deepseek-chat", provider=OpenAIProvider(openai_client=openai_client))
    agent = Agent(model, instructions="You are a helpful assistant.", tools=[get_weather])

    async def run() -> str:
        return (await agent.run("Weather in four cities?")).output

    return run


CONTENDERS: dict[str, Callable[[], Awaitable[Callable[[], Awaitable[Any]]]]] = {
    "hand-written httpx loop": make_handwritten,
    "agentkit": make_agentkit,
    "agentkit, tracing on": make_agentkit_traced,
    "OpenAI Agents SDK": make_openai_agents,
    "Pydantic AI": make_pydantic_ai,
}


async def measure(run: Callable[[], Awaitable[Any]], runs: int) -> float:
    """Median seconds per run, after a warm-up."""
    for _ in range(max(10, runs // 10)):
        await run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def main(runs: int) -> None:
    results: dict[str, float] = {}
    for name, make in CONTENDERS.items():
        try:
            run = await make()
        except ImportError as exc:
            print(f"{name:26s} skipped ({exc.name} not installed: pip install -e '.[bench]')")
            continue
        output = await run()
        assert "Sunny" in str(output), (name, output)
        results[name] = await measure(run, runs)
    floor = results["hand-written httpx loop"]
    print(f"\n{runs} runs each, 2 requests and 4 tool calls per run; median per run, ratio to the floor")
    for name, seconds in results.items():
        print(f"{name:26s} {seconds * 1e3:8.3f} ms  {seconds / floor:6.2f}x")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))

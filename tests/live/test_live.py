"""Against the real DeepSeek API: skipped unless DEEPSEEK_API_KEY is set (never in CI).

Run with ``DEEPSEEK_API_KEY=sk-... python -m pytest tests/live``. Each test spends a few cents at most.
The key is read here, at collection, because the root conftest removes it from every test's environment.
"""

from __future__ import annotations

import os
from typing import Literal

import pytest

from agentkit import Agent, DeepSeekClient, RunDone, TextDelta, tool

KEY = os.environ.get("DEEPSEEK_API_KEY", "")
BASE_URL = os.environ.get("DEEPSEEK_BASE_URL") or None

pytestmark = pytest.mark.skipif(not KEY, reason="set DEEPSEEK_API_KEY to run the live tests")


@tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Get the current weather for a city.

    Args:
        city: City name, e.g. "Hangzhou".
        unit: Temperature unit.
    """
    return f"{city}: 18 °{unit.upper()}, light rain"


def agent(model: str) -> Agent:
    return Agent(model=model, tools=[get_weather], api_key=KEY, base_url=BASE_URL, max_turns=6)


@pytest.mark.anyio
@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
async def test_parallel_tools_over_two_user_turns(model: str) -> None:
    """Two user turns with tool calls: today's API answers 400 unless its reasoning rule is followed."""
    first = await agent(model).run("What is the weather in Hangzhou and in Beijing?")
    called = [c["function"]["name"] for m in first.messages for c in m.get("tool_calls", [])]
    assert called.count("get_weather") >= 2
    second = await agent(model).run("And in Shanghai?", history=first.messages)
    assert second.output
    assert second.usage.requests >= 2 and second.usage.prompt_tokens > 0


@pytest.mark.anyio
async def test_stream_ends_with_the_result() -> None:
    events = [event async for event in agent("deepseek-chat").run_stream("Say hello in one short sentence.")]
    assert isinstance(events[-1], RunDone)
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert streamed == events[-1].result.output


@pytest.mark.anyio
async def test_models_balance_and_fim() -> None:
    async with DeepSeekClient(api_key=KEY, base_url=BASE_URL) as client:
        assert (await client.list_models()).data
        assert (await client.get_balance()).balance_infos is not None
        fim = await client.fim({"model": "deepseek-chat", "prompt": "def add(a, b):\n", "max_tokens": 32})
        assert fim.choices[0].text is not None

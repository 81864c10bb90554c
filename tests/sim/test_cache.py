"""Token counts by the documented ratios and the 64-token-unit context cache."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sim_helpers import WEATHER, chat, user

from agentkit.sim.tokens import UNIT, ContextCache, count_tokens

pytestmark = pytest.mark.anyio

# A realistic agent preamble (~1500 tokens). With 64-token units and a new user message per turn, a tiny
# prompt cannot reach 90% on the real server either.
SYSTEM = "You are a careful assistant for a travel company. " * 100


def test_token_ratios() -> None:
    assert count_tokens("a" * 100) == 30
    assert count_tokens("天" * 100) == 60
    assert count_tokens("") == 0
    assert count_tokens("a") == 1


async def conversation(http: httpx.AsyncClient, system: str, turns: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    usages = []
    for turn in range(turns):
        messages.append(user(f"Question number {turn}: tell me something about topic {turn}."))
        response = await chat(http, messages=messages, tools=[WEATHER], thinking={"type": "disabled"})
        body = response.json()
        usages.append(body["usage"])
        messages.append(body["choices"][0]["message"])
    return usages


async def test_append_only_conversation_hits_the_cache(http: httpx.AsyncClient) -> None:
    usages = await conversation(http, SYSTEM, 10)
    assert usages[0]["prompt_cache_hit_tokens"] == 0
    for usage in usages[1:]:
        assert usage["prompt_cache_hit_tokens"] >= 0.9 * usage["prompt_tokens"], usage
    for usage in usages:
        assert usage["prompt_cache_hit_tokens"] % UNIT == 0
        assert usage["prompt_cache_hit_tokens"] + usage["prompt_cache_miss_tokens"] == usage["prompt_tokens"]
        assert usage["prompt_tokens_details"]["cached_tokens"] == usage["prompt_cache_hit_tokens"]


async def test_changing_the_system_prompt_resets_hits(http: httpx.AsyncClient) -> None:
    await conversation(http, SYSTEM, 3)
    usages = await conversation(http, "Changed. " + SYSTEM, 1)
    assert usages[0]["prompt_cache_hit_tokens"] == 0


async def test_thinking_conversation_with_reasoning_sent_back_hits_too(http: httpx.AsyncClient) -> None:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}, user("Weather in Paris?")]
    first = (await chat(http, messages=messages, tools=[WEATHER])).json()
    assistant = first["choices"][0]["message"]
    messages += [
        assistant,
        *({"role": "tool", "tool_call_id": c["id"], "content": "sunny"} for c in assistant["tool_calls"]),
    ]
    second = (await chat(http, messages=messages, tools=[WEATHER])).json()["usage"]
    assert second["prompt_cache_hit_tokens"] >= 0.8 * second["prompt_tokens"]


def test_units_below_64_tokens_are_never_cached() -> None:
    cache = ContextCache()
    cache.store("", "short prompt")
    assert cache.lookup("", "short prompt") == 0
    long = "x" * 1000  # 300 tokens: four whole units
    cache.store("", long)
    assert cache.lookup("", long + "more") == 4 * UNIT
    assert cache.lookup("other-user", long) == 0


def test_cache_is_bounded() -> None:
    cache = ContextCache(max_units=10)
    for i in range(50):
        cache.store("", f"{i}" + "y" * 1000)
    assert cache.lookup("", "0" + "y" * 1000) == 0
    assert cache.lookup("", "49" + "y" * 1000) > 0

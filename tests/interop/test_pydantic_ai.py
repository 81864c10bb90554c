"""Pydantic AI, as its DeepSeek docs show (``OpenAIChatModel`` with ``DeepSeekProvider``; the provider
takes an ``openai_client`` to reach another base URL), against ``agentkit sim``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import openai
import pytest
from pydantic import BaseModel
from pydantic_ai import Agent, AgentRunResult, ModelHTTPError
from pydantic_ai.messages import ThinkingPart, ToolCallPart
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.deepseek import DeepSeekProvider

from .conftest import KEY
from .test_openai_sdk import CHAT

T = TypeVar("T")


def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"{city}: 21 C, sunny"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"{city}: 14:05"


def model(client: openai.AsyncOpenAI, name: str) -> OpenAIChatModel:
    return OpenAIChatModel(name, provider=DeepSeekProvider(openai_client=client))


def run(base_url: str, steps: Callable[[openai.AsyncOpenAI], Awaitable[T]]) -> T:
    """``steps(client)`` on a loop of its own, with the client closed on that loop afterwards."""

    async def main() -> T:
        async with openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
            return await steps(client)

    return asyncio.run(main())


def test_tool_loop_with_parallel_calls_and_a_second_turn(base_url: str, era: str) -> None:
    """Tools go out with ``strict: true`` on the normal URL: accepted and ignored (langchain-ai/langchain
    #40030; the V4 cassette test_deepseek_deferred_capability_with_thinking got 200 for it)."""

    async def steps(client: openai.AsyncOpenAI) -> tuple[AgentRunResult[str], AgentRunResult[str]]:
        agent = Agent(model(client, CHAT[era]), tools=[get_weather, get_time])
        first = await agent.run("What is the weather in Paris and the time in Tokyo?")
        return first, await agent.run("And the weather in Lima?", message_history=first.all_messages())

    first, second = run(base_url, steps)
    assert "Paris" in first.output and "Tokyo" in first.output
    calls = [p for m in first.new_messages() for p in m.parts if isinstance(p, ToolCallPart)]
    assert [c.tool_name for c in calls] == ["get_weather", "get_time"]
    assert "Lima" in second.output


def test_plain_chat(base_url: str, era: str) -> None:
    result = run(
        base_url, lambda client: Agent(model(client, CHAT[era]), instructions="Be concise.").run("Hello")
    )
    assert result.output and result.usage.total_tokens > 0


def test_streaming_with_usage(base_url: str, era: str) -> None:
    async def steps(client: openai.AsyncOpenAI) -> tuple[str, int]:
        async with Agent(model(client, CHAT[era])).run_stream("Hello") as result:
            text = await result.get_output()
            return text, result.usage.output_tokens

    text, output_tokens = run(base_url, steps)
    assert text and output_tokens > 0


def test_reasoner(base_url: str, era: str) -> None:
    result = run(
        base_url, lambda c: Agent(model(c, "deepseek-reasoner")).run("9.11 and 9.8, which is greater?")
    )
    assert result.output
    assert any(isinstance(p, ThinkingPart) for m in result.new_messages() for p in m.parts)

    def weather(client: openai.AsyncOpenAI) -> Awaitable[AgentRunResult[str]]:
        return Agent(model(client, "deepseek-reasoner"), tools=[get_weather]).run(
            "What is the weather in Paris?"
        )

    if era == "deepseek-r1":
        with pytest.raises(ModelHTTPError) as caught:
            run(base_url, weather)
        assert caught.value.status_code == 400
        assert caught.value.body["message"] == "deepseek-reasoner does not support Function Calling"  # type: ignore[index]
        return
    assert "Paris" in run(base_url, weather).output


class City(BaseModel):
    city: str
    population_millions: float


def test_structured_output(base_url: str, era: str) -> None:
    """Pydantic AI's default output mode: a final-result tool the model calls."""
    result = run(base_url, lambda c: Agent(model(c, CHAT[era]), output_type=City).run("Name a big city."))
    assert isinstance(result.output, City) and result.output.city

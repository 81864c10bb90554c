"""The OpenAI Agents SDK, set up as its "other LLM providers" example shows (an ``AsyncOpenAI`` client on
the provider's base URL, ``OpenAIChatCompletionsModel``, tracing off), against ``agentkit sim``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import openai
import pytest
from agents import Agent, OpenAIChatCompletionsModel, Runner, RunResult, function_tool, set_tracing_disabled
from pydantic import BaseModel

from .conftest import KEY
from .test_openai_sdk import CHAT

set_tracing_disabled(True)  # as the example does: traces would go to OpenAI's servers
T = TypeVar("T")


@function_tool
def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"{city}: 21 C, sunny"


@function_tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"{city}: 14:05"


def agent(client: openai.AsyncOpenAI, model: str, **kwargs: object) -> Agent:
    chat_model = OpenAIChatCompletionsModel(model=model, openai_client=client)
    return Agent(name="Assistant", instructions="You are a helpful assistant.", model=chat_model, **kwargs)  # type: ignore[arg-type]


def run(base_url: str, steps: Callable[[openai.AsyncOpenAI], Awaitable[T]]) -> T:
    """``steps(client)`` on a loop of its own, with the client closed on that loop afterwards."""

    async def main() -> T:
        async with openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
            return await steps(client)

    return asyncio.run(main())


def test_tool_loop_with_parallel_calls_and_a_second_turn(base_url: str, era: str) -> None:
    """``Runner.run`` with function tools: the SDK sends them with ``strict: true`` on the normal URL,
    which DeepSeek accepts and ignores (langchain-ai/langchain #40030); then a second turn from
    ``to_input_list``."""

    async def steps(client: openai.AsyncOpenAI) -> tuple[RunResult, RunResult]:
        bot = agent(client, CHAT[era], tools=[get_weather, get_time])
        first = await Runner.run(bot, "What is the weather in Paris and the time in Tokyo?")
        follow_up = [*first.to_input_list(), {"role": "user", "content": "And the weather in Lima?"}]
        return first, await Runner.run(bot, follow_up)  # type: ignore[arg-type]

    first, second = run(base_url, steps)
    assert "Paris" in first.final_output and "Tokyo" in first.final_output
    assert len([item for item in first.new_items if item.type == "tool_call_item"]) == 2
    assert "Lima" in second.final_output


def test_plain_chat(base_url: str, era: str) -> None:
    result = run(base_url, lambda client: Runner.run(agent(client, CHAT[era]), "Hello"))
    assert result.final_output and result.context_wrapper.usage.total_tokens > 0


def test_streaming_with_usage(base_url: str, era: str) -> None:
    async def steps(client: openai.AsyncOpenAI) -> tuple[str, int]:
        result = Runner.run_streamed(agent(client, CHAT[era]), "Hello")
        text = ""
        async for event in result.stream_events():
            if event.type == "raw_response_event" and event.data.type == "response.output_text.delta":
                text += event.data.delta
        return text, result.context_wrapper.usage.output_tokens

    text, output_tokens = run(base_url, steps)
    assert text and output_tokens > 0


def test_reasoner(base_url: str, era: str) -> None:
    """The reasoner answers; with a tool, R1's 400 is the real API's own."""
    answer = run(
        base_url, lambda c: Runner.run(agent(c, "deepseek-reasoner"), "9.11 and 9.8, which is greater?")
    )
    assert answer.final_output

    def weather(client: openai.AsyncOpenAI) -> Awaitable[RunResult]:
        return Runner.run(
            agent(client, "deepseek-reasoner", tools=[get_weather]), "What is the weather in Paris?"
        )

    if era == "deepseek-r1":
        with pytest.raises(
            openai.BadRequestError, match=r"deepseek-reasoner does not support Function Calling$"
        ):
            run(base_url, weather)
        return
    assert "Paris" in run(base_url, weather).final_output


class City(BaseModel):
    city: str
    population_millions: float


def test_output_type_is_refused_as_the_real_api_refuses_json_schema(base_url: str, era: str) -> None:
    """``output_type`` makes the SDK send ``response_format: json_schema``, which DeepSeek does not offer:
    the R1-era 422 (dzhng/deep-research #22, browser-use/browser-use #215) and the later 400
    (llm-exe/llm-exe #662, UKGovernmentBEIS/inspect_ai #4916)."""

    def city(client: openai.AsyncOpenAI) -> Awaitable[RunResult]:
        return Runner.run(agent(client, CHAT[era], output_type=City), "Name a big city.")

    if era == "deepseek-r1":
        with pytest.raises(openai.UnprocessableEntityError) as refused:
            run(base_url, city)
        assert refused.value.response.text.startswith(
            "Failed to deserialize the JSON body into the target type: response_format: response_format.type "
            "`json_schema` is unavailable now at line 1 column "
        )
        return
    with pytest.raises(openai.BadRequestError) as caught:
        run(base_url, city)
    assert caught.value.body["message"] == "This response_format type is unavailable now"  # type: ignore[index]

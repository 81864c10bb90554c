"""The OpenAI Agents SDK, set up as its "other LLM providers" example shows (an ``AsyncOpenAI`` client on
the provider's base URL, ``OpenAIChatCompletionsModel``, tracing off), against ``agentkit sim``."""

from __future__ import annotations

import asyncio

import openai
import pytest
from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
from pydantic import BaseModel

from .conftest import KEY
from .test_openai_sdk import CHAT

set_tracing_disabled(True)  # as the example does: traces would go to OpenAI's servers


@function_tool
def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"{city}: 21 C, sunny"


@function_tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"{city}: 14:05"


def agent(base_url: str, model: str, **kwargs: object) -> Agent:
    client = openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    chat_model = OpenAIChatCompletionsModel(model=model, openai_client=client)
    return Agent(name="Assistant", instructions="You are a helpful assistant.", model=chat_model, **kwargs)  # type: ignore[arg-type]


def test_tool_loop_with_parallel_calls_and_a_second_turn(base_url: str, era: str) -> None:
    """``Runner.run`` with function tools: the SDK sends them with ``strict: true`` on the normal URL,
    which DeepSeek accepts and ignores (langchain-ai/langchain #40030); then a second turn from
    ``to_input_list``."""
    bot = agent(base_url, CHAT[era], tools=[get_weather, get_time])
    first = Runner.run_sync(bot, "What is the weather in Paris and the time in Tokyo?")
    assert "Paris" in first.final_output and "Tokyo" in first.final_output
    calls = [item for item in first.new_items if item.type == "tool_call_item"]
    assert len(calls) == 2
    second = Runner.run_sync(
        bot, [*first.to_input_list(), {"role": "user", "content": "And the weather in Lima?"}]
    )
    assert "Lima" in second.final_output


def test_plain_chat(base_url: str, era: str) -> None:
    result = Runner.run_sync(agent(base_url, CHAT[era]), "Hello")
    assert result.final_output and result.context_wrapper.usage.total_tokens > 0


def test_streaming_with_usage(base_url: str, era: str) -> None:
    async def run() -> tuple[str, int]:
        result = Runner.run_streamed(agent(base_url, CHAT[era]), "Hello")
        text = ""
        async for event in result.stream_events():
            if event.type == "raw_response_event" and event.data.type == "response.output_text.delta":
                text += event.data.delta
        return text, result.context_wrapper.usage.output_tokens

    text, output_tokens = asyncio.run(run())
    assert text and output_tokens > 0


def test_reasoner(base_url: str, era: str) -> None:
    """The reasoner answers; with a tool, R1's 400 is the real API's own."""
    assert Runner.run_sync(
        agent(base_url, "deepseek-reasoner"), "9.11 and 9.8, which is greater?"
    ).final_output
    bot = agent(base_url, "deepseek-reasoner", tools=[get_weather])
    if era == "deepseek-r1":
        with pytest.raises(
            openai.BadRequestError, match=r"deepseek-reasoner does not support Function Calling$"
        ):
            Runner.run_sync(bot, "What is the weather in Paris?")
        return
    assert "Paris" in Runner.run_sync(bot, "What is the weather in Paris?").final_output


class City(BaseModel):
    city: str
    population_millions: float


def test_output_type_is_refused_as_the_real_api_refuses_json_schema(base_url: str, era: str) -> None:
    """``output_type`` makes the SDK send ``response_format: json_schema``, which DeepSeek does not offer:
    the R1-era 422 (dzhng/deep-research #22, browser-use/browser-use #215) and the later 400
    (llm-exe/llm-exe #662, UKGovernmentBEIS/inspect_ai #4916)."""
    bot = agent(base_url, CHAT[era], output_type=City)
    if era == "deepseek-r1":
        with pytest.raises(openai.UnprocessableEntityError) as refused:
            Runner.run_sync(bot, "Name a big city.")
        assert refused.value.response.text.startswith(
            "Failed to deserialize the JSON body into the target type: response_format: response_format.type "
            "`json_schema` is unavailable now at line 1 column "
        )
        return
    with pytest.raises(openai.BadRequestError) as caught:
        Runner.run_sync(bot, "Name a big city.")
    assert caught.value.body["message"] == "This response_format type is unavailable now"  # type: ignore[index]

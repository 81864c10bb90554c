"""The official openai SDK, as DeepSeek's own docs use it, against ``agentkit sim`` in each era."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from .conftest import KEY

# DeepSeek's docs per era: deepseek-chat until V4, then deepseek-v4-flash (which thinks by default)
CHAT = {"deepseek-r1": "deepseek-chat", "deepseek-v3.2": "deepseek-chat", "deepseek-v4": "deepseek-v4-flash"}
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather of a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Get the local time in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
]
R1_REASONING_SENT_BACK = (
    "The reasoning_content is an intermediate result for display purposes only and will not be included in "
    "the context for inference. Please remove the reasoning_content from your message to reduce network "
    "traffic."
)


def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=base_url, max_retries=0)


def test_plain_chat(base_url: str, era: str) -> None:
    response = client(base_url).chat.completions.create(
        model=CHAT[era],
        messages=[
            {"role": "system", "content": "You are a helpful assistant"},
            {"role": "user", "content": "Hello"},
        ],
    )
    assert response.choices[0].message.content
    assert response.usage is not None and response.usage.total_tokens > 0


def test_streaming_with_usage(base_url: str, era: str) -> None:
    stream = client(base_url).chat.completions.create(
        model=CHAT[era],
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])


def test_tool_loop_with_parallel_calls_and_a_second_turn(base_url: str, era: str) -> None:
    """The function-calling guide's loop: append the message as returned, answer each call, ask again."""
    sdk = client(base_url)
    messages: list[Any] = [{"role": "user", "content": "What is the weather in Paris and the time in Tokyo?"}]
    for question in (None, "And the weather in Lima?"):
        if question:
            messages.append({"role": "user", "content": question})
        message = (
            sdk.chat.completions.create(model=CHAT[era], messages=messages, tools=TOOLS).choices[0].message
        )
        assert message.tool_calls
        messages.append(message)
        for call in message.tool_calls:
            city = json.loads(call.function.arguments)["city"]  # type: ignore[union-attr]
            messages.append({"role": "tool", "tool_call_id": call.id, "content": f"{city}: 21 C"})
        answer = (
            sdk.chat.completions.create(model=CHAT[era], messages=messages, tools=TOOLS).choices[0].message
        )
        assert answer.content and not answer.tool_calls
        messages.append(answer)
    first_calls = messages[1].tool_calls
    assert [c.function.name for c in first_calls] == ["get_weather", "get_time"]
    assert first_calls[0].id != first_calls[1].id


def test_reasoner_multi_turn_as_the_reasoning_guide_shows(base_url: str, era: str) -> None:
    """Only ``content`` goes back (the reasoning_model guide); the reasoning sent back is R1's 400."""
    sdk = client(base_url)
    messages: list[Any] = [{"role": "user", "content": "9.11 and 9.8, which is greater?"}]
    message = sdk.chat.completions.create(model="deepseek-reasoner", messages=messages).choices[0].message
    reasoning = message.model_extra["reasoning_content"]  # type: ignore[index]
    assert reasoning and message.content
    messages += [
        {"role": "assistant", "content": message.content},
        {"role": "user", "content": "How many Rs in strawberry?"},
    ]
    assert (
        sdk.chat.completions.create(model="deepseek-reasoner", messages=messages).choices[0].message.content
    )
    echoed = [
        *messages[:1],
        {"role": "assistant", "content": message.content, "reasoning_content": reasoning},
        messages[2],
    ]
    if era == "deepseek-r1":
        with pytest.raises(openai.BadRequestError) as caught:
            sdk.chat.completions.create(model="deepseek-reasoner", messages=echoed)
        assert caught.value.body["message"] == R1_REASONING_SENT_BACK  # type: ignore[index]
    else:  # V3.2 and V4 ignore reasoning sent back outside a tool loop
        assert (
            sdk.chat.completions.create(model="deepseek-reasoner", messages=echoed).choices[0].message.content
        )


def test_reasoner_with_tools(base_url: str, era: str) -> None:
    """R1 has no function calling (its 400); V3.2 and V4 think and call tools, with the reasoning passed
    back inside the loop as the thinking_mode guide's sample does (appending the message whole)."""
    sdk = client(base_url)
    messages: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]
    if era == "deepseek-r1":
        with pytest.raises(openai.BadRequestError) as caught:
            sdk.chat.completions.create(model="deepseek-reasoner", messages=messages, tools=TOOLS)
        assert caught.value.body["message"] == "deepseek-reasoner does not support Function Calling"  # type: ignore[index]
        return
    message = (
        sdk.chat.completions.create(model="deepseek-reasoner", messages=messages, tools=TOOLS)
        .choices[0]
        .message
    )
    assert message.tool_calls and message.model_extra["reasoning_content"]  # type: ignore[index]
    messages.append(message)
    messages += [{"role": "tool", "tool_call_id": c.id, "content": "sunny"} for c in message.tool_calls]
    answer = sdk.chat.completions.create(model="deepseek-reasoner", messages=messages, tools=TOOLS)
    assert answer.choices[0].message.content


def test_json_output(base_url: str, era: str) -> None:
    system = 'Reply in json, like: {"city": "Paris", "population_millions": 2.1}'
    response = client(base_url).chat.completions.create(
        model=CHAT[era],
        messages=[{"role": "system", "content": system}, {"role": "user", "content": "Name a big city."}],
        response_format={"type": "json_object"},
    )
    data = json.loads(response.choices[0].message.content or "")
    assert set(data) == {"city", "population_millions"}


def test_prefix_completion_on_beta(base_url: str, era: str) -> None:
    response = client(base_url + "/beta").chat.completions.create(
        model=CHAT[era],
        messages=[
            {"role": "user", "content": "Please write quick sort code"},
            {"role": "assistant", "content": "```python\n", "prefix": True},  # type: ignore[typeddict-unknown-key]
        ],
        stop=["```"],
    )
    assert "def quick_sort" in (response.choices[0].message.content or "")


def test_fim_on_beta(base_url: str, era: str) -> None:
    """FIM only without thinking: V4's thinking model is switched off, as the FIM guide requires."""
    extra = {"thinking": {"type": "disabled"}} if era == "deepseek-v4" else None
    response = client(base_url + "/beta").completions.create(
        model=CHAT[era],
        prompt="def fib(a):",
        suffix="    return fib(a-1) + fib(a-2)",
        max_tokens=128,
        extra_body=extra,
    )
    assert response.choices[0].text and response.usage is not None

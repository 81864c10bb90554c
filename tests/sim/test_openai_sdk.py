"""Fidelity check: the official ``openai`` SDK (retries off) against the simulator served by uvicorn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from sim_helpers import WEATHER

from agentkit.sim import SIM_API_KEY, Simulator, serve


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(Simulator()) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=SIM_API_KEY, base_url=base_url, max_retries=0)


@pytest.fixture
def beta(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=SIM_API_KEY, base_url=base_url + "/beta", max_retries=0)


def test_chat(client: openai.OpenAI) -> None:
    response = client.chat.completions.create(
        model="deepseek-chat", messages=[{"role": "user", "content": "Hello"}]
    )
    assert response.choices[0].message.content == "Hello! How can I help you today?"
    assert response.model == "deepseek-v4-flash"
    assert response.usage is not None and response.usage.prompt_tokens > 0
    assert response.usage.prompt_tokens_details is not None


def test_streaming_with_usage_and_reasoning(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="deepseek-v4-flash",
        messages=[{"role": "user", "content": "Why is the sky blue?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    reasoning, content, usage = "", "", None
    for chunk in stream:
        delta = chunk.choices[0].delta
        reasoning += getattr(delta, "reasoning_content", None) or ""
        content += delta.content or ""
        usage = chunk.usage or usage
    assert reasoning and content
    assert usage is not None and usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens > 0


def test_tool_loop_passing_the_sdk_message_back(client: openai.OpenAI) -> None:
    """The V3.2/V4 docs' loop: append ``response.choices[0].message`` whole, then the tool results."""
    messages: list[Any] = [{"role": "user", "content": "Weather in Hangzhou and Beijing?"}]
    first = client.chat.completions.create(model="deepseek-v4-flash", messages=messages, tools=[WEATHER])  # type: ignore[list-item]
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls"
    assert message.tool_calls and len(message.tool_calls) == 2
    assert getattr(message, "reasoning_content", None)
    messages.append(message)
    for call in message.tool_calls:
        assert call.type == "function"
        city = json.loads(call.function.arguments)["city"]
        messages.append({"role": "tool", "tool_call_id": call.id, "content": f"{city}: 20 C"})
    second = client.chat.completions.create(model="deepseek-v4-flash", messages=messages, tools=[WEATHER])  # type: ignore[list-item]
    assert second.choices[0].message.content is not None
    assert "Hangzhou: 20 C" in second.choices[0].message.content


def test_streamed_tool_calls_assemble(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="deepseek-v4-flash",
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
        tools=[WEATHER],  # type: ignore[list-item]
        stream=True,
    )
    arguments: dict[int, str] = {}
    finish = None
    for chunk in stream:
        for call in chunk.choices[0].delta.tool_calls or ():
            arguments[call.index] = arguments.get(call.index, "") + (
                (call.function and call.function.arguments) or ""
            )
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert {i: json.loads(a) for i, a in arguments.items()} == {0: {"city": "Oslo"}}


def test_json_mode(client: openai.OpenAI) -> None:
    response = client.chat.completions.create(
        model="deepseek-chat",
        messages=[
            {"role": "system", "content": 'Answer in json: {"answer": "..."}'},
            {"role": "user", "content": "Capital of France?"},
        ],
        response_format={"type": "json_object"},
    )
    assert set(json.loads(response.choices[0].message.content or "")) == {"answer"}


def test_prefix_completion_and_fim_on_beta(beta: openai.OpenAI) -> None:
    response = beta.chat.completions.create(
        model="deepseek-chat",
        messages=[
            {"role": "user", "content": "Please write quick sort code"},
            {"role": "assistant", "content": "```python\n", "prefix": True},
        ],  # type: ignore[misc]
        stop=["```"],
    )
    assert (response.choices[0].message.content or "").startswith("def quick_sort")
    fim = beta.completions.create(
        model="deepseek-chat", prompt="def fib(a):", suffix="    return fib(a-1) + fib(a-2)", max_tokens=128
    )
    assert fim.object == "text_completion"
    assert "return a" in fim.choices[0].text


def test_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["deepseek-v4-flash", "deepseek-v4-pro", "deepseek-flash"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("429", openai.RateLimitError),
        ("500", openai.InternalServerError),
        ("503", openai.InternalServerError),
        ("402", openai.APIStatusError),
    ],
)
def test_errors_surface_as_sdk_classes(client: openai.OpenAI, fault: str, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        client.chat.completions.create(
            model="deepseek-chat",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"X-Sim-Fault": fault},
        )
    assert isinstance(caught.value, openai.APIStatusError) and caught.value.status_code == int(fault)


def test_auth_bad_request_and_unprocessable(base_url: str, client: openai.OpenAI) -> None:
    wrong = openai.OpenAI(api_key="sk-wrong", base_url=base_url, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    with pytest.raises(openai.BadRequestError, match="must be passed back"):
        client.chat.completions.create(
            model="deepseek-v4-flash",
            tools=[WEATHER],
            messages=[  # type: ignore[list-item]
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
                {"role": "user", "content": "Weather?"},
            ],
        )
    # V3.2 and V4 answer a body of the wrong shape with 400 (MGdaasLab/WHartTest #62); R1 with 422
    with pytest.raises(openai.BadRequestError, match=r"messages\[0\]: missing field `content`"):
        client.chat.completions.create(model="deepseek-chat", messages=[{"role": "user"}])  # type: ignore[list-item, typeddict-item]


def test_dropped_stream_is_an_sdk_connection_error(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="deepseek-chat",
        messages=[{"role": "user", "content": "x"}],
        stream=True,
        extra_headers={"X-Sim-Fault": "drop;after=2"},
    )
    # The SDK wraps the cut connection in APIConnectionError; versions before that let httpx's through.
    with pytest.raises((openai.APIConnectionError, httpx.RemoteProtocolError)):
        for _ in stream:
            pass

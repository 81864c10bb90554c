"""litellm, as its DeepSeek docs show (``model="deepseek/<name>"``, the key, ``api_base`` for another
endpoint), against ``agentkit sim``. litellm has no DeepSeek FIM (its ``text_completion`` becomes a chat
request), so there is no FIM test here."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import KEY, import_litellm
from .test_openai_sdk import CHAT, TOOLS

litellm = import_litellm()
# litellm's own TypedDicts make pydantic warn about ReadOnly items: not ours to fix
pytestmark = pytest.mark.filterwarnings(
    "ignore:Item.*ReadOnly:UserWarning", "ignore:Items.*ReadOnly:UserWarning"
)


def complete(base_url: str, model: str, messages: list[Any], **kwargs: Any) -> Any:
    return litellm.completion(
        model=f"deepseek/{model}", messages=messages, api_base=base_url, api_key=KEY, num_retries=0, **kwargs
    )


def test_plain_and_streaming_with_usage(base_url: str, era: str) -> None:
    assert complete(base_url, CHAT[era], [{"role": "user", "content": "Hello"}]).choices[0].message.content
    stream = complete(
        base_url,
        CHAT[era],
        [{"role": "user", "content": "Hello"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].usage.completion_tokens > 0


def tool_round(base_url: str, model: str, messages: list[Any]) -> Any:
    """litellm's function-calling loop: append the returned message, answer each call, ask again."""
    message = complete(base_url, model, messages, tools=TOOLS).choices[0].message
    assert message.tool_calls
    messages.append(message)
    for call in message.tool_calls:
        city = json.loads(call.function.arguments)["city"]
        messages.append({"role": "tool", "tool_call_id": call.id, "content": f"{city}: 21 C"})
    answer = complete(base_url, model, messages, tools=TOOLS).choices[0].message
    messages.append(answer)
    return answer


def test_tool_loop_with_parallel_calls_and_a_second_turn(base_url: str, era: str) -> None:
    """litellm sends the tool-call message without ``content`` (it drops the null): V3.2 and V4 take it
    (HKUDS/nanobot #194, agent0ai/agent-zero #1732); the R1-era API answered 422, as in
    pig-mesh/deepseek4j #40 ("messages[1]: missing field `content`")."""
    messages: list[Any] = [{"role": "user", "content": "What is the weather in Paris and the time in Tokyo?"}]
    if era == "deepseek-r1":
        # litellm files the 422 under BadRequestError, with the body's text
        with pytest.raises(
            litellm.BadRequestError, match=r"messages\[1\]: missing field `content` at line 1"
        ):
            tool_round(base_url, CHAT[era], messages)
        return
    assert tool_round(base_url, CHAT[era], messages).content
    assert [c.function.name for c in messages[1].tool_calls] == ["get_weather", "get_time"]
    messages.append({"role": "user", "content": "And the weather in Lima?"})
    assert "Lima" in tool_round(base_url, CHAT[era], messages).content


def test_reasoner(base_url: str, era: str) -> None:
    message = (
        complete(base_url, "deepseek-reasoner", [{"role": "user", "content": "9.11 or 9.8?"}])
        .choices[0]
        .message
    )
    assert message.content and message.reasoning_content


def test_json_output(base_url: str, era: str) -> None:
    system = 'Reply in json, like: {"city": "Paris", "population_millions": 2.1}'
    messages = [{"role": "system", "content": system}, {"role": "user", "content": "Name a big city."}]
    response = complete(base_url, CHAT[era], messages, response_format={"type": "json_object"})
    assert set(json.loads(response.choices[0].message.content)) == {"city", "population_millions"}


def test_prefix_completion_on_beta(base_url: str, era: str) -> None:
    messages = [
        {"role": "user", "content": "Please write quick sort code"},
        {"role": "assistant", "content": "```python\n", "prefix": True},
    ]
    response = complete(base_url + "/beta", CHAT[era], messages, stop=["```"])
    assert "def quick_sort" in response.choices[0].message.content

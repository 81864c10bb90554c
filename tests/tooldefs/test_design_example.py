"""The docs/design.md example, exactly, and the official openai SDK sending ``.schema`` unchanged."""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx
import pytest
from inline_snapshot import snapshot

from agentkit import Toolset, tool


@tool
async def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Get the current weather for a city.

    Args:
        city: City name, e.g. "Hangzhou".
        unit: Temperature unit.
    """
    return f"{city}: 21°{unit.upper()}"


def test_design_example_schema() -> None:
    assert get_weather.schema == snapshot(
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the current weather for a city.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": 'City name, e.g. "Hangzhou".'},
                        "unit": {
                            "type": "string",
                            "description": "Temperature unit.",
                            "enum": ["c", "f"],
                            "default": "c",
                        },
                    },
                    "required": ["city"],
                    "additionalProperties": False,
                },
            },
        }
    )


def test_design_example_wire_bytes_are_stable() -> None:
    """The bytes the client sends: key order fixed, so the request prefix never changes."""
    wire = json.dumps(get_weather.schema, ensure_ascii=False, separators=(",", ":"))
    assert wire == snapshot(
        '{"type":"function","function":{"name":"get_weather","description":"Get the current weather for a city.","parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name, e.g. \\"Hangzhou\\"."},"unit":{"type":"string","description":"Temperature unit.","enum":["c","f"],"default":"c"}},"required":["city"],"additionalProperties":false}}}'  # noqa: E501
    )
    assert get_weather.schema is get_weather.schema  # built once


@pytest.mark.anyio
async def test_design_example_is_still_the_function() -> None:
    assert await get_weather("Hangzhou") == "Hangzhou: 21°C"
    assert get_weather.__name__ == "get_weather"
    assert get_weather.is_async and not get_weather.takes_context


@pytest.mark.anyio
async def test_openai_sdk_sends_schema_unchanged() -> None:
    import openai

    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(
            200,
            json={
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "deepseek-chat",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "ok"},
                        "finish_reason": "stop",
                    }
                ],
            },
        )

    tools = Toolset(get_weather)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http_client:
        client = openai.AsyncOpenAI(api_key="sk-test", base_url="http://test/v1", http_client=http_client)
        completion = await client.chat.completions.create(
            model="deepseek-chat",
            messages=[{"role": "user", "content": "Weather in Hangzhou?"}],
            tools=tools.schemas,
        )
    assert completion.choices[0].message.content == "ok"
    assert sent[0]["tools"] == [get_weather.schema]

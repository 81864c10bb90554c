"""Helpers shared by the simulator tests (imported by name: tests use importlib mode)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

CASSETTES = Path(__file__).resolve().parents[1] / "data" / "cassettes"

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["c", "f"]},
            },
            "required": ["city"],
        },
    },
}
CLOCK = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the current local time in a timezone.",
        "parameters": {
            "type": "object",
            "properties": {"timezone": {"type": "string"}},
            "required": ["timezone"],
        },
    },
}


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def sse_payloads(text: str) -> list[Any]:
    """The JSON payloads of an SSE body (``[DONE]`` kept as the string)."""
    out: list[Any] = []
    for line in text.splitlines():
        if line.startswith("data: "):
            data = line[len("data: ") :]
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


async def chat(client: httpx.AsyncClient, path: str = "/chat/completions", **body: Any) -> httpx.Response:
    body.setdefault("model", "deepseek-v4-flash")
    return await client.post(path, json=body)

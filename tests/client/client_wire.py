"""DeepSeek-shaped bodies, a scripted mock server and the cassette loader for the client tests.

Importable from the tests because ``conftest.py`` puts this folder on ``sys.path`` (import mode is
importlib, so test folders are not packages).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import yaml

API_KEY = "sk-test-0123456789abcdef0123456789abcdef"
CASSETTES = Path(__file__).resolve().parents[1] / "data" / "cassettes"

Responder = Callable[[httpx.Request], httpx.Response]


@dataclass
class Server:
    """Answers each request with the next scripted response (the last one repeats) and records requests."""

    responses: list[httpx.Response | Responder] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses[min(len(self.requests), len(self.responses)) - 1]
        if callable(item):
            return item(request)
        return httpx.Response(item.status_code, headers=item.headers, stream=item.stream)

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]

    @property
    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]


class Sleeps(list[float]):
    """Records retry delays instead of sleeping."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def sse(*events: dict[str, Any] | str, done: bool = True) -> bytes:
    """An SSE body the way DeepSeek writes it: ``data: <json>`` lines, each followed by a blank line."""
    parts = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    if done:
        parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


def stream_response(body: bytes | Iterable[bytes | Exception], status: int = 200) -> httpx.Response:
    """An event-stream response; an iterable body arrives as separate reads."""
    parts = [body] if isinstance(body, bytes) else list(body)
    headers = {"content-type": "text/event-stream; charset=utf-8"}
    return httpx.Response(status, headers=headers, stream=_AsyncBytes(parts))


class _AsyncBytes(httpx.AsyncByteStream):
    """A body sent in separate reads; ``STALL`` as a part makes the server go silent there for good."""

    def __init__(self, parts: list[bytes | Exception]) -> None:
        self.parts = parts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            if part is STALL:
                await anyio.sleep_forever()
            if isinstance(part, Exception):
                raise part
            yield part


STALL = b"<stall>"


def chunk(
    delta: dict[str, Any], finish_reason: str | None = None, usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A DeepSeek ``chat.completion.chunk`` with one choice."""
    return {
        "id": "930c60df-bf64-41c9-a88e-3ec75f81e00e",
        "object": "chat.completion.chunk",
        "created": 1781233924,
        "model": "deepseek-v4-flash",
        "system_fingerprint": "fp_8b330d02d0_prod0820_fp8_kvcache_20260402",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        "usage": usage,
    }


USAGE = {
    "prompt_tokens": 306,
    "completion_tokens": 85,
    "total_tokens": 391,
    "prompt_tokens_details": {"cached_tokens": 256},
    "completion_tokens_details": {"reasoning_tokens": 31},
    "prompt_cache_hit_tokens": 256,
    "prompt_cache_miss_tokens": 50,
}


def completion(message: dict[str, Any], finish_reason: str = "stop") -> dict[str, Any]:
    """The non-streamed ``chat.completion`` matching ``chunk``'s identity fields."""
    return {
        "id": "930c60df-bf64-41c9-a88e-3ec75f81e00e",
        "object": "chat.completion",
        "created": 1781233924,
        "model": "deepseek-v4-flash",
        "system_fingerprint": "fp_8b330d02d0_prod0820_fp8_kvcache_20260402",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": USAGE,
    }


def load_cassette(name: str) -> list[dict[str, Any]]:
    """The interactions of a recorded cassette (PyYAML is a dev-only dependency)."""
    data: dict[str, Any] = yaml.safe_load((CASSETTES / name).read_text(encoding="utf-8"))
    return list(data["interactions"])

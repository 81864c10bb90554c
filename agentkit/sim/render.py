"""Response bodies in DeepSeek's exact shapes: the non-streamed object and the SSE chunk sequence.

Key order and the presence of ``null`` keys follow the real recordings in tests/data/cassettes: the
thinking-mode role chunk ``{"role":"assistant","content":null,"reasoning_content":""}``, reasoning
deltas with ``content: null``, answer deltas with ``reasoning_content: null``, tool-call fragments that
carry id/type/name only on the first fragment, and usage riding on the final chunk (``"usage": null`` on
every other chunk when ``stream_options.include_usage`` is set, absent otherwise).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_PIECE = re.compile(r"[\u4e00-\u9fff]{1,2}|\s*[^\W\u4e00-\u9fff]+|\s*[^\w\s]|\s+", re.UNICODE)
_ARG_PIECE = re.compile(r"\w+|\W+")


def pieces(text: str, pattern: re.Pattern[str] = _PIECE) -> list[str]:
    """Token-sized pieces whose concatenation is ``text``."""
    return pattern.findall(text)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Completion:
    """One answer, ready to be rendered either way."""

    id: str
    created: int
    model: str
    fingerprint: str
    thinking: bool
    content: str | None
    reasoning: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str = "stop"
    usage: dict[str, Any] = field(default_factory=dict)
    logprobs: dict[str, list[dict[str, Any]]] | None = None
    """Entries per piece of ``content`` (and ``reasoning_content``), when the request asked for them."""


def usage(prompt: int, hit: int, completion: int, reasoning: int, *, thinking: bool) -> dict[str, Any]:
    """Chat usage; ``completion_tokens_details`` only in thinking mode, never for FIM (``thinking=False``)."""
    body: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": hit},
    }
    if thinking:
        body["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    body["prompt_cache_hit_tokens"] = hit
    body["prompt_cache_miss_tokens"] = prompt - hit
    return body


def completion_body(c: Completion) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": c.content}
    if c.thinking:
        message["reasoning_content"] = c.reasoning or ""
    if c.tool_calls:
        message["tool_calls"] = c.tool_calls
    return {
        "id": c.id,
        "object": "chat.completion",
        "created": c.created,
        "model": c.model,
        "choices": [
            {"index": 0, "message": message, "logprobs": c.logprobs, "finish_reason": c.finish_reason}
        ],
        "usage": c.usage,
        "system_fingerprint": c.fingerprint,
    }


def chunk_events(c: Completion, *, include_usage: bool) -> Iterator[str]:
    """``data: {...}`` events (without the final ``[DONE]``), each ending in a blank line."""

    def event(
        delta: dict[str, Any],
        finish: str | None = None,
        usage: dict[str, Any] | None = None,
        logprobs: dict[str, Any] | None = None,
    ) -> str:
        chunk: dict[str, Any] = {
            "id": c.id,
            "object": "chat.completion.chunk",
            "created": c.created,
            "model": c.model,
            "system_fingerprint": c.fingerprint,
            "choices": [{"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}],
        }
        if include_usage or usage is not None:
            chunk["usage"] = usage
        return f"data: {dumps(chunk)}\n\n"

    def logprobs(key: str, index: int) -> dict[str, Any] | None:
        if c.logprobs is None:
            return None
        entries = c.logprobs.get(key)
        return {key: entries[index : index + 1]} if entries is not None else None

    if c.thinking:
        yield event({"role": "assistant", "content": None, "reasoning_content": ""})
        for i, piece in enumerate(pieces(c.reasoning or "")):
            yield event(
                {"content": None, "reasoning_content": piece}, logprobs=logprobs("reasoning_content", i)
            )
        for i, piece in enumerate(pieces(c.content or "")):
            yield event({"content": piece, "reasoning_content": None}, logprobs=logprobs("content", i))
    else:
        yield event({"role": "assistant", "content": ""})
        for i, piece in enumerate(pieces(c.content or "")):
            yield event({"content": piece}, logprobs=logprobs("content", i))
    for call in c.tool_calls:
        function = call["function"]
        first = {
            "index": call["index"],
            "id": call["id"],
            "type": "function",
            "function": {"name": function["name"], "arguments": ""},
        }
        yield event({"tool_calls": [first]})
        for piece in pieces(function["arguments"], _ARG_PIECE):
            yield event({"tool_calls": [{"index": call["index"], "function": {"arguments": piece}}]})
    final: dict[str, Any] = {"content": "", "reasoning_content": None} if c.thinking else {"content": ""}
    yield event(final, c.finish_reason, c.usage)


DONE = "data: [DONE]\n\n"
KEEPALIVE = ": keep-alive\n\n"


def fim_body(
    *,
    id: str,
    created: int,
    model: str,
    fingerprint: str,
    text: str,
    finish_reason: str,
    usage: dict[str, Any],
    logprobs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": [{"text": text, "index": 0, "logprobs": logprobs, "finish_reason": finish_reason}],
        "usage": usage,
        "system_fingerprint": fingerprint,
    }


def fim_events(body: dict[str, Any], *, include_usage: bool) -> Iterator[str]:
    choice = body["choices"][0]
    parts = pieces(choice["text"]) or [""]
    for index, piece in enumerate(parts):
        last = index == len(parts) - 1
        logprobs = choice["logprobs"]
        if logprobs is not None:
            logprobs = {key: values[index : index + 1] for key, values in logprobs.items()}
        finish = choice["finish_reason"] if last else None
        chunk = {
            **body,
            "choices": [{**choice, "text": piece, "logprobs": logprobs, "finish_reason": finish}],
        }
        if last:
            chunk["usage"] = body["usage"]
        elif include_usage:
            chunk["usage"] = None
        else:
            del chunk["usage"]
        yield f"data: {dumps(chunk)}\n\n"

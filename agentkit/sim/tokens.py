"""Token counts by the documented character ratios, and the context-cache model.

DeepSeek documents about 0.3 token per English character and 0.6 per Chinese character
(``docs/deepseek-api.md`` §11); prompts are rendered to text the way a chat template would, so the
count grows with everything the model reads. The cache stores prefixes in 64-token units (§7): a request
that repeats the beginning of an earlier prompt, or of an earlier prompt plus its answer, reads those whole
units from cache. Hits are whole units, never partial ones, and a prefix under 64 tokens is never cached.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections import OrderedDict
from typing import Any

UNIT = 64


_WIDE = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0010ffff]")


def _tenths(text: str) -> int:
    """Tenths of a token (0.3 per character, 0.6 per CJK character), so sums stay exact."""
    return 3 * len(text) + 3 * len(_WIDE.findall(text))


def count_tokens(text: str) -> int:
    return -(-_tenths(text) // 10)


def render_message(message: dict[str, Any]) -> str:
    """The text a chat template would feed the model for one message."""
    role = message.get("role", "")
    parts = [f"<|{role}|>"]
    if role == "assistant" and isinstance(message.get("reasoning_content"), str):
        parts.append(f"<think>{message['reasoning_content']}</think>")
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    parts.append(content or "")
    for call in message.get("tool_calls") or ():
        function = call.get("function", {})
        parts.append(f"<|tool_call|>{function.get('name', '')}{function.get('arguments', '')}")
    if role == "tool":
        parts.append(f"<|tool_call_id|>{message.get('tool_call_id', '')}")
    parts.append("<|end|>")
    return "".join(parts)


def render_prompt(request: dict[str, Any]) -> str:
    """Leading system messages, then the tools (DeepSeek's template appends them to the system part),
    then the rest of the conversation in order."""
    messages: list[dict[str, Any]] = request["messages"]
    split = next((i for i, m in enumerate(messages) if m.get("role") != "system"), len(messages))
    tools = ""
    if request.get("tools"):
        tools = "<|tools|>" + json.dumps(request["tools"], ensure_ascii=False, sort_keys=True) + "<|end|>"
    return (
        "".join(map(render_message, messages[:split]))
        + tools
        + "".join(map(render_message, messages[split:]))
    )


class ContextCache:
    """Prefix hashes at every 64-token boundary, bounded (least recently used prefixes are evicted)."""

    def __init__(self, max_units: int = 200_000) -> None:
        self._units: OrderedDict[bytes, None] = OrderedDict()
        self._max_units = max_units

    @staticmethod
    def _boundaries(namespace: str, text: str) -> list[tuple[int, bytes]]:
        """(tokens so far, prefix hash) at each 64-token boundary of ``text``."""
        wide = [m.start() for m in _WIDE.finditer(text)]

        def weight(end: int) -> int:  # tenths of a token in text[:end]
            return 3 * end + 3 * bisect.bisect_left(wide, end)

        digest = hashlib.blake2b(namespace.encode(), digest_size=16)
        result: list[tuple[int, bytes]] = []
        start = 0
        for unit in range(1, weight(len(text)) // (UNIT * 10) + 1):
            end = bisect.bisect_left(range(len(text) + 1), unit * UNIT * 10, key=weight)
            digest.update(text[start:end].encode())
            start = end
            result.append((unit * UNIT, digest.copy().digest()))
        return result

    def lookup(self, namespace: str, text: str) -> int:
        """Tokens of ``text`` read from cache: the longest stored prefix, in whole units."""
        hit = 0
        for tokens, key in self._boundaries(namespace, text):
            if key not in self._units:
                break
            self._units.move_to_end(key)
            hit = tokens
        return hit

    def store(self, namespace: str, text: str) -> None:
        for _, key in self._boundaries(namespace, text):
            self._units[key] = None
            self._units.move_to_end(key)
        while len(self._units) > self._max_units:
            self._units.popitem(last=False)

    def clear(self) -> None:
        self._units.clear()

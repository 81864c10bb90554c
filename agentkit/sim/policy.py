"""The model that needs no weights: scripted replies, or a plausible tool-calling agent.

Tests script exact replies (``Reply`` objects, or functions of the request); when the script is empty the
default policy answers like a small agent model would: it calls the tools whose names and descriptions
share words with the user's message (several at once, or one tool once per named thing), fills
arguments that satisfy each tool's JSON schema from words of the request, and answers from the tool
results once they arrive. It is deterministic for a seed and a request.
"""

from __future__ import annotations

import json
import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .schema_values import value_for


@dataclass(frozen=True)
class Reply:
    """One model response. ``tool_calls`` items are (name, arguments as a dict or raw JSON text).

    ``reasoning`` is sent only when the request is in thinking mode (then ``""`` when None), as the real
    server does; ``finish_reason`` overrides the computed one (``stop``, ``length``, ``tool_calls``).
    """

    content: str | None = None
    reasoning: str | None = None
    tool_calls: Sequence[tuple[str, dict[str, Any] | str]] = ()
    finish_reason: str | None = None


_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "get",
        "give",
        "how",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "please",
        "show",
        "tell",
        "the",
        "this",
        "to",
        "use",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*|[\u4e00-\u9fff]+|\d+(?:\.\d+)?")


def _words(text: str) -> set[str]:
    found = set()
    for raw in re.split(r"[^0-9A-Za-z\u4e00-\u9fff]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text)):
        word = raw.lower()
        if word and word not in _STOPWORDS:
            found.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return found


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content or ""


def _entities(text: str) -> list[str]:
    """Quoted strings, then capitalised words that do not start a sentence: the "named things"."""
    quoted = re.findall(r"[\"'“‘]([^\"'”’]{1,80})[\"'”’]", text)
    names: list[str] = []
    for match in re.finditer(r"\b[A-Z][a-zA-Z\-]+(?:\s+[A-Z][a-zA-Z\-]+)*", text):
        before = text[: match.start()].rstrip()
        if before and before[-1] not in ".!?" and match.group().lower() not in _STOPWORDS:
            names.append(match.group())
    seen: list[str] = []
    for item in quoted + names:
        if item not in seen:
            seen.append(item)
    return seen


def _seeded(seed: int, request: dict[str, Any]) -> random.Random:
    digest = zlib.crc32(json.dumps(request.get("messages", []), sort_keys=True, default=str).encode())
    return random.Random(seed * 1_000_003 + digest)


def _question(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _text(message)
    return ""


def default_reply(request: dict[str, Any], *, thinking: bool, seed: int) -> Reply:
    """What the weightless model says to ``request``."""
    rng = _seeded(seed, request)
    messages: list[dict[str, Any]] = request["messages"]
    question = _question(messages)
    last = messages[-1]
    if last.get("role") == "assistant" and last.get("prefix"):
        return Reply(content=_continue_prefix(_text(last), question), reasoning=_think(question, thinking))
    if last.get("role") == "tool":
        return _answer_from_results(messages, question, request, thinking)
    calls = _choose_calls(request, question, rng)
    if calls:
        names = ", ".join(sorted({name for name, _ in calls}))
        reasoning = f"The user asks: {question!r}. I will call {names} to find out." if thinking else None
        return Reply(tool_calls=calls, reasoning=reasoning)
    return Reply(content=_answer(request, question, rng), reasoning=_think(question, thinking))


def _think(question: str, thinking: bool) -> str | None:
    if not thinking:
        return None
    return f"The user asks: {question!r}. Let me think about what they need, then answer briefly."


def _choose_calls(
    request: dict[str, Any], question: str, rng: random.Random
) -> list[tuple[str, dict[str, Any]]]:
    tools: list[dict[str, Any]] = request.get("tools") or []
    choice = request.get("tool_choice", "auto")
    if not tools or choice == "none":
        return []
    if isinstance(choice, dict):
        chosen = [t for t in tools if t["function"]["name"] == choice["function"]["name"]]
    else:
        wanted = _words(question)
        scored = []
        for tool in tools:
            function = tool["function"]
            score = len(wanted & _words(function["name"])) * 2 + len(
                wanted & _words(function.get("description", ""))
            )
            if score:
                scored.append((score, tool))
        best = max((s for s, _ in scored), default=0)
        # Tools that match about as well as the best one are all called, in parallel.
        chosen = [t for s, t in scored if s * 2 >= best]
        if not chosen and choice == "required":
            chosen = tools[:1]
    entities = _entities(question)
    calls: list[tuple[str, dict[str, Any]]] = []
    for tool in chosen:
        function = tool["function"]
        schema = function.get("parameters") or {"type": "object", "properties": {}}
        fills = entities if len(chosen) == 1 and len(entities) > 1 else entities[:1]
        for entity in fills[:4]:
            calls.append((function["name"], value_for(schema, question, [entity], rng, schema)))
        if not fills:
            calls.append((function["name"], value_for(schema, question, [], rng, schema)))
    return calls


def _answer_from_results(
    messages: list[dict[str, Any]], question: str, request: dict[str, Any], thinking: bool
) -> Reply:
    results: list[str] = []
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or ():
            names[call["id"]] = call["function"]["name"]
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        results.insert(0, f"{names.get(message.get('tool_call_id', ''), 'tool')}: {_text(message)}")
    reasoning = f"I have the tool results for {question!r}; now I can answer." if thinking else None
    if _json_mode(request):
        return Reply(
            content=json.dumps({"answer": "; ".join(results)}, ensure_ascii=False), reasoning=reasoning
        )
    return Reply(content="Here is what I found. " + "; ".join(results), reasoning=reasoning)


def _json_mode(request: dict[str, Any]) -> bool:
    return (request.get("response_format") or {}).get("type") == "json_object"


def _answer(request: dict[str, Any], question: str, rng: random.Random) -> str:
    if _json_mode(request):
        return json.dumps(_json_answer(request, question, rng), ensure_ascii=False)
    if _words(question) & {"hello", "hi", "hey", "你好"}:
        return "Hello! How can I help you today?"
    openers = ["Here is a short answer.", "Good question.", "Sure."]
    return f"{rng.choice(openers)} You asked: {question.strip()}"


def _json_answer(request: dict[str, Any], question: str, rng: random.Random) -> Any:
    """Follow a JSON example found in the prompt (the docs ask for one), else a plain object."""
    for message in reversed(request["messages"]):
        for match in re.finditer(r"\{.*\}", _text(message), re.DOTALL):
            try:
                example = json.loads(match.group())
            except ValueError:
                continue
            if isinstance(example, dict) and example:
                return {key: _like(value, question, rng) for key, value in example.items()}
    return {"answer": question.strip()}


def _like(example: Any, question: str, rng: random.Random) -> Any:
    if isinstance(example, bool):
        return True
    if isinstance(example, (int, float)):
        numbers = re.findall(r"\d+", question)
        return int(numbers[0]) if numbers else rng.randint(1, 9)
    if isinstance(example, list):
        return [_like(example[0], question, rng)] if example else []
    if isinstance(example, dict):
        return {key: _like(value, question, rng) for key, value in example.items()}
    return question.strip() or "answer"


_QUICK_SORT = """def quick_sort(arr):
    if len(arr) <= 1:
        return arr
    pivot = arr[len(arr) // 2]
    left = [x for x in arr if x < pivot]
    middle = [x for x in arr if x == pivot]
    right = [x for x in arr if x > pivot]
    return quick_sort(left) + middle + quick_sort(right)
"""


def _continue_prefix(prefix: str, question: str) -> str:
    """Prefix completion: the continuation only, as the API returns it (not the prefix itself)."""
    if prefix.lstrip().startswith("```"):
        return _QUICK_SORT + "```\n\nThis sorts the list recursively."
    return f" and so the story of {question.strip() or 'it'} goes on."


def fim_text(prompt: str, suffix: str | None) -> str:
    """Fill in the middle: something that joins the prompt to the suffix."""
    if suffix:
        body = suffix.lstrip("\n")
        indent = body[: len(body) - len(body.lstrip())] or "    "
        return f"\n{indent}if a <= 1:\n{indent}    return a\n"
    return "there lived a curious engineer who wrote tests for everything."

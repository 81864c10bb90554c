"""The model that needs no weights: scripted replies, or a plausible tool-calling agent.

Tests script exact replies (``Reply`` objects, or functions of the request); when the script is empty the
default policy answers like a small agent model would: it calls the tools whose names and descriptions
share words with the user's message (several at once, or one tool once per named thing), fills
arguments that satisfy each tool's JSON schema from words of the request, and answers from the tool
results once they arrive, through the final-answer tool when there is one. In JSON mode the answer has the
shape the prompt's schema or example asks for (see ``structured``). It is deterministic for a seed and a
request.
"""

from __future__ import annotations

import functools
import json
import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .arguments import SPECIFIC, STOPWORDS, Found, Reading, kind_of, singular
from .schema_values import Plan, plan
from .structured import answer_schema, fill, final_tool, text_of as _text


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


def _norm(word: str) -> str:
    return singular(word.lower())


def _words(text: str) -> set[str]:
    found = set()
    for raw in re.split(r"[^0-9A-Za-z\u4e00-\u9fff]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text)):
        if raw and raw.lower() not in STOPWORDS:
            found.add(_norm(raw))
    return found


def _positions(text: str, words: set[str]) -> list[int]:
    """Where ``words`` occur in ``text``: a tool's keywords in the request."""
    return [m.start() for m in re.finditer(r"[0-9A-Za-z\u4e00-\u9fff]+", text) if _norm(m.group()) in words]


def _seeded(seed: int, request: dict[str, Any]) -> random.Random:
    digest = zlib.crc32(json.dumps(request.get("messages", []), sort_keys=True, default=str).encode())
    return random.Random(seed * 1_000_003 + digest)


def _question(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _text(message)
    return ""


def _called_since(messages: list[dict[str, Any]]) -> set[str]:
    """The tools called since the last user message."""
    called: set[str] = set()
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        called.update(c["function"]["name"] for c in message.get("tool_calls") or ())
    return called


# What malformed schemas (in the tools, or written in the prompt) raise when they are read as JSON Schema.
_UNREADABLE = (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError)


def default_reply(request: dict[str, Any], *, thinking: bool, seed: int) -> Reply:
    """What the weightless model says to ``request``. A schema it cannot read as JSON Schema (a tool's
    parameters, or one the prompt spells out) is one it cannot follow: it answers in plain words then (in
    JSON mode, a JSON object), as a model would, rather than failing the request."""
    try:
        return _reply(request, thinking=thinking, seed=seed)
    except _UNREADABLE:
        question = _question(request["messages"]).strip()
        if _json_mode(request):
            return Reply(
                content=json.dumps({"answer": question}, ensure_ascii=False),
                reasoning=_think(question, thinking),
            )
        return Reply(content=f"You asked: {question}", reasoning=_think(question, thinking))


def _reply(request: dict[str, Any], *, thinking: bool, seed: int) -> Reply:
    rng = _seeded(seed, request)
    messages: list[dict[str, Any]] = request["messages"]
    question = _question(messages)
    last = messages[-1]
    if last.get("role") == "assistant" and last.get("prefix"):
        return Reply(content=_continue_prefix(_text(last), question), reasoning=_think(question, thinking))
    after_tools = last.get("role") == "tool"
    # "Look up the customer, then give your final answer": after the results, the later step's tool.
    calls = _choose_calls(request, question, rng, _called_since(messages) if after_tools else set())
    calls = calls or _final_call(request, question, rng)
    if after_tools and not calls:
        return _answer_from_results(messages, question, request, thinking, rng)
    if calls:
        names = ", ".join(sorted({name for name, _ in calls}))
        reasoning = f"The user asks: {question!r}. I will call {names} to find out." if thinking else None
        return Reply(tool_calls=calls, reasoning=reasoning)
    return Reply(content=_answer(request, question, rng), reasoning=_think(question, thinking))


def _think(question: str, thinking: bool) -> str | None:
    if not thinking:
        return None
    return f"The user asks: {question!r}. Let me think about what they need, then answer briefly."


@dataclass
class _Option:
    """A tool as the answer to the request: how well it fits, its arguments, where its keywords are."""

    function: dict[str, Any]
    overlap: int  # the request's words in the tool's name (twice) and description
    named: bool  # every word of the tool's name is in the request ("weather and local time": get_local_time)
    score: int
    plan: Plan
    keywords: list[int]


def _choose_calls(
    request: dict[str, Any], question: str, rng: random.Random, called: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    """The tools whose words the request shares (or whose arguments it spells out), filled from it.

    Only the words of the current step choose tools: before "then" at first, after it once tools were
    called (``called``); the arguments may come from the whole request.
    """
    tools: list[dict[str, Any]] = request.get("tools") or []
    choice = request.get("tool_choice", "auto")
    later = _LATER.search(question)
    if not tools or choice == "none" or (called and (isinstance(choice, dict) or not later)):
        return []
    final = final_tool(tools)
    # The final-answer tool comes last, alone (``_final_call``), unless the request names it as the choice.
    functions = [
        t["function"]
        for t in tools
        if t["function"]["name"] not in called and (t["function"] is not final or isinstance(choice, dict))
    ]
    vocabulary = frozenset(w for f in functions for w in _words(f["name"]) | _words(f.get("description", "")))
    context = " ".join(_text(m) for m in reversed(request["messages"]) if m.get("role") == "user")
    reading = Reading(question, vocabulary, context)
    step = (
        reading.prose[later.end() :]
        if called and later
        else reading.prose[: later.start() if later else None]
    )
    asked = _words(step)
    options: list[_Option] = []
    for function in functions:
        name, about = _words(function["name"]), _words(function.get("description", ""))
        overlap = 2 * len(asked & name) + len(asked & about)
        filled = plan(function, reading, rng)
        score = overlap + 2 * filled.found + 2 * len(filled.signals & SPECIFIC) - 3 * filled.missing
        keywords = _positions(reading.prose, asked & (name | about))
        options.append(_Option(function, overlap, bool(name) and name <= asked, score, filled, keywords))
    if isinstance(choice, dict):
        chosen = [o for o in options if o.function["name"] == choice["function"]["name"]]
    else:
        chosen = _fitting(options)
    if not chosen and choice == "required" and options and not called and final is None:
        chosen = [max(options, key=lambda o: o.score)]
    calls: list[tuple[str, dict[str, Any]]] = []
    for option in chosen:
        for arguments in option.plan.calls(functools.partial(_owns, option, chosen)):
            calls.append((option.function["name"], arguments))
    return calls


def _final_call(
    request: dict[str, Any], question: str, rng: random.Random
) -> list[tuple[str, dict[str, Any]]]:
    """The final-answer tool called with an answer that fits its schema, when no other tool is called."""
    tools: list[dict[str, Any]] = request.get("tools") or []
    final = final_tool(tools)
    if final is None or request.get("tool_choice", "auto") not in ("auto", "required"):
        return []
    vocabulary = frozenset(w for t in tools for w in _words(t["function"]["name"]))
    schema = final.get("parameters") or {"type": "object", "properties": {}}
    return [(final["name"], fill(schema, request, question, rng, vocabulary))]


def _fitting(options: list[_Option]) -> list[_Option]:
    """The tools the request names, or that fit nearly as well as the best one, all called in parallel, and
    for a math expression, URL or path that none of them takes, the best tool that takes it unnamed.

    One such thing goes to one tool: a URL is fetched once, not by every tool that could fetch it.
    """
    matching = [o for o in options if o.overlap and o.score > 0]
    # A tool the request gives everything it needs beats one that would have to guess a required value.
    matching = [o for o in matching if not o.plan.missing] or matching
    best = max((o.score for o in matching), default=0)
    close = [o for o in matching if o.named or o.score * 3 >= best * 2]
    unnamed = [o for o in options if not o.overlap and o.score > 0 and o.plan.signals & SPECIFIC]
    chosen: list[_Option] = []
    taken: set[str] = set()
    for option in sorted(close, key=lambda o: -o.score) + sorted(unnamed, key=lambda o: -o.score):
        kinds = option.plan.signals & SPECIFIC
        if not (kinds and kinds <= taken):
            chosen.append(option)
            taken |= kinds
    return sorted(chosen, key=options.index)


def _owns(option: _Option, chosen: list[_Option], thing: Found) -> bool:
    """A thing named in the request goes to the tool whose keyword comes nearest before it.

    "Weather in Paris and the time in Tokyo": Paris to the weather tool, Tokyo to the clock.
    """

    def distance(other: _Option) -> int:
        return min((thing.pos - k for k in other.keywords if k <= thing.pos), default=1 << 30)

    rivals = [o for o in chosen if any(t.pos == thing.pos for t in o.plan.things)]
    return distance(option) <= min(distance(o) for o in rivals)


def _answer_from_results(
    messages: list[dict[str, Any]], question: str, request: dict[str, Any], thinking: bool, rng: random.Random
) -> Reply:
    """Say what the tools found, one clause per result with the value that answers the question."""
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    for message in messages:
        for call in message.get("tool_calls") or ():
            calls[call["id"]] = (call["function"]["name"], _arguments(call["function"].get("arguments")))
    tools = [t["function"] for t in request.get("tools") or []]
    schemas = {f["name"]: f.get("parameters") or {} for f in tools}
    clauses: list[str] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        name, arguments = calls.get(message.get("tool_call_id", ""), ("tool", {}))
        properties = schemas.get(name, {}).get("properties") or {}
        clauses.insert(0, _clause(name, arguments, properties, _text(message)))
    answer = "; ".join(clauses)
    answer = answer[:1].upper() + answer[1:] + ("" if answer.endswith((".", "!", "?")) else ".")
    reasoning = f"I have the tool results for {question!r}; now I can answer." if thinking else None
    if _json_mode(request):
        schema = answer_schema(messages)
        data = fill(schema, request, question, rng) if schema else {"answer": answer}
        return Reply(content=json.dumps(data, ensure_ascii=False), reasoning=reasoning)
    return Reply(content=answer, reasoning=reasoning)


def _arguments(raw: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _clause(name: str, arguments: dict[str, Any], properties: dict[str, Any], result: str) -> str:
    """``2**10 = 1024``, ``in Tokyo it is 2026-...``, ``in Paris: 18 C``: the result and what it is about."""
    result = " ".join(result.split())
    if len(result) > _MAX_RESULT_CHARS:
        result = result[:_MAX_RESULT_CHARS].rstrip() + "…"
    if result.lower().startswith("error"):
        return f"{name} failed ({result})"
    for key, value in arguments.items():
        if not isinstance(value, str) or not value:
            continue
        kind = kind_of(key, properties.get(key) or {})
        if kind == "expression":
            return f"{value} = {result}"
        if kind == "zone":
            return f"in {value.rsplit('/', 1)[-1].replace('_', ' ')} it is {result}"
        if kind in ("place", "url", "path"):
            if value.lower() in result.lower():
                return result
            return f"in {value}: {result}" if kind == "place" else f"{value}: {result}"
    return f"{name}: {result}"


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
    """The shape the prompt's schema or example asks for (the docs ask for an example), else a plain
    object."""
    schema = answer_schema(request["messages"])
    return fill(schema, request, question, rng) if schema else {"answer": question.strip()}


_MAX_RESULT_CHARS = 2000
_LATER = re.compile(r"\b(?:then|afterwards|after that|finally)\b", re.IGNORECASE)

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

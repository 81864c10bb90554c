"""Structured answers: what shape the prompt asks the answer to have, and the values to give it.

A JSON-mode request describes its answer in the prompt, either as a JSON Schema ("...matching this JSON
schema: {...}") or as an example object, which DeepSeek's docs recommend; an example stands for the schema
of its keys and value types. A request with tools may offer a final-answer tool instead (``final_result``).
Either way the answer is filled from the request's words (see ``schema_values.answer``) and from what the
tools returned since the user last spoke.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from .arguments import Reading, name_words, singular
from .schema_values import answer

_DECODER = json.JSONDecoder()
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_KEYWORDS = (
    "$defs $id $ref additionalProperties allOf anyOf definitions description discriminator maxProperties "
    "minProperties oneOf patternProperties properties propertyNames required title type"
)
_SCHEMA_KEYWORDS = frozenset(_KEYWORDS.split())
_FINAL = re.compile(r"\bfinal (?:answer|result)\b", re.IGNORECASE)
_FINAL_NAMES = frozenset({"final", "answer", "result", "submit", "respond"})
# Words of the instructions about the answer's form or task, never what it is about (a sentence may start
# with them: "Plan a trip to Lisbon", "What's the weather in Paris?").
_FORM_WORDS = "answer example field format json key object output reply respond return schema value"
_TASK_WORDS = "classify describe explain extract plan rate suggest how's it's let's what's where's who's"
_FORM = frozenset(singular(w) for w in f"{_FORM_WORDS} {_TASK_WORDS}".split())


def text_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content or ""


def json_objects(text: str) -> list[tuple[dict[str, Any], int, int]]:
    """The JSON objects written in ``text``, with where each starts and ends."""
    found: list[tuple[dict[str, Any], int, int]] = []
    start = text.find("{")
    while start >= 0:
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        found.append((value, start, end))
        start = text.find("{", end)
    return found


def _is_schema(value: dict[str, Any]) -> bool:
    """An object schema, not an example: nothing but schema keywords, ``"type": "object"`` or properties."""
    typed = value.get("type") == "object" or isinstance(value.get("properties"), dict)
    return "$schema" in value or (typed and value.keys() <= _SCHEMA_KEYWORDS)


def answer_schema(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The schema the prompt gives for the answer: a JSON Schema if there is one (the latest), else the
    schema of the latest example object; None when the prompt shows neither."""
    prompts = [m for m in reversed(messages) if m.get("role") in ("system", "user")]
    for message in prompts:
        for value, _, _ in json_objects(text_of(message)):
            if _is_schema(value):
                return value
    for message in prompts:
        for value, _, _ in json_objects(text_of(message)):
            if value:
                return example_schema(value)
    return None


def example_schema(example: Any) -> dict[str, Any]:
    """The schema an example implies: the same keys, all required, and values of the same types."""
    if isinstance(example, bool):
        return {"type": "boolean"}
    if isinstance(example, int):
        return {"type": "integer"}
    if isinstance(example, float):
        return {"type": "number"}
    if isinstance(example, list):
        items = example_schema(example[0]) if example else {"type": "string"}
        return {"type": "array", "items": items, "minItems": 1 if example else 0}
    if isinstance(example, dict):
        properties = {key: example_schema(value) for key, value in example.items()}
        return {"type": "object", "properties": properties, "required": list(example)}
    if example is None:
        return {"type": "null"}
    return {"type": "string", "format": "date"} if _DATE.fullmatch(str(example)) else {"type": "string"}


def final_tool(tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The tool that takes the final answer (``final_result``, or one described as taking it), if any."""
    for tool in tools:
        function: dict[str, Any] = tool["function"]
        name = function["name"]
        described = _FINAL.search(function.get("description", "")) and set(name_words(name)) & _FINAL_NAMES
        if name == "final_result" or described:
            return function
    return None


def since_user(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tool results since the user last spoke."""
    results: list[dict[str, Any]] = []
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        if message.get("role") == "tool":
            results.insert(0, message)
    return results


def fill(
    schema: dict[str, Any],
    request: dict[str, Any],
    question: str,
    rng: random.Random,
    vocabulary: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The answer to ``question`` in the shape of ``schema``, from the request and the latest tool results.

    JSON written in the prompt is left out of the reading: an example's values are not the answer's. A
    result in JSON gives its values by key; one in plain text ("18 C, sunny") is read with the question.
    """
    messages: list[dict[str, Any]] = request["messages"]
    texts = [_without_json(question)]
    facts: dict[str, Any] = {}
    for message in since_user(messages):
        parsed = _parsed(text_of(message))
        for value in parsed:
            _collect(value, facts)
        if not parsed:
            texts.append(text_of(message))
    context = " ".join(_without_json(text_of(m)) for m in reversed(messages) if m.get("role") == "user")
    words = vocabulary | _FORM | {w for key in _keys(schema) for w in name_words(key)}
    return answer(schema, Reading("\n".join(texts), words, context), rng, facts)


def _without_json(text: str) -> str:
    for _, start, end in json_objects(text):
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _parsed(text: str) -> list[Any]:
    """The JSON a tool result is, or holds."""
    try:
        value = json.loads(text)
    except ValueError:
        return [value for value, _, _ in json_objects(text)]
    return [value] if isinstance(value, (dict, list)) else []


def _collect(value: Any, facts: dict[str, Any]) -> None:
    """Every scalar a result gives under a key, the first one for each key: ``{"temp": 21}`` -> temp."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                _collect(item, facts)
            else:
                facts.setdefault(str(key), item)
    elif isinstance(value, list):
        for item in value:
            _collect(item, facts)


def _keys(schema: Any) -> set[str]:
    """The property names anywhere in a schema."""
    keys: set[str] = set()
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            keys.update(properties)
        for value in schema.values():
            keys |= _keys(value)
    elif isinstance(schema, list):
        for value in schema:
            keys |= _keys(value)
    return keys

"""Arguments that satisfy a tool's JSON schema, taken from the words of the request where possible."""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

_FORMATS = {
    "email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00",
    "uri": "https://example.com",
}
_MAX_DEPTH = 6


def value_for(
    schema: dict[str, Any],
    text: str,
    entities: list[str],
    rng: random.Random,
    root: dict[str, Any],
    depth: int = 0,
) -> Any:
    """A value valid for ``schema``; ``entities`` are named things from the request, used up in order."""
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        mentioned = [v for v in schema["enum"] if isinstance(v, str) and v.lower() in text.lower()]
        return mentioned[0] if mentioned else schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [o for o in schema[key] if _resolve(o, root).get("type") != "null"] or schema[key]
            return value_for(options[0], text, entities, rng, root, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return _object(schema, text, entities, rng, root, depth)
    if kind == "array":
        items = schema.get("items") or {"type": "string"}
        count = (
            max(int(schema.get("minItems", 1)), 1) if depth < _MAX_DEPTH else int(schema.get("minItems", 0))
        )
        count = min(count, int(schema.get("maxItems", count)))
        return [value_for(items, text, entities, rng, root, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, text, kind == "integer")
    if kind == "boolean":
        return bool(schema.get("default", False))
    if kind == "null":
        return None
    return _string(schema, text, entities, rng)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 32:
        node: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node if isinstance(node, dict) else {}
        seen += 1
    return schema


def _object(
    schema: dict[str, Any],
    text: str,
    entities: list[str],
    rng: random.Random,
    root: dict[str, Any],
    depth: int,
) -> dict[str, Any]:
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    words = text.lower()
    result: dict[str, Any] = {}
    for name, sub in properties.items():
        if name in required or (depth == 0 and name.lower() in words):
            result[name] = value_for(sub, text, entities, rng, root, depth + 1)
    return result


def _number(schema: dict[str, Any], text: str, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    candidates = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]
    if "default" in schema:
        candidates.append(float(schema["default"]))
    candidates.append(float(low) + 1 if low is not None else 1.0)
    for value in candidates:
        if integer:
            value = float(int(value))
        if _in_range(schema, value, low, high):
            return int(value) if integer else value
    step = schema.get("multipleOf", 1)
    value = float(low if low is not None else 0)
    while not _in_range(schema, value, low, high) and (high is None or value <= high):
        value += step
    return int(value) if integer else value


def _in_range(schema: dict[str, Any], value: float, low: Any, high: Any) -> bool:
    if low is not None and (value < low or ("exclusiveMinimum" in schema and value <= low)):
        return False
    if high is not None and (value > high or ("exclusiveMaximum" in schema and value >= high)):
        return False
    step = schema.get("multipleOf")
    return not step or abs(value / step - round(value / step)) < 1e-9


def _string(schema: dict[str, Any], text: str, entities: list[str], rng: random.Random) -> str:
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if fmt in _FORMATS:
        return _FORMATS[fmt]
    pattern = schema.get("pattern")
    if pattern:
        for token in [*entities, *text.split()]:
            if re.fullmatch(pattern, token):
                return token
    if entities:
        value = entities.pop(0)
    elif isinstance(schema.get("default"), str):
        value = schema["default"]
    else:
        urls = re.findall(r"https?://\S+", text)
        value = urls[0].rstrip(".,)") if urls else (text.strip() or "example")
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    value = value.ljust(low, "x")
    return value[: int(high)] if high is not None else value

"""Arguments that satisfy a tool's JSON schema, taken from the words of the request where possible.

``plan`` fills one tool's arguments the way a small model does: each parameter gets the next value of its
kind read from the request (see ``arguments``); optional parameters are left out unless the request names
something for them; a parameter that several named things fit is noted, so that the tool can be called
once per thing. The plan also says how well the request fits the tool: what it found and what it lacked.

``answer`` fills a structured final answer instead (a JSON-mode reply, the final-answer tool): every field,
free-text fields that describe something with the request's own words, and values the tools returned
under a field's name.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .arguments import STRONG, Found, Reading, kind_of, name_words
from .regex_example import example_matching

_FORMATS = {
    "email": "user@example.com",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00",
    "uri": "https://example.com",
    "duration": "P1D",
}
# The kind whose candidates already have a format's shape; any other kind's would not validate.
_FORMAT_KINDS = {"date": "date", "date-time": "date", "email": "email", "uri": "url"}
# Answer fields that describe rather than name: they get the request's words, not one named thing.
_PROSE_WORDS = "answer comment content description detail explanation message note reason summary text"
_PROSE = frozenset(_PROSE_WORDS.split())
_FALLBACKS = {"zone": "UTC", "path": ".", "url": "https://example.com", "date": "2025-01-01"}
_MAX_DEPTH = 6
_MAX_ITEMS = 8
_MAX_CALLS = 4
_ANSWER_DEPTH = 2  # optional fields of an answer are filled this deep (recursive models end)


@dataclass
class Plan:
    """One tool's arguments for the request, and how well the request fits the tool."""

    arguments: dict[str, Any]
    found: int = 0  # parameters filled with something the request names
    missing: int = 0  # parameters that need a specific thing the request does not name
    signals: set[str] = field(default_factory=set)  # the kinds of what was found
    fan: str | None = None  # the parameter that takes one named thing per call
    things: list[Found] = field(default_factory=list)

    def calls(self, keep: Callable[[Found], bool]) -> list[dict[str, Any]]:
        """One call, or one per named thing that ``keep`` gives this tool (all of them if it gives none)."""
        if self.fan is None:
            return [self.arguments]
        things = [t for t in self.things if keep(t)] or self.things
        return [{**self.arguments, self.fan: t.value} for t in things]


def plan(function: dict[str, Any], reading: Reading, rng: random.Random) -> Plan:
    """Fill the arguments of ``function`` (the ``function`` part of a tool definition) from ``reading``."""
    schema = function.get("parameters") or {"type": "object", "properties": {}}
    return _Filler(reading, rng, schema).fill()


def answer(
    schema: dict[str, Any], reading: Reading, rng: random.Random, facts: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A final answer that validates against ``schema`` (an object schema), read from ``reading``.

    ``facts`` are values the tools returned, by key: a field of that name takes one when its type fits.
    """
    return _Filler(reading, rng, schema, facts or {}, answering=True).fill().arguments


class _Filler:
    """Fills one tool's arguments; each kind's candidates are used up in order."""

    def __init__(
        self,
        reading: Reading,
        rng: random.Random,
        root: dict[str, Any],
        facts: Mapping[str, Any] | None = None,
        *,
        answering: bool = False,
    ) -> None:
        self.reading = reading
        self.rng = rng
        self.root = root
        self.facts = facts or {}
        self.answering = answering
        self.used: Counter[str] = Counter()
        self.plan = Plan({})

    def fill(self) -> Plan:
        arguments = self.value(self.root, "", 0)
        self.plan.arguments = arguments if isinstance(arguments, dict) else {}
        return self.plan

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Follow ``$ref`` and take the first non-null branch of ``anyOf``/``oneOf`` (``Optional[X]``)."""
        for _ in range(32):
            if "$ref" in schema:
                node: Any = self.root
                for part in schema["$ref"].lstrip("#/").split("/"):
                    node = node.get(part, {}) if isinstance(node, dict) else {}
                schema = node if isinstance(node, dict) else {}
                continue
            options = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
            if not options or "enum" in schema or "const" in schema:
                break
            schema = next((o for o in options if self.resolve(o).get("type") != "null"), options[0])
        return schema

    def kind(self, name: str, schema: dict[str, Any]) -> str | None:
        """The kind of a plain string parameter (not an enum, not a pattern); None for anything else."""
        schema = self.resolve(schema)
        plain = _type(schema) == "string" and not {"enum", "const", "pattern"} & schema.keys()
        return kind_of(name, schema) if plain else None

    def take(self, kind: str) -> Found | None:
        """The next candidate of ``kind``; an answer names a thing again ("Lisbon" as trip and city)."""
        candidates = self.reading.candidates(kind)
        if self.used[kind] >= len(candidates) and not (self.answering and candidates):
            return None
        self.used[kind] += 1
        return candidates[(self.used[kind] - 1) % len(candidates)]

    def value(self, schema: dict[str, Any], name: str, depth: int) -> Any:
        if depth >= _MAX_DEPTH and _nullable(schema):
            return None  # a recursive ``next: Node | None`` ends
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            named = self.named(schema["enum"])
            default = schema.get("default")
            return named[0] if named else default if default in schema["enum"] else schema["enum"][0]
        kind = _type(schema)
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, name, depth)
        if kind in ("integer", "number"):
            return self.number(schema, name, kind == "integer")
        if kind == "boolean":
            return bool(schema.get("default", False)) or self.reading.mentions(name)
        if kind == "null":
            return None
        return self.string(schema, name)

    def named(self, options: list[Any]) -> list[Any]:
        """The enum values the request names as words ("in celsius", "business class"), else the
        conversation does."""
        for text in (self.reading.text, self.reading.context):
            named = [
                v
                for v in options
                if not isinstance(v, bool)
                and len(str(v)) > 1
                and re.search(rf"(?<!\w){re.escape(str(v))}(?!\w)", text, re.IGNORECASE)
            ]
            if named:
                return named
        return []

    def wanted(self, name: str, schema: dict[str, Any]) -> bool:
        """Whether an optional parameter is worth filling: only when the request says something for it."""
        schema = self.resolve(schema)
        if "enum" in schema:
            return bool(self.named(schema["enum"]))
        kind = _type(schema)
        if kind == "boolean":
            return self.reading.mentions(name)
        if kind in ("integer", "number"):
            return self.reading.number_near(name) is not None
        string_kind = self.kind(name, schema)
        return string_kind in STRONG and self.used[string_kind] < len(self.reading.candidates(string_kind))

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        kinds = Counter(self.kind(n, s) for n, s in properties.items())
        result: dict[str, Any] = {}
        for name, sub in properties.items():
            shallow = self.answering and depth < _ANSWER_DEPTH
            if name not in required and not shallow and not self.wanted(name, sub):
                continue
            fact = _fitting(self.resolve(sub), self.facts.get(name))
            if fact is not None:
                result[name] = fact
                continue
            result[name] = self.value(sub, name, depth + 1)
            kind = self.kind(name, sub)
            # Free text fans out over quoted things only ("add 'buy milk' and 'call the bank'").
            things = self.reading.candidates("query" if kind == "text" else kind) if kind else []
            # One thing per call when exactly one parameter takes that kind and the request names several.
            if depth == 0 and kind and kinds[kind] == 1 and len(things) > 1 and self.plan.fan is None:
                self.plan.fan = name
                sub = self.resolve(sub)
                self.plan.things = [t._replace(value=_fit(sub, str(t.value))) for t in things[:_MAX_CALLS]]
        return result

    def array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        if schema.get("prefixItems"):  # a tuple
            return [self.value(item, name, depth + 1) for item in schema["prefixItems"]]
        items = schema.get("items") or {"type": "string"}
        kind = self.kind(name, items)
        named = len(self.reading.candidates(kind)) - self.used[kind] if kind else 0
        low = int(schema.get("minItems", 0))
        count = max(low, named, 1) if depth < _MAX_DEPTH else low
        count = min(count, int(schema.get("maxItems", _MAX_ITEMS)), max(low, _MAX_ITEMS))
        values = [self.value(items, name, depth + 1) for _ in range(count)]
        if schema.get("uniqueItems"):
            values = list({json.dumps(v, sort_keys=True): v for v in values}.values())
        return values

    def number(self, schema: dict[str, Any], name: str, integer: bool) -> int | float:
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        near = self.reading.number_near(name)
        numbers = self.reading.candidates("number")
        if near is not None:
            self.plan.found += 1
        elif not numbers and "default" not in schema:
            self.plan.missing += 1
        candidates = [float(n.value) for n in ([near] if near else []) + numbers]
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

    def string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        pattern = schema.get("pattern")
        if pattern:
            token = next(
                (t for t in re.findall(r"[\w.@/:+-]+", self.reading.text) if re.fullmatch(pattern, t)), None
            )
            if token is not None:
                self.plan.found += 1
                return str(token)
            example = example_matching(pattern)
            if example is not None:
                return example
        kind = kind_of(name, schema)
        if fmt in _FORMATS and _FORMAT_KINDS.get(fmt) != kind:
            return _fit(schema, _FORMATS[fmt])  # "start_time" in format "time": no date of the request fits
        if self.answering and kind == "text" and set(name_words(name)) & _PROSE:
            quoted = self.take("query")  # "triage the ticket 'Charged twice'": what it is about
            return _fit(schema, str(quoted.value) if quoted else self.reading.content())
        found = self.take(kind)
        if found is not None:
            if kind in STRONG:
                self.plan.found += 1
                self.plan.signals.add(kind)
            value = str(found.value)
        elif isinstance(schema.get("default"), str):
            value = str(schema["default"])
        else:
            self.plan.missing += int(kind in STRONG)
            value = _FORMATS.get(fmt or "") or _FALLBACKS.get(kind) or self.reading.content()
        return _fit(schema, value)


def _type(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return str(kind)


def _nullable(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    options = schema.get("anyOf") or schema.get("oneOf") or ()
    return kind == "null" or (isinstance(kind, list) and "null" in kind) or {"type": "null"} in options


def _fitting(schema: dict[str, Any], value: Any) -> Any:
    """``value`` (a tool's result) if a plain field of ``schema`` accepts it as it is, else None."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if "const" in schema:
        return value if value == schema["const"] else None
    if "enum" in schema:
        return value if value in schema["enum"] else None
    kind = _type(schema)
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind in ("integer", "number") and isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind == "integer" and not float(value).is_integer():
            return None
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if not _in_range(schema, float(value), low, high):
            return None
        return int(value) if kind == "integer" else value
    if kind == "string" and isinstance(value, str) and not {"format", "pattern"} & schema.keys():
        return value if _fit(schema, value) == value else None
    return None


def _fit(schema: dict[str, Any], value: str) -> str:
    """``value`` in the schema's date format and within its length bounds."""
    fmt = schema.get("format")
    if fmt == "date" and re.match(r"\d{4}-\d\d-\d\d", value):
        value = value[:10]
    elif fmt == "date-time" and re.match(r"\d{4}-\d\d-\d\d", value):
        day, _, time = value.partition("T")
        time = time or "00:00:00"
        if re.fullmatch(r"\d\d:\d\d", time[:5]) and time[5:6] != ":":
            time = time[:5] + ":00" + time[5:]
        value = f"{day}T{time}" if re.search(r"(Z|[+-]\d\d:?\d\d)$", time) else f"{day}T{time}Z"
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    value = value.ljust(low, "x")
    return value[: int(high)] if high is not None else value


def _in_range(schema: dict[str, Any], value: float, low: Any, high: Any) -> bool:
    if low is not None and (value < low or ("exclusiveMinimum" in schema and value <= low)):
        return False
    if high is not None and (value > high or ("exclusiveMaximum" in schema and value >= high)):
        return False
    step = schema.get("multipleOf")
    return not step or abs(value / step - round(value / step)) < 1e-9

"""The strict-mode transform: a tool's JSON Schema reduced to what DeepSeek's strict tools accept.

Strict tools (``/beta``, ``"strict": true``) make the server validate the model's arguments against the
schema, but the server only understands a subset of JSON Schema (``docs/deepseek-api.md`` §5): every property
required, ``additionalProperties: false`` on every object, no length or item-count limits, a short list of
string formats. This module rewrites a schema into that subset at decoration time, so a schema the server
would reject is a :class:`ToolDefinitionError` naming the parameter, never a 400 in the middle of a run.

Constraints the subset cannot carry (``maxLength``, ``default``...) move into the description as a short
note, so the model still sees them; pydantic still enforces them when the arguments are validated.
"""

from __future__ import annotations

import json
from typing import Any

from ._errors import ToolDefinitionError

SUPPORTED_FORMATS = frozenset({"email", "hostname", "ipv4", "ipv6", "uuid"})

# Keywords kept as they are.
_KEPT = frozenset(
    {
        "type",
        "description",
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
)
# Keywords that carry no meaning for the model and are dropped.
_DROPPED = frozenset(
    {"title", "discriminator", "examples", "deprecated", "readOnly", "writeOnly", "$comment", "$schema"}
)
# Keywords handled structurally below.
_STRUCTURAL = frozenset(
    {
        "properties",
        "required",
        "additionalProperties",
        "items",
        "prefixItems",
        "anyOf",
        "oneOf",
        "allOf",
        "$ref",
        "const",
    }
)
# Keywords the subset lacks that become a note in the description: keyword -> (phrase, one, many).
_NOTES = {
    "minLength": ("at least", "character", "characters"),
    "maxLength": ("at most", "character", "characters"),
    "minItems": ("at least", "item", "items"),
    "maxItems": ("at most", "item", "items"),
    "minProperties": ("at least", "entry", "entries"),
    "maxProperties": ("at most", "entry", "entries"),
}

_FIX = "Change the type, or use @tool(strict=False)."


def to_strict(schema: dict[str, Any], *, tool_name: str) -> dict[str, Any]:
    """Return a strict-mode copy of ``schema`` (a tool's ``parameters``); the input is not changed."""
    return _Converter(schema, tool_name).run()


class _Converter:
    def __init__(self, root: dict[str, Any], tool_name: str) -> None:
        self.root = root
        self.tool_name = tool_name
        self.defs: dict[str, Any] = root.get("$defs") or root.get("$def") or {}
        self.out_defs: dict[str, dict[str, Any]] = {}
        self.used_refs: set[str] = set()
        self.inlining: list[str] = []
        """Definitions being inlined, outermost first: one met again inside itself would never end."""

    def run(self) -> dict[str, Any]:
        body = {key: value for key, value in self.root.items() if key not in ("$defs", "$def")}
        result = self.convert(body, [], top=True)
        used = [name for name in self.defs if name in self.used_refs and name in self.out_defs]
        if used:
            result["$defs"] = {name: self.out_defs[name] for name in used}
        return result

    def fail(self, where: list[str], reason: str, fix: str = _FIX) -> ToolDefinitionError:
        place = " > ".join(where) if where else "the parameters"
        return ToolDefinitionError(
            f"Tool {self.tool_name!r} cannot use strict mode: {place}: {reason}. {fix}"
        )

    def convert(self, node: dict[str, Any], where: list[str], *, top: bool = False) -> dict[str, Any]:
        if "$ref" in node:
            return self.convert_ref(node, where)
        out: dict[str, Any] = {}
        notes: list[str] = []
        for key, value in node.items():
            if key in _KEPT:
                out[key] = value
            elif key == "const":
                out["enum"] = [value]
            elif key == "format":
                if value in SUPPORTED_FORMATS:
                    out[key] = value
                else:
                    notes.append(f"format: {value}")
            elif key == "default":
                if value is not None:  # a null default goes without saying on a nullable type
                    notes.append(f"default: {json.dumps(value, ensure_ascii=False)}")
            elif key in _NOTES:
                phrase, one, many = _NOTES[key]
                notes.append(f"{phrase} {value} {one if value == 1 else many}")
            elif key == "uniqueItems":
                if value:
                    notes.append("items must be unique")
            elif key in _DROPPED or key in _STRUCTURAL:
                continue
            else:
                raise self.fail(where, f"the JSON Schema keyword {key!r} is not supported in strict mode")

        self.convert_unions(node, out, where)
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            self.convert_object(node, out, where, top=top)
        elif kind == "array":
            self.convert_array(node, out, where)
        if not ({"type", "anyOf", "enum", "$ref"} & out.keys()):
            raise self.fail(
                where,
                "it accepts any value (Any, object or no annotation), which strict mode cannot express",
                "Give it a concrete type, or use @tool(strict=False).",
            )
        if notes:
            text = "; ".join(notes)
            out["description"] = f"{out['description']} ({text})" if out.get("description") else text
        return out

    def convert_ref(self, node: dict[str, Any], where: list[str]) -> dict[str, Any]:
        ref: str = node["$ref"]
        name = ref.rsplit("/", 1)[-1]
        if name not in self.defs:
            raise self.fail(where, f"the reference {ref!r} points nowhere")
        if name not in self.out_defs:
            self.out_defs[name] = {}  # placeholder first: recursive models refer to themselves
            self.out_defs[name] = self.convert(self.defs[name], [*where, f"type {name!r}"])
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        if not siblings:
            self.used_refs.add(name)
            return {"$ref": _def_ref(ref, name)}
        # A $ref with sibling keywords (a field's own description): inline the definition once, the
        # field's keywords winning, like the server's validator expects.
        if name in self.inlining:
            raise self.fail(
                where,
                f"type {name!r} contains itself through a required field, so no finite value fits it",
                "Make that field optional (`X | None = None`), or use @tool(strict=False).",
            )
        self.inlining.append(name)
        try:
            return self.convert({**self.defs[name], **siblings}, [*where, f"type {name!r}"])
        finally:
            self.inlining.pop()

    def convert_unions(self, node: dict[str, Any], out: dict[str, Any], where: list[str]) -> None:
        variants: list[Any] = [*node.get("anyOf", ()), *node.get("oneOf", ())]
        all_of = node.get("allOf")
        if all_of is not None:
            if len(all_of) != 1:
                raise self.fail(where, "an intersection (allOf) of several schemas is not supported")
            merged = self.convert(all_of[0], where)
            for key, value in merged.items():
                out.setdefault(key, value)
        if variants:
            out["anyOf"] = [self.convert(variant, where) for variant in variants]

    def convert_object(
        self, node: dict[str, Any], out: dict[str, Any], where: list[str], *, top: bool
    ) -> None:
        extra = node.get("additionalProperties", False)
        if extra is not False:
            raise self.fail(
                where,
                "it is a free-form mapping (dict), and strict mode only allows objects with named fields",
                "Use a pydantic model, dataclass or TypedDict, or use @tool(strict=False).",
            )
        if "properties" not in node and not top:
            raise self.fail(
                where,
                "it is an object with no declared fields, which strict mode cannot express",
                "Use a pydantic model, dataclass or TypedDict, or use @tool(strict=False).",
            )
        properties: dict[str, Any] = node.get("properties", {})
        label = "parameter" if top else "field"
        out["type"] = "object"
        out["properties"] = {
            name: self.convert(sub, [*where, f"{label} {name!r}"]) for name, sub in properties.items()
        }
        out["required"] = list(properties)
        out["additionalProperties"] = False

    def convert_array(self, node: dict[str, Any], out: dict[str, Any], where: list[str]) -> None:
        if "prefixItems" in node:
            raise self.fail(
                where,
                "it is a fixed-length tuple (prefixItems), which strict mode cannot express",
                "Use list[...] or a model with named fields, or use @tool(strict=False).",
            )
        items = node.get("items")
        if isinstance(items, dict):
            out["items"] = self.convert(items, [*where, "items"])
        else:
            raise self.fail(where, "it is a list of any values", "Give the items a type, e.g. list[str].")


def _def_ref(ref: str, name: str) -> str:
    return ref if ref.startswith("#/$defs/") else f"#/$defs/{name}"

"""Strict-mode (beta) schema rules: what DeepSeek accepts in a ``strict: true`` function's parameters.

``docs/deepseek-api.md`` §5: objects list every property in ``required`` and set
``additionalProperties: false``; strings take ``pattern`` and a few formats but not
``minLength``/``maxLength``; arrays take no ``minItems``/``maxItems``; ``$ref`` into ``$defs`` (the docs
spell it ``$def``; both are accepted).
"""

from __future__ import annotations

from typing import Any

from .errors import bad_request

_TYPES = {"object", "string", "number", "integer", "boolean", "array", "null"}
_FORMATS = {"email", "hostname", "ipv4", "ipv6", "uuid"}
_UNSUPPORTED = {"string": ("minLength", "maxLength"), "array": ("minItems", "maxItems")}


def check_strict_schema(function: str, schema: dict[str, Any]) -> None:
    _check(function, schema, "parameters")
    for key in ("$defs", "$def", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            _check(function, sub, f"{key}.{name}")


def _fail(function: str, where: str, why: str) -> None:
    raise bad_request(f"Invalid schema for function '{function}' in strict mode: {where}: {why}")


def _check(function: str, schema: Any, where: str) -> None:
    if not isinstance(schema, dict):
        _fail(function, where, "a schema must be an object")
    if "$ref" in schema:
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for index, option in enumerate(schema.get(key) or ()):
            _check(function, option, f"{where}.{key}[{index}]")
    if "enum" in schema or any(k in schema for k in ("anyOf", "oneOf", "allOf")):
        return
    kinds = schema.get("type")
    kind_list = kinds if isinstance(kinds, list) else [kinds]
    for kind in kind_list:
        if kind not in _TYPES:
            _fail(function, where, f"unsupported type {kind!r}")
        for keyword in _UNSUPPORTED.get(kind, ()):
            if keyword in schema:
                _fail(function, where, f"'{keyword}' is not supported")
    if "string" in kind_list and schema.get("format") not in (None, *_FORMATS):
        _fail(function, where, f"unsupported format {schema['format']!r}")
    if "object" in kind_list:
        properties = schema.get("properties") or {}
        missing = [name for name in properties if name not in (schema.get("required") or ())]
        if missing:
            _fail(function, where, f"every property must be listed in 'required'; missing {missing}")
        if schema.get("additionalProperties", True) is not False:
            _fail(function, where, "'additionalProperties' must be false")
        for name, sub in properties.items():
            _check(function, sub, f"{where}.properties.{name}")
    if "array" in kind_list and "items" in schema:
        _check(function, schema["items"], f"{where}.items")

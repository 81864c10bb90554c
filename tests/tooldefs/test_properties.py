"""Property tests: every schema we generate is valid JSON Schema, and values drawn from it validate.

Signatures are generated at random from a grammar of the supported types (scalars, Literal, Enum, UUID,
lists, sets, dicts, Optional, nested models and dataclasses). Values come from ``values_for``, a small
JSON Schema -> hypothesis strategy that reads only the schema (hypothesis-jsonschema does not work with
current hypothesis), so a schema that promises more or less than the validator accepts fails here.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import itertools
import json
import uuid
from typing import Any, Literal, Optional

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pydantic import create_model

from agentkit import Tool, tool
from agentkit._schema import build_function_schema

_names = itertools.count()


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


LEAVES: list[Any] = [
    int,
    float,
    bool,
    str,
    uuid.UUID,
    Color,
    Level,
    Literal["a", "b"],
    Literal[7],
    Literal["x", 1],
]


def _model(fields: list[Any]) -> Any:
    return create_model(f"Model{next(_names)}", **{f"f{i}": (t, ...) for i, t in enumerate(fields)})


def _dataclass(fields: list[Any]) -> Any:
    return dataclasses.make_dataclass(f"Data{next(_names)}", [(f"d{i}", t) for i, t in enumerate(fields)])


def annotations(*, strict: bool) -> st.SearchStrategy[Any]:
    leaves = st.sampled_from(LEAVES)

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        options = [
            inner.map(lambda t: list[t]),  # type: ignore[valid-type]
            inner.map(lambda t: Optional[t]),  # noqa: UP045
            leaves.filter(lambda t: t is not float).map(lambda t: set[t]),  # type: ignore[valid-type]
            st.lists(inner, min_size=1, max_size=3).map(_model),
            st.lists(inner, min_size=1, max_size=3).map(_dataclass),
        ]
        if not strict:
            options.append(inner.map(lambda t: dict[str, t]))  # type: ignore[valid-type]
        return st.one_of(options)

    return st.recursive(leaves, extend, max_leaves=6)


def build_tool(types: list[Any], defaults: list[bool], *, strict: bool) -> Tool:
    parameters = []
    for index, (annotation, has_default) in enumerate(zip(types, defaults, strict=True)):
        default = None if has_default else inspect.Parameter.empty
        hint = Optional[annotation] if has_default else annotation  # noqa: UP045
        parameters.append(
            inspect.Parameter(f"a{index}", inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint)
        )

    def function(**kwargs: Any) -> dict[str, Any]:
        return kwargs

    documented = [p.name for p in parameters[::2]]
    function.__doc__ = "Do it.\n\nArgs:\n" + "".join(f"    {n}: About {n}.\n" for n in documented)
    function.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    function.__annotations__ = {p.name: p.annotation for p in parameters}
    return tool(strict=strict)(function)


def signatures(*, strict: bool) -> st.SearchStrategy[Tool]:
    types = st.lists(annotations(strict=strict), min_size=0, max_size=4)
    return types.flatmap(
        lambda ts: st.lists(st.booleans(), min_size=len(ts), max_size=len(ts)).map(
            lambda ds: build_tool(ts, ds, strict=strict)
        )
    )


SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("strict", [False, True], ids=["loose", "strict"])
@SETTINGS
@given(data=st.data())
def test_schema_is_valid_json_schema_and_deterministic(strict: bool, data: st.DataObject) -> None:
    made = data.draw(signatures(strict=strict))
    parameters = made.schema["function"]["parameters"]
    jsonschema.Draft202012Validator.check_schema(parameters)
    assert parameters["type"] == "object"
    assert json.loads(json.dumps(made.schema)) == made.schema  # plain JSON data all the way down
    rebuilt = tool(strict=strict)(made.function)
    assert json.dumps(rebuilt.schema) == json.dumps(made.schema)  # same bytes, same key order
    if strict:
        _assert_strict_shape(parameters)


@pytest.mark.parametrize("strict", [False, True], ids=["loose", "strict"])
@SETTINGS
@given(data=st.data())
def test_fast_path_matches_pydantic_whole_model(strict: bool, data: st.DataObject) -> None:
    made = data.draw(signatures(strict=strict))
    reference = build_function_schema(
        made.function, name=made.name, description=None, strict=strict, reference=True
    )
    assert json.dumps(made.schema["function"]["parameters"]) == json.dumps(reference.parameters)


@pytest.mark.parametrize("strict", [False, True], ids=["loose", "strict"])
@SETTINGS
@given(data=st.data())
def test_values_drawn_from_the_schema_validate(strict: bool, data: st.DataObject) -> None:
    made = data.draw(signatures(strict=strict))
    parameters = made.schema["function"]["parameters"]
    value = data.draw(values_for(parameters, parameters))
    jsonschema.Draft202012Validator(parameters).validate(value)
    arguments = made.parse_arguments(json.dumps(value))
    assert set(arguments) == set(parameters["properties"])


def _assert_strict_shape(node: Any) -> None:
    """Every object closed with every property required; no keyword outside the strict subset."""
    if isinstance(node, list):
        for item in node:
            _assert_strict_shape(item)
        return
    if not isinstance(node, dict):
        return
    assert not {"minLength", "maxLength", "minItems", "maxItems", "default", "title", "const"} & node.keys()
    if node.get("type") == "object":
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    for key in ("properties", "$defs"):
        for sub in node.get(key, {}).values():
            _assert_strict_shape(sub)
    for key in ("items", "anyOf"):
        if key in node:
            _assert_strict_shape(node[key])


def values_for(schema: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid under ``schema``, for the JSON Schema keywords our schemas use."""
    if "$ref" in schema:
        return values_for(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    if "anyOf" in schema:
        return st.one_of([values_for(sub, root) for sub in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
    if kind == "number":
        return st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    if kind == "string":
        return st.uuids().map(str) if schema.get("format") == "uuid" else st.text()
    if kind == "array":
        return st.lists(
            values_for(schema["items"], root),
            max_size=4,
            unique_by=(lambda v: json.dumps(v, sort_keys=True)) if schema.get("uniqueItems") else None,
        )
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        fixed = st.fixed_dictionaries(
            {name: values_for(sub, root) for name, sub in properties.items() if name in required},
            optional={
                name: values_for(sub, root) for name, sub in properties.items() if name not in required
            },
        )
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            more = st.dictionaries(
                st.text().filter(lambda k: k not in properties), values_for(extra, root), max_size=3
            )
            return st.tuples(fixed, more).map(lambda pair: {**pair[1], **pair[0]})
        return fixed
    raise AssertionError(f"schema keyword set not covered by the test strategy: {schema}")

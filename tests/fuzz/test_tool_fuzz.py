"""Tool definitions and tool arguments against generated input.

The schema builder gets signatures drawn from a grammar that mixes supported annotations with ones it
cannot express (callables, bytes, opaque classes, non-string dict keys, unresolvable names, odd defaults,
``*args``): each must give a valid JSON Schema or a ToolDefinitionError, never another exception.
``Tool.parse_arguments`` gets arbitrary text and arbitrary JSON: a dict of arguments or a
ToolArgumentError, never another exception. (tests/tooldefs checks supported types in depth; this is
the hostile side.)
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import inspect
import json
import pathlib
import sys
import typing
import uuid
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, NamedTuple, Optional, Union

import jsonschema
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from agentkit._errors import ToolArgumentError, ToolDefinitionError
from agentkit._tool import Tool, tool

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Opaque:
    """A class pydantic knows nothing about."""


class Color(enum.Enum):
    RED = "red"
    GREEN = 2


class Point(NamedTuple):
    x: int
    y: int


class Movie(TypedDict):
    title: str
    year: int


class OldMovie(typing.TypedDict):  # pydantic refuses typing.TypedDict before Python 3.12
    title: str


class Node(BaseModel):
    name: str
    children: list[Node] = []


@dataclasses.dataclass
class Box:
    width: float
    label: str | None = None


T = typing.TypeVar("T")

LEAVES: list[Any] = [
    # supported
    int,
    float,
    bool,
    str,
    None,
    type(None),
    uuid.UUID,
    datetime.date,
    datetime.datetime,
    decimal.Decimal,
    Color,
    Point,
    Movie,
    Node,
    Box,
    Literal["a", 1, True],
    Literal[None],
    Any,
    pathlib.Path,
    Annotated[int, Field(ge=0, le=10)],
    Annotated[str, Field(min_length=2)],
    Annotated[str, "a note"],
    # not expressible, or not JSON at all
    object,
    bytes,
    complex,
    Opaque,
    type,
    Callable[[int], int],
    Iterator[int],
    T,
    "NoSuchName",
    "list[NoSuchName]",
    OldMovie,
    collections.deque,
    typing.Pattern,
    Ellipsis,
    3,
    frozenset,
]


def _wrap(kind: str, inner: Any, other: Any) -> Any:
    if kind == "list":
        return list[inner]
    if kind == "optional":
        return Optional[inner]  # noqa: UP045
    if kind == "union":
        return Union[inner, other]  # noqa: UP007
    if kind == "tuple":
        return tuple[inner, other]
    if kind == "var-tuple":
        return tuple[inner, ...]
    if kind == "dict":
        return dict[str, inner]
    if kind == "int-dict":
        return dict[int, inner]
    if kind == "odd-dict":
        return dict[inner, other]
    if kind == "set":
        return set[inner]
    if kind == "annotated":
        return Annotated[inner, Field(description="x")]
    return typing.Sequence[inner]


def _try(build: Callable[[], Any]) -> Any:
    """Some wrappings are rejected by ``typing`` itself; those are not the builder's business."""
    try:
        return build()
    except (TypeError, AttributeError):
        return int


@st.composite
def hints(draw: st.DrawFn, depth: int = 0) -> Any:
    if depth >= 3 or draw(st.booleans()):
        return draw(st.sampled_from(LEAVES))
    kind = draw(
        st.sampled_from(
            [
                "list",
                "optional",
                "union",
                "tuple",
                "var-tuple",
                "dict",
                "int-dict",
                "odd-dict",
                "set",
                "annotated",
                "sequence",
            ]
        )
    )
    inner, other = draw(hints(depth + 1)), draw(hints(depth + 1))
    return _try(lambda: _wrap(kind, inner, other))


DEFAULTS = st.sampled_from(
    [inspect.Parameter.empty, None, 0, "x", [], {}, object(), float("nan"), b"raw", Opaque(), Color.RED]
)
KINDS = st.sampled_from(
    [
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.VAR_KEYWORD,
    ]
)
NAMES = st.sampled_from(["a", "b", "self", "ctx", "type", "model_config", "_private", "properties", "x1"])


def _valid_order(parameters: list[inspect.Parameter]) -> list[inspect.Parameter]:
    """Python's rules for a signature: kinds in order, one of each ``*``/``**``, no required positional
    parameter after one with a default."""
    ordered = sorted(parameters, key=lambda p: p.kind)
    var = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ordered = [
        p for i, p in enumerate(ordered) if p.kind not in var or ordered[i - 1].kind != p.kind or i == 0
    ]
    positional = [p for p in ordered if p.kind < inspect.Parameter.VAR_POSITIONAL]
    if any(p.default is p.empty for p in positional):
        ordered = [p.replace(default=p.empty) if p in positional else p for p in ordered]
    return ordered


@st.composite
def functions(draw: st.DrawFn) -> Callable[..., Any]:
    parameters: list[inspect.Parameter] = []
    seen: set[str] = set()
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        name = draw(NAMES)
        if name in seen:
            continue
        seen.add(name)
        kind = draw(KINDS)
        default = (
            draw(DEFAULTS) if kind not in (kind.VAR_POSITIONAL, kind.VAR_KEYWORD) else inspect.Parameter.empty
        )
        annotation = draw(hints()) if draw(st.integers(0, 5)) else inspect.Parameter.empty
        parameters.append(inspect.Parameter(name, kind, default=default, annotation=annotation))
    signature = inspect.Signature(_valid_order(parameters))

    def function(*args: Any, **kwargs: Any) -> Any:
        return kwargs

    function.__signature__ = signature  # type: ignore[attr-defined]
    function.__annotations__ = {
        p.name: p.annotation for p in signature.parameters.values() if p.annotation is not p.empty
    }
    function.__doc__ = draw(
        st.sampled_from([None, "", "Do it.", "Do it.\n\nArgs:\n    a: The a.\n    zz: Not a parameter.\n"])
    )
    return function


@FUZZ
@given(function=functions(), strict=st.booleans())
def test_the_schema_builder_gives_a_schema_or_a_clear_error(
    function: Callable[..., Any], strict: bool
) -> None:
    try:
        made = tool(strict=strict)(function)
    except ToolDefinitionError as exc:
        assert str(exc).startswith("Tool 'function'"), str(exc)  # names the tool (and what to fix)
        return
    parameters = made.schema["function"]["parameters"]
    jsonschema.Draft202012Validator.check_schema(parameters)
    assert parameters["type"] == "object"
    assert json.loads(json.dumps(made.schema, allow_nan=False)) == made.schema  # plain JSON all the way


# --------------------------------------------------------------------------- arguments


@tool
def plain(city: str, days: int = 1, units: Literal["c", "f"] = "c") -> str:
    """Forecast."""
    return city


@tool
def nested(movies: list[Movie], box: Box, point: Point | None = None, tags: set[str] | None = None) -> str:
    """Nested types."""
    return ""


@tool
def constrained(n: Annotated[int, Field(ge=0, le=10)], when: datetime.date, key: uuid.UUID) -> str:
    """Constraints."""
    return ""


@tool
def anything(data: Any = None, node: Node | None = None) -> str:
    """Loose."""
    return ""


@tool(strict=True)
def strict(city: str, days: int) -> str:
    """Strict."""
    return city


TOOLS: list[Tool[..., Any]] = [plain, nested, constrained, anything, strict]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
argument_names = st.sampled_from(
    [
        "city",
        "days",
        "units",
        "movies",
        "box",
        "point",
        "tags",
        "n",
        "when",
        "key",
        "data",
        "node",
        "title",
        "year",
        "width",
        "label",
        "x",
        "y",
        "name",
        "children",
        "",
    ]
)
objects = st.dictionaries(argument_names, json_values, max_size=5)
texts = st.one_of(
    objects.map(json.dumps),
    json_values.map(json.dumps),
    objects.map(lambda o: json.dumps(json.dumps(o))),  # double-encoded
    objects.map(json.dumps).flatmap(lambda s: st.integers(0, len(s)).map(lambda i: s[:i])),  # cut off
    st.text(max_size=40),
    st.integers(1, 1500).map(lambda depth: '{"data": ' + "[" * depth + "]" * depth + "}"),
    st.just('{"city": NaN}') | st.just('{"city": Infinity}') | st.just('{"a": 1e999}') | st.just("[" * 2000),
)


def _check(made: Tool, text: str) -> None:
    try:
        arguments = made.parse_arguments(text)
    except ToolArgumentError as exc:
        message = str(exc)
        assert message and made.name in message
        assert len(message) < 2000, "the error message sent to the model should stay short"
        return
    assert isinstance(arguments, dict)


@FUZZ
@given(text=texts)
@example(text="[" * 2000)  # found by this test: json's RecursionError escaped parse_arguments
def test_arguments_parse_or_raise_a_tool_argument_error(text: str) -> None:
    for made in TOOLS:
        _check(made, text)


@FUZZ
@given(raw=st.binary(max_size=60))
def test_arbitrary_bytes_as_text_parse_or_raise(raw: bytes) -> None:
    text = raw.decode("utf-8", "replace")
    for made in TOOLS:
        _check(made, text)


# --------------------------------------------------------------------------- found by the fuzzing above


def test_a_hint_that_is_not_a_type_is_a_definition_error() -> None:
    def ellipsis(x: ...) -> None:  # type: ignore[misc]
        """Annotated with Ellipsis."""

    expected = (
        "parameter 'x': its type Ellipsis cannot be described"
        if sys.version_info >= (3, 11)
        else r"cannot resolve the type annotations \(TypeError: .* Got Ellipsis"  # 3.10's get_type_hints
    )
    with pytest.raises(ToolDefinitionError, match=expected):
        tool(ellipsis)


@pytest.mark.parametrize("default", [float("nan"), float("inf"), [1.0, float("-inf")]])
def test_a_default_that_is_not_json_is_a_definition_error(default: Any) -> None:
    def odd(x: Any = default) -> None:
        """A default JSON cannot carry."""

    with pytest.raises(ToolDefinitionError, match="cannot be written as JSON"):
        tool(odd)

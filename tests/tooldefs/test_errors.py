"""Every error message, as the user (decoration time) or the model (argument time) reads it."""

# ruff: noqa: E501 (messages are snapshotted whole, as they are read)

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest
from inline_snapshot import snapshot
from pydantic import BaseModel, Field

from agentkit import (
    Agent,
    RunContext,
    ToolArgumentError,
    ToolDefinitionError,
    Toolset,
    TooManyToolsError,
    UserError,
    get_profile,
    tool,
)
from agentkit._strict import to_strict


def definition_error(function: Any, **options: Any) -> str:
    with pytest.raises(ToolDefinitionError) as caught:
        tool(**options)(function)
    return str(caught.value)


class Opaque:
    """A class pydantic knows nothing about."""


class Item(BaseModel):
    name: str
    qty: int


# --------------------------------------------------------------------------- decoration time


def test_var_positional_and_var_keyword() -> None:
    def f(*names: str) -> None: ...

    def g(city: str, **options: Any) -> None: ...

    assert definition_error(f) == snapshot(
        "Tool 'f', parameter 'names': *names is not supported, because the model must know every argument by name. Declare each argument as a typed parameter, or take one pydantic model."
    )
    assert definition_error(g) == snapshot(
        "Tool 'g', parameter 'options': **options is not supported, because the model must know every argument by name. Declare each argument as a typed parameter, or take one pydantic model."
    )


def test_bad_names() -> None:
    def f() -> None: ...

    assert definition_error(f, name="get weather") == snapshot(
        "Tool name 'get weather' is not allowed: the API accepts only letters a-z A-Z, digits 0-9, '_' and '-', at most 64 characters. Choose one with @tool(name=...)."
    )
    assert definition_error(f, name="x" * 65) == snapshot(
        "Tool name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is not allowed: the API accepts only letters a-z A-Z, digits 0-9, '_' and '-', at most 64 characters. Choose one with @tool(name=...)."
    )
    assert definition_error(lambda: None) == snapshot(
        "Tool name '<lambda>' is not allowed: the API accepts only letters a-z A-Z, digits 0-9, '_' and '-', at most 64 characters. Choose one with @tool(name=...)."
    )
    tool(name="a-Z_0" + "x" * 59)(f)  # 64 characters of the allowed alphabet are fine


def test_default_that_is_not_json() -> None:
    def f(thing: Any = Opaque()) -> None: ...  # noqa: B008

    message = definition_error(f)
    assert message.startswith("Tool 'f', parameter 'thing': the default value <")
    assert message.endswith(
        "cannot be written as JSON for the schema. Use a JSON value (str, number, bool, None, list, dict) "
        "as the default, e.g. None, and build the object inside the function."
    )


def test_type_pydantic_cannot_describe() -> None:
    def f(city: str, thing: Opaque) -> None: ...

    assert definition_error(f) == snapshot(
        "Tool 'f', parameter 'thing': its type Opaque cannot be described as JSON Schema. Use JSON-friendly types (str, int, float, bool, list, dict, Literal, Enum, pydantic models, dataclasses, TypedDicts); pass other objects through RunContext deps."
    )


def test_annotation_that_cannot_be_resolved() -> None:
    def f(city: NotDefinedAnywhere) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    assert definition_error(f) == snapshot(
        "Tool 'f': cannot resolve the type annotations (NameError: name 'NotDefinedAnywhere' is not defined). Define or import the types at module level, not only under TYPE_CHECKING."
    )


def test_generators() -> None:
    def f() -> Iterator[int]:
        yield 1

    async def g() -> AsyncIterator[int]:
        yield 1

    assert definition_error(f) == snapshot(
        "Tool 'f' is a generator function: a tool returns one result. Return a list, or a string."
    )
    assert definition_error(g) == snapshot(
        "Tool 'g' is a generator function: a tool returns one result. Return a list, or a string."
    )


def test_bad_options() -> None:
    def f() -> None: ...

    assert definition_error(f, timeout=0) == snapshot(
        "Tool 'f': timeout must be a positive number of seconds, got 0"
    )
    assert definition_error(f, retries=-1) == snapshot("Tool 'f': retries must be 0 or more, got -1")
    assert definition_error(f, max_result_chars=0) == snapshot(
        "Tool 'f': max_result_chars must be 1 or more, got 0"
    )


def test_two_run_contexts_and_methods() -> None:
    def f(a: RunContext[None], b: RunContext[None]) -> None: ...

    def g(self, x: int) -> None: ...  # type: ignore[no-untyped-def]

    assert definition_error(f) == snapshot("Tool 'f', parameter 'b': only one parameter may be a RunContext")
    assert definition_error(g) == snapshot(
        "Tool 'g', parameter 'self': this looks like a method. Decorate a plain function, or pass the bound method (tool(instance.method))."
    )


def test_not_callable() -> None:
    with pytest.raises(ToolDefinitionError) as caught:
        tool(42)  # type: ignore[call-overload]
    assert str(caught.value) == snapshot("@tool needs a function, got 42")


# --------------------------------------------------------------------------- strict mode


def test_strict_free_form_mapping() -> None:
    def f(labels: dict[str, int]) -> None: ...

    assert definition_error(f, strict=True) == snapshot(
        "Tool 'f' cannot use strict mode: parameter 'labels': it is a free-form mapping (dict), and strict mode only allows objects with named fields. Use a pydantic model, dataclass or TypedDict, or use @tool(strict=False)."
    )


def test_strict_bare_dict_and_any() -> None:
    def f(data: dict) -> None: ...  # type: ignore[type-arg]

    def g(value: Any) -> None: ...

    def h(values: list) -> None: ...  # type: ignore[type-arg]

    assert definition_error(f, strict=True) == snapshot(
        "Tool 'f' cannot use strict mode: parameter 'data': it is a free-form mapping (dict), and strict mode only allows objects with named fields. Use a pydantic model, dataclass or TypedDict, or use @tool(strict=False)."
    )
    assert definition_error(g, strict=True) == snapshot(
        "Tool 'g' cannot use strict mode: parameter 'value': it accepts any value (Any, object or no annotation), which strict mode cannot express. Give it a concrete type, or use @tool(strict=False)."
    )
    assert definition_error(h, strict=True) == snapshot(
        "Tool 'h' cannot use strict mode: parameter 'values' > items: it accepts any value (Any, object or no annotation), which strict mode cannot express. Give it a concrete type, or use @tool(strict=False)."
    )


def test_strict_tuple_names_the_model_field() -> None:
    class Route(BaseModel):
        stops: tuple[str, int]

    with pytest.raises(ToolDefinitionError) as caught:

        @tool(strict=True)
        def f(route: Route) -> None: ...

    assert str(caught.value) == snapshot(
        "Tool 'f' cannot use strict mode: parameter 'route' > type 'Route' > field 'stops': it is a fixed-length tuple (prefixItems), which strict mode cannot express. Use list[...] or a model with named fields, or use @tool(strict=False)."
    )


def test_strict_unsupported_keyword() -> None:
    def f(n: Annotated[int, Field(json_schema_extra={"not": {"const": 3}})]) -> None: ...

    assert definition_error(f, strict=True) == snapshot(
        "Tool 'f' cannot use strict mode: parameter 'n': the JSON Schema keyword 'not' is not supported in strict mode. Change the type, or use @tool(strict=False)."
    )


def test_strict_intersection_and_dangling_reference() -> None:
    schema = {"type": "object", "properties": {"x": {"allOf": [{"type": "integer"}, {"minimum": 1}]}}}
    with pytest.raises(ToolDefinitionError) as caught:
        to_strict(schema, tool_name="t")
    assert str(caught.value) == snapshot(
        "Tool 't' cannot use strict mode: parameter 'x': an intersection (allOf) of several schemas is not supported. Change the type, or use @tool(strict=False)."
    )
    schema = {"type": "object", "properties": {"x": {"$ref": "#/$defs/Missing"}}}
    with pytest.raises(ToolDefinitionError) as caught:
        to_strict(schema, tool_name="t")
    assert str(caught.value) == snapshot(
        "Tool 't' cannot use strict mode: parameter 'x': the reference '#/$defs/Missing' points nowhere. Change the type, or use @tool(strict=False)."
    )


# --------------------------------------------------------------------------- toolsets


def test_toolset_duplicate_names() -> None:
    @tool
    def search(q: str) -> str:
        return q

    @tool(name="search")
    def other(q: str) -> str:
        return q

    with pytest.raises(ToolDefinitionError) as caught:
        Toolset(search, other, name="mine")
    assert str(caught.value) == snapshot(
        "Toolset 'mine' has two different tools named 'search' (tests.tooldefs.test_errors.test_toolset_duplicate_names.<locals>.search and tests.tooldefs.test_errors.test_toolset_duplicate_names.<locals>.other). Rename one with @tool(name=...)."
    )


def test_too_many_tools_is_the_profiles_limit() -> None:
    tools = [tool(name=f"t{i}")(lambda: None) for i in range(129)]
    assert len(Toolset(*tools)) == 129  # a toolset may hold more; one request may not
    with pytest.raises(TooManyToolsError) as caught:
        Agent(model="deepseek-v4-flash", tools=tools, api_key="k")
    assert str(caught.value) == snapshot(
        "129 tools, the API accepts at most 128 (deepseek-v4 profile). Give the agent fewer tools (filter a tool source, or split the work between agents)."
    )
    assert len(Agent(model="deepseek-v4-flash", tools=tools[:128], api_key="k").toolset) == 128
    roomy = dataclasses.replace(get_profile("openai-compatible"), max_tools=256)
    assert len(Agent(model="local", profile=roomy, tools=tools, api_key="k").toolset) == 129


def test_toolset_mixing_strict_and_non_strict() -> None:
    def a(x: int) -> None: ...

    def b(x: int) -> None: ...

    with pytest.raises(ToolDefinitionError) as caught:
        Toolset(tool(strict=True)(a), tool(b))
    assert str(caught.value) == snapshot(
        "Toolset 'tools' mixes strict and non-strict tools (non-strict: b); DeepSeek's strict mode needs every tool strict. Use strict=True on all of them, or on none."
    )


def test_toolset_bad_item() -> None:
    with pytest.raises(ToolDefinitionError) as caught:
        Toolset("search")  # type: ignore[arg-type]
    assert str(caught.value) == snapshot(
        "Toolset items are functions, tools, modules or toolsets; got 'search'"
    )


# --------------------------------------------------------------------------- argument time (for the model)


@tool
def order(item: Item, count: int = 1, note: str | None = None) -> str:
    """Order an item."""
    return item.name


def argument_error(arguments: str) -> str:
    with pytest.raises(ToolArgumentError) as caught:
        order.parse_arguments(arguments)
    message = str(caught.value)
    assert "https://" not in message  # no pydantic URLs for the model
    return message


def test_arguments_cut_off() -> None:
    assert argument_error('{"item": {"name": "tea", "qty": 2}, "note": "to the fr') == snapshot(
        'The arguments for tool \'order\' are not valid JSON (Unterminated string starting at: line 1 column 45 (char 44)). They end in the middle of a value, so they were probably cut off (for example by the output token limit); send shorter, complete arguments. Received: {"item": {"name": "tea", "qty": 2}, "note": "to the fr'
    )
    assert argument_error('{"item": {"name": "tea", "qty": 2}') == snapshot(
        'The arguments for tool \'order\' are not valid JSON (Expecting \',\' delimiter: line 1 column 35 (char 34)). They end in the middle of a value, so they were probably cut off (for example by the output token limit); send shorter, complete arguments. Received: {"item": {"name": "tea", "qty": 2}'
    )


def test_arguments_not_json() -> None:
    assert argument_error("{'item': None}") == snapshot(
        "The arguments for tool 'order' are not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1)). Send the arguments as one JSON object, with double-quoted keys and strings. Received: {'item': None}"
    )
    assert argument_error('{"count": 1} {"count": 2}') == snapshot(
        'The arguments for tool \'order\' are not valid JSON (Extra data: line 1 column 14 (char 13)). Send the arguments as one JSON object, with double-quoted keys and strings. Received: {"count": 1} {"count": 2}'
    )


def test_arguments_not_an_object() -> None:
    assert argument_error("[1, 2]") == snapshot(
        "The arguments for tool 'order' must be a JSON object with the arguments by name, got an array: [1, 2]"
    )
    assert argument_error('"tea"') == snapshot(
        "The arguments for tool 'order' must be a JSON object with the arguments by name, got a string: \"tea\""
    )
    assert argument_error("null") == snapshot(
        "The arguments for tool 'order' must be a JSON object with the arguments by name, got null"
    )


def test_arguments_that_fail_validation() -> None:
    assert argument_error('{"count": "many", "colour": "red"}') == snapshot("""\
Invalid arguments for tool 'order':
- item: required, but missing
- count: Input should be a valid integer, unable to parse string as an integer; got "many"
- colour: unexpected argument (the arguments are: item, count, note)
Call the tool again with corrected arguments.\
""")
    assert argument_error('{"item": {"name": 7, "qty": "2x"}}') == snapshot("""\
Invalid arguments for tool 'order':
- item.name: Input should be a valid string; got 7
- item.qty: Input should be a valid integer, unable to parse string as an integer; got "2x"
Call the tool again with corrected arguments.\
""")


def test_long_values_are_clipped_and_many_errors_counted() -> None:
    @tool
    def many(a: int, b: int, c: int, d: int, e: int, f: int, g: int, h: int, i: int, j: int) -> None: ...

    with pytest.raises(ToolArgumentError) as caught:
        many.parse_arguments(json.dumps({"a": "x" * 500}))
    assert str(caught.value) == snapshot("""\
Invalid arguments for tool 'many':
- a: Input should be a valid integer, unable to parse string as an integer; got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…
- b: required, but missing
- c: required, but missing
- d: required, but missing
- e: required, but missing
- f: required, but missing
- g: required, but missing
- h: required, but missing
- ... and 2 more
Call the tool again with corrected arguments.\
""")


def test_list_positions_in_locations() -> None:
    @tool
    def basket(items: list[Item]) -> None: ...

    with pytest.raises(ToolArgumentError) as caught:
        basket.parse_arguments('{"items": [{"name": "tea", "qty": 1}, {"name": "milk", "qty": -1.5}]}')
    assert str(caught.value) == snapshot("""\
Invalid arguments for tool 'basket':
- items[1].qty: Input should be a valid integer, got a number with a fractional part; got -1.5
Call the tool again with corrected arguments.\
""")


@pytest.mark.anyio
async def test_call_without_context() -> None:
    @tool
    def whoami(ctx: RunContext[str]) -> str:
        return ctx.deps

    with pytest.raises(UserError) as caught:
        await whoami.call({})
    assert str(caught.value) == snapshot("Tool 'whoami' takes a RunContext: pass ctx= to Tool.call")


class Chain(BaseModel):
    name: str
    child: Chain = Field(description="The next link.")


def test_strict_required_self_reference_is_a_clear_error_not_a_recursion_error() -> None:
    def walk(chain: Chain) -> str:
        """Walk a chain."""
        return chain.name

    with pytest.raises(ToolDefinitionError) as caught:
        tool(strict=True)(walk)
    assert str(caught.value) == snapshot(
        "Tool 'walk' cannot use strict mode: parameter 'chain' > type 'Chain' > field 'child' > type 'Chain' > field 'child': type 'Chain' contains itself through a required field, so no finite value fits it. Make that field optional (`X | None = None`), or use @tool(strict=False)."
    )

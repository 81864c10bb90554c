"""Less common shapes of tool functions and schemas: partials, callable objects, ``self``/``cls`` names,
docstring markers, a RunContext in ``Annotated``, defaults that are data, and schemas a type brings
itself (``WithJsonSchema``), which are normalised like pydantic's own."""

from __future__ import annotations

import functools
import math
from typing import Annotated, Any

import pytest
from inline_snapshot import snapshot
from pydantic import BaseModel, Field, WithJsonSchema

from agentkit import RunContext, ToolArgumentError, ToolDefinitionError, tool
from agentkit._schema import normalize


def parameters(function: Any) -> Any:
    return tool(function).schema["function"]["parameters"]


def test_a_partial_is_described_by_the_function_it_wraps() -> None:
    def convert(amount: float, currency: str, rate: float = 1.0) -> float:
        """Convert an amount.

        Args:
            amount: How much.
            currency: Target currency.
            rate: Exchange rate.
        """
        return amount * rate

    made = tool(functools.partial(convert, currency="EUR"), name="to_eur")
    assert made.schema["function"]["description"] == "Convert an amount."
    assert made.schema["function"]["parameters"] == snapshot(
        {
            "type": "object",
            "properties": {
                "amount": {"type": "number", "description": "How much."},
                "currency": {"type": "string", "description": "Target currency.", "default": "EUR"},
                "rate": {"type": "number", "description": "Exchange rate.", "default": 1.0},
            },
            "required": ["amount"],
            "additionalProperties": False,
        }
    )


def test_a_callable_object_is_described_by_its_call_method() -> None:
    class Greeter:
        """Not this docstring."""

        def __call__(self, name: str) -> str:
            """Greet someone.

            Args:
                name: Who to greet.
            """
            return f"Hello, {name}"

    made = tool(Greeter(), name="greet")
    assert made.schema["function"] == snapshot(
        {
            "name": "greet",
            "description": "Greet someone.",
            "parameters": {
                "type": "object",
                "properties": {"name": {"type": "string", "description": "Who to greet."}},
                "required": ["name"],
                "additionalProperties": False,
            },
        }
    )
    assert made("Ada") == "Hello, Ada"


class Ticket:
    """Open a ticket.

    Args:
        title: One line.
        priority: 1 (urgent) to 4.
    """

    title: Any  # the class's own hints are not what the call takes: __init__'s are

    def __init__(self, title: str, priority: int = 3) -> None:
        self.title, self.priority = title, priority


def test_a_class_is_described_by_its_docstring_and_init() -> None:
    made = tool(Ticket)
    assert made.schema["function"] == snapshot(
        {
            "name": "Ticket",
            "description": "Open a ticket.",
            "parameters": {
                "type": "object",
                "properties": {
                    "title": {"type": "string", "description": "One line."},
                    "priority": {"type": "integer", "description": "1 (urgent) to 4.", "default": 3},
                },
                "required": ["title"],
                "additionalProperties": False,
            },
        }
    )
    opened = made(**made.parse_arguments('{"title": "Printer on fire"}'))
    assert (opened.title, opened.priority) == ("Printer on fire", 3)



def test_a_models_fields_stay_typed_even_one_named_like_its_init_parameter() -> None:
    class Upload(BaseModel):
        """Upload a blob."""

        name: str
        data: int  # BaseModel.__init__ takes **data

    made = tool(Upload)
    assert made.schema["function"]["parameters"]["properties"] == {
        "name": {"type": "string"},
        "data": {"type": "integer"},
    }
    with pytest.raises(ToolArgumentError):
        made.parse_arguments('{"name": "x", "data": "not a number"}')


@pytest.mark.parametrize("first", ["self", "cls"])
def test_an_untyped_self_or_cls_first_is_taken_for_a_method(first: str) -> None:
    namespace: dict[str, Any] = {}
    exec(f"def f({first}, x: int) -> int:\n    return x", namespace)
    with pytest.raises(ToolDefinitionError, match=f"parameter '{first}': this looks like a method"):
        tool(namespace["f"])


def test_self_typed_or_not_first_is_an_ordinary_parameter() -> None:
    def typed(self: str) -> str:
        return self

    def second(x: int, self: int) -> int:
        return x + self

    assert list(parameters(typed)["properties"]) == ["self"]
    assert list(parameters(second)["properties"]) == ["x", "self"]


@pytest.mark.parametrize(
    "doc",
    [
        "Summary.\n\n:param city: The city.\n",
        "Summary.\n\n@param city: The city.\n",
    ],
    ids=["rest", "epydoc"],
)
def test_a_lone_param_marker_picks_its_style(doc: str) -> None:
    def f(city: str) -> str:
        return city

    f.__doc__ = doc
    made = tool(f)
    assert made.schema["function"]["description"] == "Summary."
    assert made.schema["function"]["parameters"]["properties"]["city"]["description"] == "The city."


@pytest.mark.parametrize(
    "doc", ["Summary.\n\n:return: The city.\n", "Summary.\n\n@return: The city.\n"], ids=["rest", "epydoc"]
)
def test_a_lone_return_marker_picks_its_style(doc: str) -> None:
    def f(city: str) -> str:
        return city

    f.__doc__ = doc
    assert tool(f).schema["function"]["description"] == "Summary."


def test_field_description_wins_over_the_docstring_without_field_defaults() -> None:
    def f(city: Annotated[str, Field(description="From Field.")], days: int = 1) -> str:
        """Forecast.

        Args:
            city: From the docstring.
            days: How many days.
        """
        return city

    assert parameters(f)["properties"] == snapshot(
        {
            "city": {"type": "string", "description": "From Field."},
            "days": {"type": "integer", "description": "How many days.", "default": 1},
        }
    )


def test_a_run_context_inside_annotated_is_still_the_context() -> None:
    def f(ctx: Annotated[RunContext[None], "the run"], query: str) -> str:
        return query

    made = tool(f)
    assert made.takes_context
    assert list(made.schema["function"]["parameters"]["properties"]) == ["query"]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinite_defaults_are_refused(value: float) -> None:
    def f(x: float = value) -> float:
        return x

    with pytest.raises(
        ToolDefinitionError, match=r"parameter 'x': the default value .* cannot be written as JSON"
    ):
        tool(f)


def test_the_type_at_fault_is_named_even_after_a_run_context() -> None:
    class Opaque:
        pass

    def f(ctx: RunContext[None], thing: Opaque) -> str:
        return ""

    with pytest.raises(ToolDefinitionError, match="parameter 'thing': its type"):
        tool(f)


def test_data_defaults_are_kept_as_given() -> None:
    def f(
        page: dict[str, Any] = {"title": "Home", "meta": {"title": "Nested"}},  # noqa: B006
        rows: list[dict[str, Any]] = [{"title": "first"}],  # noqa: B006
    ) -> None:
        """Render."""

    made = parameters(f)
    assert made["properties"]["page"]["default"] == {"title": "Home", "meta": {"title": "Nested"}}
    assert made["properties"]["rows"]["default"] == [{"title": "first"}]


Custom = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "title": "Custom",
            "properties": {
                "b": {"items": {"type": "integer", "title": "B"}, "type": "array"},
                "a": {"anyOf": [{"title": "Int", "type": "integer"}, {"type": "null"}], "default": None},
                "flag": True,
            },
            "definitions": {"z": {"title": "Z", "type": "string"}, "y": {"type": "number"}},
            "type": "object",
            "examples": [{"title": "kept: this is data"}],
            "x-unit": "cm",
        }
    ),
]


def test_a_schema_the_type_brings_is_normalised_at_every_depth() -> None:
    def f(shape: Custom) -> None:
        """Draw."""

    shape = parameters(f)["properties"]["shape"]
    # key order is part of the bytes sent: fixed keys first, the others alphabetical; definitions sorted
    assert list(shape) == ["type", "properties", "definitions", "examples", "x-unit"]
    assert list(shape["properties"]["b"]) == ["type", "items"]
    assert list(shape["definitions"]) == ["y", "z"]
    assert shape == snapshot(
        {
            "type": "object",
            "properties": {
                "b": {"type": "array", "items": {"type": "integer"}},
                "a": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
                "flag": True,
            },
            "definitions": {"y": {"type": "number"}, "z": {"type": "string"}},
            "examples": [{"title": "kept: this is data"}],
            "x-unit": "cm",
        }
    )


def test_a_tool_described_by_its_whole_model_validates_with_that_model() -> None:
    """A ``Field`` default sends the schema through pydantic's whole-model path; arguments then validate
    with the model built there."""

    def f(x: int = Field(3, description="X."), y=None) -> int:
        return x

    made = tool(f)
    assert made.schema["function"]["parameters"]["properties"] == {
        "x": {"type": "integer", "description": "X.", "default": 3},
        "y": {"default": None},  # no annotation: any JSON value
    }
    assert made.parse_arguments('{"x": 5}') == {"x": 5, "y": None}
    assert made.parse_arguments('{"y": [1]}') == {"x": 3, "y": [1]}

    def g(query: str, limit: int = Field(3, ge=1)) -> str:
        return query

    assert tool(g).parse_arguments('{"query": "q"}') == {"query": "q", "limit": 3}


def test_an_unannotated_parameter_takes_any_json_value() -> None:
    def f(x, y: int = 0):
        return x

    made = tool(f)
    properties = made.schema["function"]["parameters"]["properties"]
    assert properties == {"x": {}, "y": {"type": "integer", "default": 0}}
    assert made.parse_arguments('{"x": {"any": ["thing"]}}') == {"x": {"any": ["thing"]}, "y": 0}


def test_normalize_orders_definitions_and_walks_schema_lists() -> None:
    raw = {
        "definitions": {"b": {"title": "B", "type": "string"}, "a": {"type": "integer"}},
        "$def": {"d": {"type": "null"}, "c": {"type": "boolean"}},
        "anyOf": [True, {"title": "T", "type": "string"}],
        "type": "object",
    }
    normal = normalize(raw)
    assert list(normal) == ["type", "anyOf", "$def", "definitions"]
    assert list(normal["definitions"]) == ["a", "b"] and list(normal["$def"]) == ["c", "d"]
    assert normal["definitions"]["b"] == {"type": "string"}
    assert normal["anyOf"] == [True, {"type": "string"}]
    assert raw["anyOf"][1] == {"title": "T", "type": "string"}  # a copy: the input is untouched


def test_a_bound_method_is_described_without_self() -> None:
    class Notes:
        def lookup(self, key: str) -> str:
            """Look up a note.

            Args:
                key: The note's key.
            """
            return key

    made = tool(Notes().lookup)
    assert made.schema["function"] == snapshot(
        {
            "name": "lookup",
            "description": "Look up a note.",
            "parameters": {
                "type": "object",
                "properties": {"key": {"type": "string", "description": "The note's key."}},
                "required": ["key"],
                "additionalProperties": False,
            },
        }
    )
    assert made("k") == "k"


def test_a_module_with_its_own_run_context_class_keeps_it() -> None:
    """Only agentkit's ``RunContext`` is the context; a user's class of the same name is a parameter."""
    namespace: dict[str, Any] = {}
    exec(
        "from __future__ import annotations\n"
        "from pydantic import BaseModel\n"
        "class RunContext(BaseModel):\n"
        "    id: int\n"
        "def resume(ctx: RunContext, note: str) -> str:\n"
        "    return note\n",
        namespace,
    )
    made = tool(namespace["resume"])
    assert not made.takes_context
    assert list(made.schema["function"]["parameters"]["properties"]) == ["ctx", "note"]

"""The fast schema path's shortcuts (plain defaults written by us, a model's schema from its own top level)
must give exactly what pydantic gives for the whole argument model."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pytest
from pydantic import BaseModel, ConfigDict, create_model

from agentkit._jsonschema import SchemaGenerator
from agentkit._schema import build_function_schema


class Colour(enum.Enum):
    RED = "red"


@dataclass
class Point:
    x: int = 0


class Defaults(BaseModel):
    model_config = ConfigDict(ser_json_inf_nan="null")

    none: str | None = None
    text: str = "é"
    number: int = 3
    flag: bool = True
    ratio: float = 0.5
    infinite: float = float("inf")
    empty_list: list[int] = []
    empty_tuple: tuple[int, ...] = ()
    empty_dict: dict[str, int] = {}
    full_list: list[int] = [1, 2]
    colour: Colour = Colour.RED
    nested: Point = Point(x=2)
    big: int = 2**70


def test_plain_defaults_are_written_exactly_as_pydantic_writes_them() -> None:
    ours: dict[str, Any] = Defaults.model_json_schema(schema_generator=SchemaGenerator)
    assert ours == Defaults.model_json_schema()
    properties = ours["properties"]
    assert properties["empty_tuple"]["default"] == []
    assert properties["colour"]["default"] == "red"
    assert properties["nested"]["default"] == {"x": 2}


# Models whose definition names are easy to get wrong when each parameter's schema is written apart.
T = TypeVar("T")


class Holder:
    class Outer(BaseModel):
        x: int = 1


class Outer(BaseModel):
    model_config = ConfigDict(title="Custom", json_schema_extra={"examples": [{"y": 1}]})
    y: int
    inner: Holder.Outer


class Node(BaseModel):
    kids: list[Node] = []


class Page(BaseModel, Generic[T]):
    items: list[T]


Spaced = create_model("Spaced Name", a=(int, 0))


def custom_title(a: Outer) -> None: ...
def same_class_name(a: Holder.Outer, b: Outer) -> None: ...
def recursive_and_generic(a: Node, b: Page[int]) -> None: ...
def odd_name(a: Spaced, b: Holder.Outer) -> None: ...  # type: ignore[valid-type]


@pytest.mark.parametrize("function", [custom_title, same_class_name, recursive_and_generic, odd_name])
def test_fast_path_names_definitions_as_the_whole_model_does(function: Any) -> None:
    fast = build_function_schema(function, name="f", description=None, strict=False)
    reference = build_function_schema(function, name="f", description=None, strict=False, reference=True)
    assert json.dumps(fast.parameters) == json.dumps(reference.parameters)

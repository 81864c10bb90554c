"""The full parameters schema for each family of types, non-strict and strict."""

from __future__ import annotations

import datetime
import enum
import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from inline_snapshot import snapshot
from pydantic import BaseModel, Field
from typing_extensions import NotRequired, TypedDict

from agentkit import tool
from agentkit._schema import build_function_schema


def parameters(function: Any, *, strict: bool = False) -> Any:
    return tool(strict=strict)(function).schema["function"]["parameters"]


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Address(BaseModel):
    """A postal address."""

    street: str
    zip: Annotated[str, Field(max_length=10, description="Postal code.")]
    country: str = "CN"


@dataclass
class Point:
    """A point on the map."""

    x: float
    y: float = 0.0


class Movie(TypedDict):
    title: str
    year: NotRequired[int]


class Node(BaseModel):
    value: int
    children: list[Node] = []


def scalars(text: str, count: int, ratio: float, flag: bool = True) -> None: ...


def optionals(a: Optional[str], b: int | None = None, c: Union[int, str] = 1) -> None: ...  # noqa: UP007, UP045


def choices(mode: Literal["fast", "slow"], level: Literal[1, 2, 3], color: Color = Color.RED) -> None: ...


def collections(tags: list[str], ids: set[int], pair: tuple[int, ...]) -> None: ...


def nested(address: Address, point: Point, movie: Movie, home: Address | None = None) -> None: ...


def recursive(tree: Node) -> None: ...


def constrained(
    page: Annotated[int, Field(ge=1, le=100, description="Page number.")] = 1,
    code: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "ABC",
    name: Annotated[str, Field(min_length=1, max_length=20)] = "x",
) -> None: ...


def formats(when: datetime.datetime, day: datetime.date, key: uuid.UUID) -> None: ...


def free_form(labels: dict[str, int], point: tuple[int, str]) -> None: ...


def none_default(count: int = None) -> None: ...  # type: ignore[assignment]  # noqa: RUF013


def no_parameters() -> str:
    return ""


def test_scalars() -> None:
    assert parameters(scalars) == snapshot(
        {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "count": {"type": "integer"},
                "ratio": {"type": "number"},
                "flag": {"type": "boolean", "default": True},
            },
            "required": ["text", "count", "ratio"],
            "additionalProperties": False,
        }
    )
    assert parameters(scalars, strict=True) == snapshot(
        {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "count": {"type": "integer"},
                "ratio": {"type": "number"},
                "flag": {"type": "boolean", "description": "default: true"},
            },
            "required": ["text", "count", "ratio", "flag"],
            "additionalProperties": False,
        }
    )


def test_optionals() -> None:
    assert parameters(optionals) == snapshot(
        {
            "type": "object",
            "properties": {
                "a": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "b": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
                "c": {"anyOf": [{"type": "integer"}, {"type": "string"}], "default": 1},
            },
            "required": ["a"],
            "additionalProperties": False,
        }
    )
    assert parameters(optionals, strict=True) == snapshot(
        {
            "type": "object",
            "properties": {
                "a": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "b": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "c": {"description": "default: 1", "anyOf": [{"type": "integer"}, {"type": "string"}]},
            },
            "required": ["a", "b", "c"],
            "additionalProperties": False,
        }
    )


def test_literals_and_enums() -> None:
    assert parameters(choices) == snapshot(
        {
            "type": "object",
            "properties": {
                "mode": {"type": "string", "enum": ["fast", "slow"]},
                "level": {"type": "integer", "enum": [1, 2, 3]},
                "color": {"$ref": "#/$defs/Color", "default": "red"},
            },
            "required": ["mode", "level"],
            "additionalProperties": False,
            "$defs": {"Color": {"type": "string", "enum": ["red", "green"]}},
        }
    )
    assert parameters(choices, strict=True) == snapshot(
        {
            "type": "object",
            "properties": {
                "mode": {"type": "string", "enum": ["fast", "slow"]},
                "level": {"type": "integer", "enum": [1, 2, 3]},
                "color": {"type": "string", "description": 'default: "red"', "enum": ["red", "green"]},
            },
            "required": ["mode", "level", "color"],
            "additionalProperties": False,
        }
    )


def test_collections() -> None:
    assert parameters(collections) == snapshot(
        {
            "type": "object",
            "properties": {
                "tags": {"type": "array", "items": {"type": "string"}},
                "ids": {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
                "pair": {"type": "array", "items": {"type": "integer"}},
            },
            "required": ["tags", "ids", "pair"],
            "additionalProperties": False,
        }
    )
    assert parameters(collections, strict=True) == snapshot(
        {
            "type": "object",
            "properties": {
                "tags": {"type": "array", "items": {"type": "string"}},
                "ids": {"type": "array", "description": "items must be unique", "items": {"type": "integer"}},
                "pair": {"type": "array", "items": {"type": "integer"}},
            },
            "required": ["tags", "ids", "pair"],
            "additionalProperties": False,
        }
    )


def test_nested_models_dataclasses_typeddicts() -> None:
    assert parameters(nested) == snapshot(
        {
            "type": "object",
            "properties": {
                "address": {"$ref": "#/$defs/Address"},
                "point": {"$ref": "#/$defs/Point"},
                "movie": {"$ref": "#/$defs/Movie"},
                "home": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}], "default": None},
            },
            "required": ["address", "point", "movie"],
            "additionalProperties": False,
            "$defs": {
                "Address": {
                    "type": "object",
                    "description": "A postal address.",
                    "properties": {
                        "street": {"type": "string"},
                        "zip": {"type": "string", "description": "Postal code.", "maxLength": 10},
                        "country": {"type": "string", "default": "CN"},
                    },
                    "required": ["street", "zip"],
                },
                "Movie": {
                    "type": "object",
                    "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
                    "required": ["title"],
                    "additionalProperties": False,
                },
                "Point": {
                    "type": "object",
                    "description": "A point on the map.",
                    "properties": {"x": {"type": "number"}, "y": {"type": "number", "default": 0.0}},
                    "required": ["x"],
                    "additionalProperties": False,
                },
            },
        }
    )
    assert parameters(nested, strict=True) == snapshot(
        {
            "type": "object",
            "properties": {
                "address": {"$ref": "#/$defs/Address"},
                "point": {"$ref": "#/$defs/Point"},
                "movie": {"$ref": "#/$defs/Movie"},
                "home": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]},
            },
            "required": ["address", "point", "movie", "home"],
            "additionalProperties": False,
            "$defs": {
                "Address": {
                    "type": "object",
                    "description": "A postal address.",
                    "properties": {
                        "street": {"type": "string"},
                        "zip": {"type": "string", "description": "Postal code. (at most 10 characters)"},
                        "country": {"type": "string", "description": 'default: "CN"'},
                    },
                    "required": ["street", "zip", "country"],
                    "additionalProperties": False,
                },
                "Movie": {
                    "type": "object",
                    "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
                    "required": ["title", "year"],
                    "additionalProperties": False,
                },
                "Point": {
                    "type": "object",
                    "description": "A point on the map.",
                    "properties": {
                        "x": {"type": "number"},
                        "y": {"type": "number", "description": "default: 0.0"},
                    },
                    "required": ["x", "y"],
                    "additionalProperties": False,
                },
            },
        }
    )


def test_recursive_model() -> None:
    assert parameters(recursive) == snapshot(
        {
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/Node"}},
            "required": ["tree"],
            "additionalProperties": False,
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "integer"},
                        "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}, "default": []},
                    },
                    "required": ["value"],
                }
            },
        }
    )
    assert parameters(recursive, strict=True) == snapshot(
        {
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/Node"}},
            "required": ["tree"],
            "additionalProperties": False,
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "value": {"type": "integer"},
                        "children": {
                            "type": "array",
                            "description": "default: []",
                            "items": {"$ref": "#/$defs/Node"},
                        },
                    },
                    "required": ["value", "children"],
                    "additionalProperties": False,
                }
            },
        }
    )


def test_constraints() -> None:
    assert parameters(constrained) == snapshot(
        {
            "type": "object",
            "properties": {
                "page": {
                    "type": "integer",
                    "description": "Page number.",
                    "minimum": 1,
                    "maximum": 100,
                    "default": 1,
                },
                "code": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "ABC"},
                "name": {"type": "string", "minLength": 1, "maxLength": 20, "default": "x"},
            },
            "additionalProperties": False,
        }
    )
    assert parameters(constrained, strict=True) == snapshot(
        {
            "type": "object",
            "properties": {
                "page": {
                    "type": "integer",
                    "description": "Page number. (default: 1)",
                    "minimum": 1,
                    "maximum": 100,
                },
                "code": {"type": "string", "description": 'default: "ABC"', "pattern": "^[A-Z]{3}$"},
                "name": {
                    "type": "string",
                    "description": 'at least 1 character; at most 20 characters; default: "x"',
                },
            },
            "required": ["page", "code", "name"],
            "additionalProperties": False,
        }
    )


def test_formats() -> None:
    assert parameters(formats) == snapshot(
        {
            "type": "object",
            "properties": {
                "when": {"type": "string", "format": "date-time"},
                "day": {"type": "string", "format": "date"},
                "key": {"type": "string", "format": "uuid"},
            },
            "required": ["when", "day", "key"],
            "additionalProperties": False,
        }
    )
    assert parameters(formats, strict=True) == snapshot(
        {
            "type": "object",
            "properties": {
                "when": {"type": "string", "description": "format: date-time"},
                "day": {"type": "string", "description": "format: date"},
                "key": {"type": "string", "format": "uuid"},
            },
            "required": ["when", "day", "key"],
            "additionalProperties": False,
        }
    )


def test_free_form_types_non_strict() -> None:
    assert parameters(free_form) == snapshot(
        {
            "type": "object",
            "properties": {
                "labels": {"type": "object", "additionalProperties": {"type": "integer"}},
                "point": {
                    "type": "array",
                    "prefixItems": [{"type": "integer"}, {"type": "string"}],
                    "minItems": 2,
                    "maxItems": 2,
                },
            },
            "required": ["labels", "point"],
            "additionalProperties": False,
        }
    )


def test_a_none_default_does_not_make_the_type_optional() -> None:
    """Python 3.10's get_type_hints reads ``int = None`` as ``int | None``; 3.11+ does not: same schema."""
    assert parameters(none_default) == snapshot(
        {
            "type": "object",
            "properties": {"count": {"type": "integer", "default": None}},
            "additionalProperties": False,
        }
    )


def test_no_parameters() -> None:
    assert parameters(no_parameters) == snapshot(
        {"type": "object", "properties": {}, "additionalProperties": False}
    )
    assert parameters(no_parameters, strict=True) == snapshot(
        {"type": "object", "properties": {}, "required": [], "additionalProperties": False}
    )


FAMILIES = [scalars, optionals, choices, collections, nested, recursive, constrained, formats, no_parameters]


@pytest.mark.parametrize(
    ("function", "strict"),
    [(f, False) for f in [*FAMILIES, free_form]] + [(f, True) for f in FAMILIES],
    ids=lambda v: v.__name__ if callable(v) else ("strict" if v else "loose"),
)
def test_fast_path_matches_pydantic_whole_model(function: Any, strict: bool) -> None:
    fast = build_function_schema(function, name="f", description=None, strict=strict)
    reference = build_function_schema(function, name="f", description=None, strict=strict, reference=True)
    assert fast.parameters == reference.parameters
    assert json.dumps(fast.parameters) == json.dumps(reference.parameters)

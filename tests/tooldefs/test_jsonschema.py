"""The cheaper JSON Schema generators must write exactly what pydantic's stock generator writes (before our
normalisation), and leave to pydantic's own path every case they are not sure of."""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, Optional, TypeVar

import pytest
from hypothesis import given, settings, strategies as st
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    TypeAdapter,
    WithJsonSchema,
    computed_field,
    create_model,
    field_serializer,
)
from pydantic.json_schema import GenerateJsonSchema
from typing_extensions import TypedDict

from agentkit._jsonschema import _NAMING, Declined, NamingGenerator, SchemaGenerator, generated

pytestmark = pytest.mark.skipif(not _NAMING, reason="NamingGenerator is used from pydantic 2.11 on")
T = TypeVar("T")


class Colour(enum.Enum):
    """A colour."""

    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclass
class Point:
    """A point."""

    x: int = 0
    y: float = field(default=1.5, metadata={"unit": "m"})


class Movie(TypedDict, total=False):
    title: str
    year: int


class Leaf(BaseModel):
    """A leaf.

    With a longer description."""

    name: str = Field(min_length=1, max_length=20, description="The name", examples=["oak"])
    weight: float = Field(1.0, ge=0, lt=100)
    tags: list[str] = []
    colour: Colour = Colour.RED
    level: Level | None = None
    when: dt.datetime | None = None
    day: dt.date = dt.date(2024, 1, 1)
    money: Decimal = Decimal("1.5")
    ident: uuid.UUID | None = None
    point: Point = Point(x=2)
    movie: Movie | None = None


class Branch(BaseModel):
    model_config = ConfigDict(title="Custom", json_schema_extra={"examples": [{"leaves": []}]})

    leaves: list[Leaf]
    main: Leaf | None = None
    kind: Literal["a", "b"] = "a"
    mixed: Literal["x", 1] = "x"
    mapping: dict[str, Leaf] = {}
    pair: tuple[int, str] = (1, "a")
    unique: set[int] = set()
    anything: Any = None
    aliased: int = Field(0, alias="Aliased", title="Explicit title")
    choice: int = Field(0, validation_alias=AliasChoices("c", "ch"))
    old: int = Field(0, deprecated=True)
    extra: int = Field(0, json_schema_extra={"x-extra": {"b": 1, "a": [2, {"d": 1, "c": 2}]}})
    dict_default: dict[str, Any] = {"b": {"z": 1, "y": 2}, "a": 1}
    union: int | str | list[int] = 1
    annotated: Annotated[int, WithJsonSchema({"type": "integer", "title": "W"})] = 0


class Node(BaseModel):
    kids: list[Node] = []
    value: int = 0


class Cat(BaseModel):
    kind: Literal["cat"] = "cat"


class Dog(BaseModel):
    kind: Literal["dog"] = "dog"


class Pets(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]
    pets: list[Cat | Dog] = []


class Custom(BaseModel):
    x: int = 0

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["x-custom"] = True
        return schema


class Serialized(BaseModel):
    when: dt.datetime

    @field_serializer("when")
    def _text(self, value: dt.datetime) -> str:
        return "x"


class Roots(RootModel[list[Leaf]]):
    pass


class Page(BaseModel, Generic[T]):
    items: list[T]


class Holder:
    class Leaf(BaseModel):
        other: int = 1


class SameNames(BaseModel):
    a: Leaf
    b: Holder.Leaf


class SerializationMode(BaseModel):
    model_config = ConfigDict(json_schema_mode_override="serialization")
    x: int = 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def double(self) -> int:
        return 2 * self.x


class UsesSerializationMode(BaseModel):
    inner: SerializationMode


class RefProperty(BaseModel):
    ref: Leaf = Field(alias="$ref")


Spaced = create_model("Spaced Name", a=(int, 0))
Dashed = create_model("Dashed-Name", a=(int, 0))
Doubled = create_model("Doubled__Name", a=(int, 0))

TAKEN: list[Any] = [
    *(Leaf, Branch, Node, Pets, Custom, Serialized, Roots, Cat, Colour, Point, Movie, int, uuid.UUID),
    *(Leaf | None, Leaf | Branch, dict[str, Node], Literal["a"], Annotated[Leaf, Field(description="d")]),
    list[Annotated[Cat | Dog, Field(discriminator="kind")]],
]
DECLINED: list[Any] = [
    *(Page[int], list[Page[str]], SameNames, tuple[Leaf, Holder.Leaf]),
    *(SerializationMode, UsesSerializationMode, RefProperty, Spaced, Dashed, Doubled),
]


def _schema(kind: Any, generator: type[GenerateJsonSchema]) -> str:
    return json.dumps(TypeAdapter(kind).json_schema(schema_generator=generator))


@pytest.mark.parametrize("kind", TAKEN, ids=repr)
def test_naming_generator_writes_what_pydantic_writes(kind: Any) -> None:
    assert _schema(kind, NamingGenerator) == _schema(kind, GenerateJsonSchema)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        ours = kind.model_json_schema(schema_generator=NamingGenerator)
        assert json.dumps(ours) == json.dumps(kind.model_json_schema())


@pytest.mark.parametrize("kind", DECLINED, ids=repr)
def test_unsure_cases_go_to_pydantic(kind: Any) -> None:
    with pytest.raises(Declined):
        TypeAdapter(kind).json_schema(schema_generator=NamingGenerator)
    assert json.dumps(generated(TypeAdapter(kind).json_schema)) == _schema(kind, GenerateJsonSchema)


def test_serialization_mode_is_pydantics() -> None:
    with pytest.raises(Declined):
        Leaf.model_json_schema(schema_generator=NamingGenerator, mode="serialization")
    ours = Leaf.model_json_schema(schema_generator=SchemaGenerator, mode="serialization")
    assert ours == Leaf.model_json_schema(mode="serialization")


_names = itertools.count()
_LEAVES = st.sampled_from([int, float, str, bool, Colour, Level, Literal["a", "b"], uuid.UUID, Point, Leaf])


def _model(fields: list[tuple[Any, bool, bool]]) -> Any:
    definitions: dict[str, Any] = {}
    for index, (kind, has_default, described) in enumerate(fields):
        info = Field(description=f"field {index}") if described else Field()
        if has_default:
            kind, info.default = Optional[kind], None  # noqa: UP045
        definitions[f"f{index}"] = (kind, info)
    return create_model(f"Random{next(_names)}", **definitions)


_KINDS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        inner.map(lambda t: list[t]),  # type: ignore[valid-type]
        inner.map(lambda t: dict[str, t]),  # type: ignore[valid-type]
        inner.map(lambda t: Optional[t]),  # noqa: UP045
        st.lists(st.tuples(inner, st.booleans(), st.booleans()), min_size=1, max_size=3).map(_model),
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(kind=_KINDS)
def test_random_types_are_written_as_pydantic_writes_them(kind: Any) -> None:
    assert json.dumps(generated(TypeAdapter(kind).json_schema)) == _schema(kind, GenerateJsonSchema)

"""Our JSON Schema generator writes plain defaults itself (speed): its output must be pydantic's own."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentkit._schema import _SchemaGenerator


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
    ours: dict[str, Any] = Defaults.model_json_schema(schema_generator=_SchemaGenerator)
    assert ours == Defaults.model_json_schema()
    properties = ours["properties"]
    assert properties["empty_tuple"]["default"] == []
    assert properties["colour"]["default"] == "red"
    assert properties["nested"]["default"] == {"x": 2}

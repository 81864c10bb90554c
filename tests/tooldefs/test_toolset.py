"""Toolset: flattening, stable order, lookups, schemas built once."""

from __future__ import annotations

import json
import types
from typing import Literal

from agentkit import Tool, Toolset, tool


@tool
def alpha(x: int) -> int:
    return x


@tool
def beta(x: int) -> int:
    return x


def gamma(text: str) -> str:
    """Echo the text."""
    return text


def make_module(with_all: bool) -> types.ModuleType:
    module = types.ModuleType("fake_tools")

    @tool
    def m_one() -> None: ...

    @tool
    def m_two() -> None: ...

    @tool
    def _hidden() -> None: ...

    module.m_two = m_two  # type: ignore[attr-defined]
    module.m_one = m_one  # type: ignore[attr-defined]
    module._hidden = _hidden  # type: ignore[attr-defined]
    module.helper = len  # type: ignore[attr-defined]
    if with_all:
        module.__all__ = ["m_one", "_hidden"]  # type: ignore[attr-defined]
    return module


def test_flattens_in_the_order_given() -> None:
    inner = Toolset(beta, gamma, name="inner")
    toolset = Toolset(make_module(with_all=False), alpha, inner)
    assert [t.name for t in toolset] == ["m_two", "m_one", "alpha", "beta", "gamma"]
    assert isinstance(toolset.get("gamma"), Tool)
    assert toolset.get("missing") is None
    assert len(toolset) == 5


def test_module_all_decides_which_tools() -> None:
    assert [t.name for t in Toolset(make_module(with_all=True))] == ["m_one", "_hidden"]


def test_same_tool_twice_is_kept_once() -> None:
    toolset = Toolset(alpha, Toolset(alpha, beta), alpha)
    assert [t.name for t in toolset] == ["alpha", "beta"]


def test_contains() -> None:
    toolset = Toolset(alpha)
    assert "alpha" in toolset and alpha in toolset
    assert "beta" not in toolset and beta not in toolset
    assert tool(name="alpha")(lambda: None) not in toolset  # same name, another tool
    assert 3 not in toolset


def test_schemas_are_built_once_and_serialise_identically() -> None:
    toolset = Toolset(alpha, beta, gamma)
    assert toolset.schemas is toolset.schemas
    assert toolset.schemas == [alpha.schema, beta.schema, toolset.get("gamma").schema]  # type: ignore[union-attr]
    assert toolset.schemas[0] is alpha.schema
    first = json.dumps(toolset.schemas, ensure_ascii=False, separators=(",", ":"))
    again = Toolset(alpha, beta, gamma)
    assert json.dumps(again.schemas, ensure_ascii=False, separators=(",", ":")) == first


def test_empty_and_repr() -> None:
    assert len(Toolset()) == 0 and Toolset().schemas == []
    assert repr(Toolset(alpha, beta, name="mine")) == "Toolset('mine', [alpha, beta])"


def test_all_strict_is_fine() -> None:
    toolset = Toolset(tool(strict=True)(gamma), tool(name="g2", strict=True)(gamma))
    assert all(s["function"].get("strict") for s in toolset.schemas)


def test_tools_share_no_schema_data() -> None:
    """Per-type schemas are cached; changing one tool's schema must not reach another tool."""

    def one(mode: Literal["a", "b"]) -> None: ...

    def two(mode: Literal["a", "b"]) -> None: ...

    first, second = tool(one), tool(two)
    first.schema["function"]["parameters"]["properties"]["mode"]["enum"].append("c")
    assert second.schema["function"]["parameters"]["properties"]["mode"]["enum"] == ["a", "b"]
    assert tool(one).schema["function"]["parameters"]["properties"]["mode"]["enum"] == ["a", "b"]

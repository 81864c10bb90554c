"""``Toolset``: a named, ordered collection of tools, checked before any request is made.

The order is the order given (a module's tools in definition order), and ``schemas`` is built once, so
the ``tools`` part of every request is the same bytes from turn to turn and DeepSeek's prefix cache hits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, Union

from ._errors import ToolDefinitionError
from ._tool import Tool
from ._wire import ToolDefinition

ToolLike = Union[Tool, Callable[..., Any], ModuleType, "Toolset"]


class Toolset:
    """Tools from functions, ``Tool`` objects, modules (their public ``Tool`` attributes, or those in
    ``__all__``) and other toolsets, flattened in the order given.

    Raises ToolDefinitionError for two different tools with one name, or for strict and non-strict tools
    mixed (DeepSeek's strict mode needs every tool strict). How many tools one request may carry is the
    model profile's ``max_tools``, checked by the agent.
    """

    name: str
    tools: tuple[Tool, ...]
    schemas: list[ToolDefinition]
    """The ``tools`` field of a request, built once: do not modify it."""

    def __init__(self, *items: ToolLike, name: str = "tools") -> None:
        self.name = name
        collected: list[Tool] = []
        for item in items:
            collected.extend(_tools_of(item))
        by_name: dict[str, Tool] = {}
        for item_tool in collected:
            seen = by_name.get(item_tool.name)
            if seen is None:
                by_name[item_tool.name] = item_tool
            elif seen is not item_tool:
                raise ToolDefinitionError(
                    f"Toolset {name!r} has two different tools named {item_tool.name!r} "
                    f"({_origin(seen)} and {_origin(item_tool)}). Rename one with @tool(name=...)."
                )
        strict = {t.name for t in by_name.values() if t.strict}
        if strict and len(strict) != len(by_name):
            loose = sorted(set(by_name) - strict)
            raise ToolDefinitionError(
                f"Toolset {name!r} mixes strict and non-strict tools (non-strict: {', '.join(loose)}); "
                f"DeepSeek's strict mode needs every tool strict. Use strict=True on all of them, or on none."
            )
        self.tools = tuple(by_name.values())
        self._by_name = by_name
        self.schemas = [t.schema for t in self.tools]

    def get(self, name: str) -> Tool | None:
        return self._by_name.get(name)

    def __len__(self) -> int:
        return len(self.tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self.tools)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return item in self._by_name
        return isinstance(item, Tool) and self._by_name.get(item.name) is item

    def __repr__(self) -> str:
        return f"Toolset({self.name!r}, [{', '.join(t.name for t in self.tools)}])"


def _tools_of(item: ToolLike) -> list[Tool]:
    if isinstance(item, Tool):
        return [item]
    if isinstance(item, Toolset):
        return list(item.tools)
    if isinstance(item, ModuleType):
        public = getattr(item, "__all__", None)
        names = list(public) if public is not None else [n for n in vars(item) if not n.startswith("_")]
        return [value for n in names if isinstance(value := getattr(item, n, None), Tool)]
    if callable(item):
        return [Tool(item)]
    raise ToolDefinitionError(f"Toolset items are functions, tools, modules or toolsets; got {item!r}")


def _origin(item: Tool) -> str:
    function = item.function
    module = getattr(function, "__module__", None) or "?"
    return f"{module}.{getattr(function, '__qualname__', item.name)}"

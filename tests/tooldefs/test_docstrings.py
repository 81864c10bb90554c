"""Descriptions from docstrings in every style docstring-parser knows; Field(description=...) wins."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from inline_snapshot import snapshot
from pydantic import Field

from agentkit import Tool, tool


def google(query: str, limit: int = 10) -> list[str]:
    """Search the notes.

    Matches titles first, then bodies.

    Args:
        query: Words to look for.
        limit: Most results to return.

    Returns:
        The matching titles.
    """
    return []


def numpy(query: str, limit: int = 10) -> list[str]:
    """Search the notes.

    Matches titles first, then bodies.

    Parameters
    ----------
    query : str
        Words to look for.
    limit : int
        Most results to return.

    Returns
    -------
    list[str]
        The matching titles.
    """
    return []


def rest(query: str, limit: int = 10) -> list[str]:
    """Search the notes.

    Matches titles first, then bodies.

    :param query: Words to look for.
    :param limit: Most results to return.
    :returns: The matching titles.
    """
    return []


def epydoc(query: str, limit: int = 10) -> list[str]:
    """Search the notes.

    Matches titles first, then bodies.

    @param query: Words to look for.
    @param limit: Most results to return.
    @return: The matching titles.
    """
    return []


def _schema(function: Any, **options: Any) -> Any:
    made: Tool = tool(**options)(function)
    return made.schema


@pytest.mark.parametrize("function", [google, numpy, rest, epydoc], ids=lambda f: f.__name__)
def test_every_docstring_style_gives_the_same_schema(function: Any) -> None:
    schema = json.loads(json.dumps(_schema(function)))  # a copy: the tool's own schema is never changed
    schema["function"]["name"] = "search"
    assert schema == snapshot(
        {
            "type": "function",
            "function": {
                "name": "search",
                "description": "Search the notes.\n\nMatches titles first, then bodies.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "Words to look for."},
                        "limit": {"type": "integer", "description": "Most results to return.", "default": 10},
                    },
                    "required": ["query"],
                    "additionalProperties": False,
                },
            },
        }
    )


@pytest.mark.parametrize("function", [google, numpy, rest, epydoc], ids=lambda f: f.__name__)
def test_every_docstring_style_gives_the_same_strict_schema(function: Any) -> None:
    schema = json.loads(json.dumps(_schema(function, strict=True)))
    schema["function"]["name"] = "search"
    assert schema == snapshot(
        {
            "type": "function",
            "function": {
                "name": "search",
                "description": """\
Search the notes.

Matches titles first, then bodies.\
""",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "Words to look for."},
                        "limit": {"type": "integer", "description": "Most results to return. (default: 10)"},
                    },
                    "required": ["query", "limit"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
        }
    )


def test_google_style_schema() -> None:
    assert _schema(google) == snapshot(
        {
            "type": "function",
            "function": {
                "name": "google",
                "description": "Search the notes.\n\nMatches titles first, then bodies.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "Words to look for."},
                        "limit": {"type": "integer", "description": "Most results to return.", "default": 10},
                    },
                    "required": ["query"],
                    "additionalProperties": False,
                },
            },
        }
    )


def test_numpy_style_schema_strict() -> None:
    assert _schema(numpy, strict=True) == snapshot(
        {
            "type": "function",
            "function": {
                "name": "numpy",
                "description": "Search the notes.\n\nMatches titles first, then bodies.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "Words to look for."},
                        "limit": {"type": "integer", "description": "Most results to return. (default: 10)"},
                    },
                    "required": ["query", "limit"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
        }
    )


def test_rest_style_schema_strict() -> None:
    assert _schema(rest, strict=True) == snapshot(
        {
            "type": "function",
            "function": {
                "name": "rest",
                "description": "Search the notes.\n\nMatches titles first, then bodies.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "Words to look for."},
                        "limit": {"type": "integer", "description": "Most results to return. (default: 10)"},
                    },
                    "required": ["query", "limit"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
        }
    )


def test_epydoc_style_schema() -> None:
    assert _schema(epydoc) == snapshot(
        {
            "type": "function",
            "function": {
                "name": "epydoc",
                "description": "Search the notes.\n\nMatches titles first, then bodies.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": "Words to look for."},
                        "limit": {"type": "integer", "description": "Most results to return.", "default": 10},
                    },
                    "required": ["query"],
                    "additionalProperties": False,
                },
            },
        }
    )


def test_field_description_wins_over_docstring() -> None:
    def lookup(
        key: Annotated[str, Field(description="From Field.")],
        other: int = Field(3, description="From the default's Field."),
        plain: bool = False,
    ) -> None:
        """Look up a key.

        Args:
            key: From the docstring.
            other: From the docstring too.
            plain: Only in the docstring.
        """

    assert _schema(lookup)["function"]["parameters"] == snapshot(
        {
            "type": "object",
            "properties": {
                "key": {"type": "string", "description": "From Field."},
                "other": {"type": "integer", "description": "From the default's Field.", "default": 3},
                "plain": {"type": "boolean", "description": "Only in the docstring.", "default": False},
            },
            "required": ["key"],
            "additionalProperties": False,
        }
    )


def test_missing_docstring_and_descriptions_are_fine() -> None:
    def bare(x: int) -> int:
        return x

    def partial_doc(x: int, y: int) -> int:
        """Add.

        Args:
            y: The second.
            z: Not a parameter: ignored.
        """
        return x + y

    assert _schema(bare) == snapshot(
        {
            "type": "function",
            "function": {
                "name": "bare",
                "parameters": {
                    "type": "object",
                    "properties": {"x": {"type": "integer"}},
                    "required": ["x"],
                    "additionalProperties": False,
                },
            },
        }
    )
    assert _schema(partial_doc)["function"]["parameters"]["properties"] == snapshot(
        {"x": {"type": "integer"}, "y": {"type": "integer", "description": "The second."}}
    )


def test_description_option_overrides_docstring_and_empty_means_none() -> None:
    assert _schema(google, description="Find notes.")["function"]["description"] == "Find notes."
    assert "description" not in _schema(google, description="")["function"]


def test_multiline_param_description() -> None:
    def f(path: str) -> None:
        """Read a file.

        Args:
            path: Where the file is,
                relative to the workspace.
        """

    properties = _schema(f)["function"]["parameters"]["properties"]
    assert properties == snapshot(
        {"path": {"type": "string", "description": "Where the file is,\nrelative to the workspace."}}
    )

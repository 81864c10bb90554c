"""Streaming structured output: ``PartialOutput`` events while the answer's JSON arrives.

The JSON comes as the answer's text (JSON mode, an agent without tools) or as the arguments of the
output tool (``final_result``). After each piece, the text so far is read with pydantic's partial JSON
parser (``pydantic_core.from_json(allow_partial="trailing-strings")``: what is complete, plus a string
still being written) and validated into ``output_type`` with pydantic's partial validation
(``experimental_allow_partial``), so every ``PartialOutput`` is a real ``output_type`` instance in which
every value that has arrived complete is validated. What is left out, so that no partial ever shows a
wrong value: a number still being written (``12`` may become ``123``), and, when the whole does not
validate yet, the last values received (a ``Literal`` field half written, an item of a list still
missing its fields), dropped one by one a few times before giving up until the next piece. Required
fields that have not arrived hold back every partial (the model cannot exist without them): give
fields defaults, or use a ``TypedDict`` with ``total=False``, to see partials from the first field on.

A partial is yielded only when it differs from the previous one. The final output, validated in full,
is in ``RunDone`` as always.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from ._events import PartialOutput, ResponseRestarted, TextDelta, ToolArgumentsDelta, ToolCallStarted
from ._hooks import ResponseItem, closing
from ._output import OUTPUT_TOOL, OutputSpec

_FENCE_OPEN = re.compile(r"^\s*```(?:json)?\s*")
_FENCE_CLOSE = re.compile(r"\s*`{1,3}\s*$")
_NUMBER_TAIL = re.compile(r"-?\d[\d.eE+-]*$")
_DROPS = 3
"""How many trailing values may be dropped to find a valid partial."""
_NOTHING: Any = object()


async def partial_outputs(
    items: AsyncIterator[ResponseItem], output: OutputSpec, *, via_tool: bool
) -> AsyncGenerator[ResponseItem | PartialOutput, None]:
    """``items`` with a ``PartialOutput`` after each piece of the answer that changes it."""
    text, call_id, last = "", None, None
    async with closing(items) as inner:
        async for item in inner:
            yield item
            piece = ""
            if isinstance(item, ResponseRestarted):
                text, call_id, last = "", None, None
            elif via_tool and isinstance(item, ToolCallStarted) and item.name == OUTPUT_TOOL:
                text, call_id = "", item.tool_call_id
            elif via_tool and isinstance(item, ToolArgumentsDelta) and item.tool_call_id == call_id:
                piece = item.delta
            elif not via_tool and isinstance(item, TextDelta):
                piece = item.text
            if piece:
                text += piece
                value = partial_value(output, text)
                if value is not None and value != last:
                    last = value
                    yield PartialOutput(value)


def partial_value(output: OutputSpec, text: str) -> Any:
    """The output as far as ``text`` (incomplete JSON) gives it, validated; ``None`` if nothing yet."""
    assert output.adapter is not None
    text = _NUMBER_TAIL.sub("", _FENCE_CLOSE.sub("", _FENCE_OPEN.sub("", text, count=1)))
    if not text:
        return None
    try:
        data = from_json(text, allow_partial="trailing-strings")
    except ValueError:
        return None
    if output.wrapped:
        if not isinstance(data, dict) or "result" not in data:
            return None
        data = data["result"]
    for _ in range(_DROPS + 1):
        try:
            return output.adapter.validate_python(data, experimental_allow_partial="trailing-strings")
        except ValidationError:
            data = _without_last(data)
            if data is _NOTHING:
                return None
    return None


def _without_last(value: Any) -> Any:
    """``value`` without the last value received (the last leaf of its last branch)."""
    if isinstance(value, dict) and value:
        key = next(reversed(value))
        rest = {k: v for k, v in value.items() if k != key}
        inner = _without_last(value[key])
        if inner is not _NOTHING:
            rest[key] = inner
        return rest
    if isinstance(value, list) and value:
        inner = _without_last(value[-1])
        return value[:-1] + ([] if inner is _NOTHING else [inner])
    return _NOTHING

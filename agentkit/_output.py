"""Structured output: turning the model's final answer into ``output_type``.

With tools present, the answer comes as a call to an extra ``final_result`` tool whose parameters are
the output schema (the model already knows how to call tools, and the request keeps its tool list).
Without tools, the request asks for JSON mode and puts the schema in the instructions (DeepSeek's JSON
mode needs the word "json" in the prompt). Either way a validation error is sent back to the model,
written so it can fix the answer, until the retry budget runs out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ._feedback import error_lines
from ._strict import to_strict
from ._wire import FunctionDefinition, ToolDefinition

OUTPUT_TOOL = "final_result"

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n?```\s*$", re.DOTALL)


class OutputInvalid(Exception):
    """The answer does not validate; the message is written for the model."""


@dataclass(frozen=True)
class OutputSpec:
    """How a run gets and checks its final answer for one ``output_type``."""

    output_type: Any
    adapter: TypeAdapter[Any] | None
    """``None`` for ``str``: the text answer is the output."""
    parameters: dict[str, Any]
    wrapped: bool
    """Non-object types travel as ``{"result": value}``, since tool arguments must be an object."""

    @classmethod
    def of(cls, output_type: Any) -> OutputSpec:
        if output_type is str:
            return cls(str, None, {}, False)
        adapter: TypeAdapter[Any] = TypeAdapter(output_type)
        schema = adapter.json_schema()
        if schema.get("type") == "object":
            return cls(output_type, adapter, schema, False)
        defs = schema.pop("$defs", None)
        wrapper: dict[str, Any] = {
            "type": "object",
            "properties": {"result": schema},
            "required": ["result"],
        }
        if defs:
            wrapper["$defs"] = defs
        return cls(output_type, adapter, wrapper, True)

    @property
    def is_text(self) -> bool:
        return self.adapter is None

    def tool_definition(self, *, strict: bool = False) -> ToolDefinition:
        """The output tool; ``strict`` when the agent's tools are (DeepSeek needs all strict or none)."""
        function: FunctionDefinition = {
            "name": OUTPUT_TOOL,
            "description": "Give your final answer by calling this tool; its arguments are the answer.",
            "parameters": to_strict(self.parameters, tool_name=OUTPUT_TOOL) if strict else self.parameters,
        }
        if strict:
            function["strict"] = True
        return {"type": "function", "function": function}

    def json_instructions(self) -> str:
        schema = json.dumps(self.parameters, ensure_ascii=False, separators=(",", ":"))
        return "Answer with a single JSON object and nothing else, matching this JSON schema:\n" + schema

    def validate(self, text: str) -> Any:
        """The output from the answer's JSON text (tool arguments or a JSON-mode answer)."""
        assert self.adapter is not None
        fenced = _FENCE.match(text)
        if fenced:
            text = fenced.group(1)
        try:
            if not self.wrapped:
                return self.adapter.validate_json(text)
            data = json.loads(text)
            if not isinstance(data, dict) or "result" not in data:
                raise OutputInvalid('The answer must be a JSON object {"result": ...}. Please try again.')
            return self.adapter.validate_python(data["result"])
        except json.JSONDecodeError as exc:
            raise OutputInvalid(f"The answer is not valid JSON ({exc}). Please try again.") from None
        except ValidationError as exc:
            raise OutputInvalid(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """A validation error in a few lines the model can act on."""
    body = "\n".join(error_lines(exc, whole="(the whole answer)"))
    return f"The answer does not match the required schema:\n{body}\nPlease fix it and try again."

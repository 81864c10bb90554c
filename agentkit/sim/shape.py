"""The request types DeepSeek's front end deserializes, per era, and the first error serde would report.

A message is an internally tagged enum (``role``): serde reads the whole object before the variant, so
its field errors name the message and point at its end (``messages[1]: missing field `content` at line 8
column 5``, pig-mesh/deepseek4j #40; ``messages[3]: invalid type: sequence, expected a string``,
MGdaasLab/WHartTest #62), while a bad ``role`` is named and placed itself (``messages[1].role: unknown
variant `developer```, decolua/9router #773). Fields nobody declared are ignored, as serde does by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .serde import DESERIALIZE, PARSE, BodyError, Path, one_of, path_text, span, unexpected, where

ROLES = ("system", "user", "assistant", "tool")
V4_ROLES = (*ROLES, "latest_reminder")
V4_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class Fault:
    """What serde says (``message``), under which ``path``, and where: the start or end of ``at``."""

    message: str
    path: Path
    at: Path
    end: bool = True
    syntax: bool = False


Check = Callable[[Any, Path], "Fault | None"]


def _invalid(value: Any, expected: str, path: Path) -> Fault:
    # a sequence or map is refused on sight; anything else after it was read
    return Fault(f"invalid type: {unexpected(value)}, expected {expected}", path, path, not _nested(value))


def _nested(value: Any) -> bool:
    return isinstance(value, list | dict)


def string(value: Any, path: Path) -> Fault | None:
    return None if isinstance(value, str) else _invalid(value, "a string", path)


def boolean(value: Any, path: Path) -> Fault | None:
    return None if isinstance(value, bool) else _invalid(value, "a boolean", path)


def anything(value: Any, path: Path) -> Fault | None:
    return None


def unsigned(bits: int) -> Check:
    def check(value: Any, path: Path) -> Fault | None:
        if isinstance(value, int) and not isinstance(value, bool):
            if 0 <= value < 2**bits:
                return None
            return Fault(f"invalid value: integer `{value}`, expected u{bits}", path, path)
        return _invalid(value, f"u{bits}", path)

    return check


def number(value: Any, path: Path) -> Fault | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return None if ok else _invalid(value, "f32", path)


def variant(*names: str) -> Check:
    """A unit enum: a string among ``names``; anything else is not even read as a value."""

    def check(value: Any, path: Path) -> Fault | None:
        if isinstance(value, str):
            return (
                None
                if value in names
                else Fault(f"unknown variant `{value}`, expected {one_of(names)}", path, path)
            )
        return Fault("expected value", path, path, end=False, syntax=True)

    return check


def optional(check: Check) -> Check:
    return lambda value, path: None if value is None else check(value, path)


def seq(item: Check) -> Check:
    def check(value: Any, path: Path) -> Fault | None:
        if not isinstance(value, list):
            return _invalid(value, "a sequence", path)
        return next((f for i, v in enumerate(value) if (f := item(v, (*path, i)))), None)

    return check


def struct(name: str, fields: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    def check(value: Any, path: Path) -> Fault | None:
        if not isinstance(value, dict):
            return _invalid(value, f"struct {name}", path)
        for key, item in value.items():
            fault = fields[key](item, (*path, key)) if key in fields else None
            if fault is not None:
                return fault
        missing = next((key for key in required if key not in value), None)
        return None if missing is None else Fault(f"missing field `{missing}`", path, path)

    return check


def untagged(name: str, *options: Check) -> Check:
    def check(value: Any, path: Path) -> Fault | None:
        if any(option(value, path) is None for option in options):
            return None
        return Fault(f"data did not match any variant of untagged enum {name}", path, path)

    return check


_FUNCTION = struct(
    "Function",
    {"name": string, "description": optional(string), "parameters": anything, "strict": optional(boolean)},
    ("name",),
)
_TOOL = struct("Tool", {"type": variant("function"), "function": _FUNCTION}, ("type", "function"))
_CALL = struct(
    "ToolCall",
    {
        "id": string,
        "type": variant("function"),
        "function": struct("FunctionCall", {"name": string, "arguments": string}, ("name", "arguments")),
    },
    ("id", "type", "function"),
)
_NAMED = struct(
    "NamedToolChoice",
    {"type": variant("function"), "function": struct("Name", {"name": string}, ("name",))},
    ("type", "function"),
)
_STOP = untagged("Stop", string, seq(string))
_THINKING = struct("Thinking", {"type": variant("enabled", "disabled")}, ("type",))
_STREAM_OPTIONS = struct("StreamOptions", {"include_usage": optional(boolean)})


def _part(kinds: tuple[str, ...]) -> Check:
    typed = struct("ContentPart", {"type": variant(*kinds), "text": optional(string)}, ("type",))

    def check(value: Any, path: Path) -> Fault | None:
        fault = typed(value, path)
        if fault is None and value["type"] == "text":
            fault = string(value.get("text"), (*path, "text"))
        return fault

    return check


def _message_fields(role: str, era: str) -> tuple[dict[str, Check], tuple[str, ...]]:
    name = {"name": optional(string)}
    if role == "assistant":
        fields = {
            **name,
            "content": optional(string),
            "reasoning_content": optional(string),
            "tool_calls": optional(seq(_CALL)),
            "prefix": optional(boolean),
        }
        # the R1-era API required the key (pig-mesh/deepseek4j #40); V3.2 and V4 take a message without it,
        # as litellm sends them (HKUDS/nanobot #194, agent0ai/agent-zero #1732 reach the later 400s)
        return fields, ("content",) if era == "deepseek-r1" else ()
    if role == "tool":
        return {"content": string, "tool_call_id": string}, ("content", "tool_call_id")
    if role == "user":
        parts = ("text", "image_url", "file") if era == "deepseek-v4" else ("text",)
        content = untagged("ChatCompletionRequestContent", string, seq(_part(parts)))
        return {**name, "content": content}, ("content",)
    return {**name, "content": string}, ("content",)


def message(era: str) -> Check:
    roles = V4_ROLES if era == "deepseek-v4" else ROLES

    def check(value: Any, path: Path) -> Fault | None:
        if not isinstance(value, dict):
            return _invalid(value, "internally tagged enum Message", path)
        if "role" not in value:
            return Fault("missing field `role`", path, path)
        role = value["role"]
        if not isinstance(role, str):
            return _invalid(role, "variant identifier", (*path, "role"))
        if role not in roles:
            return Fault(
                f"unknown variant `{role}`, expected {one_of(roles)}", (*path, "role"), (*path, "role")
            )
        fields, required = _message_fields(role, era)
        fault = struct(role, fields, required)(value, path)
        # read from a buffer: the error names the message and is placed at its end
        return None if fault is None else Fault(fault.message, path, path)

    return check


def _response_format(era: str) -> Check:
    kinds = (
        variant("text", "json_object")
        if era == "deepseek-r1"
        else variant("text", "json_object", "json_schema")
    )
    inner = struct("ResponseFormat", {"type": kinds}, ("type",))

    def check(value: Any, path: Path) -> Fault | None:
        if era == "deepseek-r1" and isinstance(value, dict) and value.get("type") == "json_schema":
            # browser-use/browser-use #215 (2025-01): a custom deserializer's own words
            return Fault("response_format.type `json_schema` is unavailable now", path, path)
        return inner(value, path)

    return check


def chat_request(era: str) -> Check:
    fields: dict[str, Check] = {
        "model": string,
        "messages": seq(message(era)),
        "tools": optional(seq(_TOOL)),
        "tool_choice": optional(untagged("ToolChoice", variant("none", "auto", "required"), _NAMED)),
        "thinking": optional(_THINKING),
        "response_format": optional(_response_format(era)),
        "max_tokens": optional(unsigned(32)),
        "n": optional(unsigned(32)),
        "temperature": optional(number),
        "top_p": optional(number),
        "frequency_penalty": optional(number),
        "presence_penalty": optional(number),
        "stop": optional(_STOP),
        "logprobs": optional(boolean),
        "top_logprobs": optional(unsigned(8)),
        "stream": optional(boolean),
        "stream_options": optional(_STREAM_OPTIONS),
        "user_id": optional(string),
    }
    if era == "deepseek-v4":  # an unknown field before V4 (ignored); a checked enum since
        fields["reasoning_effort"] = optional(variant(*V4_EFFORTS))
    return struct("ChatCompletionRequest", fields, ("messages", "model"))


FIM_REQUEST = struct(
    "CompletionRequest",
    {
        "model": string,
        "prompt": string,
        "suffix": optional(string),
        "echo": optional(boolean),
        "frequency_penalty": optional(number),
        "presence_penalty": optional(number),
        "logprobs": optional(unsigned(32)),
        "max_tokens": optional(unsigned(32)),
        "stop": optional(_STOP),
        "stream": optional(boolean),
        "stream_options": optional(_STREAM_OPTIONS),
        "temperature": optional(number),
        "top_p": optional(number),
        "thinking": optional(_THINKING),
    },
    ("model", "prompt"),
)


def check_shape(check: Check, text: str, value: Any) -> None:
    """Raise :class:`BodyError` with serde's words and position for the first fault in ``value``."""
    fault = check(value, ())
    if fault is None:
        return
    start, end = span(text, fault.at)
    position = where(text, end if fault.end else start + int(fault.syntax))
    prefix = f"{path_text(fault.path)}: " if fault.path else ""
    kind, lead = ("syntax", PARSE) if fault.syntax else ("data", DESERIALIZE)
    raise BodyError(kind, f"{lead} {prefix}{fault.message} {position}")

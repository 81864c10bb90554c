"""Request validation like DeepSeek's: body shape (422), then the API's rules (400).

Shape errors use the wording of DeepSeek's Rust front end ("Failed to deserialize the JSON body into the
target type: ..."); rules whose exact text is documented (``docs/deepseek-api.md``) use that text, the
others say plainly what is wrong. ``null`` for an optional field means "absent", as on the real server.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .._wire import AssistantMessage, ChatRequest, FIMRequest, SystemMessage, ToolMessage, UserMessage
from .eras import ModelSpec
from .errors import TOOL_CALLS_UNANSWERED, TOOL_WITHOUT_CALL, SimError, bad_request
from .strict import check_strict_schema

MAX_TOOLS = 128
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_USER_ID = re.compile(r"^[a-zA-Z0-9\-_]{1,512}$")
_SHAPE = "Failed to deserialize the JSON body into the target type:"
_CHAT = TypeAdapter(ChatRequest)
_FIM = TypeAdapter(FIMRequest)
_MESSAGES: dict[str, TypeAdapter[Any]] = {
    "system": TypeAdapter(SystemMessage),
    "user": TypeAdapter(UserMessage),
    "assistant": TypeAdapter(AssistantMessage),
    "tool": TypeAdapter(ToolMessage),
}


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise SimError(400, f"Failed to parse the request body as JSON: {exc}") from None
    if not isinstance(body, dict):
        raise SimError(422, _SHAPE + " expected a JSON object")
    return body


def _drop_nulls(body: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None or k in keep}


def _shape(adapter: TypeAdapter[Any], value: Any, where: str = "") -> None:
    try:
        adapter.validate_python(value, strict=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        message = f"missing field `{error['loc'][-1]}`" if error["type"] == "missing" else error["msg"]
        raise SimError(422, f"{_SHAPE} {loc.lstrip('.')}: {message}") from None


def normalize_chat(body: dict[str, Any]) -> dict[str, Any]:
    """Check the body's shape; return it with ``null`` optional fields removed."""
    body = _drop_nulls(body)
    messages = body.get("messages")
    if isinstance(messages, list):
        cleaned = []
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                raise SimError(422, f"{_SHAPE} messages[{index}]")
            message = _drop_nulls(message, keep=("content",))
            role = message.get("role")
            if role not in _MESSAGES:
                raise SimError(
                    422,
                    f"{_SHAPE} messages[{index}]: unknown variant `{role}`, expected one of `system`, "
                    "`user`, `assistant`, `tool`",
                )
            _shape(_MESSAGES[role], message, f"messages[{index}]")
            cleaned.append(message)
        body["messages"] = cleaned
    _shape(_CHAT, {**body, "messages": []})
    return body


def normalize_fim(body: dict[str, Any]) -> dict[str, Any]:
    body = _drop_nulls(body)
    _shape(_FIM, {k: v for k, v in body.items() if k != "thinking"})
    return body


def check_chat(
    body: dict[str, Any], spec: ModelSpec, *, thinking: bool, beta: bool, prompt_tokens: int
) -> None:
    """Every 400 rule that does not depend on the era's reasoning_content policy."""
    messages: list[dict[str, Any]] = body["messages"]
    if not messages:
        raise bad_request("Invalid messages: at least one message is required.")
    _check_tools(body, spec, thinking=thinking, beta=beta)
    _check_order(messages, beta=beta)
    _check_params(body, spec, thinking=thinking)
    limit = body.get("max_tokens", 0)
    if prompt_tokens + limit > spec.context_tokens:
        raise bad_request(
            f"This model's maximum context length is {spec.context_tokens} tokens. However, you requested "
            f"{prompt_tokens + limit} tokens ({prompt_tokens} in the messages, {limit} in the completion). "
            "Please reduce the length of the messages or completion."
        )


def _check_tools(body: dict[str, Any], spec: ModelSpec, *, thinking: bool, beta: bool) -> None:
    tools: list[dict[str, Any]] = body.get("tools") or []
    choice = body.get("tool_choice")
    if tools and spec.era == "deepseek-r1" and thinking:
        raise bad_request("deepseek-reasoner does not support Function Calling.")
    if len(tools) > MAX_TOOLS:
        raise bad_request(f"Invalid tools: at most {MAX_TOOLS} tools are supported, got {len(tools)}.")
    names: set[str] = set()
    for index, tool in enumerate(tools):
        function = tool["function"]
        name = function["name"]
        if not _NAME.match(name):
            raise bad_request(
                f"Invalid tools[{index}].function.name: {name!r} must be 1 to 64 characters of a-z, A-Z, "
                "0-9, underscores and dashes."
            )
        if name in names:
            raise bad_request(f"Invalid tools: duplicate function name {name!r}.")
        names.add(name)
        parameters = function.get("parameters")
        if parameters is not None and parameters.get("type", "object") != "object":
            raise bad_request(
                f"Invalid tools[{index}].function.parameters: the schema must be of type 'object'."
            )
        if function.get("strict"):
            if not beta and spec.era != "deepseek-v4":
                raise bad_request(
                    "Strict mode for tools is a beta feature: use base_url https://api.deepseek.com/beta."
                )
            if beta:
                check_strict_schema(name, parameters or {"type": "object", "properties": {}})
    if choice is not None and not tools and choice != "none":
        raise bad_request("Invalid tool_choice: tools must be given when tool_choice is not 'none'.")
    if isinstance(choice, dict) and choice["function"]["name"] not in names:
        raise bad_request(f"Invalid tool_choice: function {choice['function']['name']!r} is not in tools.")
    if thinking and (choice == "required" or isinstance(choice, dict)):
        raise bad_request("tool_choice is not supported in thinking mode: use 'auto' or 'none'.")


def _check_order(messages: list[dict[str, Any]], *, beta: bool) -> None:
    pending: list[str] = []
    for index, message in enumerate(messages):
        role = message["role"]
        if message.get("prefix"):
            if index != len(messages) - 1 or role != "assistant":
                raise bad_request(
                    "Invalid messages: `prefix` is only allowed on the last message, of role assistant."
                )
            if not beta:
                raise bad_request(
                    "Chat prefix completion is a beta feature: use base_url https://api.deepseek.com/beta."
                )
        if role == "tool":
            if message["tool_call_id"] not in pending:
                raise SimError(400, TOOL_WITHOUT_CALL, param=f"messages.[{index}].role")
            pending.remove(message["tool_call_id"])
            continue
        if pending:
            raise bad_request(TOOL_CALLS_UNANSWERED)
        pending = [call["id"] for call in message.get("tool_calls") or ()]
    if pending:
        raise bad_request(TOOL_CALLS_UNANSWERED)


def _check_params(body: dict[str, Any], spec: ModelSpec, *, thinking: bool) -> None:
    limit = body.get("max_tokens")
    if limit is not None and not 1 <= limit <= spec.max_tokens:
        raise bad_request(
            f"Invalid max_tokens value, the valid range of max_tokens is [1, {spec.max_tokens}]"
        )
    for name, low, high in (
        ("temperature", 0, 2),
        ("top_p", 0, 1),
        ("frequency_penalty", -2, 2),
        ("presence_penalty", -2, 2),
    ):
        value = body.get(name)
        if value is not None and not low <= value <= high:
            raise bad_request(f"Invalid {name} value, the valid range of {name} is [{low}, {high}]")
    stop = body.get("stop")
    if isinstance(stop, list) and len(stop) > 16:
        raise bad_request("Invalid stop: at most 16 stop sequences are supported.")
    if thinking and ("logprobs" in body or "top_logprobs" in body):
        raise bad_request("logprobs and top_logprobs are not supported in thinking mode.")
    top = body.get("top_logprobs")
    if top is not None and (not body.get("logprobs") or not 0 <= top <= 20):
        raise bad_request("Invalid top_logprobs: it must be in [0, 20] and needs logprobs=true.")
    if (body.get("response_format") or {}).get("type") == "json_object":
        if spec.era == "deepseek-r1" and thinking:
            raise bad_request("deepseek-reasoner does not support JSON Output.")
        prompt = " ".join(str(m.get("content")) for m in body["messages"] if m["role"] in ("system", "user"))
        if "json" not in prompt.lower():
            raise bad_request(
                "Prompt must contain the word 'json' in some form to use 'response_format' of type "
                "'json_object'."
            )
    user_id = body.get("user_id")
    if user_id is not None and not _USER_ID.match(user_id):
        raise bad_request("Invalid user_id: it must match [a-zA-Z0-9\\-_]+ and be at most 512 characters.")


def check_fim(body: dict[str, Any], spec: ModelSpec, *, thinking: bool) -> None:
    if thinking:
        raise bad_request("FIM completion is not supported in thinking mode.")
    limit = body.get("max_tokens")
    if limit is not None and not 1 <= limit <= 4096:
        raise bad_request("Invalid max_tokens value, the valid range of max_tokens is [1, 4096]")
    logprobs = body.get("logprobs")
    if logprobs is not None and not 0 <= logprobs <= 20:
        raise bad_request("Invalid logprobs value, the valid range of logprobs is [0, 20]")

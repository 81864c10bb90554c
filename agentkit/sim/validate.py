"""Request validation like DeepSeek's: the body's shape first (``shape``), then the API's rules (400).

Shape errors are serde's, as each era's front end reported them: in the R1 era axum's own plain-text
answers, 400 for bytes that are not JSON and 422 for JSON of the wrong shape (carlrobertoh/ProxyAI #907:
``Code: 422, Body: Failed to deserialize the JSON body...``); from V3.2 on the same texts as a 400
``invalid_request_error`` JSON body (tailcallhq/forgecode #2008, MGdaasLab/WHartTest #62). Rules whose
exact text is documented or recorded use that text, the others say plainly what is wrong. ``null`` for an
optional field means "absent", as on the real server.
"""

from __future__ import annotations

import re
from typing import Any

from .eras import Era, ModelSpec
from .errors import TOOL_CALLS_UNANSWERED, TOOL_WITHOUT_CALL, SimError, bad_request
from .serde import BodyError, decode
from .shape import FIM_REQUEST, Check, chat_request, check_shape
from .strict import check_strict_schema

MAX_TOOLS = 128
THINKING_TOOL_CHOICE = {
    # pydantic/pydantic-ai #1886 (2025-06); V4: deepseek-ai/DeepSeek-V3 #1376, osaurus-ai/osaurus #1940
    "deepseek-r1": "deepseek-reasoner does not support this tool_choice",
    "deepseek-v3.2": "deepseek-reasoner does not support this tool_choice",
    "deepseek-v4": "Thinking mode does not support this tool_choice",
}
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_USER_ID = re.compile(r"^[a-zA-Z0-9\-_]{1,512}$")


def read_body(raw: bytes, check: Check, era: Era) -> dict[str, Any]:
    """The body as a dict, or the era's answer to a body serde cannot read."""
    try:
        text, value = decode(raw)
        check_shape(check, text, value)
    except BodyError as error:
        if era != "deepseek-r1":
            raise SimError(400, error.message) from None
        raise SimError(400 if error.kind == "syntax" else 422, error.message, plain=True) from None
    return _drop_nulls(value)


def read_chat(raw: bytes, era: Era) -> dict[str, Any]:
    body = read_body(raw, chat_request(era), era)
    body["messages"] = [_drop_nulls(m, keep=("content",)) for m in body["messages"]]
    for tool in body.get("tools") or ():
        tool["function"] = _drop_nulls(tool["function"])
    for message in body["messages"]:
        message.setdefault("content", None)  # V3.2 and V4 take an assistant message without it
    return body


def read_fim(raw: bytes, era: Era) -> dict[str, Any]:
    return read_body(raw, FIM_REQUEST, era)


def _drop_nulls(body: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None or k in keep}


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
        # the R1-era text has no full stop (obot-platform/obot #1475, spring-projects/spring-ai #2643)
        raise bad_request("deepseek-reasoner does not support Function Calling")
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
        if parameters is not None and (
            not isinstance(parameters, dict) or parameters.get("type", "object") != "object"
        ):
            raise bad_request(
                f"Invalid tools[{index}].function.parameters: the schema must be of type 'object'."
            )
        # off /beta the flag is accepted and nothing is enforced (langchain-ai/langchain #40030)
        if function.get("strict") and beta:
            check_strict_schema(name, parameters or {"type": "object", "properties": {}})
    if choice is not None and not tools and choice != "none":
        raise bad_request("Invalid tool_choice: tools must be given when tool_choice is not 'none'.")
    if isinstance(choice, dict) and choice["function"]["name"] not in names:
        raise bad_request(f"Invalid tool_choice: function {choice['function']['name']!r} is not in tools.")
    if thinking and (choice == "required" or isinstance(choice, dict)):
        raise bad_request(THINKING_TOOL_CHOICE[spec.era])


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
    top_p = body.get("top_p")
    if spec.era == "deepseek-v4" and top_p is not None and not 0 < top_p <= 1:
        raise bad_request("Invalid top_p value, the valid range of top_p is (0, 1.0]")
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
        raise bad_request(f"Stop string array too long: {len(stop)}")
    if body.get("n", 1) != 1:
        # ragas #1072, deepseek-ai/DeepSeek-V3 #291: only one choice, and no silent truncation
        raise bad_request("Invalid n value (currently only n = 1 is supported)")
    if thinking and spec.era != "deepseek-v4":
        for name in ("logprobs", "top_logprobs"):
            if name in body:  # R1 and V3.2 refuse them in thinking mode; V4 answers with them
                raise bad_request(f"{body['model']} does not support the parameter `{name}`")
    top = body.get("top_logprobs")
    if top is not None and not body.get("logprobs"):
        raise bad_request(
            "Invalid top_logprobs and logprobs value, logprobs must be set to true if top_logprobs is used."
        )
    if top is not None and top > 20:
        raise bad_request("Invalid top_logprobs value, the valid range of top_logprobs is [0, 20].")
    kind = (body.get("response_format") or {}).get("type")
    if kind == "json_schema":  # ItzCrazyKns/Vane #969 (V3.2), llm-exe/llm-exe #662 (V4)
        raise bad_request("This response_format type is unavailable now")
    if kind == "json_object":
        if spec.era == "deepseek-r1" and thinking:
            # gomate-community/TrustRAG #140 (2025-03)
            raise bad_request("deepseek-reasoner does not support Json Output.")
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

"""What agentkit's spans and metrics say, as plain attribute dicts: the GenAI semantic conventions of
OpenTelemetry semantic-conventions v1.41.0 (see ``agentkit.otel``), plus ``agentkit.*`` names for what
they lack. Pure functions of agentkit's own data, so this module imports no OpenTelemetry.

Token counts map as DeepSeek reports them: ``prompt_tokens`` (cache hits included) is
``gen_ai.usage.input_tokens``, ``prompt_cache_hit_tokens`` is ``gen_ai.usage.cache_read.input_tokens``,
``completion_tokens`` (reasoning included) is ``gen_ai.usage.output_tokens`` and ``reasoning_tokens`` is
``gen_ai.usage.reasoning.output_tokens``; the conventions have no cache-miss count and no cost, so those
are ``agentkit.usage.prompt_cache_miss_tokens`` and ``agentkit.usage.cost`` (USD).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._usage import cache_split

if TYPE_CHECKING:
    from ._hooks import ModelRequestInfo, RunInfo, ToolCallInfo
    from ._profiles import Profile
    from ._usage import RunUsage
    from ._wire import ChatCompletion, Usage

Value = str | bool | int | float | Sequence[str]
Attributes = dict[str, Value]

SCHEMA_URL = "https://opentelemetry.io/schemas/1.41.0"
TOKEN_BUCKETS = [4.0**i for i in range(14)]
"""``gen_ai.client.token.usage`` boundaries the conventions give: 1, 4, 16, ... 67108864."""
DURATION_BUCKETS = [0.01 * 2.0**i for i in range(14)]
"""``gen_ai.client.operation.duration`` boundaries the conventions give: 0.01, 0.02, ... 81.92 s."""

OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
FINISH_REASONS = "gen_ai.response.finish_reasons"
AGENT_NAME = "gen_ai.agent.name"
TOOL_NAME = "gen_ai.tool.name"
TOOL_RESULT = "gen_ai.tool.call.result"
OUTPUT_MESSAGES = "gen_ai.output.messages"
ERROR_TYPE = "error.type"
TOKEN_TYPE = "gen_ai.token.type"
STOPPED = "agentkit.stopped"
"""Why a span ended early without an error: ``abandoned`` (the caller stopped reading) or ``cancelled``."""
RETRY_EVENT = "agentkit.retry"
RETRY_ATTEMPT = "agentkit.retry.attempt"
SAMPLING = "agentkit.mcp.sampling"
"""On a ``chat`` span an MCP server asked for during a tool call (``sampling/createMessage``)."""

_SETTINGS = {
    "max_tokens": "gen_ai.request.max_tokens",
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "reasoning_effort": "agentkit.request.reasoning_effort",
}


def provider(profile: Profile) -> str:
    """``deepseek`` for DeepSeek's profiles; other OpenAI-compatible servers speak ``openai``'s API."""
    return "deepseek" if profile.name.startswith("deepseek") else "openai"


def run_attributes(run: RunInfo, *, capture: bool) -> Attributes:
    """An ``invoke_agent`` span's attributes when the run starts."""
    attributes: Attributes = {
        OPERATION: "invoke_agent",
        PROVIDER: provider(run.profile),
        AGENT_NAME: run.agent.name,
        REQUEST_MODEL: run.model,
        "agentkit.profile": run.profile.name,
    }
    if not run.agent.output.is_text:
        attributes["gen_ai.output.type"] = "json"
    if capture and run.prompt is not None:
        attributes["gen_ai.input.messages"] = _json([_message({"role": "user", "content": run.prompt})])
    return attributes


def run_usage(usage: RunUsage, *, priced: bool) -> Attributes:
    """A run's summed usage, for its ``invoke_agent`` span."""
    return _usage(
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.prompt_cache_hit_tokens,
        usage.prompt_cache_miss_tokens,
        usage.reasoning_tokens,
        usage.cost if priced else None,
    )


def output_messages(output: Any, finish_reasons: Sequence[str]) -> str:
    """A run's final answer as ``gen_ai.output.messages``: text, or the structured output as JSON."""
    dump = getattr(output, "model_dump_json", None)
    text = output if isinstance(output, str) else dump() if dump else json.dumps(output, default=str)
    finish = finish_reasons[0] if finish_reasons else "stop"
    return _json([{"role": "assistant", "parts": [_text(text)], "finish_reason": finish}])


def request_attributes(request: ModelRequestInfo, *, capture: bool) -> Attributes:
    """A ``chat`` span's attributes before the request is sent: the model and the settings it carries."""
    run, profile = request.run, request.profile or request.run.profile
    attributes: Attributes = {
        OPERATION: "chat",
        PROVIDER: provider(profile),
        REQUEST_MODEL: request.request["model"],
        "agentkit.profile": profile.name,
    }
    if request.sampling:
        attributes[SAMPLING] = True
    elif run.stream:
        attributes["gen_ai.request.stream"] = True
    body: Mapping[str, Any] = request.request
    for key, name in _SETTINGS.items():
        if body.get(key) is not None:
            attributes[name] = body[key]
    stop = body.get("stop")
    if stop is not None:
        attributes["gen_ai.request.stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    response_format = body.get("response_format")
    if response_format is not None:
        attributes["gen_ai.output.type"] = "json" if response_format["type"] == "json_object" else "text"
    if "thinking" in body:
        attributes["agentkit.request.thinking"] = body["thinking"]["type"]
    if capture:
        messages = body["messages"]
        system = [_text(m["content"]) for m in messages if m["role"] == "system"]
        if system:
            attributes["gen_ai.system_instructions"] = _json(system)
        attributes["gen_ai.input.messages"] = _json([_message(m) for m in messages if m["role"] != "system"])
    return attributes


def response_attributes(completion: ChatCompletion, cost: float | None, *, capture: bool) -> Attributes:
    """A ``chat`` span's attributes once the response is complete."""
    attributes: Attributes = {
        "gen_ai.response.id": completion.id,
        RESPONSE_MODEL: completion.model,
        FINISH_REASONS: finish_reasons(completion),
    }
    usage = completion.usage
    if usage is not None:
        attributes.update(request_usage(usage, cost))
    if capture:
        choices = completion.choices
        attributes[OUTPUT_MESSAGES] = _json(
            [{**_message(c.message.model_dump()), "finish_reason": c.finish_reason or ""} for c in choices]
        )
    return attributes


def finish_reasons(completion: ChatCompletion) -> list[str]:
    return [c.finish_reason or "" for c in completion.choices]


def request_usage(usage: Usage, cost: float | None) -> Attributes:
    hit, miss = cache_split(usage)
    return _usage(usage.prompt_tokens, usage.completion_tokens, hit, miss, usage.reasoning_tokens, cost)


def tool_attributes(call: ToolCallInfo, *, capture: bool) -> Attributes:
    """An ``execute_tool`` span's attributes before the call runs."""
    attributes: Attributes = {
        OPERATION: "execute_tool",
        TOOL_NAME: call.call["function"]["name"],
        "gen_ai.tool.call.id": call.call["id"],
        "gen_ai.tool.type": "function",
    }
    if call.tool is not None and call.tool.description:
        attributes["gen_ai.tool.description"] = call.tool.description
    if capture:
        attributes["gen_ai.tool.call.arguments"] = call.call["function"]["arguments"]
    return attributes


def _usage(
    prompt: int, completion: int, hit: int, miss: int, reasoning: int, cost: float | None
) -> Attributes:
    attributes: Attributes = {
        "gen_ai.usage.input_tokens": prompt,
        "gen_ai.usage.output_tokens": completion,
        "gen_ai.usage.cache_read.input_tokens": hit,
        "agentkit.usage.prompt_cache_miss_tokens": miss,
    }
    if reasoning:
        attributes["gen_ai.usage.reasoning.output_tokens"] = reasoning
    if cost is not None:
        attributes["agentkit.usage.cost"] = cost
    return attributes


# --------------------------------------------------------------------------- content (opt-in)


def _message(message: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAI-format message as the conventions' ``{"role", "parts"}`` form."""
    role = message["role"]
    if role == "tool":
        return {
            "role": role,
            "parts": [
                {"type": "tool_call_response", "id": message["tool_call_id"], "response": message["content"]}
            ],
        }
    parts: list[dict[str, Any]] = []
    if message.get("reasoning_content"):
        parts.append({"type": "reasoning", "content": message["reasoning_content"]})
    content = message.get("content")
    if isinstance(content, str) and content:
        parts.append(_text(content))
    elif isinstance(content, list):
        parts.extend(_text(p["text"]) if p.get("type") == "text" else dict(p) for p in content)
    for call in message.get("tool_calls") or ():
        function = call["function"]
        parts.append(
            {
                "type": "tool_call",
                "id": call["id"],
                "name": function["name"],
                "arguments": _arguments(function["arguments"]),
            }
        )
    return {"role": role, "parts": parts}


def _arguments(text: str) -> Any:
    """Tool-call arguments as an object, as the conventions ask; text that is not JSON stays text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _text(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def _json(value: Any) -> str:
    """Structured content as a JSON string: span attributes in Python cannot hold structures."""
    return json.dumps(value, ensure_ascii=False)

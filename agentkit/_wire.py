"""The DeepSeek API's wire shapes.

Requests are TypedDicts: plain dicts are what the agent keeps as history and sends again, so a request
body is built without copying, keys we do not set are simply absent (never sent as null), and history
stays byte-stable for the context cache. pydantic validates them where input is untrusted (the
simulator) through ``TypeAdapter``. Responses are pydantic models that keep unknown fields
(``extra="allow"``) so nothing the server adds is lost.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from typing_extensions import NotRequired, Required, TypedDict

# --------------------------------------------------------------------------- requests: messages


class FunctionCall(TypedDict):
    name: str
    arguments: str
    """JSON text as the model wrote it; not always valid JSON."""


class ToolCall(TypedDict):
    id: str
    type: Literal["function"]
    function: FunctionCall
    index: NotRequired[int]


class SystemMessage(TypedDict):
    role: Literal["system"]
    content: str
    name: NotRequired[str]



class UserMessage(TypedDict):
    role: Literal["user"]
    content: str | list[dict[str, Any]]
    name: NotRequired[str]


class AssistantMessage(TypedDict, total=False):
    role: Required[Literal["assistant"]]
    content: Required[str | None]
    name: str
    tool_calls: list[ToolCall]
    reasoning_content: str | None
    prefix: bool
    """Beta (``/beta``): the model continues from this content. Only on the last message."""


class ToolMessage(TypedDict):
    role: Literal["tool"]
    content: str
    tool_call_id: str


Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage

# --------------------------------------------------------------------------- requests: tools


class FunctionDefinition(TypedDict, total=False):
    name: Required[str]
    description: str
    parameters: dict[str, Any]
    strict: bool
    """Beta (``/beta``): the model's arguments must match ``parameters`` exactly."""


class ToolDefinition(TypedDict):
    type: Literal["function"]
    function: FunctionDefinition


class NamedToolChoiceFunction(TypedDict):
    name: str


class NamedToolChoice(TypedDict):
    type: Literal["function"]
    function: NamedToolChoiceFunction


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice


class ResponseFormat(TypedDict):
    type: Literal["text", "json_object"]


class Thinking(TypedDict):
    type: Literal["enabled", "disabled"]


class StreamOptions(TypedDict, total=False):
    include_usage: bool


class ChatRequest(TypedDict, total=False):
    """Body of ``POST /chat/completions``. ``stream`` is set by the client, not by callers."""

    model: Required[str]
    messages: Required[list[Message]]
    tools: list[ToolDefinition]
    tool_choice: ToolChoice
    parallel_tool_calls: bool
    thinking: Thinking
    reasoning_effort: str
    response_format: ResponseFormat
    max_tokens: int
    temperature: float
    top_p: float
    frequency_penalty: float
    presence_penalty: float
    stop: str | list[str]
    logprobs: bool
    top_logprobs: int
    stream: bool
    stream_options: StreamOptions
    user_id: str


class FIMRequest(TypedDict, total=False):
    """Body of ``POST /beta/completions`` (fill in the middle)."""

    model: Required[str]
    prompt: Required[str]
    suffix: str
    echo: bool
    frequency_penalty: float
    presence_penalty: float
    logprobs: int
    max_tokens: int
    stop: str | list[str]
    stream: bool
    stream_options: StreamOptions
    temperature: float
    top_p: float


# --------------------------------------------------------------------------- responses


class WireModel(BaseModel):
    """Base of every response shape: unknown server fields are kept, not dropped."""

    model_config = ConfigDict(extra="allow", defer_build=True)
    """Schemas are built on first use, not at import: most programs parse only a few of these shapes."""


class CompletionTokensDetails(WireModel):
    reasoning_tokens: int = 0


class PromptTokensDetails(WireModel):
    cached_tokens: int = 0


class Usage(WireModel):
    """Token counts of one request, with the API's own field names."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_cache_hit_tokens: int = 0
    prompt_cache_miss_tokens: int = 0
    completion_tokens_details: CompletionTokensDetails | None = None
    prompt_tokens_details: PromptTokensDetails | None = None

    @property
    def reasoning_tokens(self) -> int:
        details = self.completion_tokens_details
        return details.reasoning_tokens if details else 0


class ResponseFunctionCall(WireModel):
    name: str = ""
    arguments: str = ""


class ResponseToolCall(WireModel):
    id: str
    type: Literal["function"] = "function"
    function: ResponseFunctionCall
    index: int | None = None


class ResponseMessage(WireModel):
    role: Literal["assistant"] = "assistant"
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ResponseToolCall] | None = None


FinishReason = Literal["stop", "length", "content_filter", "tool_calls", "insufficient_system_resource"]


class Choice(WireModel):
    index: int = 0
    message: ResponseMessage
    finish_reason: FinishReason | str | None = None
    logprobs: dict[str, Any] | None = None


class ChatCompletion(WireModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int = 0
    model: str
    system_fingerprint: str | None = None
    choices: list[Choice]
    usage: Usage | None = None


class DeltaFunctionCall(WireModel):
    name: str | None = None
    arguments: str | None = None


class DeltaToolCall(WireModel):
    """A fragment of a streamed tool call: ``id`` and ``name`` arrive only on the first fragment."""

    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: DeltaFunctionCall | None = None


class Delta(WireModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[DeltaToolCall] | None = None


class ChunkChoice(WireModel):
    index: int = 0
    delta: Delta
    finish_reason: FinishReason | str | None = None
    logprobs: dict[str, Any] | None = None


class ChatCompletionChunk(WireModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int = 0
    model: str
    system_fingerprint: str | None = None
    choices: list[ChunkChoice]
    usage: Usage | None = None


class FIMLogprobs(WireModel):
    text_offset: list[int] = []
    token_logprobs: list[float] = []
    tokens: list[str] = []
    top_logprobs: list[dict[str, float]] = []


class FIMChoice(WireModel):
    text: str
    index: int = 0
    finish_reason: FinishReason | str | None = None
    logprobs: FIMLogprobs | None = None


class FIMCompletion(WireModel):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int = 0
    model: str
    system_fingerprint: str | None = None
    choices: list[FIMChoice]
    usage: Usage | None = None


class ModelInfo(WireModel):
    id: str
    object: Literal["model"] = "model"
    owned_by: str = ""


class ModelList(WireModel):
    object: Literal["list"] = "list"
    data: list[ModelInfo]


class BalanceInfo(WireModel):
    currency: Literal["CNY", "USD"] | str
    total_balance: str
    """Amounts are strings on the wire, to keep decimal precision."""
    granted_balance: str
    topped_up_balance: str


class Balance(WireModel):
    is_available: bool
    balance_infos: list[BalanceInfo]


class ErrorDetail(WireModel):
    message: str = ""
    type: str | None = None
    param: str | None = None
    code: str | int | None = None


class ErrorBody(WireModel):
    """``{"error": {"message", "type", "param", "code"}}``, the shape of every error response."""

    error: ErrorDetail

"""agentkit: tool-using agents on DeepSeek's OpenAI-compatible API.

Names are imported lazily on first use, so ``import agentkit`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # "X as X": the explicit re-export form type checkers need
    from ._agent import Agent as Agent
    from ._approvals import (
        ApprovalRequest as ApprovalRequest,
        Denied as Denied,
    )
    from ._client import DeepSeekClient as DeepSeekClient
    from ._context import RunContext as RunContext
    from ._errors import (
        AgentkitError as AgentkitError,
        APIConnectionError as APIConnectionError,
        APIError as APIError,
        APIStatusError as APIStatusError,
        APITimeoutError as APITimeoutError,
        ApprovalRequiredError as ApprovalRequiredError,
        AuthenticationError as AuthenticationError,
        BadRequestError as BadRequestError,
        EmptyResponseError as EmptyResponseError,
        GuardrailTripped as GuardrailTripped,
        InferenceInterruptedError as InferenceInterruptedError,
        InsufficientBalanceError as InsufficientBalanceError,
        InvalidParametersError as InvalidParametersError,
        MaxTurnsExceeded as MaxTurnsExceeded,
        ModelRetry as ModelRetry,
        OutputValidationError as OutputValidationError,
        RateLimitError as RateLimitError,
        RunError as RunError,
        ServerError as ServerError,
        ServerOverloadedError as ServerOverloadedError,
        SessionError as SessionError,
        StreamIdleTimeoutError as StreamIdleTimeoutError,
        ToolArgumentError as ToolArgumentError,
        ToolDefinitionError as ToolDefinitionError,
        ToolRetriesExceeded as ToolRetriesExceeded,
        TooManyToolsError as TooManyToolsError,
        UsageLimitExceeded as UsageLimitExceeded,
        UserError as UserError,
    )
    from ._events import (
        ModelResponseDone as ModelResponseDone,
        PartialOutput as PartialOutput,
        ReasoningDelta as ReasoningDelta,
        ResponseItem as ResponseItem,
        ResponseRestarted as ResponseRestarted,
        RunDone as RunDone,
        StreamEvent as StreamEvent,
        SubAgentEvent as SubAgentEvent,
        TextDelta as TextDelta,
        ToolArgumentsDelta as ToolArgumentsDelta,
        ToolCallStarted as ToolCallStarted,
        ToolResult as ToolResult,
    )
    from ._fallback import Fallback as Fallback
    from ._hooks import (
        Hook as Hook,
        ModelRequestInfo as ModelRequestInfo,
        RunInfo as RunInfo,
        ToolCallInfo as ToolCallInfo,
    )
    from ._pricing import (
        Price as Price,
        Pricing as Pricing,
    )
    from ._profiles import (
        Profile as Profile,
        get_profile as get_profile,
        register_profile as register_profile,
    )
    from ._replay import ReplayContext as ReplayContext
    from ._retry import RetryPolicy as RetryPolicy
    from ._run import RunResult as RunResult
    from ._runtools import ToolSource as ToolSource
    from ._session import (
        InMemorySession as InMemorySession,
        Session as Session,
        SQLiteSession as SQLiteSession,
    )
    from ._settings import ModelSettings as ModelSettings
    from ._tool import (
        Tool as Tool,
        tool as tool,
    )
    from ._toolset import Toolset as Toolset
    from ._usage import (
        RunUsage as RunUsage,
        UsageLimits as UsageLimits,
    )
    from ._wire import ChatCompletion as ChatCompletion
    from .otel import (
        instrument as instrument,
        uninstrument as uninstrument,
    )

_EXPORTS: dict[str, str] = {
    "Agent": "_agent",
    "ApprovalRequest": "_approvals",
    "Denied": "_approvals",
    "Fallback": "_fallback",
    "RunResult": "_run",
    "DeepSeekClient": "_client",
    "RunContext": "_context",
    "ModelSettings": "_settings",
    "Price": "_pricing",
    "Pricing": "_pricing",
    "Profile": "_profiles",
    "get_profile": "_profiles",
    "register_profile": "_profiles",
    "ReplayContext": "_replay",
    "RetryPolicy": "_retry",
    "Hook": "_hooks",
    "ModelRequestInfo": "_hooks",
    "ChatCompletion": "_wire",
    "RunInfo": "_hooks",
    "ToolCallInfo": "_hooks",
    "ToolSource": "_runtools",
    "Session": "_session",
    "InMemorySession": "_session",
    "SQLiteSession": "_session",
    "Tool": "_tool",
    "tool": "_tool",
    "Toolset": "_toolset",
    "RunUsage": "_usage",
    "UsageLimits": "_usage",
    "instrument": "otel",  # extra "otel": imported on first use only
    "uninstrument": "otel",
    **dict.fromkeys(
        [
            "ModelResponseDone",
            "PartialOutput",
            "ResponseItem",
            "ReasoningDelta",
            "ResponseRestarted",
            "RunDone",
            "StreamEvent",
            "SubAgentEvent",
            "TextDelta",
            "ToolArgumentsDelta",
            "ToolCallStarted",
            "ToolResult",
        ],
        "_events",
    ),
    **dict.fromkeys(
        [
            "AgentkitError",
            "APIConnectionError",
            "APIError",
            "APIStatusError",
            "APITimeoutError",
            "ApprovalRequiredError",
            "AuthenticationError",
            "BadRequestError",
            "EmptyResponseError",
            "GuardrailTripped",
            "InferenceInterruptedError",
            "InsufficientBalanceError",
            "InvalidParametersError",
            "MaxTurnsExceeded",
            "ModelRetry",
            "OutputValidationError",
            "RateLimitError",
            "RunError",
            "ServerError",
            "ServerOverloadedError",
            "SessionError",
            "StreamIdleTimeoutError",
            "ToolArgumentError",
            "ToolDefinitionError",
            "ToolRetriesExceeded",
            "TooManyToolsError",
            "UsageLimitExceeded",
            "UserError",
        ],
        "_errors",
    ),
}

_FROM_EXTRAS = {"instrument", "uninstrument"}
__all__ = sorted(set(_EXPORTS) - _FROM_EXTRAS)
"""What ``from agentkit import *`` takes: not the names that need an extra, which may not be installed."""


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentkit' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(_EXPORTS)

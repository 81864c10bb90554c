"""agentkit: tool-using agents on DeepSeek's OpenAI-compatible API.

Names are imported lazily on first use, so ``import agentkit`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ._agent import Agent, RunResult
    from ._client import DeepSeekClient
    from ._context import RunContext
    from ._errors import (
        AgentkitError,
        APIConnectionError,
        APIError,
        APIStatusError,
        APITimeoutError,
        ApprovalRequiredError,
        AuthenticationError,
        BadRequestError,
        EmptyResponseError,
        InferenceInterruptedError,
        InsufficientBalanceError,
        InvalidParametersError,
        MaxTurnsExceeded,
        OutputValidationError,
        RateLimitError,
        RunError,
        ServerError,
        ServerOverloadedError,
        SessionError,
        StreamIdleTimeoutError,
        ToolArgumentError,
        ToolDefinitionError,
        ToolRetriesExceeded,
        TooManyToolsError,
        UsageLimitExceeded,
        UserError,
    )
    from ._events import (
        ModelResponseDone,
        ReasoningDelta,
        RunDone,
        StreamEvent,
        TextDelta,
        ToolArgumentsDelta,
        ToolCallStarted,
        ToolResult,
    )
    from ._history import ReplayContext
    from ._pricing import Price, Pricing
    from ._profiles import Profile, get_profile, register_profile
    from ._session import InMemorySession, Session, SQLiteSession
    from ._settings import ModelSettings
    from ._tool import Tool, tool
    from ._toolset import Toolset
    from ._usage import RunUsage, UsageLimits

_EXPORTS: dict[str, str] = {
    "Agent": "_agent",
    "RunResult": "_agent",
    "DeepSeekClient": "_client",
    "RunContext": "_context",
    "ModelSettings": "_settings",
    "Price": "_pricing",
    "Pricing": "_pricing",
    "Profile": "_profiles",
    "get_profile": "_profiles",
    "register_profile": "_profiles",
    "ReplayContext": "_history",
    "Session": "_session",
    "InMemorySession": "_session",
    "SQLiteSession": "_session",
    "Tool": "_tool",
    "tool": "_tool",
    "Toolset": "_toolset",
    "RunUsage": "_usage",
    "UsageLimits": "_usage",
    **dict.fromkeys(
        [
            "ModelResponseDone",
            "ReasoningDelta",
            "RunDone",
            "StreamEvent",
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
            "InferenceInterruptedError",
            "InsufficientBalanceError",
            "InvalidParametersError",
            "MaxTurnsExceeded",
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

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentkit' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

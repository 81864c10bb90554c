"""Errors the simulator answers with, in DeepSeek's error body shape.

Validation code raises :class:`SimError`; the app turns it into
``{"error": {"message", "type", "param", "code"}}`` with the HTTP status the real API uses.
"""

from __future__ import annotations

from typing import Any

# The exact texts quoted in docs/deepseek-api.md §4; tests compare against these constants.
R1_REASONING_IN_INPUT = (
    "The reasoning_content is an intermediate result for display purposes only and will not be included in "
    "the context for inference. Please remove the reasoning_content from your message to reduce network "
    "traffic."
)
R1_SUCCESSIVE = (
    "deepseek-reasoner does not support successive user or assistant messages (messages[{a}] and "
    "messages[{b}] in your input). You should interleave the user/assistant messages in the message sequence."
)
V32_MISSING_REASONING = (
    "Missing `reasoning_content` field in the assistant message at message index {index}. For more "
    "information, please refer to https://api-docs.deepseek.com/guides/thinking_mode#tool-calls"
)
V4_MISSING_REASONING = "The `reasoning_content` in the thinking mode must be passed back to the API."
TOOL_CALLS_UNANSWERED = (
    "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
    "'tool_call_id'. (insufficient tool messages following tool_calls message)"
)
TOOL_WITHOUT_CALL = (
    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
    "'tool_calls'."
)

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "unknown_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
}


class SimError(Exception):
    """An error response: status, DeepSeek-style body, optional extra headers (Retry-After)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        plain: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.headers = headers or {}
        self.kind = _TYPES.get(status, "invalid_request_error")
        self.plain = plain
        """Answer with the bare text, as the R1-era front end did for bodies it could not read."""

    def body(self) -> dict[str, Any]:
        # every recorded body carries code "invalid_request_error", whatever its type (401, 402, 400)
        return {
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": "invalid_request_error",
            }
        }


def bad_request(message: str) -> SimError:
    return SimError(400, message)


class ConnectionDropped(Exception):
    """Raised inside a response body to cut the connection (the ``drop`` fault)."""

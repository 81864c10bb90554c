"""Every error agentkit raises, in one place.

Each error says what went wrong and what to do about it. API errors carry the HTTP status, the server's
own message and the documented remedy; run errors carry the conversation so far, so nothing is lost.
The API key never appears in any message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ._usage import RunUsage


class AgentkitError(Exception):
    """Base of every error raised by agentkit."""


class UserError(AgentkitError):
    """The program using agentkit did something wrong (a bad tool definition, bad settings)."""


class ToolDefinitionError(UserError):
    """A function cannot be turned into a tool; the message names the parameter and the reason."""


class TooManyToolsError(UserError):
    """More tools than the model profile's ``max_tools`` (128 for DeepSeek) in one request."""


# --------------------------------------------------------------------------- API errors


class APIError(AgentkitError):
    """The API answered with an error, or could not be reached."""

    status: ClassVar[int | None] = None
    remedy: ClassVar[str] = ""
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, body: Any = None, retry_after: float | None = None) -> None:
        self.message = message
        self.body = body
        self.retry_after = retry_after
        self.messages: list[dict[str, Any]] = []
        """Set by an agent run that ended with this error: the conversation so far."""
        self.usage: RunUsage | None = None
        """Set by an agent run that ended with this error: the usage of the requests it made."""
        text = f"{self.status} {message}" if self.status else message
        super().__init__(f"{text} ({self.remedy})" if self.remedy else text)


class APIStatusError(APIError):
    """An HTTP error status with no class of its own."""

    def __init__(
        self, message: str, *, status: int, body: Any = None, retry_after: float | None = None
    ) -> None:
        self.status_code = status
        super().__init__(f"{status} {message}", body=body, retry_after=retry_after)


class BadRequestError(APIError):
    status = 400
    remedy = "invalid request format: fix the request body as the message says"


class AuthenticationError(APIError):
    status = 401
    remedy = "authentication failed: check DEEPSEEK_API_KEY, or create a key at https://platform.deepseek.com/api_keys"


class InsufficientBalanceError(APIError):
    status = 402
    remedy = "insufficient balance: top up your account at https://platform.deepseek.com/top_up"


class InvalidParametersError(APIError):
    status = 422
    remedy = "invalid parameters: fix the parameter values as the message says"


class RateLimitError(APIError):
    status = 429
    remedy = "rate limit reached: send requests more slowly or with less concurrency"
    retryable = True


class ServerError(APIError):
    status = 500
    remedy = "server error: retry after a short wait; contact DeepSeek if it persists"
    retryable = True


class ServerOverloadedError(APIError):
    status = 503
    remedy = "server overloaded: retry after a short wait"
    retryable = True


class InferenceInterruptedError(APIError):
    """A response ended with ``finish_reason: insufficient_system_resource``: DeepSeek stopped the
    inference for lack of resources, so the answer is incomplete."""

    remedy = "DeepSeek interrupted the inference for lack of resources: retry after a short wait"
    retryable = True


def raise_if_interrupted(response: object) -> None:
    """A response cut off by the server for lack of resources is an error to retry, not an answer."""
    for choice in getattr(response, "choices", ()):
        if choice.finish_reason == "insufficient_system_resource":
            raise InferenceInterruptedError("the response ended with insufficient_system_resource")


class APIConnectionError(APIError):
    """The connection failed or dropped before the response was complete."""

    remedy = "could not reach the API: check the network and DEEPSEEK_BASE_URL"
    retryable = True


class APITimeoutError(APIConnectionError):
    """The request took longer than its timeout."""

    remedy = "the request timed out: retry, or raise the client's timeout"


class StreamIdleTimeoutError(APITimeoutError):
    """A stream sent nothing (not even a keep-alive) for longer than the idle timeout."""

    remedy = "the stream stalled: retry the request; raise stream_idle_timeout if this is expected"


class EmptyResponseError(APIError):
    """A 200 response with an empty or blank body (which DeepSeek sends under load), or with no choices."""

    remedy = "the server returned an empty body, usually under load: retry after a short wait"
    retryable = True


STATUS_ERRORS: dict[int, type[APIError]] = {
    cls.status: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        InsufficientBalanceError,
        InvalidParametersError,
        RateLimitError,
        ServerError,
        ServerOverloadedError,
    )
    if cls.status is not None
}


# --------------------------------------------------------------------------- run errors


class RunError(AgentkitError):
    """An agent run ended early. ``messages`` holds the conversation so far as sent to and answered by
    the API, every tool call answered; ``usage`` the usage and cost of every request the run made."""

    def __init__(
        self, message: str, *, messages: list[dict[str, Any]] | None = None, usage: RunUsage | None = None
    ) -> None:
        from ._usage import RunUsage  # _usage raises UsageLimitExceeded: imported here, not at the top

        self.messages: list[dict[str, Any]] = messages if messages is not None else []
        self.usage: RunUsage = usage if usage is not None else RunUsage()
        super().__init__(message)


class MaxTurnsExceeded(RunError):
    """The run made ``max_turns`` model requests without reaching a final answer."""


class UsageLimitExceeded(RunError):
    """A request, token or cost limit would be exceeded by the next request."""


class ToolRetriesExceeded(RunError):
    """A tool failed more times than its retry budget allows."""


class OutputValidationError(RunError):
    """The model's final answer did not validate into ``output_type`` within the retry budget."""


class GuardrailTripped(RunError):
    """An input or output guardrail stopped the run; raise it in a guardrail with the reason."""


class ModelRetry(Exception):
    """Raise it in an output guardrail to send the answer back: its message tells the model what to fix.
    It counts against ``output_retries`` like an answer that fails validation."""


class ToolArgumentError(AgentkitError):
    """The model's arguments for a tool are not valid JSON or fail validation.

    The message is written for the model: which argument, what was wrong, what was given.
    """


class ApprovalRequiredError(UserError):
    """A tool needs approval but the agent was given no approval callback."""


class SessionError(AgentkitError):
    """A conversation session could not be read or written (a corrupt, locked or unwritable file)."""

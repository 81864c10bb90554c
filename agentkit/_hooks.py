"""Extension points: a ``Hook`` wraps one run, one model request and one tool call.

Tracing, durable execution and sub-agents all need to act around the same two operations of the loop,
"ask the model" and "answer a tool call", and around the run that contains them. Rather than three
special cases in the loop, each of them is a ``Hook``: an object with up to three wrapper methods, each
given the operation and a ``proceed`` that performs it (or the next hook's wrapper). A hook may observe
(a span around ``proceed``), replace (return a recorded result without calling ``proceed``) or decide
(``ToolCallInfo.approval``) the operation.

Hooks come from three places, outermost first: ``add_hook`` (process-wide, e.g. ``instrument()``), the
agent's ``hooks=`` and hooks active in the current context (``using_hooks``; e.g. a durable run). A run
with no hook pays one empty-tuple check per operation.

The model-request wrapper is an async generator transformer because a streamed response reaches the
caller as it arrives: ``proceed()`` yields the response's events and then its ``ChatCompletion``, and the
wrapper yields them on (a non-streamed request yields only the completion). Wrappers must not hold a
context manager that changes the current context (``contextvars``, OpenTelemetry's ``use_span``) across
a ``yield``: the caller may stop reading between two events. Tool calls run concurrently, so their wrapper
is a plain coroutine that returns the call's ``ToolResult``.

A tool call may also add events to its run's stream (``RunInfo.relayed``; an agent used as a tool relays
its own events this way): the loop yields them once the calls of the response have ended, since it cannot
yield while they run.

Two things happen below the operations and are reported to hooks: the API client's retries of a failed
request (``observing_retries``, wrapped around each ``await`` of ``proceed()``'s items), and the exception a
failed tool call was turned into an error message from (``ToolCallInfo.error``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._events import ResponseItem as ResponseItem  # what wrap_request yields; re-exported for hooks
from ._wire import ChatCompletion

if TYPE_CHECKING:
    from ._agent import Agent
    from ._errors import APIError
    from ._events import StreamEvent, ToolResult
    from ._profiles import Profile
    from ._tool import Tool
    from ._toolset import Toolset
    from ._usage import RunUsage, UsageLimits
    from ._wire import ChatRequest, ToolCall


@dataclass(eq=False)
class RunInfo:
    """One run, as hooks see it. ``messages`` and ``usage`` are live: they grow as the run goes on."""

    agent: Agent[Any, Any]
    model: str
    profile: Profile
    prompt: str | None
    stream: bool
    deps: Any
    messages: list[dict[str, Any]]
    usage: RunUsage
    parent: RunInfo | None = None
    """The run whose tool call started this run (an agent used as a tool), else ``None``."""
    toolset: Toolset | None = None
    """The run's tools (the agent's own and its tool sources'), once the run has listed them."""
    hooks: tuple[Hook, ...] = ()
    """The hooks around the run's operations, for one made on its behalf outside the loop (an MCP
    server's sampling request, which is a ``ModelRequestInfo`` with ``sampling=True``)."""
    usage_limits: UsageLimits | None = None
    """The run's limits, checked before each of its model requests (a sampling request's too)."""
    state: dict[object, Any] = field(default_factory=dict)
    """Room for hooks to keep per-run state, keyed by the hook (e.g. the run's span)."""
    relayed: list[StreamEvent] = field(default_factory=list)
    """Events a tool call adds to this run's stream (a sub-agent's, as ``SubAgentEvent``s). A streamed
    run yields them when the calls of a response have ended, before their ``ToolResult``s: never while
    the calls run, because they run in a task group that must not stay open across a ``yield``."""

    def take_relayed(self) -> list[StreamEvent]:
        events, self.relayed = self.relayed, []
        return events


@dataclass(eq=False)
class ModelRequestInfo:
    """One model request of a run (retries of the same request included)."""

    run: RunInfo
    request: ChatRequest
    """The request body as it is sent (do not change it)."""
    number: int
    """1 for the run's first turn (model request of the loop), 2 for the second, ...; for a sampling
    request, the count of the run's requests before it (sampling ones included), plus one."""
    sampling: bool = False
    """True for a request an MCP server asked for during a tool call (``sampling/createMessage``): not
    one of the run's turns, and its completion goes back to the server, not into the conversation."""
    completed_at: datetime | None = None
    """Set it when answering with a recorded completion (a durable run's replay): when that response
    was made, so it is priced at that moment's rate, as DeepSeek billed it; ``None``: now."""
    profile: Profile | None = None
    """The profile of the model asked (a fallback model's own), for its provider and price; ``None``
    (a sampling request): ``run.profile``."""


@dataclass(eq=False)
class ToolCallInfo:
    """One tool call of a model response."""

    run: RunInfo
    call: ToolCall
    """The call as the model wrote it: ``id``, ``function.name``, ``function.arguments`` (JSON text)."""
    tool: Tool[..., Any] | None
    """The tool called, or ``None`` for a name the agent does not have."""
    approval: bool | None = None
    """Set it before ``proceed`` to decide a ``requires_approval`` call without asking ``approve``."""
    error: BaseException | None = None
    """After ``proceed``: the exception that a failed call (``is_error`` result) was made from (a tool's
    own, a ``ToolArgumentError``, a ``TimeoutError``), so a hook can name the failure; ``None`` otherwise."""


class Hook:
    """Override the methods you need; the defaults pass the operation through unchanged."""

    def decides_approvals(self, run: RunInfo) -> bool:
        """Whether this hook sets ``ToolCallInfo.approval`` of every ``requires_approval`` call of
        ``run`` (a durable run waiting for a person's decision): then the run needs no ``approve``
        callback for such tools, and does not stop for ``"defer"``."""
        return False

    def wrap_run(self, run: RunInfo, events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
        """The run's events (``RunDone`` last, carrying the result); an error ends the iterator."""
        return events

    def wrap_request(
        self, request: ModelRequestInfo, proceed: Callable[[], AsyncIterator[ResponseItem]]
    ) -> AsyncIterator[ResponseItem]:
        """One model request: yield what ``proceed()`` yields, or a recorded ``ChatCompletion``."""
        return proceed()

    async def wrap_tool_call(
        self, call: ToolCallInfo, proceed: Callable[[], Awaitable[ToolResult]]
    ) -> ToolResult:
        """One tool call, from reading its arguments to its answer: return ``proceed()``'s result, or
        your own."""
        return await proceed()


RetryObserver = Callable[["APIError", int], None]
"""Told ``(error, retry number from 1)`` before the API client retries a failed request."""

_GLOBAL: list[Hook] = []
_CONTEXT: ContextVar[tuple[Hook, ...]] = ContextVar("agentkit_hooks", default=())
_RETRY_OBSERVERS: ContextVar[tuple[RetryObserver, ...]] = ContextVar("agentkit_retry_observers", default=())
CURRENT_RUN: ContextVar[RunInfo | None] = ContextVar("agentkit_current_run", default=None)
"""The run whose tool call is executing in this context: a run started there is its child."""


def add_hook(hook: Hook) -> None:
    """Apply ``hook`` to every run in this process (outermost), until ``remove_hook``."""
    if hook not in _GLOBAL:
        _GLOBAL.append(hook)


def remove_hook(hook: Hook) -> None:
    """Undo ``add_hook``; a hook not added is ignored."""
    if hook in _GLOBAL:
        _GLOBAL.remove(hook)


@contextmanager
def using_hooks(*hooks: Hook) -> Iterator[None]:
    """Apply ``hooks`` to the runs started inside this block (in this task and the tasks it starts)."""
    token = _CONTEXT.set((*_CONTEXT.get(), *hooks))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def active_hooks(agent_hooks: Sequence[Hook]) -> tuple[Hook, ...]:
    """The hooks of a run starting now, outermost first."""
    context = _CONTEXT.get()
    if not _GLOBAL and not context:
        return tuple(agent_hooks)
    return (*_GLOBAL, *agent_hooks, *context)


def chain_run(
    hooks: Sequence[Hook], run: RunInfo, events: AsyncIterator[StreamEvent]
) -> AsyncIterator[StreamEvent]:
    for hook in reversed(hooks):  # the first hook ends up outermost
        events = hook.wrap_run(run, events)
    return events


def chain_request(
    hooks: Sequence[Hook], request: ModelRequestInfo, proceed: Callable[[], AsyncIterator[ResponseItem]]
) -> AsyncIterator[ResponseItem]:
    for hook in reversed(hooks):
        proceed = _bind_request(hook, request, proceed)
    return proceed()


def _bind_request(
    hook: Hook, request: ModelRequestInfo, inner: Callable[[], AsyncIterator[ResponseItem]]
) -> Callable[[], AsyncIterator[ResponseItem]]:
    return lambda: hook.wrap_request(request, inner)


async def chain_tool_call(
    hooks: Sequence[Hook], call: ToolCallInfo, proceed: Callable[[], Awaitable[ToolResult]]
) -> ToolResult:
    for hook in reversed(hooks):
        proceed = _bind_tool_call(hook, call, proceed)
    return await proceed()


def _bind_tool_call(
    hook: Hook, call: ToolCallInfo, inner: Callable[[], Awaitable[ToolResult]]
) -> Callable[[], Awaitable[ToolResult]]:
    return lambda: hook.wrap_tool_call(call, inner)


@contextmanager
def observing_retries(observer: RetryObserver) -> Iterator[None]:
    """Tell ``observer`` about the client's retries inside this block. A model request's retries happen
    inside ``proceed()``'s iteration, so a hook wraps each ``await`` of it (never a ``yield``) in this."""
    token = _RETRY_OBSERVERS.set((*_RETRY_OBSERVERS.get(), observer))
    try:
        yield
    finally:
        _RETRY_OBSERVERS.reset(token)


def notify_retry(error: APIError, attempt: int) -> None:
    """Called by the API client before retry number ``attempt`` of a request that failed with ``error``."""
    for observer in _RETRY_OBSERVERS.get():
        observer(error, attempt)


_I = TypeVar("_I")


class closing(Generic[_I]):
    """Like ``contextlib.aclosing`` for any async iterator a hook returns: closed on exit if it can be,
    so an abandoned stream ends every wrapper (and the HTTP response) at once. A class rather than an
    ``@asynccontextmanager``: it is entered for every model request, and this costs a third as much."""

    __slots__ = ("items",)

    def __init__(self, items: AsyncIterator[_I]) -> None:
        self.items = items

    async def __aenter__(self) -> AsyncIterator[_I]:
        return self.items

    async def __aexit__(self, *exc_info: object) -> None:
        aclose = getattr(self.items, "aclose", None)
        if aclose is not None:
            await aclose()


async def completion_of(items: AsyncIterator[ResponseItem]) -> ChatCompletion:
    """The ``ChatCompletion`` a model request's items end with (its stream events dropped), for a
    caller that needs only the answer; ``items`` is closed either way."""
    async with closing(items) as each:
        async for item in each:
            if isinstance(item, ChatCompletion):
                return item
    raise AssertionError("a model request ended without its completion")  # pragma: no cover

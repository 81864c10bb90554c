"""One run of an agent: the options it takes, the state it keeps while it runs, and its result.

The loop in ``_agent`` drives a ``RunState``; everything a step must do to the run (commit messages,
count usage and cost, hand the conversation to an error) is a method here, so the loop reads as steps.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Generic, Literal

from typing_extensions import TypedDict, TypeVar

from ._errors import APIError, OutputValidationError, RunError, ToolRetriesExceeded, UserError
from ._messages import plain
from ._output import OUTPUT_TOOL
from ._settings import ModelSettings
from ._toolcalls import Approve
from ._usage import RunUsage, UsageLimits

if TYPE_CHECKING:
    from ._approvals import ApprovalRequest, Decision
    from ._events import ToolResult
    from ._fallback import Target
    from ._hooks import ModelRequestInfo
    from ._runtools import RunTools
    from ._session import Session
    from ._wire import AssistantMessage, ChatCompletion, Message, UserMessage

OutputT = TypeVar("OutputT", default=str)


class RunOptions(TypedDict, total=False):
    """Keyword arguments of ``run``, ``run_sync`` and ``run_stream``."""

    history: Sequence[dict[str, Any]] | None
    """Earlier messages (e.g. ``result.messages``) to continue from."""
    session: Session | None
    """Alternative to ``history``: loaded at the start; each completed step is appended to it."""
    deps: Any
    """Passed to tools as ``RunContext.deps``."""
    settings: ModelSettings | None
    """Override the agent's settings for this run, key by key."""
    usage_limits: UsageLimits | None
    """Replace the agent's ``usage_limits`` for this run."""
    approve: Approve | Literal["defer"] | None
    """Called before each ``requires_approval`` tool call: ``approve(name, arguments) -> bool``; or
    ``"defer"``: stop the run with those calls in ``result.pending_approvals`` (``_approvals``)."""
    decisions: Mapping[str, Decision] | None
    """A person's decisions on the calls a deferred run left waiting, by ``tool_call_id``: ``True``,
    ``False`` or ``Denied("reason")``; with ``prompt=None`` and the history or session that run left."""


@dataclass
class RunResult(Generic[OutputT]):
    """What a run produced."""

    output: OutputT
    """The final answer: ``str``, or an instance of the agent's ``output_type``; ``None`` when the run
    stopped for ``pending_approvals``."""
    messages: list[dict[str, Any]]
    """The whole conversation as OpenAI-format dicts (reasoning kept), ready to pass as ``history=``."""
    usage: RunUsage = field(default_factory=RunUsage)
    """Summed over this run's requests, with cache hits and cost."""
    new_message_index: int = 0
    """Where this run's messages start in ``messages``."""
    models: list[str] = field(default_factory=list)
    """The model that answered each of this run's requests, in order (a fallback's when it answered)."""
    pending_approvals: list[ApprovalRequest] = field(default_factory=list)
    """Tool calls waiting for a person's decision (``approve="defer"``): the run stopped before them."""

    def new_messages(self) -> list[dict[str, Any]]:
        return self.messages[self.new_message_index :]


@dataclass
class RunState:
    """The state of one run."""

    messages: list[Message]
    session: Session | None
    usage: RunUsage = field(default_factory=RunUsage)
    turns: int = 0
    """The requests this run made itself (``usage`` also counts its sub-agents')."""
    models: list[str] = field(default_factory=list)
    waiting: AssistantMessage | None = None
    """Tool calls an earlier run left waiting for approval, which this run answers first."""
    start: int = 0
    """Where this run's messages start (after the instructions and the conversation it continues)."""
    tool_failures: dict[str, int] = field(default_factory=dict)
    output_failures: int = 0
    final_only: bool = False
    """A limit ran out and ``end_strategy="final_answer"``: the next request forbids tool calls."""
    cut_answer: list[AssistantMessage] = field(default_factory=list)
    """The pieces of an answer cut at ``max_tokens``, sent as the prefix to continue."""
    unsaved_prompt: list[Message] = field(default_factory=list)
    """A user message (the prompt, or a correction of an invalid answer), kept from the session until
    the model has answered it: a run abandoned, cancelled or killed before that answer leaves the session
    ending where it was, never in a lone user message that the next prompt would follow."""

    def __post_init__(self) -> None:
        if self.session is not None:
            _WRITERS[id(self.session)] = self  # before the session is loaded: see ``commit``

    def add_prompt(self, message: UserMessage) -> None:
        """Add a user message to the conversation; the session gets it with the answer to it."""
        self.messages.append(message)
        self.unsaved_prompt = [message]

    async def commit(self, step: Sequence[Message]) -> None:
        """Append one completed step to the conversation and the session (durable when this returns).
        The session never holds instructions: they belong to the agent that runs, not the conversation.
        Only the run that started last on a session writes to it: an earlier one still going (or a stream
        left unread) would interleave its steps with the later run's, so it raises instead."""
        if self.session is not None and step and _WRITERS.get(id(self.session)) is not self:
            raise UserError(
                "another run started on this run's session, which holds one conversation: this run's "
                "last step was not saved. Let a run on a session end before starting the next (a session "
                "per conversation; history= for runs that only read one)"
            )
        self.messages.extend(step)
        if self.session is not None and step:
            await self.session.append(plain([*self.unsaved_prompt, *step]))
        self.unsaved_prompt = []

    def count(self, completion: ChatCompletion, answered: Target, request: ModelRequestInfo | None) -> None:
        """Add one response's usage, priced for the model that answered at the moment it completed
        (DeepSeek's billing rule): now, or when a recorded one was made (``request.completed_at``)."""
        self.turns += 1
        self.models.append(answered.model)
        if completion.usage is None:
            self.usage.requests += 1
            return
        pricing = answered.pricing
        at = (request.completed_at if request is not None else None) or datetime.now(timezone.utc)
        cost = pricing.cost(completion.usage, at) if pricing else 0.0
        self.usage.add(completion.usage, cost=cost)

    def result(self, output: Any, waiting: Sequence[ApprovalRequest] = ()) -> RunResult[Any]:
        """The run's result with ``output`` as its final answer (or the calls waiting for approval)."""
        return RunResult(output, plain(self.messages), self.usage, self.start, self.models, list(waiting))

    @contextmanager
    def errors_carry_state(self) -> Iterator[None]:
        """An API or run error leaves with the conversation so far (so the caller can resume from it)
        and the usage of the requests made."""
        try:
            yield
        except (APIError, RunError) as exc:
            if not exc.messages:
                exc.messages = plain(list(self.messages))
            exc.usage = self.usage
            raise


_WRITERS: weakref.WeakValueDictionary[int, RunState] = weakref.WeakValueDictionary()
"""By ``id`` of each session in use: the run that started on it last, the one that may write to it (the
run holds its session, so the ``id`` is not reused while the entry lives)."""


@dataclass(frozen=True)
class RetryBudget:
    """How many failed tool calls (per tool) and invalid final answers a run tolerates."""

    tool_retries: int
    output_retries: int
    end_strategy: str
    """``"final_answer"``: when a tool's budget runs out, ask once more without tools instead of raising."""

    def charge_tool_failures(self, run: RunState, answers: list[ToolResult], tools: RunTools) -> None:
        """Charge failed calls to their tools' budgets; raise (or go final) when one runs out."""
        seen: set[str] = set()
        for answer in answers:
            if not answer.is_error or answer.name in seen:
                continue  # several failed calls of one tool in one response use one retry
            seen.add(answer.name)
            if answer.name == OUTPUT_TOOL and tools.output_tool is not None:
                self.charge_output_failure(run, answer.content)
                continue
            failures = run.tool_failures[answer.name] = run.tool_failures.get(answer.name, 0) + 1
            tool = tools.toolset.get(answer.name)
            budget = tool.retries if tool is not None and tool.retries is not None else self.tool_retries
            if failures > budget:
                if self.end_strategy == "final_answer":
                    run.final_only = True
                    continue
                raise ToolRetriesExceeded(
                    f"tool {answer.name!r} failed in {failures} responses, more than its retry "
                    f"budget of {budget}; last error: {answer.content}"
                )

    def charge_output_failure(self, run: RunState, error: str) -> None:
        run.output_failures += 1
        if run.output_failures > self.output_retries:
            raise OutputValidationError(
                f"the final answer failed validation {run.output_failures} times "
                f"(output_retries={self.output_retries}); last error: {error}"
            )

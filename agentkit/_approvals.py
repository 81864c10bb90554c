"""Deferred approvals: a run stops with the tool calls that wait for a person, and a later run goes on.

With ``approve="defer"``, a response whose calls include ``requires_approval`` calls that nobody has
decided yet stops the run *before any of its calls runs*: the assistant message is committed alone
(to the history and the session), and the result lists the waiting calls in ``pending_approvals``
(``output`` is ``None``). Stopping before running anything keeps the tool answers in the order of the
calls and leaves nothing half done; the calls that need no approval run with the others later.

A later run on that history or session (``prompt=None``, in any process) continues with
``decisions={tool_call_id: True | False | Denied("reason")}``: the waiting calls are answered (run if
approved, refused with the reason otherwise) before the next request, so no request ever carries a
``tool_calls`` message without its answers. Calls left undecided stop the run again, before any request.
A new prompt instead of decisions closes the waiting calls as not run, then asks the prompt.

Decisions reach the calls through ``ToolCallInfo.approval``, the same field a ``Hook`` may set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Union

from ._errors import ToolArgumentError, UserError

if TYPE_CHECKING:
    from ._run import RunState
    from ._toolset import Toolset
    from ._wire import ToolCall

DEFER: Literal["defer"] = "defer"
NOT_DECIDED = "Not run: the user sent a new message instead of deciding whether this call may run."


@dataclass(frozen=True)
class ApprovalRequest:
    """A tool call that waits for a person's decision."""

    tool_call_id: str
    tool_name: str
    arguments: dict[str, Any]
    """The arguments as the tool would receive them (validated)."""


@dataclass(frozen=True)
class Denied:
    """A refusal with a reason, which the model reads in the call's answer."""

    reason: str = ""


Decision = Union[bool, Denied]  # noqa: UP007
"""``True``: run the call; ``False`` or ``Denied(reason)``: answer it as refused."""


def waiting_calls(
    calls: Sequence[ToolCall], toolset: Toolset, decisions: Mapping[str, Decision]
) -> list[ApprovalRequest]:
    """The calls that need a decision ``decisions`` does not give (calls whose arguments are invalid
    need none: they are answered with the error)."""
    waiting = []
    for call in calls:
        tool = toolset.get(call["function"]["name"])
        if tool is None or not tool.requires_approval or call["id"] in decisions:
            continue
        try:
            arguments = tool.parse_arguments(call["function"]["arguments"])
        except ToolArgumentError:
            continue
        waiting.append(ApprovalRequest(call["id"], tool.name, arguments))
    return waiting


def approval(decision: Decision | None) -> bool | None:
    """The ``ToolCallInfo.approval`` a decision gives."""
    return decision if decision is None or isinstance(decision, bool) else False


def refusal(name: str, decision: Decision | None) -> str:
    """The answer of a refused call."""
    reason = decision.reason if isinstance(decision, Denied) and decision.reason else ""
    refused = f"The user did not approve this call to {name!r}; it was not run."
    return f"{refused} Reason: {reason}" if reason else refused


async def take_up(run: RunState, prompt: str | None, decisions: Mapping[str, Decision]) -> None:
    """Tool calls an earlier run left waiting for approval (the conversation's last message): this run
    answers them first (``run.waiting``), or, given a new prompt instead, closes them as not run."""
    waiting = unanswered(run.messages)
    if waiting is None and not decisions:
        return
    if decisions and prompt is not None:
        raise UserError("decisions= continue a run that stopped for approvals: pass them with prompt=None")
    check_decisions(decisions, waiting)
    if waiting is not None and prompt is None:
        run.waiting = waiting
    elif waiting is not None:
        await run.commit(not_decided(waiting))


def unanswered(conversation: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The conversation's last message when it is tool calls still waiting for answers (a run that
    stopped for approvals), else ``None``."""
    last = conversation[-1] if conversation else None
    return last if last is not None and last.get("role") == "assistant" and last.get("tool_calls") else None


def not_decided(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Answers that close the waiting calls of ``message`` as not run."""
    calls = message["tool_calls"]
    return [{"role": "tool", "content": NOT_DECIDED, "tool_call_id": call["id"]} for call in calls]


def check_decisions(decisions: Mapping[str, Decision], waiting: dict[str, Any] | None) -> None:
    """Every decision is for a call that waits."""
    ids = {call["id"] for call in waiting["tool_calls"]} if waiting is not None else set()
    unknown = sorted(set(decisions) - ids)
    if unknown:
        where = f"the waiting calls are {sorted(ids)}" if ids else "no tool call waits for a decision"
        raise UserError(f"decisions for unknown tool calls {unknown}: {where}")

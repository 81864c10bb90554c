"""The hook that makes a run durable: each model request and each tool call is a DBOS step.

Inside a DBOS workflow, ``DurableHook`` wraps the run's operations (``agentkit.Hook``): a model request
becomes a step whose result, the ``ChatCompletion`` as JSON, is checkpointed; a tool call becomes a step
whose ``ToolResult`` is checkpointed. When the workflow runs again after a crash, DBOS hands back the
recorded results in order, so the loop replays its conversation (counting each recorded completion's usage
and cost, as it counts every completion it receives) without sending a request or running a tool again,
and carries on live from the first step that had not finished.

Steps are identified by their position in the workflow, so positions must not depend on task scheduling.
The calls of one response run concurrently, so their step positions are reserved in call order as soon as
the response arrives (``DBOS.reserve_step``), and calls that wait for an approval take their turn in
call order too.

A tool that was running when the process died has no recorded result, so it runs again: right for
reading tools, wrong for one that sends an email. A tool that is not idempotent is marked by a step of
its own before it starts; finding that mark without a result, the resumed run does not call it again and
tells the model the call was interrupted and may or may not have taken effect.

A ``requires_approval`` tool in a run without an ``approve`` callback waits durably (``DBOS.recv``) for a
decision sent from anywhere (``send_approval``), across restarts, then sets ``ToolCallInfo.approval``.
Runs started inside a tool (an agent used as a tool) are left alone: their whole work is inside that
tool's step.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

import anyio
from dbos import DBOS, StepReservation

from .._approvals import Decision, Denied, refusal
from .._errors import ToolArgumentError
from .._events import StreamEvent, ToolResult
from .._hooks import Hook, ModelRequestInfo, ResponseItem, RunInfo, ToolCallInfo, closing, completion_of
from .._wire import ChatCompletion

APPROVALS_EVENT = "agentkit.approvals"
"""The workflow event listing the tool calls waiting for a decision (see ``pending_approvals``)."""


def approval_topic(call_id: str) -> str:
    return f"agentkit.approval:{call_id}"


def interrupted(name: str) -> str:
    return (
        f"Not run again: this call to {name!r} was interrupted (the process running it stopped) and "
        f"{name!r} is not safe to repeat, so it may or may not have taken effect. Check before retrying."
    )


@dataclass(frozen=True)
class DurablePolicy:
    """What a durable agent decides for its runs (``DurableAgent``'s options)."""

    idempotent: bool | Collection[str]
    """True: every tool may run again after a crash; False: none; else the names of those that may."""
    wait_for_approvals: bool
    """No ``approve`` callback: ``requires_approval`` calls wait for ``send_approval``."""
    approval_timeout: float

    def repeatable(self, name: str) -> bool:
        return self.idempotent if isinstance(self.idempotent, bool) else name in self.idempotent


class DurableHook(Hook):
    """One per workflow execution (it keeps the run's step reservations)."""

    def __init__(self, policy: DurablePolicy) -> None:
        self.policy = policy
        self.run: RunInfo | None = None
        self._published = False
        self._steps: dict[str, StepReservation] = {}
        self._marks: dict[str, StepReservation] = {}
        self._turns: dict[str, tuple[anyio.Event, anyio.Event]] = {}

    def decides_approvals(self, run: RunInfo) -> bool:
        return self.policy.wait_for_approvals and run is self.run  # not for runs its tool calls start

    def wrap_run(self, run: RunInfo, events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
        if self.run is None:  # the workflow's run; later ones are started inside its tool calls
            self.run = run
        return events

    async def wrap_request(
        self, request: ModelRequestInfo, proceed: Callable[[], AsyncIterator[ResponseItem]]
    ) -> AsyncIterator[ResponseItem]:
        if request.run is not self.run or request.sampling:  # sampling: part of its tool call's step
            async with closing(proceed()) as items:
                async for item in items:
                    yield item
            return
        live: list[ChatCompletion] = []
        recorded = await DBOS.run_step_async({"name": "agentkit.model_request"}, _complete, proceed, live)
        if live:
            completion = live[0]
        else:  # replayed: priced when it was made
            completion = ChatCompletion.model_validate_json(recorded["completion"])
            request.completed_at = datetime.fromtimestamp(recorded["completed_at"], timezone.utc)
        await self._prepare_calls(completion)
        yield completion

    async def wrap_tool_call(
        self, call: ToolCallInfo, proceed: Callable[[], Awaitable[ToolResult]]
    ) -> ToolResult:
        if call.run is not self.run:
            return await proceed()
        call_id = call.call["id"]
        step = self._steps.pop(call_id)
        decision: Decision | None = None
        if call_id in self._turns:
            decision = await self._decision(call_id)
            call.approval = decision is True
        mark = self._marks.pop(call_id, None)
        fresh: list[bool] = []
        if mark is not None:
            await mark.run_async({"name": "agentkit.tool_started"}, fresh.append, True)
        repeat = mark is None or bool(fresh)  # the mark was recorded before: the call was interrupted
        step_name = f"agentkit.tool:{call.call['function']['name']}"
        data = await step.run_async({"name": step_name}, _answer, call, proceed, repeat, decision)
        return ToolResult(**data)

    async def _prepare_calls(self, completion: ChatCompletion) -> None:
        """Reserve the response's tool-call steps in call order, and publish the calls that will wait
        for an approval (each then takes its turn, in the same order)."""
        message = completion.choices[0].message if completion.choices else None
        waiting: list[dict[str, Any]] = []
        for call in (message.tool_calls or []) if message is not None else []:
            tool = self.run.toolset.get(call.function.name) if self.run and self.run.toolset else None
            if tool is not None and not self.policy.repeatable(tool.name):
                self._marks[call.id] = DBOS.reserve_step()
            self._steps[call.id] = DBOS.reserve_step()
            if tool is None or not tool.requires_approval or not self.policy.wait_for_approvals:
                continue
            try:
                arguments = tool.parse_arguments(call.function.arguments)
            except ToolArgumentError:
                continue  # answered with the argument error: nothing to approve
            request = {"tool_call_id": call.id, "tool_name": tool.name, "arguments": _jsonable(arguments)}
            waiting.append(request)
        if not waiting and not self._published:
            return
        previous = anyio.Event()
        previous.set()
        for item in waiting:
            done = anyio.Event()
            self._turns[item["tool_call_id"]] = (previous, done)
            previous = done
        self._published = True
        await DBOS.set_event_async(APPROVALS_EVENT, waiting)

    async def _decision(self, call_id: str) -> Decision:
        """The decision ``send_approval`` sent; none within the timeout is a refusal."""
        my_turn, done = self._turns.pop(call_id)
        await my_turn.wait()
        try:
            message = await DBOS.recv_async(approval_topic(call_id), self.policy.approval_timeout)
        finally:
            done.set()
        if not isinstance(message, dict):
            return Denied(f"no decision within {self.policy.approval_timeout:g} s")
        return True if message.get("approved") is True else Denied(str(message.get("reason") or ""))


async def _complete(
    proceed: Callable[[], AsyncIterator[ResponseItem]], live: list[ChatCompletion]
) -> dict[str, Any]:
    """The step of a model request: the response's completion, as JSON (streamed events are not kept),
    and when it completed (its price depends on it); ``live`` gets the completion itself, which the run
    then uses without parsing the JSON back."""
    completion = await completion_of(proceed())
    live.append(completion)
    completed_at = datetime.now(timezone.utc).timestamp()
    return {"completion": completion.model_dump_json(), "completed_at": completed_at}


async def _answer(
    call: ToolCallInfo, proceed: Callable[[], Awaitable[ToolResult]], repeat: bool, decision: Decision | None
) -> dict[str, Any]:
    """The step of a tool call: its result as a dict (JSON-ready). A refusal with a reason is answered
    here, in the words of deferred approvals' refusals; a plain one by the loop (``call.approval``)."""
    name = call.call["function"]["name"]
    if not repeat:
        return asdict(ToolResult(tool_call_id=call.call["id"], name=name, content=interrupted(name)))
    if isinstance(decision, Denied) and decision.reason:
        return asdict(ToolResult(tool_call_id=call.call["id"], name=name, content=refusal(name, decision)))
    return asdict(await proceed())


def _jsonable(arguments: dict[str, Any]) -> Any:
    """Validated arguments as plain JSON values (a pydantic model or a date shows as the model wrote it)."""
    return json.loads(json.dumps(arguments, default=str))

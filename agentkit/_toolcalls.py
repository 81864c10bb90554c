"""Answering one model response's tool calls: concurrently, each failure turned into a message.

Every call gets exactly one answer, a ``ToolResult`` (the event ``run_stream`` shows), whatever
happens: the tool's result, or a message telling the model what went wrong (unknown tool, arguments
that are not JSON or fail validation, an exception, a timeout, a refused approval) so it can try again.
Calls run concurrently; ``sequential`` tools run alone, in order, between the concurrent groups around
them. Each call passes through the run's hooks (``_hooks``) as one operation.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import anyio

from ._approvals import DEFER, ApprovalRequest, Decision, approval, refusal, waiting_calls
from ._concurrency import run_all
from ._context import RunContext
from ._errors import ToolArgumentError, UserError
from ._events import ToolResult
from ._hooks import CURRENT_RUN, RunInfo, ToolCallInfo, chain_tool_call
from ._output import OUTPUT_TOOL, OutputInvalid, OutputSpec

if TYPE_CHECKING:
    from ._tool import Tool
    from ._toolset import Toolset
    from ._wire import ToolCall, ToolMessage

Approve = Callable[[str, dict[str, Any]], "bool | Awaitable[bool]"]
"""``approve(tool_name, arguments)``: may the call run? Sync or async."""

CANCELLED = "The tool call was cancelled before it finished (the run was stopped)."
NOT_RUN = "Not run: the final answer was given in the same response."


@dataclass(frozen=True)
class FinalOutput:
    """A valid final answer, given through the structured-output tool."""

    value: Any


@dataclass
class ToolStep:
    """One response's tool calls and their answers, filled in as the calls finish."""

    calls: Sequence[ToolCall]
    results: list[ToolResult | None] = field(init=False)
    final: FinalOutput | None = None
    """Set when the output tool gave a valid final answer: the run ends with it."""
    waiting: list[ApprovalRequest] = field(default_factory=list)
    """Calls that wait for a person's decision (``approve="defer"``): then no call was run."""

    def __post_init__(self) -> None:
        self.results = [None] * len(self.calls)

    def answers(self) -> list[ToolResult]:
        """One answer per call, in call order; a call stopped before it finished says so. None while
        calls wait for approval: the step is answered later, whole."""
        if self.waiting:
            return []
        return [
            result or _result(call, CANCELLED)
            for result, call in zip(self.results, self.calls, strict=True)
        ]


def tool_message(answer: ToolResult) -> ToolMessage:
    """The history message that answers one call."""
    return {"role": "tool", "content": answer.content, "tool_call_id": answer.tool_call_id}


def valid_text(text: str) -> str:
    """``text`` with lone surrogates (a non-UTF-8 file name, say) written as visible ``\\udcxx`` escapes,
    so that sessions and requests, which need valid UTF-8, never fail on a tool's output."""
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode()
    return text


@dataclass
class ToolCallRunner:
    """Runs the tool calls of one run."""

    toolset: Toolset
    make_context: Callable[[str, str], RunContext[Any]]
    limiter: anyio.CapacityLimiter | None
    """Bounds the worker threads of blocking tools (None when the agent has none)."""
    approve: Approve | Literal["defer"] | None
    default_timeout: float | None
    run: RunInfo
    decisions: Mapping[str, Decision] = field(default_factory=dict)
    """A person's decisions on calls that waited for approval, by call id (``_approvals``)."""

    async def run_step(self, step: ToolStep, output: OutputSpec | None) -> None:
        """Answer every call of ``step``. ``output`` is the structured-output spec when the request
        carries the output tool: a valid call to it ends the run, and the other calls are not run."""
        pending = list(range(len(step.calls)))
        if output is not None:
            pending = [i for i in pending if step.calls[i]["function"]["name"] != OUTPUT_TOOL]
            for i, call in enumerate(step.calls):
                if i not in pending:
                    step.results[i] = self._take_output(step, call, output)
        if step.final is not None:
            for i in pending:
                step.results[i] = _result(step.calls[i], NOT_RUN)
            return
        if self.approve == DEFER:
            step.waiting = waiting_calls([step.calls[i] for i in pending], self.toolset, self.decisions)
            if step.waiting:
                return
        group: list[int] = []
        for i in pending:
            found = self.toolset.get(step.calls[i]["function"]["name"])
            if found is not None and found.sequential:
                await self._run_group(step, group)
                group = []
                await self._run_group(step, [i])
            else:
                group.append(i)
        await self._run_group(step, group)

    def _take_output(self, step: ToolStep, call: ToolCall, output: OutputSpec) -> ToolResult:
        if step.final is not None:
            return _result(call, NOT_RUN)
        try:
            step.final = FinalOutput(output.validate(call["function"]["arguments"]))
        except OutputInvalid as exc:
            return _result(call, str(exc), is_error=True)
        return _result(call, "Final answer received.")

    async def _run_group(self, step: ToolStep, group: list[int]) -> None:
        if group:
            await run_all([partial(self.run_call, step.calls[i], step, i) for i in group])

    async def run_call(self, call: ToolCall, step: ToolStep, i: int) -> None:
        """Answer ``step``'s call ``i`` through the run's hooks; never raises except for cancellation and
        ``UserError``."""
        decided = approval(self.decisions.get(call["id"])) if self.decisions else None
        info = ToolCallInfo(self.run, call, self.toolset.get(call["function"]["name"]), decided)
        if not self.run.hooks:
            step.results[i] = await self._execute(info)
        else:
            step.results[i] = await chain_tool_call(self.run.hooks, info, lambda: self._execute(info))

    async def _execute(self, info: ToolCallInfo) -> ToolResult:
        call, tool = info.call, info.tool
        name = call["function"]["name"]
        if tool is None:
            known = ", ".join(t.name for t in self.toolset.tools) or "none"
            error = f"Error: there is no tool named {name!r}. Available tools: {known}."
            return _result(call, error, is_error=True)
        try:
            arguments = tool.parse_arguments(call["function"]["arguments"])
            if tool.requires_approval and not await self._approved(info, arguments):
                return _result(call, refusal(name, self.decisions.get(call["id"])))
            return _result(call, tool.serialize(await self._call(tool, arguments, call["id"])))
        except ToolArgumentError as exc:
            info.error = exc
            return _result(call, f"Error: {exc}", is_error=True)
        except UserError:
            raise
        except _TimedOut as exc:
            message = f"{name!r} timed out after {exc.seconds:g} s."
            info.error = TimeoutError(message)
            return _result(call, f"Error: {message}", is_error=True)
        except Exception as exc:
            info.error = exc
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return _result(call, f"Error: {name!r} raised {detail}", is_error=True)

    async def _call(self, tool: Tool[..., Any], arguments: dict[str, Any], call_id: str) -> Any:
        ctx = self.make_context(call_id, tool.name) if tool.takes_context else None
        timeout = tool.timeout if tool.timeout is not None else self.default_timeout
        token = CURRENT_RUN.set(self.run)  # a run started by the tool (a sub-agent) is this run's child
        try:
            if timeout is None:
                return await tool.call(arguments, ctx, limiter=self.limiter)
            with anyio.move_on_after(timeout):
                return await tool.call(arguments, ctx, limiter=self.limiter)
            raise _TimedOut(timeout)  # only reached when the deadline cancelled the call
        finally:
            CURRENT_RUN.reset(token)

    async def _approved(self, info: ToolCallInfo, arguments: dict[str, Any]) -> bool:
        if info.approval is not None:  # decided by a hook (a durable or deferred approval)
            return info.approval
        name = info.call["function"]["name"]
        if self.approve is None or isinstance(self.approve, str):  # "defer" stopped the run before
            raise UserError(f"tool {name!r} requires approval but no approve callback was given")
        try:
            verdict = self.approve(name, arguments)
            if inspect.isawaitable(verdict):
                verdict = await verdict
        except Exception as exc:  # the application's bug, not the model's: it must not be told
            raise UserError(
                f"the approve callback raised {type(exc).__name__} for a call to {name!r}: {exc}. The call "
                "was not run and the run stopped; fix the callback (it returns False to refuse a call)"
            ) from exc
        return bool(verdict)


class _TimedOut(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def _result(call: ToolCall, content: str, is_error: bool = False) -> ToolResult:
    return ToolResult(
        tool_call_id=call["id"], name=call["function"]["name"], content=valid_text(content), is_error=is_error
    )

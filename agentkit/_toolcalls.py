"""Answering one model response's tool calls: concurrently, each failure turned into a message.

Every call gets exactly one answer, a ``ToolResult`` (the event ``run_stream`` shows), whatever
happens: the tool's result, or a message telling the model what went wrong (unknown tool, arguments
that are not JSON or fail validation, an exception, a timeout, a refused approval) so it can try again.
Calls run in one task group; ``sequential`` tools run alone, in order, between the concurrent groups
around them.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from ._context import RunContext
from ._errors import ToolArgumentError, UserError
from ._events import ToolResult
from ._output import OUTPUT_TOOL, OutputInvalid, OutputSpec

if TYPE_CHECKING:
    from ._tool import Tool
    from ._toolset import Toolset
    from ._wire import ToolCall

Approve = Callable[[str, dict[str, Any]], "bool | Awaitable[bool]"]
"""``approve(tool_name, arguments)``: may the call run? Sync or async."""

_NATIVE_TASK_GROUP: Any = getattr(asyncio, "TaskGroup", None)  # Python >= 3.11
"""On asyncio the tool calls of a response run in an ``asyncio.TaskGroup``, which starts a task about
four times faster than anyio's task group (anyio 4.16 gives every task its own cancel scope and event)
and has the same structured semantics: an outer anyio cancel scope cancels the group and waits for it.
Elsewhere (trio, Python 3.10) an anyio task group. Both are covered by the tests on both backends."""

CANCELLED = "The tool call was cancelled before it finished (the run was stopped)."
NOT_RUN = "Not run: the final answer was given in the same response."


def tool_message(answer: ToolResult) -> dict[str, Any]:
    """The history message that answers one call."""
    return {"role": "tool", "content": answer.content, "tool_call_id": answer.tool_call_id}


@dataclass
class CallRunner:
    """What answering calls needs from the run; one per run."""

    toolset: Toolset
    make_context: Callable[[str, str], RunContext[Any]]
    limiter: anyio.CapacityLimiter | None
    """Bounds the worker threads of blocking tools (None when the agent has none)."""
    approve: Approve | None
    default_timeout: float | None

    async def answer_all(self, calls: Sequence[ToolCall], answers: list[ToolResult | None]) -> None:
        """Fill ``answers[i]`` for each call; concurrent except around ``sequential`` tools."""
        batch: list[int] = []
        for i, call in enumerate(calls):
            found = self.toolset.get(call["function"]["name"])
            if found is not None and found.sequential:
                await self._run_batch(calls, batch, answers)
                batch = []
                answers[i] = await self.answer(call)
            else:
                batch.append(i)
        await self._run_batch(calls, batch, answers)

    async def _run_batch(
        self, calls: Sequence[ToolCall], batch: list[int], answers: list[ToolResult | None]
    ) -> None:
        if not batch:
            return
        if len(batch) == 1:  # no task group for a lone call
            answers[batch[0]] = await self.answer(calls[batch[0]])
            return

        async def one(i: int) -> None:
            answers[i] = await self.answer(calls[i])

        if _NATIVE_TASK_GROUP is not None and asyncio._get_running_loop() is not None:
            async with _NATIVE_TASK_GROUP() as native:
                for i in batch:
                    native.create_task(one(i))
            return
        async with anyio.create_task_group() as tg:
            for i in batch:
                tg.start_soon(one, i)

    async def answer(self, call: ToolCall) -> ToolResult:
        """Run one call; never raises except for cancellation and ``UserError`` (a program bug)."""
        call_id, name = call["id"], call["function"]["name"]
        tool = self.toolset.get(name)
        if tool is None:
            known = ", ".join(t.name for t in self.toolset.tools) or "none"
            return ToolResult(
                call_id, name, f"Error: there is no tool named {name!r}. Available tools: {known}.", True
            )
        try:
            arguments = tool.parse_arguments(call["function"]["arguments"])
            if tool.requires_approval and not await self._approved(tool, arguments):
                return ToolResult(
                    call_id, name, f"The user did not approve this call to {name!r}; it was not run."
                )
            value = await self._call(tool, arguments, call_id)
            return ToolResult(call_id, name, tool.serialize(value))
        except ToolArgumentError as exc:
            return ToolResult(call_id, name, f"Error: {exc}", True)
        except UserError:
            raise
        except Exception as exc:
            timeout = self._timeout(tool)
            if isinstance(exc, TimeoutError) and timeout is not None:
                return ToolResult(call_id, name, f"Error: {name!r} timed out after {timeout:g} s.", True)
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return ToolResult(call_id, name, f"Error: {name!r} raised {detail}", True)

    def _timeout(self, tool: Tool) -> float | None:
        return tool.timeout if tool.timeout is not None else self.default_timeout

    async def _call(self, tool: Tool, arguments: dict[str, Any], call_id: str) -> Any:
        ctx = self.make_context(call_id, tool.name) if tool.takes_context else None
        timeout = self._timeout(tool)
        if timeout is None:
            return await tool.call(arguments, ctx, limiter=self.limiter)
        with anyio.fail_after(timeout):
            return await tool.call(arguments, ctx, limiter=self.limiter)

    async def _approved(self, tool: Tool, arguments: dict[str, Any]) -> bool:
        if self.approve is None:
            raise UserError(f"tool {tool.name!r} requires approval but no approve callback was given")
        verdict = self.approve(tool.name, arguments)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        return bool(verdict)


async def answer_calls(
    runner: CallRunner, calls: Sequence[ToolCall], output: OutputSpec | None, answers: list[ToolResult]
) -> tuple[Any] | None:
    """Fill ``answers`` with one answer per call, in order, on every exit (cancellation included).

    ``output`` is the structured-output spec when the request carries the output tool: its call is
    validated here, and a valid one ends the run, so the other calls are answered without running.
    Returns ``(output,)`` for a valid final answer, else ``None``. ``is_error`` answers count against
    their tool's retry budget.
    """
    slots: list[ToolResult | None] = [None] * len(calls)
    final: tuple[Any] | None = None
    pending = list(range(len(calls)))
    try:
        if output is not None:
            for i, call in enumerate(calls):
                if call["function"]["name"] != OUTPUT_TOOL:
                    continue
                pending.remove(i)
                if final is not None:
                    slots[i] = ToolResult(call["id"], OUTPUT_TOOL, NOT_RUN)
                    continue
                try:
                    final = (output.validate(call["function"]["arguments"]),)
                    slots[i] = ToolResult(call["id"], OUTPUT_TOOL, "Final answer received.")
                except OutputInvalid as exc:
                    slots[i] = ToolResult(call["id"], OUTPUT_TOOL, str(exc), True)
        if final is not None:
            for i in pending:
                slots[i] = ToolResult(calls[i]["id"], calls[i]["function"]["name"], NOT_RUN)
        else:
            found: list[ToolResult | None] = [None] * len(pending)
            try:
                await runner.answer_all([calls[i] for i in pending], found)
            finally:
                for i, answer in zip(pending, found, strict=True):
                    slots[i] = answer
    finally:
        answers[:] = [
            answer or ToolResult(call["id"], call["function"]["name"], CANCELLED)
            for answer, call in zip(slots, calls, strict=True)
        ]
    return final

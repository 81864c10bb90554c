"""What a run offers the model: its tools (static ones and those listed by tool sources), their wire
definitions and the structured-output tool, checked against the profile's limit before any request.

An agent without tool sources builds this once. With sources (an MCP server), it is rebuilt only when a
source's list changes, so the ``tools`` part of the request stays the same bytes run after run.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from ._errors import ApprovalRequiredError, ToolDefinitionError, TooManyToolsError, UserError
from ._output import OUTPUT_TOOL, OutputSpec
from ._perloop import PerLoop
from ._request import RequestPlan
from ._settings import ModelSettings, merge_settings
from ._toolset import Toolset

if TYPE_CHECKING:
    from ._hooks import RunInfo
    from ._profiles import Profile
    from ._tool import Tool
    from ._toolcalls import Approve
    from ._wire import ToolDefinition

    Approval = Approve | Literal["defer"] | None


@runtime_checkable
class ToolSource(Protocol):
    """Tools known only at run time, such as an MCP server's. ``async with source:`` opens it (it may be
    entered by several runs at once, and must stay open until the last one leaves); ``list_tools``
    returns its tools, cached by the source, as the same list object for as long as they are unchanged."""

    async def __aenter__(self) -> Any: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any: ...

    async def list_tools(self) -> Sequence[Tool[..., Any]]: ...


@dataclass(frozen=True, eq=False)
class RunTools:
    """The tools of a run and everything derived from them."""

    toolset: Toolset
    definitions: list[ToolDefinition]
    """The request's ``tools`` (the output tool last, when there is one); do not modify it."""
    output_tool: OutputSpec | None
    """The output spec when answers come through the output tool (structured output with tools)."""
    threads_needed: bool
    """Some tool is a blocking function, run in a worker thread."""
    output: OutputSpec

    @classmethod
    def build(cls, toolset: Toolset, output: OutputSpec, max_tools: int, profile_name: str) -> RunTools:
        output_tool = None if output.is_text or not toolset else output
        count = len(toolset) + (output_tool is not None)
        if count > max_tools:
            with_output = " (the structured-output tool included)" if output_tool else ""
            raise TooManyToolsError(
                f"{count} tools{with_output}, the API accepts at most {max_tools} ({profile_name} profile). "
                f"Give the agent fewer tools (filter a tool source, or split the work between agents)."
            )
        if output_tool is not None and OUTPUT_TOOL in toolset:
            raise UserError(f"a tool named {OUTPUT_TOOL!r} clashes with the structured-output tool")
        definitions = list(toolset.schemas)
        if output_tool is not None:
            strict = any(t.strict for t in toolset)  # a Toolset is all strict or not at all
            definitions.append(output_tool.tool_definition(strict=strict))
        return cls(toolset, definitions, output_tool, any(not t.is_async for t in toolset), output)

    def plan(
        self, model: str, profile: Profile, settings: ModelSettings, run_settings: ModelSettings | None
    ) -> RequestPlan:
        """The fixed part of a run's requests: built once for these tools, again only for a run with
        settings of its own."""
        cached: RequestPlan | None = self.__dict__.get("_plan")
        if cached is not None and not run_settings:
            return cached
        json_mode = not self.output.is_text and not self.toolset and profile.json_mode
        merged = merge_settings(settings, run_settings)
        plan = RequestPlan.build(model, profile, merged, self.definitions, json_mode=json_mode)
        if not run_settings:
            object.__setattr__(self, "_plan", plan)  # frozen: the cache is the one mutable part
        return plan

    def approval(self, approve: Approval, run: RunInfo) -> Approval:
        """The run's ``approve``: a hook that decides approvals (a durable run) takes the place of a
        missing callback or of ``"defer"``; tools that need approval with nobody to decide are an error."""
        if callable(approve):
            return approve
        if any(hook.decides_approvals(run) for hook in run.hooks):
            return None
        if approve is None and any(t.requires_approval for t in self.toolset):
            names = [t.name for t in self.toolset if t.requires_approval]
            raise ApprovalRequiredError(
                f"tools {names} require approval: pass approve=callback, or approve='defer' to stop the run "
                "with the calls in result.pending_approvals"
            )
        return approve


class ToolCatalog:
    """An agent's tools: its own, plus what its tool sources list. Sources are opened for each run, or
    once for all runs while the agent is entered (``hold_open``): for the runs on that event loop, since
    a connection belongs to the loop that opened it (a ``run_sync`` meanwhile opens its own). A run
    started while they are held holds them too, until it ends."""

    def __init__(self, toolset: Toolset, sources: Sequence[ToolSource], output: OutputSpec, profile: Profile):
        self.toolset, self.sources = toolset, tuple(sources)
        self._output, self._profile = output, profile
        self._tools = self._build(toolset)
        self._listed: list[Sequence[Tool[..., Any]]] = []
        """The source lists ``_tools`` was built from, compared by identity (a source returns the same
        list object while its tools are unchanged); held, since a dropped list's ``id`` is soon reused."""
        self._held: PerLoop[AsyncExitStack] = PerLoop(self._open_sources, AsyncExitStack.aclose)
        """The sources held open on each event loop (``async with agent`` there), and how to close them."""

    async def hold_open(self) -> None:
        if self.sources:
            await self._held.enter()

    async def release(self) -> None:
        await self._held.exit()

    async def _open_sources(self) -> AsyncExitStack:
        async with AsyncExitStack() as stack:  # closes those opened if one fails
            for source in self.sources:
                await stack.enter_async_context(source)
            return stack.pop_all()

    async def for_run(self, run_stack: AsyncExitStack) -> RunTools:
        """The tools of a run starting now; sources not held open are opened on ``run_stack``."""
        if not self.sources:
            return self._tools
        if self._held.get() is not None:  # held by ``async with agent``: the run holds them too, so
            await self._held.enter()  # leaving the block while it goes on closes them only after it
            run_stack.push_async_callback(self._held.exit)
        else:
            for source in self.sources:
                await run_stack.enter_async_context(source)
        listed = [await source.list_tools() for source in self.sources]
        same = len(listed) == len(self._listed) and all(map(operator.is_, listed, self._listed))
        if not same:
            self._check_names(listed)
            self._tools = self._build(Toolset(self.toolset, *(t for each in listed for t in each)))
            self._listed = listed
        return self._tools

    def _check_names(self, listed: list[Sequence[Tool[..., Any]]]) -> None:
        """A name used by two sources, or by a source and the agent's own tools, is an error that says
        which (``Toolset`` can only name the functions, the same for every tool of a source)."""
        owners = {t.name: (t, "the agent's own tools") for t in self.toolset}
        for source, tools in zip(self.sources, listed, strict=True):
            for each in tools:
                seen, owner = owners.setdefault(each.name, (each, repr(source)))
                if seen is not each:
                    raise ToolDefinitionError(
                        f"two tools are named {each.name!r}: one of {owner} and one of {source!r}. Give the "
                        "source a prefix (MCPServer(..., prefix=...)), or leave one out (deny=[...])"
                    )

    def _build(self, toolset: Toolset) -> RunTools:
        return RunTools.build(toolset, self._output, self._profile.max_tools, self._profile.name)


def split_sources(items: Sequence[Any]) -> tuple[list[Any], list[ToolSource]]:
    """``tools=`` items: those a ``Toolset`` takes, and tool sources."""
    static: list[Any] = []
    sources: list[ToolSource] = []
    for item in items:
        (sources if isinstance(item, ToolSource) else static).append(item)
    return static, sources

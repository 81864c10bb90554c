"""``Agent.as_tool``: one agent as a tool of another.

The tool runs the agent (its own instructions, tools, profile and limits) on the task the calling model
writes, with the calling run's ``deps``, and returns its output. Everything else rides on the general
mechanisms:

- **Connection.** An agent with no connection of its own (no ``api_key``, ``base_url``, ``http_client``
  or ``client``) talks through the calling run's client, so the whole team shares one connection pool
  (an ``Agent.override`` of the connection inside the tool call, ``_override``).
- **Parentage.** The tool call runs with ``CURRENT_RUN`` set to the calling run, so the sub-agent's
  ``RunInfo.parent`` is that run and context hooks reach it (``_hooks``).
- **Usage.** A small ``Hook`` notes the sub-agent's run as it starts; when the call ends, however it ends
  (answer, error, timeout, cancellation), that run's live usage is added once to the calling run's
  (``RunUsage.include``: in the totals, and apart under ``agents[name]``).
- **Failure.** A sub-agent's error is an exception of the tool, so the calling model gets a tool message
  saying what went wrong (and the tool's retry budget applies), like any tool's.
- **Streaming.** When the calling run streams, the sub-agent runs with ``run_stream`` and its events are
  relayed, each wrapped in a ``SubAgentEvent`` naming the tool and the call, through
  ``RunInfo.relayed``: the calling run yields them as soon as the calls of that response have ended,
  before their ``ToolResult``s. They cannot be yielded while the sub-agent runs: the calls of one response
  run concurrently in a task group, and a task group must never stay open across a ``yield`` of the
  run's event generator (the consumer may stop reading, or abandon the generator, at any ``yield``;
  the group's cancel scope would then be left open in the wrong task). Relaying after the batch keeps
  every scope inside one ``await`` and is safe however the stream is abandoned. For live progress
  inside a long sub-run, give the sub-agent a ``Hook`` of its own.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from ._context import RunContext
from ._errors import UserError
from ._events import RunDone, StreamEvent, SubAgentEvent
from ._hooks import CURRENT_RUN, Hook, RunInfo, closing, using_hooks
from ._override import effective, override
from ._tool import Tool

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._agent import Agent
    from ._run import RunResult


def agent_tool(agent: Agent[Any, Any], name: str | None = None, description: str | None = None) -> Tool:
    """A tool that runs ``agent`` on a task (see the module docstring)."""
    tool_name = name or agent.name

    async def run_agent(ctx: RunContext[Any], task: str) -> Any:
        """Run the agent on a task.

        Args:
            task: The complete task for the agent, with everything it needs to know: it does not see
                this conversation.
        """
        parent = CURRENT_RUN.get()
        watch = _Watch(parent)
        relayed: list[StreamEvent] = []
        with ExitStack() as scope:  # context changes around awaits of this task only, never a yield
            scope.enter_context(using_hooks(watch))
            if ctx.client is not None and not _has_connection(effective(agent)):
                scope.enter_context(override(agent, client=ctx.client))
            try:
                if parent is None or not parent.stream:
                    return _output(await agent.run(task, deps=ctx.deps), tool_name)
                async with closing(agent.run_stream(task, deps=ctx.deps)) as events:
                    async for event in events:
                        if isinstance(event, RunDone):
                            return _output(event.result, tool_name)
                        relayed.append(SubAgentEvent(tool_name, ctx.tool_call_id, event))
                raise AssertionError("the sub-agent's stream ended without RunDone")  # pragma: no cover
            finally:
                if watch.run is not None and ctx.usage is not None:
                    ctx.usage.include(tool_name, watch.run.usage)
                if parent is not None:
                    parent.relayed.extend(relayed)

    return Tool(
        run_agent,
        name=tool_name,
        description=description or f"Ask the {agent.name} agent to carry out a task and report back.",
    )


def _output(result: RunResult[Any], name: str) -> Any:
    if result.pending_approvals:
        raise UserError(
            f"the {name} agent stopped for approvals (approve='defer'), which an agent used as a tool cannot "
            "wait for: give it an approve callback instead"
        )
    return result.output


def _has_connection(agent: Agent[Any, Any]) -> bool:
    """The agent was given its own key, server or client."""
    own = (agent._api_key, agent._base_url, agent._http_client, agent._shared_client)
    return any(x is not None for x in own)


class _Watch(Hook):
    """Notes the sub-agent's run (the one whose parent is the calling run) as it starts."""

    def __init__(self, parent: RunInfo | None) -> None:
        self.parent = parent
        self.run: RunInfo | None = None

    def wrap_run(self, run: RunInfo, events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
        if self.run is None and run.parent is self.parent:
            self.run = run
        return events

"""``Agent.override``: swap an agent's model, profile, tools, instructions, settings or connection for the
runs started inside a ``with`` block, in tests above all.

The agent itself is never changed. Entering the block makes a changed shallow copy of it and records
"this agent means that copy" in a context variable; a run looks itself up there when it starts
(``effective``). So the override reaches the runs of this task and of the tasks it starts inside the
block (they inherit the context, ``run_sync`` included), never those of other tasks, and nothing is
left behind when the block ends: no connection pool, tool list or request plan of the agent is touched.
The copy keeps the agent's connection pool unless the connection is overridden, and its tool catalog
(with any tool sources held open) unless the model, profile, settings or tools are: the run's tools keep
the request plan, which those change.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import httpx
from typing_extensions import TypedDict, Unpack

from ._client import DeepSeekClient
from ._pool import ClientPool
from ._profiles import Profile, get_profile
from ._runtools import ToolCatalog, ToolSource, split_sources
from ._settings import ModelSettings
from ._toolset import Toolset

if TYPE_CHECKING:
    from ._agent import Agent
    from ._conversation import Instructions
    from ._tool import Tool


class Overrides(TypedDict, total=False):
    """What ``Agent.override`` may swap (the ``Agent`` arguments of the same names)."""

    model: str
    """The model; its profile comes with it unless the agent was given another one (or ``profile=``)."""
    profile: str | Profile
    tools: Sequence[Tool[..., Any] | Any | ToolSource] | Toolset
    instructions: Instructions
    settings: ModelSettings
    """Replaces the agent's settings (a run's own ``settings=`` still apply on top)."""
    http_client: httpx.AsyncClient
    """Talk through this client (e.g. ``sim.http_client()``); agentkit never closes it."""
    client: DeepSeekClient


_ACTIVE: ContextVar[tuple[tuple[Agent[Any, Any], Agent[Any, Any]], ...]] = ContextVar(
    "agentkit_overrides", default=()
)


def effective(agent: Agent[Any, Any]) -> Agent[Any, Any]:
    """The agent a run of ``agent`` starting here uses: its innermost override, or itself."""
    for original, changed in _ACTIVE.get()[::-1]:  # innermost first
        if original is agent:
            return changed
    return agent


@contextmanager
def override(agent: Agent[Any, Any], **changes: Unpack[Overrides]) -> Iterator[None]:
    """Runs of ``agent`` started in this block (in this task and the tasks it starts) use ``changes``."""
    unknown = set(changes) - set(Overrides.__annotations__)
    if unknown:
        known = ", ".join(Overrides.__annotations__)
        raise TypeError(f"override() got unknown arguments {sorted(unknown)}; it takes {known}")
    token = _ACTIVE.set((*_ACTIVE.get(), (agent, _changed(effective(agent), changes))))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _changed(agent: Agent[Any, Any], changes: Overrides) -> Agent[Any, Any]:
    """A shallow copy of ``agent`` with ``changes``; the parts derived from them made anew."""
    new = copy.copy(agent)
    if "model" in changes:
        new.model = changes["model"]
        if "profile" not in changes and agent.profile is get_profile(agent.model):  # chosen by model name
            new.profile = get_profile(new.model)
    if "profile" in changes:
        new.profile = get_profile(changes["profile"])
    if "instructions" in changes:
        new.instructions = changes["instructions"]
    if "settings" in changes:
        new.settings = dict(changes["settings"])  # type: ignore[assignment]
    sources = agent._catalog.sources
    if "tools" in changes:
        tools = changes["tools"]
        static, sources = ([tools], []) if isinstance(tools, Toolset) else split_sources(tools)  # type: ignore[assignment]
        new.toolset = Toolset(*static)
    if changes.keys() & {"model", "profile", "settings", "tools"}:  # the tools cache the request plan
        new._catalog = ToolCatalog(new.toolset, sources, new.output, new.profile)
    if "http_client" in changes or "client" in changes:
        new._http_client = changes.get("http_client")
        new._shared_client = changes.get("client")
        new._pool = ClientPool(new._new_client, new._users_client)
    return new

"""``RunContext``: what a tool can ask for about the run that called it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

if TYPE_CHECKING:
    from ._client import DeepSeekClient
    from ._usage import RunUsage

DepsT = TypeVar("DepsT", default=None)


@dataclass(kw_only=True)
class RunContext(Generic[DepsT]):
    """Passed to a tool that declares a parameter annotated ``RunContext`` (never part of its schema).

    Attributes:
        deps: The ``deps`` object given to ``Agent.run``; typed by ``RunContext[Deps]``.
        model: The model name the run talks to.
        messages: The conversation so far (read it; do not change it).
        usage: Usage summed over the run's requests so far.
        turn: How many model requests the run has made.
        tool_call_id: The id of the call being answered.
        tool_name: The name of the tool being called.
        client: The run's API client, for tools that call the model themselves (e.g. summarise).

    Build one with keyword arguments (tests of a tool do: ``RunContext(deps=...)``).
    """

    deps: DepsT
    model: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    usage: RunUsage | None = None
    turn: int = 0
    tool_call_id: str = ""
    tool_name: str = ""
    client: DeepSeekClient | None = None

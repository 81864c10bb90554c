"""How a run's conversation begins, whatever history or session it continues.

The running agent's instructions (with the JSON-output instruction that an ``output_type`` without tools
needs) lead every request: they replace the system messages of the history, never follow them, so a
session continued by an agent whose instructions changed uses the new ones and the prompt-cache prefix of
a given agent stays the same bytes. An agent without instructions keeps those of the history.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Union

from ._context import RunContext

if TYPE_CHECKING:
    from ._output import OutputSpec
    from ._runtools import RunTools

Instructions = Union[str, Callable[[RunContext[Any]], "str | Awaitable[str]"], None]  # noqa: UP007
"""Text, or a function of the run's ``RunContext`` (sync or async) called once when a run starts."""


async def system_prompt(
    instructions: Instructions, output: OutputSpec, tools: RunTools, context: Callable[[], RunContext[Any]]
) -> str:
    """The run's instructions (a function of the run is called here, once) and the JSON instruction."""
    text = instructions if isinstance(instructions, str) else ""
    if callable(instructions):
        made = instructions(context())
        text = await made if inspect.isawaitable(made) else made
    if not output.is_text and not tools.definitions:
        text = f"{text}\n\n{output.json_instructions()}" if text else output.json_instructions()
    return text


def led_by(system: str, conversation: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``conversation`` as the run sends it: ``system`` first in place of its system messages."""
    if not system:
        return list(conversation)
    return [{"role": "system", "content": system}, *(m for m in conversation if m.get("role") != "system")]

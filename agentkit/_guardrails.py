"""Input and output guardrails: checks on the prompt before the first request, and on the final answer
before it is returned.

A guardrail is a function ``(ctx: RunContext, value) -> None``, sync or async, given to
``Agent(input_guardrails=[...], output_guardrails=[...])``. It passes by returning. To stop the run it
raises ``GuardrailTripped("why")`` (a ``RunError``, so the caller gets it with the conversation so far and
the usage); an output guardrail may instead raise ``ModelRetry("what to fix")``, which sends the answer
back to the model like an answer that fails validation (within ``output_retries``). Input guardrails see
the prompt (not a run that continues a history without one); output guardrails see the validated output,
whichever way it came (text, JSON mode or the output tool). They run in the order given, one at a time.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._context import RunContext
from ._errors import ModelRetry, UserError

if TYPE_CHECKING:
    from ._run import RunState

InputGuardrail = Callable[[RunContext[Any], str], "Awaitable[None] | None"]
OutputGuardrail = Callable[[RunContext[Any], Any], "Awaitable[None] | None"]


async def check_input(
    guardrails: Sequence[InputGuardrail],
    run: RunState,
    context: Callable[[], RunContext[Any]],
    prompt: str | None,
) -> None:
    """Run the input guardrails on the prompt (none without one); ``GuardrailTripped`` (or any error of
    theirs) ends the run, carrying the conversation without the prompt."""
    if prompt is None or not guardrails:
        return
    with run.errors_carry_state():
        for guardrail in guardrails:
            try:
                await _call(guardrail, context(), prompt)
            except ModelRetry:
                raise UserError(
                    f"input guardrail {_name(guardrail)} raised ModelRetry, which only output guardrails "
                    "may: raise GuardrailTripped to stop the run"
                ) from None


async def check_output(
    guardrails: Sequence[OutputGuardrail], context: Callable[[], RunContext[Any]], output: Any
) -> str | None:
    """Run the output guardrails (given ``context()``): ``None`` when they pass, else the message of the
    first ``ModelRetry``."""
    for guardrail in guardrails:
        try:
            await _call(guardrail, context(), output)
        except ModelRetry as retry:
            return str(retry) or f"The answer was refused by the {_name(guardrail)} check. Please try again."
    return None


async def _call(guardrail: Callable[[RunContext[Any], Any], Any], ctx: RunContext[Any], value: Any) -> None:
    outcome = guardrail(ctx, value)
    if inspect.isawaitable(outcome):
        await outcome


def _name(guardrail: Callable[..., Any]) -> str:
    return str(getattr(guardrail, "__name__", type(guardrail).__name__))

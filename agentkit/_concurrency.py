"""Running a few coroutines at once, as cheaply as the event loop allows.

One model response's tool calls run concurrently. On asyncio (Python >= 3.11) they run in an
``asyncio.TaskGroup``, which starts a task about four times faster than anyio's task group (anyio gives
every task its own cancel scope) and has the same structured semantics: an outer anyio cancel scope
cancels the group and waits for it. Elsewhere (trio, Python 3.10) an anyio task group. This is the only
place that chooses; both paths are covered by the test suite running on both backends.

A failure leaves as itself, not wrapped in the task group's exception group: the caller sees the same
``UserError`` (or ``KeyboardInterrupt``) whether the model made one call or several.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any

import anyio

if sys.version_info < (3, 11):  # anyio's backport
    from exceptiongroup import BaseExceptionGroup

_TASK_GROUP: Any = getattr(asyncio, "TaskGroup", None)


async def run_all(functions: Sequence[Callable[[], Coroutine[Any, Any, None]]]) -> None:
    """Run every function concurrently and wait for all; the first failure cancels the others and is
    raised."""
    if len(functions) == 1:  # no task group for a lone call
        await functions[0]()
        return
    try:
        if _TASK_GROUP is not None and _on_asyncio():
            async with _TASK_GROUP() as native:
                for function in functions:
                    native.create_task(function())
            return
        async with anyio.create_task_group() as tg:
            for function in functions:
                tg.start_soon(function)
    except BaseExceptionGroup as group:
        raise _first(group) from None


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The failure that came first (a group lists them in the order they happened), before any
    cancellation, which the enclosing cancel scope takes back whatever it is given."""
    leaves = list(_leaves(group))
    failures = [e for e in leaves if not isinstance(e, anyio.get_cancelled_exc_class())]
    return (failures or leaves)[0]


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for each in error.exceptions:
            yield from _leaves(each)
    else:
        yield error


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio (or no loop)
        return False
    return True

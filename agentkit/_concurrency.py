"""Running a few coroutines at once, as cheaply as the event loop allows.

One model response's tool calls run concurrently. On asyncio (Python >= 3.11) they run in an
``asyncio.TaskGroup``, which starts a task about four times faster than anyio's task group (anyio gives
every task its own cancel scope) and has the same structured semantics: an outer anyio cancel scope
cancels the group and waits for it. Elsewhere (trio, Python 3.10) an anyio task group. This is the only
place that chooses; both paths are covered by the test suite running on both backends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import anyio

_TASK_GROUP: Any = getattr(asyncio, "TaskGroup", None)


async def run_all(functions: Sequence[Callable[[], Coroutine[Any, Any, None]]]) -> None:
    """Run every function concurrently and wait for all; the first failure cancels the others."""
    if len(functions) == 1:  # no task group for a lone call
        await functions[0]()
        return
    if _TASK_GROUP is not None and _on_asyncio():
        async with _TASK_GROUP() as native:
            for function in functions:
                native.create_task(function())
        return
    async with anyio.create_task_group() as tg:
        for function in functions:
            tg.start_soon(function)


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio (or no loop)
        return False
    return True

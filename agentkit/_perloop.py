"""Resources that belong to an event loop: a connection opened on one loop cannot be used from another.

``current_loop()`` names the running loop (an asyncio loop, or a trio run's root task). ``PerLoop`` keeps
one reference-counted resource per loop: the first user on a loop opens it, the last one closes it, and
users on other loops (``run_sync``'s background loop, a second thread's loop) get their own. A loop's
entry is dropped when its resource closes or fails to open, so loops that have ended are not kept.
``Nesting`` counts an object's nested ``async with`` blocks per loop, so that only the outermost closes.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio

_T = TypeVar("_T")


def current_loop() -> object:
    """The running asyncio loop, or the root task of the running trio run."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        trio = sys.modules["trio"]  # not asyncio, so trio is running (and imported)
        return trio.lowlevel.current_root_task()


@dataclass(eq=False)
class _Slot(Generic[_T]):
    lock: anyio.Lock
    users: int = 0
    value: _T | None = None


class PerLoop(Generic[_T]):
    """One ``_T`` per event loop, made by ``open`` for the loop's first user and given to ``close``
    after its last."""

    def __init__(self, open: Callable[[], Awaitable[_T]], close: Callable[[_T], Awaitable[object]]) -> None:
        self._open, self._close = open, close
        self._slots: dict[object, _Slot[_T]] = {}

    def get(self) -> _T | None:
        """This loop's resource, if a user here holds it open."""
        slot = self._slots.get(current_loop())
        return None if slot is None else slot.value

    def open_elsewhere(self) -> bool:
        """Whether some other loop holds one open (for an error that says so)."""
        here = current_loop()
        return any(loop is not here for loop in self._slots)

    async def enter(self) -> _T:
        loop = current_loop()
        while True:
            slot = self._slots.get(loop)
            if slot is None:
                slot = self._slots[loop] = _Slot(anyio.Lock())
            async with slot.lock:
                if self._slots.get(loop) is not slot:
                    continue  # its last user closed it, or its opening failed, while we waited
                if slot.users == 0:
                    try:
                        slot.value = await self._open()
                    except BaseException:
                        del self._slots[loop]
                        raise
                slot.users += 1
                assert slot.value is not None
                return slot.value

    async def exit(self) -> bool:
        """Leave this loop's resource (closed by its last user, even if the caller is being
        cancelled); ``False`` if nobody on this loop holds one."""
        loop = current_loop()
        slot = self._slots.get(loop)
        if slot is None:
            return False
        with anyio.CancelScope(shield=True):
            async with slot.lock:
                if self._slots.get(loop) is not slot:
                    return False
                slot.users -= 1
                if slot.users == 0:
                    del self._slots[loop]
                    value, slot.value = slot.value, None
                    if value is not None:
                        await self._close(value)
        return True


class Nesting:
    """How deep ``async with`` blocks of one object are nested, on each event loop."""

    def __init__(self) -> None:
        self._depths: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()

    def enter(self) -> None:
        loop = current_loop()
        self._depths[loop] = self._depths.get(loop, 0) + 1

    def exit(self) -> bool:
        """Whether the block that ends is this loop's outermost."""
        loop = current_loop()
        depth = self._depths.pop(loop, 1) - 1
        if depth:
            self._depths[loop] = depth
        return not depth

"""How many queued runs a worker runs at once, and why it takes three times as many from the queue.

DBOS starts a queued run when its queue thread next looks at the queue (every ``QUEUE_POLL`` s) and finds
the worker below its ``worker_concurrency``. Left at ``concurrency``, a finished run's place stays empty
until that look: half a polling interval on average, as long as a fast model request. So a worker takes
up to ``PREFETCH`` times its concurrency from the queue and this gate lets ``concurrency`` of them run at
once: when one finishes, a waiting one starts at once. The waiting ones must last until the next look,
``interval / run time`` times the concurrency: two with 0.1 s and 50 ms requests, hence three in all.
The runs waiting here have made no request yet, so a crash costs nothing more (they start when their
worker restarts, like the runs it was running).

The gate holds the runs of the agent's workflow that DBOS started from a queue (a batch's prompts, and
runs resumed after a crash); a run started with ``DurableAgent.run`` in this process does not wait here.
Its size is the batch's concurrency in the process that submits the batch. A worker started with
``DurableAgent.work`` follows the queue's ``worker_concurrency`` in the database (DBOS keeps one per
queue, set by the latest batch submitted): a run that arrives reads it when the last look is more than
``FRESH`` seconds old, so a worker started before the batch existed runs the batch's concurrency from its
first prompt on. In a process that is neither, runs that DBOS resumes after a crash are not gated.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

import anyio.to_thread
from dbos import DBOS

PREFETCH = 3
FRESH = 1.0
"""Seconds a worker trusts its last look at the queue's concurrency (a look is one query)."""

direct: ContextVar[bool] = ContextVar("agentkit_durable_direct", default=False)
"""Set while ``DurableAgent.run`` starts its run (the run's task inherits it): that run is not gated."""


class Gate:
    """At most ``size`` gated runs at once on the event loop that runs them (DBOS's)."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.size: int | None = None
        """None: no limit (the process works on no batch)."""
        self._follows = False
        self._read_at = -FRESH
        self._running = 0
        self._condition: asyncio.Condition | None = None
        self._reading: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def take(self, concurrency: int) -> int:
        """Run ``concurrency`` at once; returns how many DBOS should take from the queue."""
        self.size = concurrency
        return PREFETCH * concurrency

    def follow(self) -> None:
        """Run the queue's ``worker_concurrency`` (divided by ``PREFETCH``), as the database has it."""
        self._follows = True

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if direct.get():
            yield
            return
        condition, reading = self._bound()
        if self._follows and time.monotonic() - self._read_at > FRESH:
            await self._refresh(condition, reading)
        if self.size is None:
            yield
            return
        async with condition:
            await condition.wait_for(lambda: self.size is None or self._running < self.size)
            self._running += 1
        try:
            yield
        finally:
            async with condition:
                self._running -= 1
                condition.notify()

    async def _refresh(self, condition: asyncio.Condition, reading: asyncio.Lock) -> None:
        """Look at the queue's concurrency again (one look at a time); a larger one lets waiting runs in."""
        async with reading:
            if time.monotonic() - self._read_at <= FRESH:
                return  # another run looked meanwhile
            self.size = await anyio.to_thread.run_sync(self._read)
            self._read_at = time.monotonic()
        async with condition:
            condition.notify_all()

    def _read(self) -> int | None:
        queue = DBOS.retrieve_queue(self.queue)
        taken = queue.worker_concurrency if queue is not None else None
        return None if taken is None else max(1, -(-taken // PREFETCH))

    def _bound(self) -> tuple[asyncio.Condition, asyncio.Lock]:
        """The condition and lock of the running loop (DBOS makes a new loop each time it is launched)."""
        loop = asyncio.get_running_loop()
        if self._condition is None or self._reading is None or self._loop is not loop:
            self._condition, self._reading, self._loop = asyncio.Condition(), asyncio.Lock(), loop
            self._running = 0
        return self._condition, self._reading

"""``DurableAgent``: an agent whose runs are DBOS workflows, resumable after a crash by their id."""

from __future__ import annotations

import pickle
import re
from collections.abc import Collection, Iterable, Sequence
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic

import anyio
import anyio.to_thread
from dbos import DBOS, SetWorkflowID, WorkflowHandleAsync

from .._context import DepsT
from .._errors import UserError
from .._hooks import using_hooks
from .._pool import SYNC_LOOP
from .._run import OutputT, RunOptions, RunResult
from . import _engine
from ._gate import Gate, direct
from ._hook import DurableHook, DurablePolicy

if TYPE_CHECKING:
    from .._agent import Agent
    from .._settings import ModelSettings
    from .._usage import UsageLimits
    from ._batch import BatchReport

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
DEFAULT_APPROVAL_TIMEOUT = 7 * 24 * 3600.0
RESULT_POLL = 0.25


class DurableAgent(Generic[DepsT, OutputT]):
    """Runs ``agent`` as DBOS workflows: each model request and tool call is checkpointed, and a run
    started again with the same ``workflow_id`` (after a crash, in a new process) resumes from its last
    finished step, or returns its recorded result if it had finished.

    ``name`` identifies the agent's workflows and its batch queue in the database (default: the agent's
    name): keep it stable across deploys, unique in the program. ``database_url``: ``None`` for the
    process's DBOS configuration (yours, if you made one; else a local SQLite file), or
    ``postgresql://...`` for workers on several machines. ``idempotent``: which tools may run again when a
    crash interrupted them (``True``: all, ``False``: none, or their names); the others are not repeated
    and the model is told so. Tools that ``requires_approval`` in an agent without an ``approve`` callback
    (``None`` or ``"defer"``) wait for ``send_approval`` (for up to ``approval_timeout`` seconds, across
    restarts; no decision is a no).

    Create every durable agent before the first durable run of the process (DBOS looks up interrupted
    runs' agents when it starts), typically at module level.
    """

    def __init__(
        self,
        agent: Agent[DepsT, OutputT],
        name: str | None = None,
        database_url: str | None = None,
        *,
        idempotent: bool | Collection[str] = True,
        approval_timeout: float = DEFAULT_APPROVAL_TIMEOUT,
    ) -> None:
        self.agent = agent
        self.name = name if name is not None else agent.name
        if not _NAME.fullmatch(self.name):
            raise UserError(
                f"DurableAgent name {self.name!r} must be 1-64 letters, digits, '_', '.' or '-' "
                "(it names the agent's workflows and queue in the database)"
            )
        self.database_url = database_url
        self.queue = f"agentkit.{self.name}"
        self.policy = DurablePolicy(
            idempotent=idempotent if isinstance(idempotent, bool) else frozenset(idempotent),
            wait_for_approvals=not callable(agent.approve),  # None, or "defer": a person decides later
            approval_timeout=approval_timeout,
        )
        _engine.register(self.queue)
        self.gate = Gate(self.queue)

        async def run_workflow(prompt: str | None, options: RunOptions) -> RunResult[OutputT]:
            async with self.gate.slot():
                with using_hooks(DurableHook(self.policy)):
                    return await self.agent.run(prompt, **options)

        self.workflow = DBOS.workflow(name=f"agentkit.{self.name}.run")(run_workflow)
        """The DBOS workflow of one run, ``(prompt, options)`` -> ``RunResult``: to enqueue it yourself."""

    async def run(
        self,
        prompt: str | None = None,
        *,
        workflow_id: str | None = None,
        history: Sequence[dict[str, Any]] | None = None,
        deps: Any = None,
        settings: ModelSettings | None = None,
        usage_limits: UsageLimits | None = None,
    ) -> RunResult[OutputT]:
        """Run durably to the final answer; ``workflow_id`` (yours, e.g. ``"ticket-42"``) resumes or
        returns the run of that id. Raises what ``Agent.run`` raises (recorded, so the same id raises it
        again). ``history``, ``deps`` and the rest are stored with the run: they must pickle."""
        options: RunOptions = {}
        if history is not None:
            options["history"] = list(history)
        if deps is not None:
            options["deps"] = deps
        if settings is not None:
            options["settings"] = settings
        if usage_limits is not None:
            options["usage_limits"] = usage_limits
        _check_pickles(options)
        if not _engine.on_asyncio():  # DBOS runs on asyncio: trio callers use the background loop
            start = partial(self._run, prompt, options, workflow_id)
            return await anyio.to_thread.run_sync(SYNC_LOOP.run, start, abandon_on_cancel=True)
        return await self._run(prompt, options, workflow_id)

    def run_sync(self, prompt: str | None = None, **options: Any) -> RunResult[OutputT]:
        """``run`` for synchronous code (on agentkit's background event loop); same keywords."""
        return SYNC_LOOP.run(partial(self.run, prompt, **options))

    async def batch(
        self,
        prompts: str | Path | Iterable[dict[str, Any] | str],
        *,
        output: str | Path,
        concurrency: int = 16,
        per_minute: int | None = None,
        batch: str | None = None,
        progress: bool = True,
        worker_id: str | None = None,
    ) -> BatchReport:
        """Answer every prompt (a JSONL file, or dicts with ``prompt`` and an optional ``id``) on this
        agent's DBOS queue, appending ``{"id", "output" or "error", "usage"}`` lines to ``output`` as they
        finish; run again, it skips the ids answered there and loses nothing from an interrupted run. This
        process works on the queue too (as ``worker_id``, see ``work``). See ``run_batch`` for the rest."""
        from ._batch import run_batch

        return await run_batch(
            self, prompts, output=output, concurrency=concurrency, per_minute=per_minute, batch=batch,
            progress=progress, worker_id=worker_id,
        )

    async def work(self, worker_id: str | None = None) -> None:
        """Be a worker: answer this agent's queued prompts (batches submitted by any process on the same
        database) until cancelled. ``worker_id``: this worker's DBOS executor id, unique among the
        workers and the same at each restart (its restart resumes the prompts it was answering)."""
        self.gate.follow()  # the concurrency of the batches submitted meanwhile
        await self.launch(worker_id)
        await anyio.sleep_forever()

    async def launch(self, worker_id: str | None = None) -> None:
        """Start DBOS in this process now (a durable run does it on first use)."""
        if not _engine.launched():
            await anyio.to_thread.run_sync(_engine.launch, self.database_url, worker_id)
        elif self.database_url is not None:
            _engine.launch(self.database_url)  # checks it is the database DBOS runs on

    async def _run(
        self, prompt: str | None, options: RunOptions, workflow_id: str | None
    ) -> RunResult[OutputT]:
        await self.launch()
        if workflow_id is not None:
            await _check_same_prompt(workflow_id, prompt)
        handle: WorkflowHandleAsync[RunResult[OutputT]]
        token = direct.set(True)  # the run's task inherits it: it does not wait for the batch's gate
        try:
            with SetWorkflowID(workflow_id) if workflow_id is not None else nullcontext():
                handle = await DBOS.start_workflow_async(self.workflow, prompt, options)
        finally:
            direct.reset(token)
        # A run resumed in the background (DBOS recovers this worker's runs when it starts) or running on
        # another worker is watched in the database; DBOS's default look once a second is slow for that.
        return await handle.get_result(polling_interval_sec=RESULT_POLL)


async def _check_same_prompt(workflow_id: str, prompt: str | None) -> None:
    """A run's id answers its own prompt only: reused for another prompt (the next question of ticket
    42 as ``"ticket-42"``), it would return the first run's answer as if it were the new one's."""
    found = await DBOS.list_workflows_async(workflow_ids=[workflow_id], load_output=False)
    recorded = found[0].input if found else None
    if recorded is not None and recorded["args"][:1] != (prompt,):
        raise UserError(
            f"workflow_id {workflow_id!r} is a run of another prompt, and that id returns its recorded "
            "result: give each run its own id (e.g. with a counter: 'ticket-42/2')"
        )


def _check_pickles(options: RunOptions) -> None:
    """Refuse options that DBOS cannot store with the run, naming them (DBOS's own failure is a bare
    pickling error after a log line printing the options)."""
    for name, value in options.items():
        try:
            pickle.dumps(value)
        except Exception as exc:
            raise UserError(
                f"{name} of a durable run must pickle, as it is stored with the run ({exc}): pass plain data "
                "and make what cannot be stored (a client, a connection, a lock) in the tools or globally"
            ) from exc

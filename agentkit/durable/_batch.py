"""Batches of prompts on a DBOS queue, resumable and shared by any number of workers.

Each prompt becomes one durable run (the agent's workflow) on the agent's queue, which DBOS drains with a
per-worker concurrency and a global rate limit (runs started per minute, across all workers). The process
that submits the batch writes the output file: it watches the database for finished runs and appends one
line per prompt as it finishes, whichever worker answered it.

Nothing is lost and nothing is paid twice after ``kill -9`` and a rerun: a prompt's run has a workflow id
made of the agent, the batch name (the output file's stem), the prompt's id, a digest of its text and the
attempt number, so the rerun finds the runs already made. Finished ones are written without asking the
model again; interrupted ones resume from their last checkpoint (only the requests in flight at the kill
are sent again); ids already in the output file are skipped. A prompt that failed (an ``error`` line) gets
a new attempt on the next run; a changed prompt text is a new run.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import anyio
import anyio.to_thread
from dbos import DBOS, Queue, SetWorkflowID
from pydantic_core import to_jsonable_python

from .._errors import UserError
from .._pool import SYNC_LOOP
from .._run import RunResult
from .._usage import RunUsage
from ._engine import on_asyncio
from ._progress import Counts, Progress, progress_for

if TYPE_CHECKING:
    from dbos import WorkflowStatus
    from dbos._queue import QueueRateLimit

    from ._agent import DurableAgent

FINISHED = ["SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"]
RESULT_POLL = 0.2
"""Seconds between two looks for finished prompts."""
QUEUE_POLL = 0.1
"""Seconds between two looks of each worker for queued prompts: DBOS's default (1 s) starves a fast batch,
and each look costs a few queries (about 2 ms of CPU: an idle worker spends 2% of a core on them). A
worker takes more prompts than it runs at once (see ``_gate``), so a finished prompt's successor is
already there: the interval need not be short."""
WINDOW = 1000
"""Unfinished prompts looked at per poll, oldest first (the queue starts them in that order)."""


@dataclass(frozen=True)
class Prompt:
    id: str | int
    prompt: str


@dataclass(frozen=True)
class BatchReport:
    """How a batch went: ``done`` and ``failed`` in this session, ``earlier`` answered before it."""

    total: int
    earlier: int
    done: int
    failed: int
    cost: float
    """USD, of every answer in the output file."""
    seconds: float
    output: Path


def read_prompts(source: str | Path | Iterable[dict[str, Any] | str]) -> list[Prompt]:
    """A JSONL file (one ``{"prompt": ..., "id": ...}`` object a line; ``id`` defaults to the line number),
    or dicts of that shape or plain strings (``id``: their position, from 1)."""
    if isinstance(source, str | Path):
        path = Path(source)
        rows: Iterable[tuple[int, Any]] = _jsonl(path)
        where = path.name
    else:
        rows = enumerate(source, 1)
        where = "prompts"
    prompts: list[Prompt] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        item = {"prompt": row} if isinstance(row, str) else row
        if not isinstance(item, dict) or not isinstance(item.get("prompt"), str):
            raise UserError(f'{where} line {number}: expected an object with a "prompt" string, '
                            f"got {row!r:.80}")
        ident = item.get("id", number)
        if not isinstance(ident, str | int) or isinstance(ident, bool):
            raise UserError(f'{where} line {number}: "id" must be a string or an integer, got {ident!r:.40}')
        if str(ident) in seen:
            raise UserError(f"{where} line {number}: id {ident!r} is already used on line {seen[str(ident)]}")
        seen[str(ident)] = number
        prompts.append(Prompt(ident, item["prompt"]))
    return prompts


def _jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        lines = _text(path.read_bytes(), path.name).splitlines()
    except OSError as exc:
        raise UserError(f"cannot read the prompts file {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except ValueError as exc:
                raise UserError(f"{path.name} line {number} is not JSON ({exc}): fix that line") from None


def _text(data: bytes, name: str) -> str:
    """UTF-8, with or without the byte order mark some Windows editors write."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(f"{name} line {line} is not UTF-8 (byte {data[exc.start]:#04x}): save the file as "
                        "UTF-8") from None


class AnswerFile:
    """The output JSONL: the ids it answers, the failed attempts it records, and appending to it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.answered: set[str] = set()
        self.failures: Counter[str] = Counter()
        self.cost = 0.0
        self._file: TextIO | None = None

    @contextmanager
    def opened(self) -> Iterator[None]:
        """Read what an earlier run wrote, then append: with the file locked, so that the same batch
        started twice at once is refused instead of writing every answer twice."""
        if self.path.exists() and not self.path.is_file():
            raise UserError(
                f"the output {self.path} is not a regular file: a batch reads its answers back to carry on "
                "where it stopped, so write them to a file (and follow it with tail -f)"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as self._file:
            _lock(self._file, self.path)
            self._load()
            yield
        self._file = None

    def _load(self) -> None:
        """A last line cut by a kill is dropped (its prompt is redone)."""
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
            with self.path.open("r+b") as file:
                file.truncate(len(data))
        for number, line in enumerate(_text(data, self.path.name).splitlines(), 1):
            if not line.strip():  # an editor's
                continue
            try:
                answer = json.loads(line)
                key = str(answer["id"])
                self.cost += float((answer.get("usage") or {}).get("cost") or 0.0)
            except (ValueError, KeyError, TypeError, AttributeError):
                raise UserError(
                    f"{self.path.name} line {number} is not an answer line written by a batch: "
                    "fix it, or write the answers to another file"
                ) from None
            if "output" in answer:
                self.answered.add(key)
            else:
                self.failures[key] += 1

    def append(self, line: dict[str, Any]) -> None:
        """One answer, on disk when this returns (a later kill cannot take it back)."""
        assert self._file is not None
        self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._file.flush()


def _lock(file: TextIO, path: Path) -> None:
    """Hold an exclusive lock on the open output until it is closed (POSIX; Windows goes without)."""
    if sys.platform == "win32":
        return
    import fcntl

    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UserError(
            f"{path} is being written by another batch (the same command, still running?): wait for it to "
            "finish, or help it with agentkit batch --worker"
        ) from None


async def run_batch(
    durable: DurableAgent[Any, Any],
    prompts: str | Path | Iterable[dict[str, Any] | str],
    *,
    output: str | Path,
    concurrency: int = 16,
    per_minute: int | None = None,
    batch: str | None = None,
    progress: bool = True,
    worker_id: str | None = None,
) -> BatchReport:
    """See ``DurableAgent.batch``. ``concurrency``: runs at once per worker; ``per_minute``: runs started
    per minute by all workers together (a run makes one model request per tool round: divide your API
    rate limit by that); ``batch``: the name of this batch's runs (default the output file's stem)."""
    if concurrency < 1 or (per_minute is not None and per_minute < 1):
        raise UserError("concurrency and per_minute must be at least 1")
    if not on_asyncio():  # DBOS runs on asyncio: trio callers use the background loop
        go = partial(run_batch, durable, prompts, output=output, concurrency=concurrency,
                     per_minute=per_minute, batch=batch, progress=progress, worker_id=worker_id)
        report: BatchReport = await anyio.to_thread.run_sync(SYNC_LOOP.run, go, abandon_on_cancel=True)
        return report
    started = time.monotonic()
    items = read_prompts(prompts)
    answers = AnswerFile(output)
    with answers.opened():
        counts = await _answer(durable, items, answers, concurrency, per_minute, batch or answers.path.stem,
                               progress, worker_id)
    return BatchReport(counts.total, counts.earlier, counts.done, counts.failed, counts.cost,
                       time.monotonic() - started, answers.path)


async def _answer(
    durable: DurableAgent[Any, Any], items: list[Prompt], answers: AnswerFile, concurrency: int,
    per_minute: int | None, batch: str, progress: bool, worker_id: str | None,
) -> Counts:
    """Queue the prompts not answered in ``answers`` and write their answers there as they finish."""
    prefix = f"{durable.queue}/{batch}/"
    todo = {
        _workflow_id(prefix, item, answers.failures[str(item.id)]): item
        for item in items
        if str(item.id) not in answers.answered
    }
    await durable.launch(worker_id)
    limiter: QueueRateLimit | None = {"limit": per_minute, "period": 60.0} if per_minute else None
    queue = await DBOS.register_queue_async(
        durable.queue, worker_concurrency=durable.gate.take(concurrency), limiter=limiter,
        polling_interval_sec=QUEUE_POLL, on_conflict="always_update",
    )
    counts = Counts(total=len(items), earlier=len(items) - len(todo), cost=answers.cost)
    shown = progress_for(f"batch {answers.path.name}", counts, progress)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_enqueue, durable, queue, todo)
            await _collect(todo, answers, counts, shown)
    finally:
        if shown is not None:
            shown.close(counts)
    return counts


def _workflow_id(prefix: str, item: Prompt, attempt: int) -> str:
    digest = hashlib.sha256(item.prompt.encode()).hexdigest()[:12]
    return f"{prefix}{item.id}/{digest}/{attempt}"


async def _enqueue(durable: DurableAgent[Any, Any], queue: Queue, todo: dict[str, Prompt]) -> None:
    """Put the prompts on the queue, oldest first, skipping runs that exist (from an interrupted run)."""
    ids = iter(list(todo))
    while chunk := list(islice(ids, 500)):
        found = await DBOS.list_workflows_async(workflow_ids=chunk, load_input=False, load_output=False)
        existing = {status.workflow_id for status in found}
        for workflow_id in chunk:
            if workflow_id not in existing:
                with SetWorkflowID(workflow_id):
                    await queue.enqueue_async(durable.workflow, todo[workflow_id].prompt, {})


async def _collect(
    todo: dict[str, Prompt], answers: AnswerFile, counts: Counts, shown: Progress | None
) -> None:
    """Write each prompt's answer as soon as its run has finished, on whichever worker."""
    pending = dict(todo)
    while pending:
        window = list(islice(pending, WINDOW))
        for status in await DBOS.list_workflows_async(workflow_ids=window, status=FINISHED, load_input=False):
            item = pending.pop(status.workflow_id)
            line = _answer_line(item, status)
            answers.append(line)
            counts.cost += line["usage"]["cost"]
            if "output" in line:
                counts.done += 1
            else:
                counts.failed += 1
        if shown is not None:
            shown.update(counts)
        if pending:
            await anyio.sleep(RESULT_POLL)


def _answer_line(item: Prompt, status: WorkflowStatus) -> dict[str, Any]:
    if status.status == "SUCCESS":
        result = cast("RunResult[Any]", status.output)
        return {"id": item.id, "output": to_jsonable_python(result.output), "usage": asdict(result.usage)}
    error = status.error
    if error is not None:
        text = f"{type(error).__name__}: {error}"
    elif status.status == "CANCELLED":
        text = "cancelled (DBOS.cancel_workflow)"
    else:
        text = "gave up: the run was interrupted too many times (see DBOS's max_recovery_attempts)"
    usage = getattr(error, "usage", None)
    usage = usage if isinstance(usage, RunUsage) else RunUsage()
    return {"id": item.id, "error": text, "usage": asdict(usage)}

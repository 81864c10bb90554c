"""``agentkit batch``: answer a JSONL file of prompts with durable runs (``agentkit.durable``).

    agentkit batch prompts.jsonl --output answers.jsonl --tools web --concurrency 16

Interrupted (Ctrl-C, ``kill -9``, a reboot), the same command carries on: ids already answered are
skipped and runs in flight resume from their checkpoints. With ``--database postgresql://...`` more
workers, on this machine or others, share the work: ``agentkit batch --worker --database ... --worker-id
NAME`` with the same agent options (``--model``, ``--tools``, ``--instructions``, ``--yes``) and its own
key.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence

from ._cli import CLIError, _api, _console, _notice_to, approver, load_tools, make_agent

Add = Callable[..., argparse.ArgumentParser]
MOST = 1_000_000


def count(text: str) -> int:
    """``--concurrency`` and ``--per-minute``: 0 or less runs nothing, and DBOS stores them as integers."""
    number = int(text)
    if not 1 <= number <= MOST:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MOST:,}, got {text}")
    return number


def add_batch_command(add: Add, parents: Sequence[argparse.ArgumentParser]) -> None:
    """Register ``agentkit batch`` with ``_cli.build_parser``'s ``add``."""
    batch = add("batch", run_batch_command,
                "answer every prompt of a JSONL file durably: resumable, and shared by workers on many "
                "machines with --database postgresql://...", parents)
    batch.add_argument("prompts", nargs="?", metavar="PROMPTS.jsonl",
                       help='one JSON object a line: {"prompt": "...", "id": ...} (id: default the line '
                            "number)")
    batch.add_argument("--output", "-o", metavar="ANSWERS.jsonl",
                       help='where each answer goes as it finishes: {"id", "output" or "error", "usage"}')
    batch.add_argument("--concurrency", type=count,
                       help="runs at once per worker (default 16); a --worker takes the latest batch's")
    batch.add_argument("--per-minute", type=count, metavar="N",
                       help="start at most N runs a minute, all workers together (a run makes one request "
                            "per tool round: set N to your requests-per-minute limit divided by that)")
    batch.add_argument("--database", metavar="URL",
                       help="DBOS database: sqlite:///PATH or postgresql://... (default "
                            "$DBOS_SYSTEM_DATABASE_URL, else ~/.agentkit/durable.sqlite)")
    batch.add_argument("--batch", metavar="NAME",
                       help="name of this batch's runs (default: the output's stem)")
    batch.add_argument("--worker", action="store_true",
                       help="only answer queued prompts, for batches submitted elsewhere (until Ctrl-C)")
    batch.add_argument("--worker-id", metavar="ID",
                       help="this worker's id, unique among the workers and the same at each restart "
                            "(default $DBOS__VMID, else 'local')")


def queue_name(args: argparse.Namespace, simulated: bool) -> str:
    """The durable agent's name: the agent options' digest, so that a worker started with other options
    takes no prompt of this batch, and runs answered by the simulator (no key set) are not taken for the
    API's answers when the same batch runs again with a key."""
    spec = json.dumps([args.model, args.tools or "", args.instructions or "", args.yes])
    spec += " simulated" * simulated
    return f"cli-{hashlib.sha256(spec.encode()).hexdigest()[:10]}"


def run_batch_command(args: argparse.Namespace) -> int:
    given = (args.prompts is not None, args.output is not None)
    if given != ((False, False) if args.worker else (True, True)):
        raise CLIError("give PROMPTS.jsonl and --output, or --worker (not both)")
    if args.worker and args.concurrency is not None:
        raise CLIError("--concurrency is the batch's, for every worker (DBOS keeps one per queue): give it "
                       "to the command that submits the prompts, not to --worker")
    try:
        from .durable import DurableAgent
    except ImportError as exc:
        raise CLIError("agentkit batch needs DBOS: pip install 'agentkit[durable]'") from exc
    err = _console(stderr=True)
    tools = load_tools(args.tools)
    with _api(args, _notice_to(err)) as api:
        agent = make_agent(args, api, tools, approver(args, err))
        durable = DurableAgent(agent, name=queue_name(args, api.simulated), database_url=args.database)
        if args.worker:
            err.print(f"worker {args.worker_id or 'local'}: answering queue {durable.queue} until Ctrl-C",
                      markup=False)
            asyncio.run(durable.work(args.worker_id))
            return 0
        report = asyncio.run(durable.batch(
            args.prompts, output=args.output, concurrency=args.concurrency or 16, per_minute=args.per_minute,
            batch=args.batch, worker_id=args.worker_id,
        ))
    err.print(f"answered {report.earlier + report.done}/{report.total} ({report.failed} failed, "
              f"{report.earlier} earlier) in {report.seconds:.1f} s · ${report.cost:.6f} · {report.output}",
              markup=False)
    if report.failed:
        err.print("run the same command again to retry the failed prompts", style="yellow", markup=False)
    return 1 if report.failed else 0


"""Deciding a durable run's approvals from anywhere: another process, an HTTP handler, a later day.

A run waiting for approvals publishes the calls (``agentkit.ApprovalRequest``) in its workflow event
``agentkit.approvals``; a decision (``True``, ``False`` or ``Denied(reason)``, as for deferred approvals) is
a DBOS message to the run, on the call's topic. Both go through the database, so the decider needs only
the database: in a process that does not run DBOS (a web handler) this uses a ``DBOSClient``, which never
picks up anyone's runs. The run may be waiting, not started yet, or restarting: the message waits for it.
"""

from __future__ import annotations

from functools import partial

import anyio.to_thread
from dbos import DBOS, DBOSClient

from .._approvals import ApprovalRequest, Decision, Denied
from .._errors import UserError
from . import _engine
from ._hook import APPROVALS_EVENT, approval_topic


async def pending_approvals(
    workflow_id: str, *, database_url: str | None = None, timeout: float = 0.0
) -> list[ApprovalRequest]:
    """The calls of run ``workflow_id`` waiting for a decision (waiting up to ``timeout`` seconds for the
    run to publish any); empty when none waits."""
    client = _engine.client(database_url)
    get = DBOS.get_event if client is None else client.get_event
    items = await anyio.to_thread.run_sync(partial(get, workflow_id, APPROVALS_EVENT, timeout))
    return [ApprovalRequest(**item) for item in items or ()]


async def send_approval(
    workflow_id: str, tool_call_id: str, decision: Decision, *, database_url: str | None = None
) -> None:
    """Decide tool call ``tool_call_id`` of run ``workflow_id``: ``True`` runs it, ``False`` or
    ``Denied("reason")`` refuses it (the model reads the reason). The run goes on when it receives it."""
    client = _engine.client(database_url)
    send = DBOS.send if client is None else client.send
    reason = decision.reason if isinstance(decision, Denied) else ""
    message = {"approved": decision is True, "reason": reason}
    await anyio.to_thread.run_sync(partial(_check_waits, client, workflow_id, tool_call_id))
    await anyio.to_thread.run_sync(partial(send, workflow_id, message, approval_topic(tool_call_id)))


def _check_waits(client: DBOSClient | None, workflow_id: str, tool_call_id: str) -> None:
    """Refuse a decision nothing will read (no such run, a finished one, or one waiting for other calls):
    it was silently lost, and the call it was meant for waited until ``approval_timeout``, refused."""
    runs = (DBOS.list_workflows if client is None else client.list_workflows)(
        workflow_ids=[workflow_id], load_input=False, load_output=False)
    if not runs:
        raise UserError(f"no durable run has the id {workflow_id!r}: check it (and the database_url)")
    if runs[0].status not in ("PENDING", "ENQUEUED", "DELAYED"):
        raise UserError(f"run {workflow_id!r} has finished ({runs[0].status}): no call of it waits for a "
                        "decision")
    waiting = (DBOS.get_event if client is None else client.get_event)(workflow_id, APPROVALS_EVENT, 0)
    ids = [item["tool_call_id"] for item in waiting or ()]
    if ids and tool_call_id not in ids:
        raise UserError(f"call {tool_call_id!r} of run {workflow_id!r} waits for no decision: the calls "
                        f"waiting are {', '.join(map(repr, ids))} (see pending_approvals)")

"""Deciding a durable run's approvals from anywhere: another process, an HTTP handler, a later day.

A run waiting for approvals publishes the calls in its workflow event ``agentkit.approvals``; a decision is a
DBOS message to the run, on the call's topic. Both go through the database, so the decider needs only
the database: in a process that does not run DBOS (a web handler) this uses a ``DBOSClient``, which never
picks up anyone's runs. The run may be waiting, not started yet, or restarting: the message waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio.to_thread
from dbos import DBOS

from . import _engine
from ._hook import APPROVALS_EVENT, approval_topic


@dataclass(frozen=True)
class PendingApproval:
    """A tool call of a durable run, waiting for ``send_approval``."""

    call_id: str
    tool: str
    arguments: Any
    """As the model gave them, validated."""


async def pending_approvals(
    workflow_id: str, *, database_url: str | None = None, timeout: float = 0.0
) -> list[PendingApproval]:
    """The calls of run ``workflow_id`` waiting for a decision (waiting up to ``timeout`` seconds for the
    run to publish any); empty when none waits."""
    client = _engine.client(database_url)
    get = DBOS.get_event if client is None else client.get_event
    items = await anyio.to_thread.run_sync(partial(get, workflow_id, APPROVALS_EVENT, timeout))
    return [PendingApproval(**item) for item in items or ()]


async def send_approval(
    workflow_id: str, call_id: str, approved: bool, *, database_url: str | None = None
) -> None:
    """Allow (``approved=True``) or refuse tool call ``call_id`` of run ``workflow_id``; the run goes on
    when it receives it. A refused call is answered "not approved" and the model carries on."""
    client = _engine.client(database_url)
    send = DBOS.send if client is None else client.send
    await anyio.to_thread.run_sync(partial(send, workflow_id, approved is True, approval_topic(call_id)))

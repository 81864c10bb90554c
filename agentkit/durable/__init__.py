"""Durable runs and batches on DBOS (the ``durable`` extra): crash-safe, resumable, scaled out.

``DurableAgent(agent, name="support")`` runs an agent as a DBOS workflow in which every model request and
every tool call is a checkpointed step: ``await durable.run(prompt, workflow_id="ticket-42")`` started again
after a crash (in a new process) resumes from its last finished step, so no finished request is paid for
twice and no finished tool call runs twice. ``durable.batch(...)`` (and ``agentkit batch``) answers a file
of prompts on a DBOS queue, resumable and shared by workers on many machines with PostgreSQL.
``send_approval`` decides, from anywhere, a tool call that waits for approval.

DBOS checkpoints to a local SQLite file unless told otherwise (``database_url=``, DBOS's
``DBOS_SYSTEM_DATABASE_URL``, or a DBOS configuration of your own, which is then used as it is).
"""

from ._agent import DurableAgent
from ._approvals import pending_approvals, send_approval
from ._batch import BatchReport, read_prompts
from ._engine import shutdown

__all__ = [
    "BatchReport",
    "DurableAgent",
    "pending_approvals",
    "read_prompts",
    "send_approval",
    "shutdown",
]

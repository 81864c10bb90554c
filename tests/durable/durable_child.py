"""A support agent's durable run, in its own process: ``python durable_child.py SCENARIO DIR WORKFLOW_ID``.

DIR holds the DBOS database and ``tools.log``, one line per tool call that really ran. Scenarios:
``crash`` dies (``os._exit``) inside its second tool call the first time, ``crash-once-only`` is the same
with ``write_note`` declared not idempotent, ``crash-priced`` is ``crash`` on deepseek-v4-pro with the
clock off-peak until the crash and at peak after it, ``approval`` refunds an order once someone approves.
The run's result is printed as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import time_machine

from agentkit import Agent, tool
from agentkit.durable import DurableAgent

scenario, folder, workflow_id = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
LOG = folder / "tools.log"


def ran(line: str) -> None:
    with LOG.open("a") as log:
        log.write(line + "\n")


@tool
def look_up(order: str) -> str:
    """Look up an order."""
    ran(f"look_up {order}")
    return f"order {order}: 2 kettles, paid, not shipped"


@tool
def write_note(order: str, text: str) -> str:
    """Write a note on an order."""
    ran(f"write_note {order}")
    crashed = folder / "crashed"
    if not crashed.exists():
        crashed.touch()
        os._exit(17)  # the process dies in the middle of its second tool call
    return f"note saved on {order}"


@tool(requires_approval=True)
def refund(order: str) -> str:
    """Refund an order."""
    ran(f"refund {order}")
    return f"refunded {order}"


if scenario == "crash-priced":  # Monday 17:00 UTC is off-peak, 03:00 is peak (half price off-peak)
    hour = 3 if (folder / "crashed").exists() else 17
    time_machine.travel(datetime(2026, 11, 30, hour, tzinfo=timezone.utc)).start()
model = "deepseek-v4-pro" if scenario == "crash-priced" else "deepseek-chat"
agent = Agent(model=model, tools=[look_up, write_note, refund], instructions="You handle support tickets.")
durable = DurableAgent(
    agent,
    name="support",
    database_url=f"sqlite:///{folder / 'durable.sqlite'}",
    idempotent={"look_up", "refund"} if scenario == "crash-once-only" else True,
)


async def main() -> None:
    await durable.launch()
    print("started", flush=True)  # DBOS runs (its database exists), the run begins or resumes
    result = await durable.run("Ticket 42: look at order A1 and note it.", workflow_id=workflow_id)
    usage = result.usage
    print(json.dumps({"output": result.output, "requests": usage.requests, "tool_calls": usage.tool_calls,
                      "cost": usage.cost, "messages": result.messages}))


asyncio.run(main())

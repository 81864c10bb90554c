"""Scripted automation: triage a folder of support tickets into validated pydantic records, saved as JSON.

    python examples/automation.py [INPUT_DIR] [--out tickets.json]

Without ``--out`` the records are printed as JSON (nothing is written into the repository).

``output_type=Ticket`` makes each run's answer a validated ``Ticket``: with tools present the model gives
it by calling a ``final_result`` tool whose parameters are the ``Ticket`` schema, and an invalid answer is
sent back to the model to fix. The files are processed concurrently, a few at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Literal

from _backend import backend
from pydantic import BaseModel, Field

from agentkit import Agent, tool

HERE = Path(__file__).parent
CUSTOMERS = {
    "maria@example.com": {"plan": "pro", "open_tickets": 0},
    "ops@shipfast.example": {"plan": "enterprise", "open_tickets": 2},
}


class Ticket(BaseModel):
    """One support ticket, triaged."""

    category: Literal["billing", "bug", "feature", "other"]
    urgency: Literal["normal", "low", "urgent"]
    summary: str = Field(description="One sentence: what the customer needs.")


@tool
def lookup_customer(email: str) -> dict[str, object]:
    """Look up a customer by email address: their plan and how many tickets they have open.

    Args:
        email: The sender's email address, from the ticket's From line.
    """
    return CUSTOMERS.get(email.lower(), {"plan": "free", "open_tickets": 0})


agent = Agent(
    model="deepseek-chat",
    tools=[lookup_customer],
    output_type=Ticket,
    instructions="You triage support tickets. Enterprise customers' outages are urgent.",
)


async def triage(path: Path, limit: asyncio.Semaphore) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    subject = next((line[8:].strip() for line in text.splitlines() if line.startswith("Subject:")), path.name)
    async with limit:
        result = await agent.run(
            f'Look up the customer by email, then triage the support ticket "{subject}" and give your '
            f"final answer.\n\n{text}"
        )
    ticket: Ticket = result.output
    return {"file": path.name, **ticket.model_dump()}


async def main() -> None:
    parser = argparse.ArgumentParser(description="Triage support tickets (*.txt) into JSON records.")
    parser.add_argument("input_dir", nargs="?", type=Path, default=HERE / "data" / "tickets")
    parser.add_argument("--out", type=Path, help="write the records here as JSON (default: print them)")
    args = parser.parse_args()

    with backend():
        files = sorted(args.input_dir.glob("*.txt"))
        limit = asyncio.Semaphore(4)
        records = await asyncio.gather(*(triage(path, limit) for path in files))
    for record in records:
        print(f"{record['file']}: {record['category']}, {record['urgency']}: {record['summary']}")
    text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        print(text, end="")
        return
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(records)} tickets to {args.out}")


if __name__ == "__main__":
    asyncio.run(main())

"""A durable run that dies resumes in a new process: finished requests and tool calls are not repeated.

The simulator (in this process) counts the requests; the child logs every tool call that really ran.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from pathlib import Path

import anyio
import pytest

from agentkit import Agent, ChatCompletion, Hook, ModelRequestInfo, ResponseItem, Tool, get_profile, tool
from agentkit._wire import Usage
from agentkit.durable import pending_approvals, send_approval
from agentkit.sim import SIM_API_KEY, Reply, Simulator

from .conftest import CHILD, Child

SCRIPT = (
    Reply(tool_calls=[("look_up", {"order": "A1"})]),
    Reply(tool_calls=[("write_note", {"order": "A1", "text": "customer asked for an update"})]),
    Reply(content="Order A1 is paid and not shipped yet; I noted the ticket."),
)


def tools_ran(folder: Path) -> list[str]:
    return (folder / "tools.log").read_text().splitlines()


def tool_answers(messages: list[dict[str, object]]) -> list[object]:
    return [m["content"] for m in messages if m["role"] == "tool"]


def test_a_run_killed_in_its_second_tool_call_resumes_without_repeating_finished_steps(
    child: Child, sim: Simulator, tmp_path: Path
) -> None:
    sim.script(*SCRIPT)
    died = child("crash", "ticket-42")
    assert died.returncode == 17, died.stderr
    assert len(sim.requests) == 2 and tools_ran(tmp_path) == ["look_up A1", "write_note A1"]

    resumed = child("crash", "ticket-42")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout.splitlines()[-1])
    assert len(sim.requests) == 3  # the two answered requests were not sent again
    assert tools_ran(tmp_path) == ["look_up A1", "write_note A1", "write_note A1"]  # only the one cut short
    assert result["output"] == "Order A1 is paid and not shipped yet; I noted the ticket."
    assert tool_answers(result["messages"]) == ["order A1: 2 kettles, paid, not shipped", "note saved on A1"]

    # The same run without a crash, on a fresh simulator: the resumed run sent the same bytes for the
    # request it made, and its usage and cost count the requests recorded before the crash.
    fresh = Simulator(seed=7)
    fresh.script(*SCRIPT)
    plain = Agent(tools=_child_tools(), instructions="You handle support tickets.", api_key=SIM_API_KEY,
                  base_url="http://sim", http_client=fresh.http_client(), approve=lambda name, args: True)
    expected = plain.run_sync("Ticket 42: look at order A1 and note it.")
    assert sim.requests[2].body == fresh.requests[2].body
    assert result["messages"] == expected.messages
    assert (result["requests"], result["tool_calls"]) == (expected.usage.requests, expected.usage.tool_calls)
    assert result["requests"] == 3 and result["cost"] == pytest.approx(expected.usage.cost)


def test_a_resumed_run_prices_each_recorded_request_when_it_was_made(
    child: Child, sim: Simulator, tmp_path: Path
) -> None:
    """Two requests answered off-peak before the crash, one at peak after it: the resumed run's cost
    prices each when it was made (as DeepSeek billed them), not all at the moment of the resume."""
    sim.script(*SCRIPT)
    assert child("crash-priced", "ticket-43").returncode == 17
    resumed = child("crash-priced", "ticket-43")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout.splitlines()[-1])

    usages: list[Usage] = []

    class Usages(Hook):
        async def wrap_request(
            self, request: ModelRequestInfo, proceed: Callable[[], AsyncIterator[ResponseItem]]
        ) -> AsyncIterator[ResponseItem]:
            async for item in proceed():
                if isinstance(item, ChatCompletion) and item.usage is not None:
                    usages.append(item.usage)
                yield item

    fresh = Simulator(seed=7)
    fresh.script(*SCRIPT)
    plain = Agent(model="deepseek-v4-pro", tools=_child_tools(), instructions="You handle support tickets.",
                  api_key=SIM_API_KEY, base_url="http://sim", http_client=fresh.http_client(),
                  hooks=[Usages()], approve=lambda name, args: True)
    plain.run_sync("Ticket 42: look at order A1 and note it.")
    pricing = get_profile("deepseek-v4-pro").pricing_for("deepseek-v4-pro")
    assert pricing is not None and len(usages) == 3
    off_peak = datetime(2026, 11, 30, 17, tzinfo=timezone.utc)
    peak = datetime(2026, 11, 30, 3, tzinfo=timezone.utc)
    each_when_made = sum(pricing.cost(u, off_peak) for u in usages[:2]) + pricing.cost(usages[2], peak)
    assert result["cost"] == pytest.approx(each_when_made)
    assert each_when_made < sum(pricing.cost(u, peak) for u in usages)  # what pricing at the resume gives


def test_a_tool_that_is_not_idempotent_is_not_run_again_and_the_model_is_told(
    child: Child, sim: Simulator, tmp_path: Path
) -> None:
    sim.script(*SCRIPT)
    assert child("crash-once-only", "ticket-43").returncode == 17
    resumed = child("crash-once-only", "ticket-43")
    assert resumed.returncode == 0, resumed.stderr
    assert tools_ran(tmp_path) == ["look_up A1", "write_note A1"]  # write_note did not run twice
    answers = tool_answers(json.loads(resumed.stdout.splitlines()[-1])["messages"])
    assert answers[1] == (
        "Not run again: this call to 'write_note' was interrupted (the process running it stopped) and "
        "'write_note' is not safe to repeat, so it may or may not have taken effect. Check before retrying."
    )


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # processes: both backends run the in-process tests
async def test_an_approval_waits_through_a_restart_and_is_decided_from_another_process(
    child_env: dict[str, str], sim: Simulator, tmp_path: Path, db: str
) -> None:
    sim.script(Reply(tool_calls=[("refund", {"order": "A1"})]), Reply(content="Order A1 is refunded."))
    command = [sys.executable, str(CHILD), "approval", str(tmp_path), "ticket-44"]
    first = subprocess.Popen(command, env=child_env, stdout=subprocess.PIPE, text=True)
    assert first.stdout is not None and first.stdout.readline() == "started\n"
    waiting = await pending_approvals("ticket-44", database_url=db, timeout=30)
    assert [(w.tool_name, w.arguments) for w in waiting] == [("refund", {"order": "A1"})]
    first.kill()  # the process waiting for the decision dies
    first.wait()

    second = subprocess.Popen(command, env=child_env, stdout=subprocess.PIPE, text=True)
    assert second.stdout is not None and second.stdout.readline() == "started\n"
    assert await pending_approvals("ticket-44", database_url=db) == waiting  # still waiting, restarted
    await send_approval("ticket-44", waiting[0].tool_call_id, True, database_url=db)  # e.g. an HTTP handler
    out, _ = await anyio.to_thread.run_sync(second.communicate, None, 60)
    assert second.returncode == 0
    result = json.loads(out.splitlines()[-1])
    assert result["output"] == "Order A1 is refunded."
    assert tools_ran(tmp_path) == ["refund A1"] and len(sim.requests) == 2
    assert await pending_approvals("ticket-44", database_url=db) == []


def _child_tools() -> list[Tool]:
    """The child's tools without their side effects: same names, schemas and results."""
    @tool
    def look_up(order: str) -> str:
        """Look up an order."""
        return f"order {order}: 2 kettles, paid, not shipped"

    @tool
    def write_note(order: str, text: str) -> str:
        """Write a note on an order."""
        return f"note saved on {order}"

    @tool(requires_approval=True)
    def refund(order: str) -> str:
        """Refund an order."""
        return f"refunded {order}"

    return [look_up, write_note, refund]

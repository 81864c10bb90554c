"""DurableAgent in process, on asyncio and trio: recorded results, recorded errors, approvals, batches."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentkit import Agent, ApprovalRequiredError, Denied, MaxTurnsExceeded, Tool, UserError, tool
from agentkit.durable import DurableAgent, pending_approvals, send_approval
from agentkit.mcp import MCPServer
from agentkit.sim import SIM_API_KEY, Reply, Simulator

pytestmark = pytest.mark.anyio

ADDED: list[tuple[int, int]] = []


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    ADDED.append((a, b))
    return a + b


@pytest.fixture(autouse=True)
def _fresh_log() -> None:
    ADDED.clear()


def make_agent(url: str, *tools: Any, **options: Any) -> Agent[Any, Any]:
    return Agent(tools=list(tools), api_key=SIM_API_KEY, base_url=url, **options)


async def test_a_finished_run_id_returns_the_recorded_result_without_asking_again(
    sim: Simulator, sim_url: str, db: str
) -> None:
    sim.script(Reply(tool_calls=[("add", {"a": 1, "b": 2}), ("add", {"a": 3, "b": 4})]),
               Reply(content="3 and 7"))
    durable = DurableAgent(make_agent(sim_url, add), name="adder", database_url=db)
    first = await durable.run("Add 1+2 and 3+4.", workflow_id="sum-1")
    again = await durable.run("Add 1+2 and 3+4.", workflow_id="sum-1")
    assert first.output == again.output == "3 and 7"
    assert again.messages == first.messages and again.usage == first.usage
    assert first.usage.requests == 2 and first.usage.tool_calls == 2
    assert sorted(ADDED) == [(1, 2), (3, 4)] and len(sim.requests) == 2  # the two calls ran concurrently


async def test_an_error_is_recorded_and_the_same_id_raises_it_again(
    sim: Simulator, sim_url: str, db: str
) -> None:
    sim.script(Reply(tool_calls=[("add", {"a": 1, "b": 2})]))
    durable = DurableAgent(make_agent(sim_url, add, max_turns=1), name="short", database_url=db)
    with pytest.raises(MaxTurnsExceeded) as first:
        await durable.run("Add 1+2.", workflow_id="err-1")
    with pytest.raises(MaxTurnsExceeded) as again:
        await durable.run("Add 1+2.", workflow_id="err-1")
    assert str(again.value) == str(first.value) == (
        "the run reached max_turns=1 model requests without a final answer"
    )
    assert again.value.usage.requests == 1 and again.value.messages == first.value.messages
    assert len(sim.requests) == 1 and ADDED == [(1, 2)]


async def test_a_call_waits_for_a_decision_and_a_refusal_is_told_to_the_model(
    sim: Simulator, sim_url: str, db: str
) -> None:
    refunded: list[str] = []

    @tool(requires_approval=True)
    def refund(order: str) -> str:
        """Refund an order."""
        refunded.append(order)
        return "refunded"

    sim.script(Reply(tool_calls=[("refund", {"order": "A1"}), ("add", {"a": 2, "b": 2})]),
               Reply(content="I may not refund A1."))
    durable = DurableAgent(make_agent(sim_url, refund, add), name="refunds", database_url=db)
    await durable.launch()
    results = []

    async def run() -> None:
        results.append(await durable.run("Refund order A1 and add 2+2.", workflow_id="refund-1"))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        waiting = await pending_approvals("refund-1", timeout=30)
        assert [(w.tool_name, w.arguments) for w in waiting] == [("refund", {"order": "A1"})]
        assert ADDED == [(2, 2)]  # the other call did not wait
        await send_approval("refund-1", waiting[0].tool_call_id, Denied("over the limit"))
    assert results[0].output == "I may not refund A1." and refunded == []
    tool_messages = [m["content"] for m in results[0].messages if m["role"] == "tool"]
    assert tool_messages == [
        "The user did not approve this call to 'refund'; it was not run. Reason: over the limit", "4"
    ]
    assert await pending_approvals("refund-1") == []


class Refunds:
    """A tool source (tools listed at run time) with one tool that requires approval."""

    def __init__(self, refunded: list[str]) -> None:
        @tool(requires_approval=True)
        def refund(order: str) -> str:
            """Refund an order."""
            refunded.append(order)
            return "refunded"

        self.tools = [refund]

    async def __aenter__(self) -> Refunds:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def list_tools(self) -> list[Tool[..., Any]]:
        return self.tools


async def test_a_deferring_agent_waits_durably_for_a_tool_source_tool(
    sim: Simulator, sim_url: str, db: str
) -> None:
    """approve="defer" and a tool from a tool source: the durable run waits for send_approval all the same."""
    refunded: list[str] = []
    sim.script(Reply(tool_calls=[("refund", {"order": "B2"})]), Reply(content="Refunded B2."))
    agent = Agent(tools=[Refunds(refunded)], approve="defer", api_key=SIM_API_KEY, base_url=sim_url)
    durable = DurableAgent(agent, name="deferred", database_url=db)
    await durable.launch()
    results = []

    async def run() -> None:
        results.append(await durable.run("Refund order B2.", workflow_id="refund-2"))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        waiting = await pending_approvals("refund-2", timeout=30)
        assert [(w.tool_name, w.arguments) for w in waiting] == [("refund", {"order": "B2"})]
        await send_approval("refund-2", waiting[0].tool_call_id, True)
    assert results[0].output == "Refunded B2." and refunded == ["B2"]
    assert results[0].pending_approvals == []


async def test_a_tool_calls_sampling_request_is_part_of_its_step(
    sim: Simulator, sim_url: str, db: str
) -> None:
    """An MCP server asks the run's model during a durable tool call, while another call of the same
    response waits for its approval: the request is asked once, recorded with its call, and the waiting
    call stays listed until it is decided."""
    refunded: list[str] = []
    sim.script(Reply(tool_calls=[("refund", {"order": "C3"}), ("haiku", {"topic": "snow"})]),
               Reply(content="white silence"), Reply(content="Done."))
    script = Path(__file__).parent / "sampling_server.py"
    server = MCPServer.stdio(sys.executable, [str(script)], sampling=True)
    durable = DurableAgent(make_agent(sim_url, Refunds(refunded), server), name="sampler", database_url=db)
    await durable.launch()
    results = []

    async def run() -> None:
        results.append(await durable.run("Refund C3 and write a haiku about snow.", workflow_id="haiku-1"))

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        with anyio.fail_after(30):
            while len(sim.requests) < 2:  # the haiku's sampling request
                await anyio.sleep(0.02)
        await anyio.sleep(0.2)  # the haiku call ends meanwhile
        waiting = await pending_approvals("haiku-1", timeout=30)
        assert [(w.tool_name, w.arguments) for w in waiting] == [("refund", {"order": "C3"})]
        await send_approval("haiku-1", waiting[0].tool_call_id, True)
    again = await durable.run("Refund C3 and write a haiku about snow.", workflow_id="haiku-1")
    for result in (results[0], again):
        assert [m["content"] for m in result.messages if m["role"] == "tool"] == [
            "refunded", "deepseek-v4-flash wrote: white silence"
        ]
        assert result.output == "Done." and result.usage.requests == 3
    assert len(sim.requests) == 3 and refunded == ["C3"]


async def test_a_sub_agent_of_a_durable_run_still_needs_its_own_approve(
    sim: Simulator, sim_url: str, db: str
) -> None:
    """The durable hook decides the approvals of its own run only: a sub-agent with an approval tool
    and no approve callback is refused before it asks the model (a configuration error, which ends the
    run), as outside a durable run."""

    @tool(requires_approval=True)
    def wipe(disk: str) -> str:
        """Wipe a disk."""
        return "wiped"

    child = Agent(name="child", tools=[wipe], api_key=SIM_API_KEY, base_url=sim_url)
    parent = Agent(name="parent", tools=[child.as_tool()], api_key=SIM_API_KEY, base_url=sim_url)
    sim.script(Reply(tool_calls=[("child", {"task": "wipe sda"})]))
    durable = DurableAgent(parent, name="parent", database_url=db)
    with pytest.raises(ApprovalRequiredError, match=r"tools \['wipe'\] require approval"):
        await durable.run("Wipe sda.", workflow_id="wipe-1")
    assert len(sim.requests) == 1  # the sub-agent asked nothing


def answer_by_question(request: dict[str, Any]) -> Reply:
    """Question 2 asks for a tool (the run then fails at max_turns=1); the others are answered."""
    question = request["messages"][-1]["content"]
    if question == "Question 2":
        return Reply(tool_calls=[("add", {"a": 2, "b": 2})])
    return Reply(content=f"Answer to {question}")


async def test_a_batch_answers_each_prompt_once_and_a_rerun_retries_only_failures(
    sim: Simulator, sim_url: str, db: str, tmp_path: Path
) -> None:
    output = tmp_path / "answers.jsonl"
    prompts = [{"id": f"q{i}", "prompt": f"Question {i}"} for i in range(4)]
    sim.script(*[answer_by_question] * 4)
    durable = DurableAgent(make_agent(sim_url, add, max_turns=1), name="batcher", database_url=db)
    report = await durable.batch(prompts, output=output, concurrency=2, progress=False)
    assert (report.total, report.earlier, report.done, report.failed) == (4, 0, 3, 1)
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert sorted((line["id"], line.get("output", line.get("error"))) for line in lines) == [
        ("q0", "Answer to Question 0"),
        ("q1", "Answer to Question 1"),
        ("q2", "MaxTurnsExceeded: the run reached max_turns=1 model requests without a final answer"),
        ("q3", "Answer to Question 3"),
    ]
    assert all(line["usage"]["requests"] == 1 for line in lines)
    assert report.cost == pytest.approx(sum(line["usage"]["cost"] for line in lines)) and report.cost > 0

    sim.script(Reply(content="Four."))  # the failed prompt gets a new attempt; the rest are skipped
    report = await durable.batch(prompts, output=output, concurrency=2, progress=False)
    assert (report.earlier, report.done, report.failed) == (3, 1, 0)
    assert json.loads(output.read_text().splitlines()[-1])["output"] == "Four."
    report = await durable.batch(prompts, output=output, progress=False)
    assert (report.earlier, report.done) == (4, 0) and len(sim.requests) == 5


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_durable_agent_is_refused_once_dbos_runs_and_for_another_database(
    sim_url: str, db: str, tmp_path: Path
) -> None:
    durable = DurableAgent(make_agent(sim_url), name="first", database_url=db)
    await durable.launch()
    with pytest.raises(UserError, match="create every DurableAgent before the first durable run"):
        DurableAgent(make_agent(sim_url), name="late")
    with pytest.raises(UserError, match="must be 1-64 letters"):
        DurableAgent(make_agent(sim_url), name="a name with spaces")
    elsewhere = DurableAgent.__new__(DurableAgent)
    elsewhere.database_url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    with pytest.raises(UserError, match="one process uses one database"):
        await elsewhere.launch()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_without_configuration_runs_go_to_a_local_sqlite_file(
    sim: Simulator, sim_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    sim.script(Reply(content="Hello."))
    durable = DurableAgent(make_agent(sim_url), name="local")
    assert (await durable.run("Hi", workflow_id="hi")).output == "Hello."
    assert (tmp_path / ".agentkit" / "durable.sqlite").is_file()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_dbos_configured_by_the_program_is_used_as_it_is(
    sim: Simulator, sim_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbos import DBOS

    monkeypatch.setenv("HOME", str(tmp_path))
    DBOS(config={"name": "my-app", "system_database_url": f"sqlite:///{tmp_path / 'mine.sqlite'}"})
    sim.script(Reply(content="Hello."))
    durable = DurableAgent(make_agent(sim_url), name="theirs")
    assert (await durable.run("Hi", workflow_id="hi")).output == "Hello."
    assert [s.workflow_id for s in await DBOS.list_workflows_async()] == ["hi"]
    assert (tmp_path / "mine.sqlite").is_file() and not (tmp_path / ".agentkit").exists()


def test_import_agentkit_imports_no_dbos() -> None:
    code = "import agentkit, sys; agentkit.Agent; agentkit.tool; assert 'dbos' not in sys.modules, 'dbos'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


async def test_options_that_cannot_be_stored_with_the_run_are_named_before_it_starts(
    sim: Simulator, sim_url: str, db: str
) -> None:
    import threading

    durable = DurableAgent(make_agent(sim_url), name="stored", database_url=db)
    with pytest.raises(UserError) as caught:
        await durable.run("Hello.", workflow_id="unstored", deps={"lock": threading.Lock()})
    assert str(caught.value) == (
        "deps of a durable run must pickle, as it is stored with the run (cannot pickle '_thread.lock' "
        "object): pass plain data and make what cannot be stored (a client, a connection, a lock) in the "
        "tools or globally"
    )
    assert sim.requests == []
    assert (await durable.run("Hello.", workflow_id="stored", deps={"n": 1})).output


async def test_a_run_id_reused_for_another_prompt_is_refused_rather_than_answered_with_the_first(
    sim: Simulator, sim_url: str, db: str
) -> None:
    durable = DurableAgent(make_agent(sim_url), name="tickets", database_url=db)
    first = await durable.run("Where is order A1?", workflow_id="ticket-42")
    with pytest.raises(UserError) as caught:
        await durable.run("And order B7?", workflow_id="ticket-42")
    assert str(caught.value) == (
        "workflow_id 'ticket-42' is a run of another prompt, and that id returns its recorded result: give "
        "each run its own id (e.g. with a counter: 'ticket-42/2')"
    )
    assert (await durable.run("Where is order A1?", workflow_id="ticket-42")).output == first.output
    assert "B7" in (await durable.run("And order B7?", workflow_id="ticket-42/2")).output
    assert len(sim.requests) == 2


async def test_a_decision_nothing_will_read_is_refused_rather_than_lost(
    sim: Simulator, sim_url: str, db: str
) -> None:
    @tool(requires_approval=True)
    def refund(order: str) -> str:
        """Refund an order."""
        return "refunded"

    sim.script(Reply(tool_calls=[("refund", {"order": "A1"})]), Reply(content="Refunded A1."))
    durable = DurableAgent(make_agent(sim_url, refund), name="decided", database_url=db)
    await durable.launch()
    async with anyio.create_task_group() as group:
        group.start_soon(partial(durable.run, "Refund order A1.", workflow_id="refund-3"))
        waiting = await pending_approvals("refund-3", timeout=30)
        with pytest.raises(UserError) as wrong_call:
            await send_approval("refund-3", "call_typo", True)
        assert str(wrong_call.value) == (
            f"call 'call_typo' of run 'refund-3' waits for no decision: the calls waiting are "
            f"{waiting[0].tool_call_id!r} (see pending_approvals)"
        )
        await send_approval("refund-3", waiting[0].tool_call_id, True)
    with pytest.raises(UserError) as finished:
        await send_approval("refund-3", waiting[0].tool_call_id, True)
    assert str(finished.value) == "run 'refund-3' has finished (SUCCESS): no call of it waits for a decision"
    with pytest.raises(UserError) as unknown:
        await send_approval("refund-33", waiting[0].tool_call_id, True)
    assert str(unknown.value) == "no durable run has the id 'refund-33': check it (and the database_url)"

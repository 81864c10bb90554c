"""Streaming structured output: ``run_stream`` yields ``PartialOutput`` events, each a validated
``output_type`` instance built from the JSON received so far, and the final output as before."""

from __future__ import annotations

import json
from typing import Any, Literal

import anyio
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pydantic import BaseModel

from agentkit import PartialOutput, RunDone, tool
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory


class Tea(BaseModel):
    name: str = ""
    origin: str = ""
    caffeine_mg: float = 0
    kind: Literal["green", "black", "oolong", "white"] = "green"
    notes: list[str] = []


class Strict(BaseModel):
    name: str
    year: int


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


async def stream(agent: Any, prompt: str = "Tell me about a tea.") -> tuple[list[Any], Any]:
    events = [event async for event in agent.run_stream(prompt)]
    done = events[-1]
    assert isinstance(done, RunDone)
    return [e.output for e in events if isinstance(e, PartialOutput)], done.result.output


def assert_consistent(partial: Tea, final: Tea) -> None:
    """Every value a partial shows is the final one, or (a string being written) the start of it."""
    assert isinstance(partial, Tea)
    default = Tea()
    for field in ("name", "origin"):
        assert getattr(final, field).startswith(getattr(partial, field))
    assert partial.caffeine_mg in (default.caffeine_mg, final.caffeine_mg)
    assert partial.kind in (default.kind, final.kind)
    if partial.notes:
        assert partial.notes[:-1] == final.notes[: len(partial.notes) - 1]
        assert final.notes[len(partial.notes) - 1].startswith(partial.notes[-1])


FINAL = Tea(name="Tieguanyin", origin="Anxi, Fujian", caffeine_mg=37.5, kind="oolong",
            notes=["orchid aroma", "long finish"])


@pytest.mark.anyio
async def test_partials_in_json_mode(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(content=FINAL.model_dump_json()))
    partials, final = await stream(make_agent(output_type=Tea))
    assert final == FINAL
    assert len(partials) > 10 and partials[-1] == FINAL
    for partial in partials:
        assert_consistent(partial, final)
    assert len({p.model_dump_json() for p in partials}) == len(partials)  # each one new
    assert [p.origin for p in partials if 0 < len(p.origin) < len(FINAL.origin)] == ["Anxi", "Anxi,"]


@pytest.mark.anyio
async def test_partials_from_the_output_tool(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(
        Reply(tool_calls=[("lookup", {"key": "tea"})]),
        Reply(tool_calls=[("final_result", FINAL.model_dump())]),
    )
    partials, final = await stream(make_agent(output_type=Tea, tools=[lookup]))
    assert final == FINAL and partials[-1] == FINAL
    for partial in partials:
        assert_consistent(partial, final)


@pytest.mark.anyio
async def test_required_fields_hold_partials_back_until_they_arrive(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(Reply(content=json.dumps({"name": "Hangzhou West Lake", "year": 2011})))
    partials, final = await stream(make_agent(output_type=Strict))
    assert final == Strict(name="Hangzhou West Lake", year=2011)
    assert partials == [final]  # the number is never shown before it is complete


@pytest.mark.anyio
async def test_a_list_output_streams_item_by_item(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(content=json.dumps({"result": [10, 200, 3000]})))
    partials, final = await stream(make_agent(output_type=list[int]))
    assert final == [10, 200, 3000]
    assert partials == [[], [10], [10, 200], [10, 200, 3000]]


@pytest.mark.anyio
async def test_run_without_streaming_has_no_partials(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(content=FINAL.model_dump_json()))
    assert (await make_agent(output_type=Tea).run("tea")).output == FINAL


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
teas = st.builds(
    Tea,
    name=text,
    origin=text,
    caffeine_mg=st.floats(-1e6, 1e6, allow_nan=False) | st.integers(-(10**9), 10**9).map(float),
    kind=st.sampled_from(["green", "black", "oolong", "white"]),
    notes=st.lists(text, max_size=4),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tea=teas, indent=st.sampled_from([None, 2]))
def test_no_partial_ever_shows_a_value_the_answer_does_not_have(
    tea: Tea, indent: int | None, make_agent: AgentFactory, sim: Simulator, anyio_backend: str
) -> None:
    sim.script(Reply(content=json.dumps(tea.model_dump(), indent=indent, ensure_ascii=False)))
    partials, final = anyio.run(stream, make_agent(output_type=Tea), backend=anyio_backend)
    assert final == tea
    for partial in partials:
        assert_consistent(partial, final)

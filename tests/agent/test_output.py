"""Structured output (output tool with tools, JSON mode without) and length continuation."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from agentkit import OutputValidationError, ToolArgumentError, tool
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory, assert_every_call_answered


class Weather(BaseModel):
    city: str
    temp: int


class Point(TypedDict):
    x: int
    y: int


@tool
def get_temp(city: str) -> int:
    """Temperature of a city."""
    return 21


@pytest.mark.anyio
async def test_output_tool_with_tools_and_a_retry(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(
        Reply(tool_calls=[("get_temp", {"city": "Paris"})]),
        Reply(tool_calls=[("final_result", {"city": "Paris", "temp": "warm"})]),
        Reply(tool_calls=[("final_result", {"city": "Paris", "temp": 21})]),
    )
    result = await make_agent(tools=[get_temp], output_type=Weather).run("Weather in Paris?")
    assert result.output == Weather(city="Paris", temp=21)
    body = sim.requests[0].json
    assert body is not None and "response_format" not in body
    assert [t["function"]["name"] for t in body["tools"]] == ["get_temp", "final_result"]
    assert body["tools"][1]["function"]["parameters"]["required"] == ["city", "temp"]
    answers = [m["content"] for m in result.messages if m["role"] == "tool"]
    assert answers[0] == "21"
    assert answers[1].startswith("The answer does not match the required schema:\n- temp:")
    assert answers[2] == "Final answer received."
    assert_every_call_answered(result.messages)


@pytest.mark.anyio
async def test_json_mode_without_tools(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(content="Sure! It is warm."), Reply(content='```json\n{"x": 1, "y": 2}\n```'))
    result = await make_agent(output_type=Point, instructions="Find the point.").run("Where?")
    assert result.output == {"x": 1, "y": 2}
    body = sim.requests[0].json
    assert body is not None and body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]["content"]
    assert system.startswith("Find the point.\n\nAnswer with a single JSON object")
    assert json.loads(system.split("\n")[-1])["required"] == ["x", "y"]
    retry = result.messages[3]
    assert retry["role"] == "user" and "not valid JSON" in retry["content"]


@pytest.mark.anyio
async def test_non_object_output_is_wrapped(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(content='{"result": [3, 1, 2]}'))
    result = await make_agent(output_type=list[int]).run("Numbers?")
    assert result.output == [3, 1, 2]


@pytest.mark.anyio
async def test_output_retries_run_out(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(*[Reply(content='{"x": "a"}')] * 2)
    with pytest.raises(OutputValidationError, match="failed validation 2 times") as caught:
        await make_agent(output_type=Point, output_retries=1).run("Where?")
    # Only what was sent or answered: the last invalid answer, not a correction that was never sent.
    assert [m["role"] for m in caught.value.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert caught.value.usage.requests == 2
    assert caught.value.usage.total_tokens > 0


@pytest.mark.anyio
async def test_final_result_wins_over_other_calls(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(
        Reply(tool_calls=[("get_temp", {"city": "Oslo"}), ("final_result", {"city": "Oslo", "temp": 3})])
    )
    result = await make_agent(tools=[get_temp], output_type=Weather).run("Oslo?")
    assert result.output == Weather(city="Oslo", temp=3)
    answers = [m["content"] for m in result.messages if m["role"] == "tool"]
    assert answers == ["Not run: the final answer was given in the same response.", "Final answer received."]


@pytest.mark.anyio
async def test_length_continuation_with_prefix_completion(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(
        Reply(content="The first half, ", reasoning="Thinking.", finish_reason="length"),
        Reply(content="and the second half.", reasoning=""),
    )
    result = await make_agent(length_continuations=2).run("Write it.")
    assert result.output == "The first half, and the second half."
    assert result.messages[-1] == {
        "role": "assistant",
        "content": "The first half, and the second half.",
        "reasoning_content": "Thinking.",
    }
    assert [r.path for r in sim.requests] == ["/chat/completions", "/beta/chat/completions"]
    last = sim.requests[1].json
    assert last is not None
    assert last["messages"][-1] == {"role": "assistant", "content": "The first half, ", "prefix": True}
    assert result.usage.requests == 2


@pytest.mark.anyio
async def test_length_without_continuations_returns_the_cut_answer(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    sim.script(Reply(content="The first half, ", finish_reason="length"))
    result = await make_agent().run("Write it.")
    assert result.output == "The first half, "


@tool(strict=True)
def get_temp_strict(city: str) -> int:
    """Temperature of a city."""
    return 21


@pytest.mark.anyio
async def test_output_tool_is_strict_when_the_tools_are(sim: Simulator, make_agent: AgentFactory) -> None:
    # DeepSeek's strict mode (on /beta) needs every tool of a request strict, the output tool included.
    sim.script(Reply(tool_calls=[("final_result", {"city": "Paris", "temp": 21})]))
    result = await make_agent(tools=[get_temp_strict], output_type=Weather).run("Weather in Paris?")
    assert result.output == Weather(city="Paris", temp=21)
    sent = sim.requests[0]
    assert sent.path.endswith("/beta/chat/completions")
    assert sent.json is not None
    functions = [t["function"] for t in sent.json["tools"]]
    assert [f.get("strict") for f in functions] == [True, True]
    assert functions[1]["parameters"]["additionalProperties"] is False


class Trip(BaseModel):
    stops: list[Weather]


@pytest.mark.anyio
async def test_invalid_answers_and_invalid_arguments_are_described_alike(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    """One formatter: the same mistake reads the same whether it is in a final answer or a tool call."""
    bad = {"stops": [{"city": "Oslo", "temp": "cold"}, {"city": "Rome"}]}

    @tool
    def plan(stops: list[Weather]) -> str:
        """Plan a trip."""
        return "ok"

    with pytest.raises(ToolArgumentError) as tool_error:
        plan.parse_arguments(json.dumps(bad))
    sim.script(Reply(content=json.dumps(bad)))
    with pytest.raises(OutputValidationError) as output_error:
        await make_agent(output_type=Trip, output_retries=0).run("Plan")
    expected = [
        '- stops[0].temp: Input should be a valid integer, unable to parse string as an integer; got "cold"',
        "- stops[1].temp: required, but missing",
    ]
    assert [line for line in str(tool_error.value).splitlines() if line.startswith("- ")] == expected
    assert [line for line in str(output_error.value).splitlines() if line.startswith("- ")] == expected

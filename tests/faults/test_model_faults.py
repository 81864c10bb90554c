"""Faults in what the model says (bad tool arguments, unknown tools, duplicate call ids, interrupted or
empty answers) and errors that must not be retried (401, 402, 422), end to end over loopback."""

from __future__ import annotations

from typing import Any

import pytest
from fault_rig import Canned, Rig
from pydantic import BaseModel

from agentkit._errors import (
    APIError,
    AuthenticationError,
    InsufficientBalanceError,
    InvalidParametersError,
    OutputValidationError,
)
from agentkit._tool import tool
from agentkit.sim import Reply

pytestmark = pytest.mark.anyio

ran: list[str] = []


@tool
def lookup(city: str) -> str:
    """Look up the weather of a city."""
    ran.append(city)
    return f"{city}: 21 C, sunny"


ANSWER = "Paris is sunny at 21 C and Rome is sunny at 21 C, according to the weather tool."


def tool_answers(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "tool"]


async def weather_run(rig: Rig, stream: bool, first: Reply) -> list[dict[str, Any]]:
    """The model's first response is ``first``; it then calls the tool properly, then answers."""
    ran.clear()
    rig.sim.script(
        first,
        Reply(tool_calls=[("lookup", {"city": "Paris"}), ("lookup", {"city": "Rome"})]),
        Reply(content=ANSWER),
    )
    outcome = await rig.run(rig.agent(tools=[lookup]), "Weather in Paris and Rome?", stream=stream)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.output == ANSWER
    await rig.check(outcome, tools=[lookup])
    return outcome.messages


PARIS_ROME = [("lookup", {"city": "Paris"}), ("lookup", {"city": "Rome"})]


async def test_invalid_json_arguments_are_answered_and_not_run(rig: Rig, stream: bool) -> None:
    rig.gate.fault_at[0] = "invalid-args"
    messages = await weather_run(rig, stream, Reply(tool_calls=PARIS_ROME))
    first, second = tool_answers(messages)[:2]
    assert "not valid JSON" in first and "not valid JSON" in second
    assert sorted(ran) == ["Paris", "Rome"]  # only the second, valid response ran the tool


async def test_truncated_arguments_are_answered_and_not_run(rig: Rig, stream: bool) -> None:
    rig.gate.fault_at[0] = "truncated-args"
    messages = await weather_run(rig, stream, Reply(tool_calls=PARIS_ROME))
    assert "cut off" in tool_answers(messages)[1]
    assert sorted(ran) == ["Paris", "Paris", "Rome"]


async def test_unknown_tool_names_are_answered(rig: Rig, stream: bool) -> None:
    first = Reply(tool_calls=[("forecast", {"city": "Paris"}), ("lookup", {"city": "Paris"}), ("", {})])
    messages = await weather_run(rig, stream, first)
    answers = tool_answers(messages)
    assert "there is no tool named 'forecast'" in answers[0] and "Available tools: lookup" in answers[0]
    assert answers[1] == "Paris: 21 C, sunny"
    assert "there is no tool named ''" in answers[2]


async def test_duplicate_tool_call_ids_are_each_answered_once(rig: Rig, stream: bool) -> None:
    rig.gate.same_ids_at.add(0)
    messages = await weather_run(rig, stream, Reply(tool_calls=PARIS_ROME))
    ids = [call["id"] for call in messages[1]["tool_calls"]]
    assert len(ids) == 2 and ids[0] == ids[1]
    assert tool_answers(messages)[:2] == ["Paris: 21 C, sunny", "Rome: 21 C, sunny"]
    assert sorted(ran) == ["Paris", "Paris", "Rome", "Rome"]


def paris_rome_model(request: dict[str, Any]) -> Reply:
    """Calls the tool for the question, answers once it did: the same reply for a retried request."""
    if request["messages"][-1]["role"] == "user":
        return Reply(tool_calls=PARIS_ROME)
    return Reply(content=ANSWER)


@pytest.mark.parametrize("at", [0, 1], ids=["in-the-tool-call-response", "in-the-answer"])
async def test_insufficient_system_resource_is_not_a_final_answer(rig: Rig, stream: bool, at: int) -> None:
    """The cut-off response is retried (InferenceInterruptedError is transient), never kept as an answer."""
    ran.clear()
    rig.sim.script(*[paris_rome_model] * 5)
    rig.gate.fault_at[at] = "insufficient-system-resource"
    outcome = await rig.run(rig.agent(tools=[lookup]), "Weather in Paris and Rome?", stream=stream)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.output == ANSWER
    assert [m["role"] for m in outcome.messages] == ["user", "assistant", "tool", "tool", "assistant"]
    assert sorted(ran) == ["Paris", "Rome"]
    assert rig.gate.count == 3 and len(rig.delays) == 1
    await rig.check(outcome, tools=[lookup])


class Weather(BaseModel):
    city: str
    celsius: int


WEATHER_JSON = '{"city": "Paris", "celsius": 21}'


async def test_empty_content_in_json_mode_is_sent_back_and_retried(rig: Rig, stream: bool) -> None:
    rig.sim.script(Reply(content=""), Reply(content="   "), Reply(content=WEATHER_JSON))
    agent = rig.agent(output_type=Weather, output_retries=2)
    outcome = await rig.run(agent, "Weather in Paris as JSON?", stream=stream)
    assert outcome.output == Weather(city="Paris", celsius=21)
    body = rig.sim.requests[0].json
    assert body is not None and body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in outcome.messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    await rig.check(outcome)


async def test_empty_content_in_json_mode_every_time_is_a_typed_error(rig: Rig, stream: bool) -> None:
    rig.sim.script(*[Reply(content="")] * 3)
    agent = rig.agent(output_type=Weather, output_retries=2)
    outcome = await rig.run(agent, "Weather as JSON?", stream=stream)
    assert isinstance(outcome.error, OutputValidationError)
    assert len(rig.sim.requests) == 3
    await rig.check(outcome)


def error_body(message: str, kind: str = "invalid_request_error") -> bytes:
    return f'{{"error":{{"message":"{message}","type":"{kind}","param":null,"code":"{kind}"}}}}'.encode()


NOT_RETRIED: list[tuple[str, Canned | str, type[APIError]]] = [
    ("401", Canned(401, error_body("Authentication Fails, Your api key is invalid")), AuthenticationError),
    ("402", "402", InsufficientBalanceError),
    ("422", Canned(422, error_body("Failed to deserialize the JSON body")), InvalidParametersError),
]


@pytest.mark.parametrize(("status", "fault", "error"), NOT_RETRIED, ids=[s for s, _, _ in NOT_RETRIED])
@pytest.mark.parametrize("at", [0, 1], ids=["first-request", "after-a-tool-step"])
async def test_client_errors_are_not_retried_and_say_what_to_do(
    rig: Rig, stream: bool, status: str, fault: Canned | str, error: type[APIError], at: int
) -> None:
    ran.clear()
    rig.sim.script(Reply(tool_calls=PARIS_ROME), Reply(content=ANSWER))
    if isinstance(fault, str):
        rig.gate.fault_at[at] = fault
    else:
        rig.gate.canned_at[at] = fault
    outcome = await rig.run(rig.agent(tools=[lookup]), "Weather in Paris and Rome?", stream=stream)
    assert type(outcome.error) is error
    assert str(outcome.error).startswith(status) and error.remedy in str(outcome.error)
    assert rig.gate.count == at + 1 and rig.delays == []
    assert len(outcome.messages) == 1 + 3 * at
    await rig.check(outcome, tools=[lookup])


async def test_a_wrong_key_is_not_retried(rig: Rig, stream: bool) -> None:
    agent = rig.agent(tools=[lookup], client=rig.client(api_key="sk-not-a-key"))
    outcome = await rig.run(agent, "Weather in Paris?", stream=stream)
    assert isinstance(outcome.error, AuthenticationError)
    assert "check DEEPSEEK_API_KEY" in str(outcome.error)
    assert rig.gate.count == 1
    await rig.check(outcome, tools=[lookup])

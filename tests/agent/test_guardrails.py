"""Input and output guardrails: they check the prompt before the first request and the answer before it
is returned, and stop the run (``GuardrailTripped``) or send the answer back (``ModelRetry``)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import (
    GuardrailTripped,
    InMemorySession,
    ModelRetry,
    OutputValidationError,
    RunContext,
    UserError,
    tool,
)
from agentkit.sim import Reply, Simulator

from .conftest import AgentFactory


def no_secrets(ctx: RunContext[Any], prompt: str) -> None:
    if "password" in prompt.lower():
        raise GuardrailTripped(f"the prompt asks for a password (user {ctx.deps})")


async def no_keys(ctx: RunContext[Any], answer: Any) -> None:
    if "sk-" in str(answer):
        raise ModelRetry("Never show API keys: answer again without the key.")


@pytest.mark.anyio
async def test_an_input_guardrail_stops_the_run_before_any_request(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    session = InMemorySession()
    agent = make_agent(input_guardrails=[no_secrets], instructions="Help.")
    with pytest.raises(GuardrailTripped, match="asks for a password \\(user alice\\)") as raised:
        await agent.run("What is the admin password?", deps="alice", session=session)
    assert sim.requests == [] and await session.load() == []
    assert raised.value.messages == [{"role": "system", "content": "Help."}]
    assert raised.value.usage.requests == 0
    sim.script(Reply(content="Hello."))
    assert (await agent.run("Hello!", deps="alice", session=session)).output == "Hello."


@pytest.mark.anyio
async def test_an_output_guardrail_sends_the_answer_back(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(Reply(content="Your key is sk-12345."), Reply(content="I cannot show keys."))
    result = await make_agent(output_guardrails=[no_keys]).run("What is my key?")
    assert result.output == "I cannot show keys."
    assert result.usage.requests == 2
    second = sim.requests[1].json
    assert second is not None
    assert second["messages"][-2:] == [
        {"role": "assistant", "content": "Your key is sk-12345."},
        {"role": "user", "content": "Never show API keys: answer again without the key."},
    ]


class Ticket(BaseModel):
    summary: str


@pytest.mark.anyio
async def test_an_output_guardrail_checks_structured_output_from_the_output_tool(
    sim: Simulator, make_agent: AgentFactory
) -> None:
    @tool
    def read() -> str:
        """Read the ticket."""
        return "key sk-999 leaked"

    seen: list[Ticket] = []

    def check(ctx: RunContext[Any], ticket: Ticket) -> None:
        seen.append(ticket)
        if "sk-" in ticket.summary:
            raise ModelRetry("Leave the key out of the summary.")

    sim.script(
        Reply(tool_calls=[("final_result", {"summary": "key sk-999 leaked"})]),
        Reply(tool_calls=[("final_result", {"summary": "a key leaked"})]),
    )
    result = await make_agent(tools=[read], output_type=Ticket, output_guardrails=[check]).run("Summarise.")
    assert result.output == Ticket(summary="a key leaked")
    assert seen == [Ticket(summary="key sk-999 leaked"), Ticket(summary="a key leaked")]
    assert [m["role"] for m in result.messages] == ["user", "assistant", "tool", "user", "assistant", "tool"]


@pytest.mark.anyio
async def test_retries_run_out_with_output_validation_error(sim: Simulator, make_agent: AgentFactory) -> None:
    sim.script(*[Reply(content="sk-1")] * 3)
    expected = r"failed validation 2 times .* answer again without"
    with pytest.raises(OutputValidationError, match=expected) as raised:
        await make_agent(output_guardrails=[no_keys], output_retries=1).run("key?")
    assert raised.value.usage.requests == 2


@pytest.mark.anyio
async def test_an_output_guardrail_can_stop_the_run(sim: Simulator, make_agent: AgentFactory) -> None:
    def refuse(ctx: RunContext[Any], answer: str) -> None:
        raise GuardrailTripped("answers are disabled")

    sim.script(Reply(content="Sure."))
    with pytest.raises(GuardrailTripped, match="answers are disabled") as raised:
        await make_agent(output_guardrails=[refuse]).run("hi")
    assert [m["role"] for m in raised.value.messages] == ["user", "assistant"]
    assert raised.value.usage.requests == 1


@pytest.mark.anyio
async def test_guardrails_run_in_order_and_only_on_a_prompt(sim: Simulator, make_agent: AgentFactory) -> None:
    order: list[str] = []

    def first(ctx: RunContext[Any], prompt: str) -> None:
        order.append(f"first {prompt}")

    async def second(ctx: RunContext[Any], prompt: str) -> None:
        order.append(f"second {prompt}")

    agent = make_agent(input_guardrails=[first, second])
    sim.script(Reply(content="a"), Reply(content="b"))
    result = await agent.run("hi")
    await agent.run(history=[*result.messages, {"role": "user", "content": "more"}])  # no prompt
    assert order == ["first hi", "second hi"]


@pytest.mark.anyio
async def test_model_retry_in_an_input_guardrail_is_a_mistake(make_agent: AgentFactory) -> None:
    def wrong(ctx: RunContext[Any], prompt: str) -> None:
        raise ModelRetry("try again")

    with pytest.raises(UserError, match="input guardrail wrong raised ModelRetry"):
        await make_agent(input_guardrails=[wrong]).run("hi")

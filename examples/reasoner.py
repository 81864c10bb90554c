"""deepseek-reasoner with tools: the model thinks, calls tools, thinks again; its reasoning streams as shown.

    python examples/reasoner.py

Two user turns. Which earlier ``reasoning_content`` is sent back to the API is decided by the model's
profile (DeepSeek changed the rule twice); the agent handles it, the program never touches it.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from _backend import backend

from agentkit import Agent, ModelResponseDone, ReasoningDelta, RunDone, TextDelta, ToolResult, tool


@tool
def get_date() -> str:
    """Get today's date (ISO format)."""
    return date.today().isoformat()


@tool
def get_weather(location: str, day: str) -> str:
    """Get the weather forecast for a location on a day.

    Args:
        location: City name, e.g. "Hangzhou".
        day: Date in ISO format, e.g. "2026-05-01".
    """
    offset = (date.fromisoformat(day) - date.today()).days if day[:4].isdigit() else 0
    return ["sunny, 22 °C", "cloudy, 19 °C", "light rain, 17 °C"][offset % 3]


agent = Agent(
    model="deepseek-reasoner",
    tools=[get_date, get_weather],
    instructions="Answer weather questions with the tools. Find out today's date first.",
)


async def turn(prompt: str, history: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Run one user turn, printing reasoning, tool calls and the answer as they arrive."""
    print(f"\nuser: {prompt}")
    thinking = False
    messages: list[dict[str, Any]] = []
    async for event in agent.run_stream(prompt, history=history):
        if isinstance(event, ReasoningDelta):
            if not thinking:
                print("thinking: ", end="")
                thinking = True
            print(event.text, end="", flush=True)
            continue
        if thinking:
            print()
            thinking = False
        if isinstance(event, ModelResponseDone):
            for call in event.message.get("tool_calls", []):
                print(f"tool call: {call['function']['name']}({call['function']['arguments']})")
        elif isinstance(event, ToolResult):
            print(f"tool result: {event.name} -> {event.content}")
        elif isinstance(event, TextDelta):
            print(event.text, end="", flush=True)
        elif isinstance(event, RunDone):
            print(f"\n[usage: {event.result.usage.reasoning_tokens} reasoning tokens, "
                  f"{event.result.usage.requests} requests]")
            messages = event.result.messages
    return messages


async def main() -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    with backend():
        print(f"profile {agent.profile.name}: reasoning sent back: {agent.profile.reasoning_replay}")
        history = await turn("What will the weather be like in Hangzhou tomorrow?", None)
        history = await turn(f"And the weather in Beijing on {tomorrow}?", history)
    kept = sum(1 for m in history if m.get("reasoning_content") is not None)
    print(f"\nhistory: {len(history)} messages; {kept} keep their reasoning_content (the profile decides "
          "which of them are sent back)")


if __name__ == "__main__":
    asyncio.run(main())

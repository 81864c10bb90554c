"""A to-do assistant: custom tools with shared state, a multi-turn conversation, and a streamed answer.

    python examples/assistant.py

Shows ``RunContext`` deps (the to-do list the tools share), ``history=`` to continue a conversation, and
``run_stream`` events (answer text as it arrives, each tool call and its result).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from _backend import backend

from agentkit import Agent, RunContext, RunDone, TextDelta, ToolCallStarted, ToolResult, tool


@dataclass
class TodoList:
    items: list[str] = field(default_factory=list)


@tool
def add_todo(ctx: RunContext[TodoList], item: str) -> str:
    """Add an item to the user's to-do list.

    Args:
        item: What to do, e.g. "buy milk".
    """
    ctx.deps.items.append(item)
    return f"added {item!r}; the list has {len(ctx.deps.items)} items"


@tool
def list_todos(ctx: RunContext[TodoList]) -> list[str]:
    """List the items on the user's to-do list."""
    return ctx.deps.items


agent = Agent(
    model="deepseek-chat",
    tools=[add_todo, list_todos],
    instructions="You manage the user's to-do list with the tools. Answer in one or two sentences.",
)


async def main() -> None:
    todos = TodoList()
    with backend():
        # Turn 1: a plain run. The model adds both items with two tool calls in one response.
        prompt = "Please add 'buy milk' and 'call the bank'."
        result = await agent.run(prompt, deps=todos)
        print(f"user: {prompt}\nassistant: {result.output}")

        # Turn 2: history= continues the conversation; the answer streams as it is written.
        prompt = "What is on my list now?"
        print(f"user: {prompt}\nassistant: ", end="", flush=True)
        async for event in agent.run_stream(prompt, history=result.messages, deps=todos):
            if isinstance(event, ToolCallStarted):
                print(f"[calling {event.name}] ", end="", flush=True)
            elif isinstance(event, ToolResult):
                print(f"[{event.name} -> {event.content}] ", end="", flush=True)
            elif isinstance(event, TextDelta):
                print(event.text, end="", flush=True)
            elif isinstance(event, RunDone):
                result = event.result
        print()
        print(f"to-do list: {todos.items}")
        print(f"conversation: {len(result.messages)} messages; last run: {result.usage.requests} requests")


if __name__ == "__main__":
    asyncio.run(main())

"""A research team: a writer agent that asks a researcher agent (with the ready web tools) for facts.

    python examples/research_team.py                      # a small demo site, served on 127.0.0.1
    python examples/research_team.py https://example.com/

The researcher is an ordinary agent with its own instructions and tools; ``researcher.as_tool(...)`` makes
it a tool of the writer. It runs on the writer's connection, gets the writer's ``deps``, and its usage is
added to the writer's (shown apart in ``usage.agents``). The writer streams: the researcher's events
reach that stream marked with its name (``SubAgentEvent``), here printed as indented progress lines.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
from typing import Any

from _backend import backend
from crawl_summarize import demo_site

from agentkit import Agent, RunContext, RunDone, SubAgentEvent, TextDelta, ToolCallStarted, ToolResult
from agentkit.tools import web


def make_team(web_tools: Any) -> Agent[Any, str]:
    researcher = Agent(
        model="deepseek-chat",
        name="researcher",
        tools=web_tools,
        instructions="You research websites with the web tools and report the facts you find, with URLs.",
    )

    def newsletter_instructions(ctx: RunContext[Any]) -> str:  # called once per run
        return f"You write short, friendly newsletter articles. Today is {date.today():%d %B %Y}."

    return Agent(
        model="deepseek-chat",
        name="writer",
        instructions=newsletter_instructions,
        tools=[researcher.as_tool(name="research", description="Research a website or topic, report back.")],
    )


async def write_article(url: str, web_tools: Any) -> None:
    writer = make_team(web_tools)
    prompt = (
        f"Write a short article about the tea shop at {url}. "
        f'Research first: "Crawl {url} and report what the shop offers."'
    )
    async for event in writer.run_stream(prompt):
        match event:
            case SubAgentEvent(agent=agent, event=ToolCallStarted(name=name)):
                print(f"  [{agent}] calling {name}")
            case SubAgentEvent(agent=agent, event=ToolResult(name=name, content=content)):
                print(f"  [{agent}] {name} -> {len(content)} characters")
            case ToolCallStarted(name=name):
                print(f"[writer] calling {name}")
            case ToolResult(name=name, content=content):
                print(f"[writer] {name} -> {content[:100]!r}...")
            case TextDelta(text=text):
                print(text, end="", flush=True)
            case RunDone(result=result):
                usage, research = result.usage, result.usage.agents["research"]
                print(f"\nusage: {usage.requests} requests ({research.requests} by the researcher), "
                      f"{usage.total_tokens} tokens ({research.total_tokens} by the researcher), "
                      f"${usage.cost:.6f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description="A writer agent with a researcher agent as its tool.")
    parser.add_argument("url", nargs="?", help="site to write about (default: the bundled demo site)")
    args = parser.parse_args()
    with backend():
        if args.url:
            await write_article(args.url, web.toolset(max_pages=5))
        else:
            with demo_site() as url:
                print(f"serving the demo site at {url}")
                await write_article(url, web.toolset(allow_networks=["127.0.0.1/32"], max_pages=5))


if __name__ == "__main__":
    asyncio.run(main())

"""A resumable crawl-and-summarise batch: every page of a list summarised by a durable agent.

    python examples/batch_summarise.py                             # the demo site, served on 127.0.0.1
    python examples/batch_summarise.py URL [URL ...] [--allow-private] [--output summaries.jsonl]

Each URL is one prompt of a durable batch (``agentkit.durable``): the runs go through a DBOS queue, every
model request and tool call is checkpointed in ``summaries.sqlite`` next to the output, and each summary
is appended to ``summaries.jsonl`` as soon as it is ready. Stop it at any moment (Ctrl-C, ``kill -9``, a
reboot) and run the same command again: pages already summarised are skipped, and runs that were cut
short resume from their last checkpoint, so no finished request is paid for twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from _backend import backend
from crawl_summarize import demo_site

from agentkit import Agent
from agentkit.durable import DurableAgent
from agentkit.tools import web

DEMO_PAGES = ["/", "/teas.html", "/visit.html"]


def summariser(allow: list[str] | None, allow_private: bool, database: str) -> DurableAgent[None, str]:
    tools = web.toolset(allow_networks=allow or (), allow_private=allow_private, max_pages=3)
    agent = Agent(
        model="deepseek-chat",
        tools=tools,
        instructions="You read web pages with the web tools and summarise them in two factual sentences.",
    )
    return DurableAgent(agent, name="page-summaries", database_url=database)


async def summarise(durable: DurableAgent[None, str], pages: dict[str, str], output: Path) -> None:
    """``pages``: URL by id (an id answered in ``output`` is skipped)."""
    prompts = [{"id": page, "prompt": f"Read the page {url} and summarise it."}
               for page, url in pages.items()]
    report = await durable.batch(prompts, output=output, concurrency=4)
    print(f"{report.done} summarised now, {report.earlier} earlier, {report.failed} failed "
          f"(${report.cost:.6f} in all)")
    for line in output.read_text(encoding="utf-8").splitlines():
        answer = json.loads(line)
        print(f"{answer['id']}: {answer.get('output') or answer.get('error')}")


async def main() -> None:
    parser = argparse.ArgumentParser(description="Summarise web pages in a resumable durable batch.")
    parser.add_argument("urls", nargs="*", help="pages to summarise (default: the bundled demo site's)")
    parser.add_argument("--allow-private", action="store_true", help="allow loopback and private addresses")
    parser.add_argument("--output", type=Path, default=Path("summaries.jsonl"), help="where summaries go")
    args = parser.parse_args()
    database = f"sqlite:///{args.output.with_suffix('.sqlite').resolve()}"

    with backend():
        if args.urls:
            pages = {url: url for url in args.urls}
            await summarise(summariser(None, args.allow_private, database), pages, args.output)
        else:
            with demo_site() as site:
                print(f"serving the demo site at {site}")
                durable = summariser(["127.0.0.1/32"], False, database)
                pages = {page: site + page.lstrip("/") for page in DEMO_PAGES}  # ids outlive the port
                await summarise(durable, pages, args.output)


if __name__ == "__main__":
    asyncio.run(main())

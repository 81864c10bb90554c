"""Crawl a website and summarise it, with the ready web tools (``agentkit.tools.web``).

    python examples/crawl_summarize.py                     # a small demo site, served on 127.0.0.1
    python examples/crawl_summarize.py https://example.com/
    python examples/crawl_summarize.py http://127.0.0.1:8000/ --allow-private

The web tools refuse loopback, private and link-local addresses unless told otherwise, because the model
chooses the URLs. With no URL this example serves its demo site on loopback and allows that one address
(``allow_networks``); ``--allow-private`` opens them all, for a site on your own machine or network.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _backend import backend

from agentkit import Agent
from agentkit.tools import web

DEMO_SITE = Path(__file__).parent / "data" / "site"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def demo_site() -> Iterator[str]:
    """Serve ``data/site/`` on 127.0.0.1 (a free port) in a background thread; yield its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(DEMO_SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


async def crawl_and_summarize(url: str, tools: Any) -> None:
    agent = Agent(
        model="deepseek-chat",
        tools=tools,
        instructions="You research websites with the web tools and write short, factual summaries.",
    )
    result = await agent.run(f"Crawl the site {url} and summarize what it offers in a few sentences.")
    for message in result.messages:
        for call in message.get("tool_calls") or []:
            print(f"tool call: {call['function']['name']}({call['function']['arguments']})")
    for message in result.messages:
        if message["role"] == "tool":
            print(f"tool result: {message['content'][:200]!r}...")
    print(f"summary: {result.output}")
    usage = result.usage
    print(f"usage: {usage.requests} requests, {usage.total_tokens} tokens, ${usage.cost:.6f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description="Crawl a website and summarise it.")
    parser.add_argument("url", nargs="?", help="start page (default: the bundled demo site, served locally)")
    parser.add_argument("--allow-private", action="store_true", help="allow loopback and private addresses")
    args = parser.parse_args()

    with backend():
        if args.url:
            await crawl_and_summarize(args.url, web.toolset(allow_private=args.allow_private, max_pages=5))
        else:
            with demo_site() as url:
                print(f"serving the demo site at {url}")
                await crawl_and_summarize(url, web.toolset(allow_networks=["127.0.0.1/32"], max_pages=5))


if __name__ == "__main__":
    asyncio.run(main())

"""mcp-server-fetch (the reference server, from PyPI) over stdio, fetching a small site on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agentkit.mcp import MCPServer
from agentkit.sim import Reply, Simulator

from .conftest import PYTHON, AgentFactory, tool_messages

pytestmark = pytest.mark.anyio

PAGES = {
    "/robots.txt": ("text/plain", "User-agent: *\nAllow: /\n"),
    "/tea.html": (
        "text/html; charset=utf-8",
        "<!doctype html><html><head><title>Tea</title></head><body><nav>Home | About</nav><main>"
        "<h1>Green tea</h1><p>Longjing tea is grown near West Lake in Hangzhou and is pan-fired by hand.</p>"
        "<p>It is picked in early spring, before the Qingming festival, for the most delicate leaves.</p>"
        "</main></body></html>",
    ),
}


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        kind, body = PAGES.get(self.path, ("text/plain", "not found"))
        self.send_response(200 if self.path in PAGES else 404)
        self.send_header("Content-Type", kind)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_fetch_a_local_page(site: str, make_agent: AgentFactory, sim: Simulator) -> None:
    fetch = MCPServer.stdio(PYTHON, ["-m", "mcp_server_fetch", "--allow-private-ips"], prefix="web")
    guarded = MCPServer.stdio(
        PYTHON, ["-m", "mcp_server_fetch"], prefix="guarded"
    )  # its default: no loopback
    url = f"{site}/tea.html"
    sim.script(
        Reply(tool_calls=[("web_fetch", {"url": url}), ("guarded_fetch", {"url": url})]),
        Reply(content="Longjing is grown near West Lake."),
    )
    result = await make_agent(tools=[fetch, guarded]).run(f"What does {url} say about Longjing?")
    page, refused = tool_messages(result.messages)
    assert page.startswith(f"Contents of {url}:")
    assert (
        "Longjing tea is grown near West Lake in Hangzhou" in page and "before the Qingming festival" in page
    )
    assert (
        refused.startswith("Error: 'guarded_fetch' raised MCPToolError: ")
        and "--allow-private-ips" in refused
    )
    assert result.usage.tool_calls == 2

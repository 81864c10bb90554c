"""Fixtures for the ready tools: a small web site on loopback, a fake DNS, a recording fake transport."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from agentkit.tools import _netguard

PUBLIC_IP = "93.184.216.34"


def _page(title: str, body: str, links: list[str]) -> str:
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav><ul>{anchors}</ul></nav><main><h1>{title}</h1>"
        f"<p>{body}</p><p>{body} This paragraph is long enough for the extractor to keep it.</p>"
        f"</main></body></html>"
    )


SITE_PAGES: dict[str, tuple[str, str, bytes]] = {
    "/": (
        "200",
        "text/html; charset=utf-8",
        _page(
            "Home",
            "Welcome to the test site of agentkit.",
            ["/a", "/b", "/private/secret", "http://other.invalid/x", "/a#section", "mailto:x@example.com"],
        ).encode(),
    ),
    "/a": ("200", "text/html", _page("Page A", "Apples are the topic of page A.", ["/c", "/"]).encode()),
    "/b": ("200", "text/html", _page("Page B", "Bananas are the topic of page B.", ["/a"]).encode()),
    "/c": ("200", "text/html", _page("Page C", "Cherries are the topic of page C.", ["/d"]).encode()),
    "/d": ("200", "text/html", _page("Page D", "Dates are the topic of page D.", []).encode()),
    "/private/secret": ("200", "text/html", _page("Secret", "Robots may not read this.", []).encode()),
    "/robots.txt": ("200", "text/plain", b"User-agent: *\nDisallow: /private/\n"),
    "/notes.txt": ("200", "text/plain; charset=utf-8", "Plain notes: café.".encode()),
    "/blob": ("200", "application/octet-stream", b"\x00\x01\x02"),
    "/missing": ("404", "text/html", b"<html><body>not here</body></html>"),
    "/redirect": ("302", "/a", b""),
}


@dataclass
class Site:
    """A web site served by a stdlib HTTP server on 127.0.0.1; ``requests`` records every path asked for."""

    base: str
    pages: dict[str, tuple[str, str, bytes]]
    requests: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:
        self.site.requests.append(self.path)
        if self.path == "/slow":
            time.sleep(3)
        status, content_type, body = self.site.pages.get(self.path, ("404", "text/plain", b"no such page"))
        self.send_response(int(status))
        if status.startswith("3"):
            self.send_header("Location", content_type)
        else:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that stopped reading
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[Site]:
    pages = dict(SITE_PAGES)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    state = Site(f"http://127.0.0.1:{server.server_address[1]}", pages)
    server.RequestHandlerClass = type("Handler", (_Handler,), {"site": state})
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class FakeDNS:
    """Stands in for DNS: ``answers[host]`` is the list of addresses a host resolves to."""

    answers: dict[str, list[str]]
    calls: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int, **kwargs: Any) -> list[Any]:
        self.calls.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [
            (family[6 if ":" in ip else 4], socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in self.answers[host]
        ]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """A fake resolver; unknown names fail, so no test ever asks the real DNS."""
    fake = FakeDNS({"public.test": [PUBLIC_IP]})
    monkeypatch.setattr(_netguard, "_getaddrinfo", fake)
    return fake


@dataclass
class Recorder:
    """A fake network (httpx.MockTransport): answers every request it gets and records it."""

    handler: Callable[[httpx.Request], httpx.Response]
    requests: list[httpx.Request] = field(default_factory=list)

    @property
    def transport(self) -> httpx.MockTransport:
        def record(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return self.handler(request)

        return httpx.MockTransport(record)


@pytest.fixture
def network() -> Recorder:
    """Answers every request with a page that says it was reached (what a successful attack would read)."""
    return Recorder(
        lambda request: httpx.Response(
            200, headers={"content-type": "text/plain"}, text=f"reached {request.url.host}"
        )
    )

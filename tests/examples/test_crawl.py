"""crawl_summarize.py against a small site served on loopback (no internet)."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

RunExample = Callable[..., subprocess.CompletedProcess[str]]

PAGES = {
    "index.html": "<html><head><title>Lantern Bikes</title></head><body><main><h1>Lantern Bikes</h1>"
    "<p>Lantern Bikes repairs and rents city bicycles in Suzhou, next to the north gate of the old town. "
    "Every rental includes a lock and a helmet.</p>"
    '<p><a href="prices.html">Prices</a></p></main></body></html>',
    "prices.html": "<html><head><title>Prices - Lantern Bikes</title></head><body><main><h1>Prices</h1>"
    "<p>A city bicycle costs 30 yuan per day; an electric bicycle costs 80 yuan per day. Repairs are "
    'quoted before any work starts.</p><p><a href="/">Home</a></p></main></body></html>',
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    for name, html in PAGES.items():
        (root / name).write_text(html, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_crawls_and_summarizes_a_loopback_site_when_allowed(run_example: RunExample, site: str) -> None:
    out = run_example("crawl_summarize", site, "--allow-private").stdout
    assert re.search(rf"^tool call: crawl_site\(.*{re.escape(site)}", out, re.MULTILINE), out
    assert "Crawled 2 page(s)" in out
    summary = out.split("summary: ", 1)[1]
    assert "Lantern Bikes" in summary and "30 yuan per day" in summary  # both pages were read


def test_refuses_a_loopback_site_by_default(run_example: RunExample, site: str) -> None:
    out = run_example("crawl_summarize", site).stdout
    assert "Crawled 0 page(s)" in out
    assert "127.0.0.1 is a loopback address" in out
    assert "30 yuan" not in out


def test_serves_its_demo_site_when_given_no_url(run_example: RunExample) -> None:
    out = run_example("crawl_summarize").stdout
    assert out.splitlines()[1].startswith("serving the demo site at http://127.0.0.1:")
    assert "Crawled 3 page(s)" in out and "Tidewater Tea Co." in out

"""Hostile pages for the web tools (issue 11, round 2 of the adversarial review): a redirect or a charset
that made one page end a whole crawl, and HTML built to be slow to read. Each fails without its fix; the
slow page is read in a child process with a deadline.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fault_rig import in_child
from test_security import Network

from agentkit.tools import web  # type: ignore[import-not-found]

pytestmark = pytest.mark.anyio

HTML = {"content-type": "text/html"}


def site(pages: dict[str, httpx.Response]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        return pages.get(request.url.path, httpx.Response(404))

    return handle


BAD_PAGES = {
    "/": httpx.Response(
        200, headers=HTML, html="".join(f'<a href="/{p}">{p}</a>' for p in ("a", "b", "c", "d"))
    ),
    "/a": httpx.Response(302, headers={"location": "http:foo"}),  # httpx.InvalidURL
    "/b": httpx.Response(200, headers={"content-type": "text/plain; charset=x-bogus"}, content=b"bogus"),
    "/c": httpx.Response(301, headers={"location": "http://[::1"}),  # ValueError in urljoin
    "/d": httpx.Response(200, headers={"content-type": "text/plain"}, content=b"good page"),
}


# --------------------------------------------------------------------------- item 8


async def test_one_bad_page_is_skipped_with_its_reason_not_the_end_of_the_crawl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``Location: http:foo`` raised httpx.InvalidURL and ``charset=x-bogus`` LookupError out of
    ``crawl_site``, which caught only WebError: every page after them was lost."""
    network = Network(monkeypatch, site(BAD_PAGES))
    result = await web.crawl_pages("http://public.test/", max_pages=10, settings=network.settings())
    texts = {page.url.rsplit("/", 1)[1]: page.text for page in result.pages}
    assert texts == {"": "abcd", "b": "bogus", "d": "good page"}  # an unknown charset reads as UTF-8
    errors = [note for note in result.notes if note.startswith("error: ")]
    assert len(errors) == 2 and "/a" in errors[0] and "/c" in errors[1], errors
    assert "invalid url" in errors[1].lower()


async def test_fetching_such_a_page_is_a_web_error(monkeypatch: pytest.MonkeyPatch) -> None:
    network = Network(monkeypatch, site(BAD_PAGES))
    for path in ("/a", "/c"):
        with pytest.raises(web.WebError, match=r"could not fetch http://public.test/[ac]: "):
            await web.fetch_page(f"http://public.test{path}", network.settings())
    assert (await web.fetch_page("http://public.test/b", network.settings())).text == "bogus"


@pytest.mark.parametrize("robots", [BAD_PAGES["/a"], BAD_PAGES["/c"]], ids=["bad-location", "bad-ipv6"])
async def test_a_bad_robots_txt_means_unreachable_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, robots: httpx.Response
) -> None:
    network = Network(monkeypatch, site({**BAD_PAGES, "/robots.txt": robots}))
    result = await web.crawl_pages("http://public.test/", settings=network.settings())
    assert result.pages == [] and result.notes[0].startswith("robots.txt could not be fetched")


# --------------------------------------------------------------------------- item 9


def test_html_built_to_be_slow_to_read_is_stopped_at_the_extraction_deadline() -> None:
    """2 MB of ``<li>`` (or unclosed ``<p>``) cost ~10 s of CPU in trafilatura, after the fetch timeout,
    in a thread nothing could stop. It is now read in a worker process, killed at the deadline."""
    printed = in_child(
        """
        import os, time, anyio, httpx
        from agentkit.tools import web

        slow = "<html><body><ul>" + "<li>item words here</li>" * 80_000 + "</ul></body></html>"
        normal = "<html><head><title>Big</title></head><body>" + "<p>A sentence of text.</p>" * 3_000
        pages = {"/slow": slow, "/normal": normal + "</body></html>"}
        transport = httpx.MockTransport(
            lambda r: httpx.Response(200, html=pages[r.url.path], headers={"content-type": "text/html"})
        )
        def settings(deadline):
            options = web.FetchOptions(transport=transport, extract_timeout=deadline, max_bytes=3 << 20)
            return web.WebSettings(fetch=options)

        def children():
            me = str(os.getpid())
            found = []
            for name in filter(str.isdigit, os.listdir("/proc")):
                try:
                    stat = open(f"/proc/{name}/stat").read()
                except OSError:
                    continue
                if stat[stat.rfind(")") + 2 :].split()[1] == me:
                    found.append(name)
            return found

        async def main():
            # big, but fine (a generous deadline: the worker process starts and imports trafilatura)
            page = await web.fetch_page("http://93.184.216.34/normal", settings(60.0))
            print(page.title, len(page.text) > 10_000)
            started = time.monotonic()
            try:
                await web.fetch_page("http://93.184.216.34/slow", settings(1.0))  # the same worker
                print("read")
            except web.WebError as exc:
                print(exc)
            print(round(time.monotonic() - started))
            await anyio.sleep(0.5)
            print(children())  # the worker that was stopped is gone, not burning the CPU on

        anyio.run(main)
        """,
        timeout=60,
    )
    title, stopped, seconds, children = printed.splitlines()
    assert title == "Big True"
    assert stopped.endswith("took more than 1 s, so it was stopped: the page is built to be slow to read")
    assert int(seconds) < 5
    assert children == "[]"

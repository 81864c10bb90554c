"""The web tools against a real HTTP server on loopback (guard opened explicitly), and summarising."""

from __future__ import annotations

import gzip
import re
import sys
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import httpx
import pytest

from agentkit._context import RunContext
from agentkit._usage import RunUsage
from agentkit._wire import ChatCompletion, ChatRequest
from agentkit.tools import web
from agentkit.tools._summarize import split_text

from .conftest import Site

pytestmark = pytest.mark.anyio

OPEN = web.WebSettings(fetch=web.FetchOptions(policy=web.AddressPolicy(allow_private=True)))


async def test_fetch_reads_title_text_and_links(site: Site) -> None:
    page = await web.fetch_page(site.base + "/", OPEN)
    assert page.title == "Home"
    assert "Welcome to the test site of agentkit." in page.text
    assert [link.url for link in page.links] == [
        site.base + "/a",
        site.base + "/b",
        site.base + "/private/secret",
        "http://other.invalid/x",
    ]
    assert page.links[0].text == "/a"


async def test_fetch_url_tool_output(site: Site) -> None:
    tools = web.toolset(allow_private=True)
    fetch = tools.get("fetch_url")
    assert fetch is not None
    text = await fetch.call({"url": site.base + "/a", "include_links": True})
    assert text.startswith(f"Title: Page A\nURL: {site.base}/a\n\n")
    assert "Apples are the topic of page A." in text
    assert f"- [/c]({site.base}/c)" in text
    without_links = await fetch.call({"url": site.base + "/a", "include_links": False})
    assert "Links" not in without_links


async def test_fetch_follows_redirects_on_loopback(site: Site) -> None:
    page = await web.fetch_page(site.base + "/redirect", OPEN)
    assert page.url == site.base + "/a"
    assert site.requests == ["/redirect", "/a"]


async def test_plain_text_is_returned_as_is(site: Site) -> None:
    page = await web.fetch_page(site.base + "/notes.txt", OPEN)
    assert page.text == "Plain notes: café."


@pytest.mark.parametrize("charset", ["zlib", "base64", "rot13", "x-bogus"])
async def test_a_charset_that_is_no_text_encoding_is_read_as_utf8(site: Site, charset: str) -> None:
    # Python knows zlib, base64 and rot13 as codecs, but they turn bytes into bytes (or str into str).
    site.pages["/lie.txt"] = ("200", f"text/plain; charset={charset}", "Plain notes: café.".encode())
    page = await web.fetch_page(site.base + "/lie.txt", OPEN)
    assert page.text == "Plain notes: café."


async def test_binary_content_is_refused_clearly(site: Site) -> None:
    with pytest.raises(web.WebError, match="application/octet-stream, not a web page or text"):
        await web.fetch_page(site.base + "/blob", OPEN)


async def test_http_errors_are_reported(site: Site) -> None:
    with pytest.raises(web.WebError, match="answered HTTP 404"):
        await web.fetch_page(site.base + "/missing", OPEN)


async def test_size_limit_truncates(site: Site) -> None:
    site.pages["/big"] = ("200", "text/plain", b"x" * 50_000)
    small = web.WebSettings(
        fetch=web.FetchOptions(policy=web.AddressPolicy(allow_private=True), max_bytes=1000)
    )
    page = await web.fetch_page(site.base + "/big", small)
    assert page.truncated and page.size == 1000 and page.text == "x" * 1000
    text = web._format_page(page, 20_000, include_links=True)
    assert "Only the first 1000 bytes of the page were read" in text


class Network(httpx.AsyncByteStream):
    """A body arriving as a socket delivers it, 64 KiB at a time (httpx decodes ``content=`` at once)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), 65536):
            yield self.body[start : start + 65536]


def compressed_site(coding: str, body: bytes) -> web.WebSettings:
    def serve(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/plain", "content-encoding": coding}
        return httpx.Response(200, headers=headers, stream=Network(body))

    options = web.FetchOptions(
        policy=web.AddressPolicy(allow_private=True), transport=httpx.MockTransport(serve), max_bytes=10_000
    )
    return web.WebSettings(fetch=options)


@pytest.mark.parametrize(("coding", "compress"), [("gzip", gzip.compress), ("deflate", zlib.compress)])
async def test_compressed_pages_are_read(coding: str, compress: Callable[[bytes], bytes]) -> None:
    page = await web.fetch_page("http://127.0.0.1/", compressed_site(coding, compress(b"squeezed text")))
    assert page.text == "squeezed text" and not page.truncated


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(b"first part, ") + gzip.compress(b"second part")),  # two gzip members
        ("gzip", gzip.compress(b"first part, second part") + b"\0" * 8),  # padding after the body
        ("deflate", raw_deflate(b"first part, second part")),  # no zlib header, as some servers send
    ],
    ids=["two gzip members", "zeros after the body", "raw deflate"],
)
async def test_every_part_of_a_compressed_body_is_read(coding: str, body: bytes) -> None:
    page = await web.fetch_page("http://127.0.0.1/", compressed_site(coding, body))
    assert page.text == "first part, second part" and not page.truncated


async def test_many_gzip_members_stop_at_the_size_limit() -> None:
    body = b"".join(gzip.compress(b"x" * 1000) for _ in range(50))  # 50 kB of text in 50 members
    page = await web.fetch_page("http://127.0.0.1/", compressed_site("gzip", body))
    assert page.truncated and page.size == 10_000 and page.text == "x" * 10_000


async def test_a_decompression_bomb_stops_at_the_size_limit() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 KB that expand to 50 MB
    tracemalloc.start()
    try:
        page = await web.fetch_page("http://127.0.0.1/", compressed_site("gzip", bomb))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert page.truncated and page.size == 10_000
    assert peak < 5_000_000, f"{peak} bytes held while reading a 10 kB page"


@pytest.mark.parametrize("coding", ["br", "gzip, gzip", "compress"])
async def test_other_compressions_are_refused(coding: str) -> None:
    with pytest.raises(web.WebError, match=r"could not read .* the web tools only read gzip and deflate"):
        await web.fetch_page("http://127.0.0.1/", compressed_site(coding, b"\x1f\x8b..."))


async def test_a_broken_compressed_body_is_reported() -> None:
    with pytest.raises(web.WebError, match="its gzip body is broken"):
        await web.fetch_page("http://127.0.0.1/", compressed_site("gzip", b"not gzip at all"))


async def test_text_returned_to_the_model_is_capped(site: Site) -> None:
    site.pages["/long"] = ("200", "text/plain", b"y" * 30_000)
    fetch = web.toolset(allow_private=True, max_chars=500).get("fetch_url")
    assert fetch is not None
    text = await fetch.call({"url": site.base + "/long"})
    assert len(text) <= 500 and re.search(r"y\n\[\.\.\. truncated: 29\d\d\d more characters\]$", text)


def _flood(title: str) -> bytes:
    """A page whose title, link texts and link count are each far over any sensible size."""
    links = "".join(f'<a href="/{i}">{"link text " * 500}</a>' for i in range(300))
    text = "<p>The main text of the flood page, which the model came for.</p>" * 200
    return f"<html><head><title>{title * 5000}</title></head><body>{text}{links}</body></html>".encode()


async def test_title_and_links_count_in_the_cap_on_text(site: Site) -> None:
    """``max_chars`` bounds the whole answer: a page cannot push past it with its title and links."""
    site.pages["/flood"] = ("200", "text/html", _flood("Flood "))
    fetch = web.toolset(allow_private=True, max_chars=6000).get("fetch_url")
    assert fetch is not None
    text = await fetch.call({"url": site.base + "/flood"})
    assert len(text) <= 6000
    title, *rest = text.split("\n")
    assert title.startswith("Title: Flood Flood") and len(title) <= 250
    assert "more characters]" in text and re.search(r"^Links \(300, first \d+ shown\):$", text, re.MULTILINE)
    shown = [line for line in rest if line.startswith("- [link text")]
    assert shown and all(len(line) <= 150 for line in shown)


async def test_a_crawl_answer_is_capped_with_its_titles_and_notes(site: Site) -> None:
    site.pages["/"] = ("200", "text/html", _flood("Crawled "))
    crawl = web.toolset(allow_private=True, max_chars=6000).get("crawl_site")
    assert crawl is not None
    text = await crawl.call({"url": site.base + "/", "max_pages": 3})
    assert text.startswith("Crawled 1 page(s)") and len(text) <= 6000
    assert "## 1. Crawled Crawled" in text and "Note: error: " in text  # /0, /1: answered HTTP 404


async def test_time_limit(site: Site) -> None:
    quick = web.WebSettings(fetch=web.FetchOptions(policy=web.AddressPolicy(allow_private=True), timeout=0.3))
    with pytest.raises(web.WebError, match=r"timed out after 0\.3 s"):
        await web.fetch_page(site.base + "/slow", quick)


async def test_redirect_limit() -> None:
    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": f"/hop{len(request.url.path)}"})

    options = web.FetchOptions(
        policy=web.AddressPolicy(allow_private=True), transport=httpx.MockTransport(loop), max_redirects=3
    )
    with pytest.raises(web.WebError, match=r"too many redirects \(more than 3\)"):
        await web.fetch_page("http://127.0.0.1/", web.WebSettings(fetch=options))


async def test_crawl_is_breadth_first_within_the_host_and_obeys_robots(site: Site) -> None:
    result = await web.crawl_pages(site.base + "/", max_pages=10, max_depth=2, settings=OPEN)
    assert [page.title for page in result.pages] == ["Home", "Page A", "Page B", "Page C"]
    assert "/private/secret" not in site.requests
    assert "/d" not in site.requests  # depth 3
    assert site.requests[0] == "/robots.txt"
    assert result.notes == ["skipped 1 URL(s) that robots.txt disallows"]


async def test_crawl_page_limit(site: Site) -> None:
    result = await web.crawl_pages(site.base + "/", max_pages=2, max_depth=5, settings=OPEN)
    assert [page.title for page in result.pages] == ["Home", "Page A"]
    assert any("stopped at the page limit (2)" in note for note in result.notes)


async def test_the_toolsets_crawl_limits_are_the_defaults_the_model_sees(site: Site) -> None:
    """``toolset(max_pages=..., max_depth=...)`` is what a crawl does when the model names no limit."""
    crawl = web.toolset(allow_private=True, max_pages=3, max_depth=5).get("crawl_site")
    assert crawl is not None
    properties = crawl.schema["function"]["parameters"]["properties"]
    assert (properties["max_pages"]["default"], properties["max_depth"]["default"]) == (3, 5)
    text = await crawl.call(crawl.parse_arguments({"url": site.base + "/"}))
    assert text.startswith(f"Crawled 3 page(s) starting from {site.base}/.")


async def test_crawl_limits_cannot_exceed_the_toolset_limits(site: Site) -> None:
    crawl = web.toolset(allow_private=True, max_pages=2, max_depth=1).get("crawl_site")
    assert crawl is not None
    text = await crawl.call({"url": site.base + "/", "max_pages": 50, "max_depth": 9})
    assert text.startswith(f"Crawled 2 page(s) starting from {site.base}/.")
    assert "## 1. Home" in text and "## 2. Page A" in text and "Page C" not in text


async def test_crawl_byte_limit(site: Site) -> None:
    tight = web.WebSettings(fetch=OPEN.fetch, max_crawl_bytes=1)
    result = await web.crawl_pages(site.base + "/", max_pages=10, max_depth=3, settings=tight)
    assert len(result.pages) == 1
    assert "stopped at the crawl's byte limit (1 bytes)" in result.notes


async def test_robots_disallowing_everything(site: Site) -> None:
    site.pages["/robots.txt"] = ("200", "text/plain", b"User-agent: agentkit-web\nDisallow: /\n")
    result = await web.crawl_pages(site.base + "/", settings=OPEN)
    assert result.pages == []
    assert site.requests == ["/robots.txt"]


async def test_robots_for_other_agents_do_not_apply(site: Site) -> None:
    site.pages["/robots.txt"] = ("200", "text/plain", b"User-agent: otherbot\nDisallow: /\n")
    result = await web.crawl_pages(site.base + "/", max_depth=1, settings=OPEN)
    assert "Secret" in [page.title for page in result.pages]


async def test_missing_robots_allows_everything(site: Site) -> None:
    del site.pages["/robots.txt"]
    result = await web.crawl_pages(site.base + "/", max_depth=1, settings=OPEN)
    assert "Secret" in [page.title for page in result.pages]


async def test_robots_server_error_means_no_crawl(site: Site) -> None:
    site.pages["/robots.txt"] = ("503", "text/plain", b"busy")
    result = await web.crawl_pages(site.base + "/", settings=OPEN)
    assert result.pages == [] and "robots.txt answered HTTP 503" in result.notes[0]
    assert site.requests == ["/robots.txt"]


async def test_crawl_does_not_follow_redirects_off_the_site(site: Site) -> None:
    site.pages["/b"] = ("302", "http://other.invalid/", b"")
    result = await web.crawl_pages(site.base + "/", max_depth=1, settings=OPEN)
    assert "Page B" not in [page.title for page in result.pages]
    assert any("outside the site being crawled" in note for note in result.notes)


async def test_the_loopback_site_is_refused_without_explicit_permission(site: Site) -> None:
    crawl = web.toolset().get("crawl_site")
    assert crawl is not None
    text = await crawl.call({"url": site.base + "/"})
    assert "loopback" in text and "nothing was crawled" in text
    assert site.requests == []


# --------------------------------------------------------------------------- summarising


class FakeModel:
    """Answers chat requests like a model would, recording them; summaries name the chunk they saw."""

    def __init__(self) -> None:
        self.requests: list[ChatRequest] = []

    async def chat(self, request: ChatRequest) -> ChatCompletion:
        self.requests.append(request)
        user = str(request["messages"][-1]["content"])
        answer = f"summary of {len(user)} chars" + (
            f" [{user[:12]}]" if "summarise part" in str(request["messages"][0]) else ""
        )
        return ChatCompletion.model_validate(
            {
                "id": "x",
                "model": request["model"],
                "choices": [{"message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        )


class Usage:
    def __init__(self) -> None:
        self.added: list[Any] = []

    def add(self, usage: Any, *, cost: float = 0.0) -> None:
        self.added.append(usage)


def test_split_text_respects_the_chunk_size() -> None:
    text = "\n\n".join(f"paragraph {i} " + "w" * 30 for i in range(20)) + "\n\n" + "z" * 250
    chunks = split_text(text, 100)
    assert all(len(chunk) <= 100 for chunk in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


async def test_short_text_is_one_request() -> None:
    model, usage = FakeModel(), Usage()
    summary = await web.summarize_text(model, "deepseek-chat", "A short text.", focus="dates", usage=usage)
    assert summary == "summary of 13 chars [A short text]"
    (request,) = model.requests
    assert request["model"] == "deepseek-chat"
    assert "focusing on: dates" in str(request["messages"][0]["content"])
    assert len(usage.added) == 1


async def test_long_text_is_map_reduced() -> None:
    model = FakeModel()
    text = "\n\n".join(f"Part {i}: " + "data " * 40 for i in range(10))
    summary = await web.summarize_text(model, "m", text, chunk_chars=500)
    maps = [r for r in model.requests if "summarise part" in str(r["messages"][0]["content"])]
    reduces = [r for r in model.requests if "combine" in str(r["messages"][0]["content"])]
    assert len(maps) == 5 and len(reduces) == 1
    assert "of 5 of a longer text" in str(maps[-1]["messages"][0]["content"])
    assert summary.startswith("summary of")


async def test_very_long_text_is_capped() -> None:
    model = FakeModel()
    summary = await web.summarize_text(
        model, "m", "\n\n".join("x" * 90 for _ in range(50)), chunk_chars=100, max_chunks=3
    )
    assert "Only the first 3 parts of the text were summarised; 47 were left out." in summary


async def test_summarize_url_uses_the_agents_own_model(site: Site) -> None:
    model = FakeModel()
    summarize = web.toolset(allow_private=True).get("summarize_url")
    assert summarize is not None and summarize.takes_context
    assert "ctx" not in summarize.schema["function"]["parameters"]["properties"]
    usage = RunUsage()
    ctx = RunContext(deps=None, model="deepseek-chat", client=cast(Any, model), usage=usage)
    summary = await summarize.call({"url": site.base + "/c", "focus": "fruit", "max_pages": 2}, ctx)
    assert summary.startswith("summary of")
    (request,) = model.requests
    assert request["model"] == "deepseek-chat"
    assert (usage.requests, usage.total_tokens) == (1, 15) and usage.cost > 0
    content = str(request["messages"][1]["content"])
    assert "# Page C" in content and "Cherries" in content and "# Page D" in content


async def test_summarize_url_outside_an_agent_says_so() -> None:
    with pytest.raises(web.WebError, match="only works inside an agent run"):
        await web.summarize_url.call({"url": "http://public.test/"}, RunContext(deps=None))


def test_a_broken_web_extra_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura installed without lxml_html_clean fails to import: the error names the cause."""
    from agentkit.tools import _fetch

    monkeypatch.setitem(sys.modules, "trafilatura", None)
    with pytest.raises(web.WebError, match=r"needs the web extra: .*agentkit\[web\]' \(.*trafilatura"):
        _fetch._extract_html(b"<html><title>t</title></html>", "http://example.com/", False)

"""Web tools: fetch a page as readable text, crawl a site, summarise pages with the agent's own model.

Safe by default: only public http(s) addresses are reached (checked after DNS resolution and on every
redirect), with redirect, size and time limits. Pass ``allow_private=True`` or ``allow_networks=[...]`` to
``toolset()`` for tests and intranets. HTML is read by trafilatura (``pip install 'agentkit[web]'``): a
well-maintained extractor that scores at the top of published main-text extraction benchmarks, drops
navigation and boilerplate, and needs only lxml, so a page reaches the model as compact readable text.

    from agentkit.tools import web
    agent = Agent(model=..., tools=[web.toolset()])
"""

from __future__ import annotations

import urllib.robotparser
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio
import httpx

from agentkit._context import RunContext
from agentkit._pricing import PRICES
from agentkit._tool import Tool, tool
from agentkit._toolset import Toolset

from ._fetch import FetchOptions, Link, Page, WebError, check_url, get, new_client, read_page, same_site
from ._netguard import AddressPolicy, BlockedAddressError
from ._summarize import summarize_text

__all__ = [
    "AddressPolicy",
    "BlockedAddressError",
    "CrawlResult",
    "FetchOptions",
    "Page",
    "WebError",
    "WebSettings",
    "crawl_pages",
    "crawl_site",
    "fetch_page",
    "fetch_url",
    "summarize_text",
    "summarize_url",
    "toolset",
]


@dataclass(frozen=True)
class WebSettings:
    """Every limit of the web tools; the model's arguments can lower the crawl limits, never raise them."""

    fetch: FetchOptions = field(default_factory=FetchOptions)
    max_pages: int = 20
    max_depth: int = 3
    max_crawl_bytes: int = 10_000_000
    max_chars: int = 20_000
    """The most text one tool call returns to the model, its title, links and notes included."""
    max_crawl_delay: float = 10.0
    """A robots.txt Crawl-delay is honoured up to this many seconds between requests."""


@dataclass
class CrawlResult:
    pages: list[Page]
    notes: list[str]
    """What was skipped and why, and which limit stopped the crawl."""


async def fetch_page(url: str, settings: WebSettings | None = None) -> Page:
    """Fetch one page (redirects followed and checked) and read it; raises ``WebError`` on failure."""
    options = (settings or WebSettings()).fetch
    async with new_client(options) as client:
        response = await get(client, url, options)
    if response.status >= 400:
        raise WebError(f"{response.url} answered HTTP {response.status}")
    return await read_page(response, options)


async def _robots(
    client: httpx.AsyncClient, site: httpx.URL, options: FetchOptions
) -> tuple[urllib.robotparser.RobotFileParser, str]:
    """The site's robots.txt rules (RFC 9309: missing means allowed, unreachable means disallowed)."""
    rules = urllib.robotparser.RobotFileParser()
    robots_url = site.copy_with(path="/robots.txt", query=None)
    try:
        response = await get(client, robots_url, options)
    except Exception as exc:  # whatever went wrong (a bad redirect, a broken body...): unreachable
        rules.parse(["User-agent: *", "Disallow: /"])
        return rules, f"robots.txt could not be fetched, so nothing was crawled ({exc})"
    if 400 <= response.status < 500:
        rules.parse([])
    elif response.status >= 500:
        rules.parse(["User-agent: *", "Disallow: /"])
        return rules, f"robots.txt answered HTTP {response.status}, so nothing was crawled"
    else:
        rules.parse(response.body.decode("utf-8", errors="replace").splitlines())
    return rules, ""


async def crawl_pages(
    url: str, *, max_pages: int = 10, max_depth: int = 2, settings: WebSettings | None = None
) -> CrawlResult:
    """Crawl breadth-first from ``url`` within its host, obeying robots.txt and the settings' limits."""
    settings = settings or WebSettings()
    options = settings.fetch
    max_pages = max(1, min(max_pages, settings.max_pages))
    max_depth = max(0, min(max_depth, settings.max_depth))
    start = check_url(url)
    pages: list[Page] = []
    notes: list[str] = []
    errors: list[str] = []
    disallowed = 0
    total_bytes = 0
    async with new_client(options) as client:
        rules, problem = await _robots(client, start, options)
        if problem:
            return CrawlResult([], [problem])
        agent_name = options.user_agent
        delay = min(float(rules.crawl_delay(agent_name) or 0), settings.max_crawl_delay)
        site = start
        queue: deque[tuple[httpx.URL, int]] = deque([(start, 0)])
        seen = {str(start)}
        while queue and len(pages) < max_pages:
            if total_bytes >= settings.max_crawl_bytes:
                notes.append(f"stopped at the crawl's byte limit ({settings.max_crawl_bytes} bytes)")
                break
            current, depth = queue.popleft()
            if not rules.can_fetch(agent_name, str(current)):
                disallowed += 1
                continue
            if delay and (pages or errors):
                await anyio.sleep(delay)
            try:
                # The start page may redirect to another scheme or port of its host (http -> https).
                within = partial(_same_host, start) if depth == 0 else partial(same_site, site)
                response = await get(client, current, options, stay_within=within)
                total_bytes += len(response.body)
                if response.status >= 400:
                    raise WebError(f"{current} answered HTTP {response.status}")
                final = httpx.URL(response.url)
                if depth == 0 and not same_site(final, site):
                    site = final
                    rules, problem = await _robots(client, site, options)
                    if problem or not rules.can_fetch(agent_name, response.url):
                        return CrawlResult([], [problem or f"robots.txt disallows {response.url}"])
                page = await read_page(response, options)
            except Exception as exc:  # one bad page is skipped with its reason, never the whole crawl
                reason = str(exc) if isinstance(exc, WebError) else f"{current}: {type(exc).__name__}: {exc}"
                errors.append(reason)
                continue
            pages.append(page)
            if depth >= max_depth:
                continue
            for link in page.links:
                try:
                    target = check_url(link.url)
                except WebError:
                    continue
                if same_site(target, site) and str(target) not in seen and len(seen) < 50 * max_pages:
                    seen.add(str(target))
                    queue.append((target, depth + 1))
    if disallowed:
        notes.append(f"skipped {disallowed} URL(s) that robots.txt disallows")
    if queue and len(pages) >= max_pages:
        notes.append(f"stopped at the page limit ({max_pages}) with {len(queue)} URL(s) left unvisited")
    notes.extend(f"error: {error}" for error in errors[:10])
    if len(errors) > 10:
        notes.append(f"... and {len(errors) - 10} more errors")
    return CrawlResult(pages, notes)


def _same_host(a: httpx.URL, b: httpx.URL) -> bool:
    return a.host == b.host


_TITLE_CHARS = 200
_LINK_TEXT_CHARS = 100


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the note saying how much was cut included."""
    if len(text) <= limit:
        return text
    keep = max(limit - 50, 0)
    return text[:keep] + f"\n[... truncated: {len(text) - keep} more characters]"


def _link_lines(links: list[Link], room: int) -> list[str]:
    """The page's links, as many as fit in ``room`` characters (each link's text shortened)."""
    lines: list[str] = []
    used = 0
    for link in links:
        line = f"- [{link.text[:_LINK_TEXT_CHARS] or '(no text)'}]({link.url})"
        used += len(line) + 1
        if used > room:
            break
        lines.append(line)
    if not lines:
        return []
    shown = f", first {len(lines)} shown" if len(lines) < len(links) else ""
    return ["", f"Links ({len(links)}{shown}):", *lines]


def _format_page(page: Page, max_chars: int, include_links: bool) -> str:
    """The page for the model, in at most ``max_chars``: the links get up to a quarter, the text the rest."""
    lines = [f"Title: {page.title[:_TITLE_CHARS] or '(none)'}", f"URL: {page.url}"]
    if page.truncated:
        lines.append(f"(Only the first {page.size} bytes of the page were read: it is over the size limit.)")
    links = _link_lines(page.links, max_chars // 4) if include_links else []
    room = max_chars - len("\n".join([*lines, "", *links])) - 1
    return _clip("\n".join([*lines, "", _clip(page.text or "(no readable text)", room), *links]), max_chars)


def _format_crawl(result: CrawlResult, start: str, max_chars: int) -> str:
    """The crawl for the model, in at most ``max_chars``: the pages' texts share what the rest leaves."""
    lines = [f"Crawled {len(result.pages)} page(s) starting from {start}."]
    lines += [f"Note: {note[:300]}" for note in result.notes]
    heads = [
        f"\n## {number}. {page.title[:_TITLE_CHARS] or '(untitled)'}\nURL: {page.url}"
        for number, page in enumerate(result.pages, 1)
    ]
    used = len("\n".join(lines)) + sum(len(head) + 2 for head in heads)
    budget = max(max_chars - used, 0) // max(len(result.pages), 1)
    for head, page in zip(heads, result.pages, strict=True):
        lines += [head, _clip(page.text, budget)]
    return _clip("\n".join(lines), max_chars)


def _make_tools(settings: WebSettings) -> tuple[Tool, Tool, Tool]:
    @tool
    async def fetch_url(url: str, include_links: bool = True) -> str:
        """Fetch a web page and return its title, its readable main text and the links on it.

        Only public http:// and https:// addresses can be fetched; redirects are followed.

        Args:
            url: The full URL of the page, starting with http:// or https://.
            include_links: Whether to list the page's links (useful to decide what to read next).
        """
        page = await fetch_page(url, settings)
        return _format_page(page, settings.max_chars, include_links)

    @tool
    async def crawl_site(
        url: str, max_pages: int = settings.max_pages, max_depth: int = settings.max_depth
    ) -> str:
        """Crawl a website breadth-first from a start page, staying on the same host and obeying robots.txt.

        Returns the readable text of each page visited (shortened to fit). Use it to read several pages of
        one site at once; use fetch_url for a single page.

        Args:
            url: The start page, starting with http:// or https://.
            max_pages: The most pages to read.
            max_depth: How many links away from the start page to go (0 reads only the start page).
        """
        result = await crawl_pages(url, max_pages=max_pages, max_depth=max_depth, settings=settings)
        return _format_crawl(result, url, settings.max_chars)

    @tool
    async def summarize_url(ctx: RunContext[Any], url: str, focus: str = "", max_pages: int = 1) -> str:
        """Summarise a web page, or several pages of one site, without reading all of its text yourself.

        Long text is summarised in parts and the parts combined. Prefer this to fetch_url for long pages.

        Args:
            url: The page (or the start page of the site), starting with http:// or https://.
            focus: What the summary should concentrate on, e.g. "pricing" or "installation steps".
            max_pages: More than 1 crawls the site from url (same host, robots.txt obeyed) and
                summarises all the pages read.
        """
        if ctx.client is None or not ctx.model:
            raise WebError("summarize_url needs the agent's model; it only works inside an agent run")
        if max_pages > 1:
            result = await crawl_pages(url, max_pages=max_pages, settings=settings)
            if not result.pages:
                raise WebError("no page could be read: " + "; ".join(result.notes))
            text = "\n\n".join(f"# {page.title or page.url}\n\n{page.text}" for page in result.pages)
        else:
            page = await fetch_page(url, settings)
            text = f"# {page.title}\n\n{page.text}" if page.title else page.text
        # The summary requests are the run's own spending: counted in its usage, priced like its requests.
        pricing = PRICES.get(ctx.model)
        return await summarize_text(
            ctx.client, ctx.model, text, focus=focus, usage=ctx.usage, pricing=pricing
        )

    return fetch_url, crawl_site, summarize_url


def toolset(
    *,
    allow_private: bool = False,
    allow_networks: Iterable[str] = (),
    max_redirects: int = FetchOptions.max_redirects,
    max_bytes: int = FetchOptions.max_bytes,
    timeout: float = FetchOptions.timeout,
    extract_timeout: float = FetchOptions.extract_timeout,
    max_pages: int = WebSettings.max_pages,
    max_depth: int = WebSettings.max_depth,
    max_crawl_bytes: int = WebSettings.max_crawl_bytes,
    max_chars: int = WebSettings.max_chars,
    user_agent: str = FetchOptions.user_agent,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Toolset:
    """The web tools (fetch_url, crawl_site, summarize_url) with the given limits (defaults: the settings').

    Args:
        allow_private: Let the tools reach loopback, private and link-local addresses. Only for tests and
            trusted intranets: a model (or a page it reads) could otherwise probe your network.
        allow_networks: Non-public networks to allow while refusing the rest, e.g. ``["10.20.0.0/16"]``.
        max_redirects: Redirects followed per request.
        max_bytes: The most bytes read from one response.
        timeout: Seconds per request, redirects included.
        extract_timeout: Seconds to read the text of one large HTML page (a slower one is skipped).
        max_pages: The most pages one crawl reads.
        max_depth: The deepest link distance a crawl follows.
        max_crawl_bytes: The most bytes one crawl downloads.
        max_chars: The most characters one tool call returns (title, links and notes included).
        user_agent: The User-Agent header, also the name matched against robots.txt rules.
        transport: A custom httpx transport (address checks still apply).
    """
    settings = WebSettings(
        fetch=FetchOptions(
            policy=AddressPolicy.build(allow_private, allow_networks),
            max_redirects=max_redirects,
            max_bytes=max_bytes,
            timeout=timeout,
            extract_timeout=extract_timeout,
            user_agent=user_agent,
            transport=transport,
        ),
        max_pages=max_pages,
        max_depth=max_depth,
        max_crawl_bytes=max_crawl_bytes,
        max_chars=max_chars,
    )
    return Toolset(*_make_tools(settings), name="web")


fetch_url, crawl_site, summarize_url = _make_tools(WebSettings())

"""Guarded HTTP GET and page extraction for the web tools.

Redirects are followed here, one hop at a time, so that every hop's address is checked; each request goes
to the address that was checked (the URL's host is replaced by the IP, with the ``Host`` header and TLS
server name kept), so a DNS answer cannot change between the check and the connection. Compressed bodies
are decoded here too, never past the size limit, so a small compressed answer cannot expand into
gigabytes of memory (a decompression bomb).
"""

from __future__ import annotations

import codecs
import urllib.parse
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
import anyio.to_process
import httpx

from ._netguard import AddressPolicy, BlockedAddressError, parse_ip_literal

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/ld+json")
# zlib window bits of the content codings read; only gzip is asked for, deflate is read if sent anyway.
_CODINGS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
_IN_THREAD_BYTES = 64_000


class WebError(Exception):
    """A page could not be fetched or read. The message is written for the model."""


@dataclass(frozen=True)
class FetchOptions:
    """Limits and safety settings of every request the web tools make."""

    policy: AddressPolicy = field(default_factory=AddressPolicy)
    max_redirects: int = 5
    max_bytes: int = 2_000_000
    timeout: float = 20.0
    extract_timeout: float = 5.0
    """Seconds to read the text of one large HTML page; a page built to be slow to read is skipped."""
    user_agent: str = "agentkit-web/0.1"
    transport: httpx.AsyncBaseTransport | None = None
    """A custom transport (tests, proxies); the address checks still run before it is used."""


@dataclass
class Response:
    url: str
    status: int
    content_type: str
    body: bytes
    truncated: bool
    charset: str | None = None


@dataclass
class Link:
    text: str
    url: str


@dataclass
class Page:
    """What a fetched page says: its final URL, title, readable main text and the links on it."""

    url: str
    status: int
    content_type: str
    title: str
    text: str
    links: list[Link]
    size: int
    truncated: bool = False


def new_client(options: FetchOptions) -> httpx.AsyncClient:
    # trust_env=False: an HTTP(S)_PROXY from the environment would resolve names behind the guard's back.
    return httpx.AsyncClient(
        transport=options.transport, timeout=options.timeout, trust_env=False, follow_redirects=False
    )


def check_url(url: str) -> httpx.URL:
    """Parse ``url``, refusing what the tools do not fetch, with the host spelled canonically."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebError(f"invalid URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebError(f"refused {url!r}: only http:// and https:// URLs can be fetched")
    if parts.username is not None or parts.password is not None:
        raise WebError(f"refused {url!r}: URLs with user names or passwords are not fetched")
    host = parts.hostname or ""
    if not host:
        raise WebError(f"invalid URL {url!r}: it has no host")
    try:
        ip = parse_ip_literal(host)
    except BlockedAddressError as exc:
        raise WebError(f"refused {url!r}: {exc}") from None
    if ip is not None:
        host = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = host if port is None else f"{host}:{port}"
    path = parts.path or "/"
    try:
        return httpx.URL(urllib.parse.urlunsplit((scheme, netloc, path, parts.query, "")))
    except httpx.InvalidURL as exc:
        raise WebError(f"invalid URL {url!r}: {exc}") from None


def same_site(a: httpx.URL, b: httpx.URL) -> bool:
    """Whether two URLs are on one host (name and effective port)."""
    return a.host == b.host and _port(a) == _port(b)


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


async def get(
    client: httpx.AsyncClient,
    url: str | httpx.URL,
    options: FetchOptions,
    *,
    stay_within: Callable[[httpx.URL], bool] | None = None,
) -> Response:
    """GET ``url``, following redirects hop by hop; every hop's addresses are checked before connecting."""
    current = url if isinstance(url, httpx.URL) else check_url(url)
    try:
        with anyio.fail_after(options.timeout):
            for _ in range(options.max_redirects + 1):
                if stay_within is not None and not stay_within(current):
                    raise WebError(f"skipped {current}: it is outside the site being crawled")
                response = await _get_once(client, current, options)
                if isinstance(response, httpx.URL):
                    current = response
                    continue
                return response
    except TimeoutError:
        raise WebError(f"timed out after {options.timeout:g} s fetching {current}") from None
    raise WebError(f"too many redirects (more than {options.max_redirects}) starting from {url}")


async def _get_once(client: httpx.AsyncClient, url: httpx.URL, options: FetchOptions) -> Response | httpx.URL:
    """One request: the response, or the checked URL a redirect points to."""
    host = url.raw_host.decode("ascii")
    try:
        addresses = await options.policy.resolve(host, _port(url))
    except BlockedAddressError as exc:
        raise WebError(str(exc)) from None
    headers = {
        "Host": url.netloc.decode("ascii"),
        "User-Agent": options.user_agent,
        "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
        "Accept-Encoding": "gzip",
    }
    is_name = parse_ip_literal(host) is None
    last_error: Exception | None = None
    for ip in addresses:
        target = url.copy_with(host=str(ip))
        extensions = {"sni_hostname": host} if is_name and url.scheme == "https" else {}
        request = client.build_request("GET", target, headers=headers, extensions=extensions)
        try:
            response = await client.send(request, stream=True)
        except httpx.ConnectError as exc:
            last_error = exc
            continue
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: httpx reads a bad Location too
            raise WebError(f"could not fetch {url}: {exc or type(exc).__name__}") from None
        try:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                try:
                    return check_url(urllib.parse.urljoin(str(url), location))
                except ValueError:  # urljoin on "http://[::1"
                    raise WebError(f"{url} redirects to an invalid URL {location!r}") from None
            body, truncated = await _read_capped(response, options.max_bytes)
        except httpx.HTTPError as exc:
            raise WebError(f"could not read {url}: {exc or type(exc).__name__}") from None
        finally:
            await response.aclose()
        content_type = response.headers.get("content-type", "")
        return Response(
            url=str(url),
            status=response.status_code,
            content_type=content_type.split(";", 1)[0].strip().lower(),
            body=body,
            truncated=truncated,
            charset=response.charset_encoding,
        )
    raise WebError(f"could not connect to {url}: {last_error}")


async def _read_capped(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    """The decoded body, at most ``max_bytes`` of it, and whether there was more.

    The raw bytes are decoded here rather than by httpx, which would expand each network chunk in full
    (64 KiB of gzip can hold 64 MB) before the limit is checked.
    """
    if response.is_stream_consumed:  # a transport that read the body already (httpx.MockTransport)
        return response.content[:max_bytes], len(response.content) > max_bytes
    coding = response.headers.get("content-encoding", "").strip().lower() or "identity"
    if coding != "identity" and coding not in _CODINGS:
        raise httpx.DecodingError(f"it is compressed as {coding!r}; the web tools only read gzip and deflate")
    inflater = _Inflater(coding) if coding in _CODINGS else None
    body = bytearray()
    async for data in response.aiter_raw():
        room = max_bytes + 1 - len(body)
        body += inflater.inflate(data, room) if inflater else data[:room]
        if len(body) > max_bytes:
            return bytes(body[:max_bytes]), True
    return bytes(body), False


class _Inflater:
    """A gzip or deflate body, decoded at most ``room`` bytes at a time. Every member of a gzip body is
    read (a body may be several gzip files one after the other; bytes after the last that are no gzip
    are ignored), and a deflate body without its zlib header (raw deflate, which some servers send) is
    read as such, as browsers and httpx do."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._bits = _CODINGS[coding]
        self._decoder = zlib.decompressobj(self._bits)
        self._fresh = True
        """The decoder has decoded nothing yet."""
        self._members = 0
        """gzip members read to their end."""
        self._done = False

    def inflate(self, data: bytes, room: int) -> bytes:
        out = bytearray()
        while data and not self._done and len(out) < room:
            try:
                out += self._decoder.decompress(data, room - len(out))
            except zlib.error as exc:
                if self._fresh and self._bits == zlib.MAX_WBITS:  # deflate without its zlib header
                    self._bits = -zlib.MAX_WBITS
                    self._decoder = zlib.decompressobj(self._bits)
                    continue
                if self._fresh and self._members:  # bytes after the last gzip member
                    self._done = True
                    break
                raise httpx.DecodingError(f"its {self.coding} body is broken ({exc})") from None
            self._fresh = False
            if self._bits == _CODINGS["gzip"] and self._decoder.eof:  # the next member, if any
                self._members += 1
                data = self._decoder.unused_data
                self._decoder, self._fresh = zlib.decompressobj(self._bits), True
            else:
                data = self._decoder.unconsumed_tail
        return bytes(out)


def is_html(response: Response) -> bool:
    if response.content_type:
        return response.content_type in _HTML_TYPES
    return response.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def to_page(response: Response, *, with_links: bool = True) -> Page:
    """Read a response as a page: HTML through trafilatura, plain text as it is; anything else refused."""
    if is_html(response):
        title, text, links = _extract_html(response.body, response.url, with_links)
    elif response.content_type.startswith(_TEXT_TYPES):
        title, text, links = "", _decode(response.body, response.charset), []
    else:
        raise WebError(
            f"{response.url} is {response.content_type or 'of unknown type'}, not a web page or text; "
            "only HTML and text can be read"
        )
    return Page(
        url=response.url,
        status=response.status,
        content_type=response.content_type,
        title=title,
        text=text.strip(),
        links=links,
        size=len(response.body),
        truncated=response.truncated,
    )


def _decode(body: bytes, charset: str | None) -> str:
    """The text in the page's declared charset if Python knows it as a text encoding, else in UTF-8
    (``charset=x-bogus`` is no error, nor is ``charset=zlib``: a codec, but from bytes to bytes)."""
    try:
        return body.decode(codecs.lookup(charset or "utf-8").name, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


async def read_page(response: Response, options: FetchOptions) -> Page:
    """``to_page`` within a time bound. A crafted 2 MB page (thousands of ``<li>`` or unclosed ``<p>``)
    costs ~10 s of CPU in extraction; so large HTML is read in a worker process (``anyio.to_process``),
    killed at ``extract_timeout`` (a thread could not be stopped: it would burn the CPU on). HTML of up to
    64 KB, where even a crafted page takes a fraction of a second, is read in a thread: no process."""
    if not is_html(response) or len(response.body) <= _IN_THREAD_BYTES:
        return await anyio.to_thread.run_sync(to_page, response)
    try:
        with anyio.fail_after(options.extract_timeout):
            return await anyio.to_process.run_sync(to_page, response, cancellable=True)
    except TimeoutError:
        raise WebError(
            f"reading the text of {response.url} ({len(response.body)} bytes of HTML) took more than "
            f"{options.extract_timeout:g} s, so it was stopped: the page is built to be slow to read"
        ) from None


def _extract_html(body: bytes, url: str, with_links: bool) -> tuple[str, str, list[Link]]:
    """Title, main text and links of an HTML page, by trafilatura (the ``web`` extra)."""
    try:
        import trafilatura
        from trafilatura.utils import load_html
    except ImportError as exc:  # not installed, or installed without a dependency (lxml_html_clean)
        raise WebError(f"reading HTML needs the web extra: pip install 'agentkit[web]' ({exc})") from None
    tree = load_html(body)
    if tree is None:
        return "", "", []
    title = " ".join((tree.findtext(".//title") or "").split())
    links: list[Link] = []
    if with_links:
        seen: set[str] = set()
        for anchor in tree.xpath("//a[@href]"):
            href = urllib.parse.urljoin(url, str(anchor.get("href")).strip())
            href = urllib.parse.urldefrag(href).url
            if href in seen or urllib.parse.urlsplit(href).scheme not in ("http", "https"):
                continue
            seen.add(href)
            links.append(Link(" ".join(anchor.text_content().split()), href))
    text = trafilatura.extract(tree, url=url, include_comments=False, favor_recall=True)
    if not text:
        text = trafilatura.html2txt(body)
    return title, text or "", links

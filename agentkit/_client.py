"""DeepSeek's HTTP API as typed async calls: chat (plain and streamed), FIM, models, balance.

Requests are the plain dicts of ``_wire`` serialised once, byte-stable, so the agent's history keeps
hitting the context cache. Responses are validated straight from bytes. Everything transient
(429/500/503, dropped connections, timeouts, empty bodies, stalled streams) becomes a typed, retryable
error that the retry loop handles; everything else raises at once with the documented remedy.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar, cast

import httpx
from pydantic import BaseModel, ValidationError

from ._errors import (
    STATUS_ERRORS,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    EmptyResponseError,
    UserError,
    raise_if_interrupted,
)
from ._retry import RetryPolicy, parse_retry_after
from ._secret import BearerAuth, Secret, mask_payload, mask_text
from ._sse import error_from_payload
from ._stream import ChatStream, IdleGuard, StreamLink
from ._transport import Transport, close_with_the_loop, is_timeout, make_http_client
from ._wire import (
    Balance,
    ChatCompletion,
    ChatRequest,
    ErrorBody,
    FIMCompletion,
    FIMRequest,
    ModelList,
)

DEFAULT_BASE_URL = "https://api.deepseek.com"
DEFAULT_TIMEOUT = httpx.Timeout(connect=15.0, read=900.0, write=60.0, pool=None)
"""Long read timeout: while a request waits for the model, DeepSeek holds it for up to 10-30 minutes,
sending only keep-alives. A silent stream is caught by ``stream_idle_timeout`` instead."""

logger = logging.getLogger("agentkit")

_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")


def split_base_url(base_url: str) -> tuple[str, str]:
    """``(plain, beta)`` base URLs from whatever the user gave: the root, ``/v1`` or ``/beta``."""
    base = base_url.rstrip("/")
    if base.endswith("/beta"):
        return base[:-5], base
    if base.endswith("/v1"):
        return base, base[:-3] + "/beta"
    return base, base + "/beta"


def needs_beta(request: ChatRequest) -> bool:
    """Prefix completion (last message ``prefix: true``) and strict tools only work on ``/beta``."""
    messages = request["messages"]
    if messages and cast(Mapping[str, Any], messages[-1]).get("prefix"):
        return True
    tools = request.get("tools")
    return bool(tools) and any(t["function"].get("strict") for t in tools or ())


def dumps(body: Mapping[str, Any]) -> bytes:
    """The one serialisation of request bodies: compact, UTF-8, key order kept (byte-stable)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class DeepSeekClient:
    """Async client for DeepSeek's API (and other OpenAI-compatible servers).

    ``api_key`` and ``base_url`` default to ``DEEPSEEK_API_KEY`` and ``DEEPSEEK_BASE_URL`` (or to the
    ``base_url`` of your ``http_client``, when it has one, so requests and log lines name the server
    actually used). Pass your own ``http_client`` to share a pool or use a test transport; the client then
    leaves closing it to you.
    ``retry`` (a ``RetryPolicy``) may be replaced or tuned after construction. ``transport``: which HTTP
    transport a client made here uses (``"auto"``: aiohttp on asyncio when the ``aiohttp`` extra is
    installed, else httpx's own; see ``agentkit._transport``).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_retries: int = 2,
        timeout: float | httpx.Timeout | None = None,
        stream_idle_timeout: float | None = 300.0,
        transport: Transport = "auto",
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("DEEPSEEK_API_KEY")
        if not api_key and http_client is None:
            raise UserError("no API key: set DEEPSEEK_API_KEY or pass api_key=")
        self._key = Secret(api_key or "")
        self._auth = BearerAuth(self._key) if api_key else None  # None: the http_client's own auth
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self._parsed_urls: dict[str, httpx.URL] = {}  # a few endpoints; httpx parses a str per request
        own_base = str(http_client.base_url).rstrip("/") if http_client is not None else ""
        self.base_url, self.beta_url = split_base_url(
            base_url or own_base or os.environ.get("DEEPSEEK_BASE_URL") or DEFAULT_BASE_URL
        )
        self.retry = RetryPolicy(max_retries=max_retries)
        self.stream_idle_timeout = stream_idle_timeout
        request_timeout = httpx.Timeout(timeout) if isinstance(timeout, (int, float)) else timeout
        self._owns_http = http_client is None
        if http_client is None:
            http_client = make_http_client(request_timeout or DEFAULT_TIMEOUT, transport)
            close_with_the_loop(self, http_client)
        self._http = http_client
        self._idle_guard: IdleGuard = "httpx" if self._owns_http else "each read"
        self._timeout: httpx.Timeout | Any = request_timeout or httpx.USE_CLIENT_DEFAULT

    def __repr__(self) -> str:
        return f"DeepSeekClient(base_url={self.base_url!r}, max_retries={self.retry.max_retries})"

    async def __aenter__(self) -> DeepSeekClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Closes the HTTP client if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    # ------------------------------------------------------------------ endpoints

    async def chat(self, request: ChatRequest) -> ChatCompletion:
        """``POST /chat/completions`` without streaming (``/beta`` when the request needs it)."""
        if request.get("stream"):
            request = cast(ChatRequest, {**request, "stream": False})
        url = (self.beta_url if needs_beta(request) else self.base_url) + "/chat/completions"
        return await self._call(ChatCompletion, "POST", url, dumps(request))

    def chat_stream(self, request: ChatRequest) -> ChatStream:
        """Streamed chat: ``async with client.chat_stream(req) as s: async for chunk in s: ...``.

        Usage is asked for (``stream_options.include_usage``) unless the request says otherwise.
        """
        body: dict[str, Any] = {**request, "stream": True}
        if "stream_options" not in body:
            body["stream_options"] = {"include_usage": True}
        url = (self.beta_url if needs_beta(request) else self.base_url) + "/chat/completions"
        return ChatStream(self._stream_link(), url, dumps(body))

    async def fim(self, request: FIMRequest) -> FIMCompletion:
        """``POST /beta/completions``: fill in the middle between ``prompt`` and ``suffix``."""
        return await self._call(FIMCompletion, "POST", self.beta_url + "/completions", dumps(request))

    async def list_models(self) -> ModelList:
        return await self._call(ModelList, "GET", self.base_url + "/models", None)

    async def get_balance(self) -> Balance:
        return await self._call(Balance, "GET", self.base_url + "/user/balance", None)

    # ------------------------------------------------------------------ plumbing

    def _stream_link(self) -> StreamLink:
        """What a new stream uses of this client, with today's ``retry`` and ``stream_idle_timeout``."""
        idle = self.stream_idle_timeout
        timeout = None
        if idle is not None and self._idle_guard == "httpx":
            # httpx's read timeout guards every socket read at no extra cost: it is the idle timeout
            base = self._http.timeout if self._timeout is httpx.USE_CLIENT_DEFAULT else self._timeout
            timeout = httpx.Timeout(connect=base.connect, read=idle, write=base.write, pool=base.pool)

        async def send(url: str, content: bytes) -> httpx.Response:
            return await self._send("POST", url, content, stream=True, timeout=timeout)

        return StreamLink(send, self.with_retries, self._scrub_bytes, idle, self._idle_guard)

    async def _call(self, model: type[_M], method: str, url: str, content: bytes | None) -> _M:
        async def attempt() -> _M:
            response = await self._send(method, url, content, stream=False)
            body = response.content
            if not body.strip():
                raise EmptyResponseError(f"{method} {url} answered 200 with an empty body")
            try:
                parsed = model.model_validate_json(body)
            except ValidationError as exc:
                raise self._invalid_body(model, body, exc) from exc
            if isinstance(parsed, (ChatCompletion, FIMCompletion)) and not parsed.choices:
                # nothing to answer with (Agent.run would fail on choices[0]): retried like a blank body
                raise EmptyResponseError(f"{method} {url} answered 200 with no choices")
            raise_if_interrupted(parsed)
            return parsed

        return await self.with_retries(attempt)

    async def with_retries(self, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """Runs ``attempt`` until it succeeds, fails for good, or the retry budget is spent."""
        retries = self.retry.start()
        while True:
            try:
                return await attempt()
            except APIError as error:
                await retries.wait_after(error)

    async def _send(
        self,
        method: str,
        url: str,
        content: bytes | None,
        *,
        stream: bool,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """One HTTP exchange; error statuses and transport failures become typed errors."""
        parsed = self._parsed_urls.get(url)
        if parsed is None:
            parsed = self._parsed_urls[url] = httpx.URL(url)
        request = self._http.build_request(
            method, parsed, content=content, headers=self._headers, timeout=timeout or self._timeout
        )
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            logger.debug("%s %s (%d bytes)", method, url, len(content or b""))
            started = time.perf_counter()
        try:
            auth = self._auth or httpx.USE_CLIENT_DEFAULT
            response = await self._http.send(request, stream=stream, auth=auth)
            if response.status_code >= 400 and stream:
                await response.aread()
        except httpx.TransportError as exc:
            if is_timeout(exc):
                raise APITimeoutError(f"{method} {url} timed out ({type(exc).__name__})") from None
            raise APIConnectionError(
                self._scrub(f"{method} {url} failed: {type(exc).__name__}: {exc}")
            ) from None
        if debug:
            logger.debug(
                "%s %s -> %d in %.3fs", method, url, response.status_code, time.perf_counter() - started
            )
        if response.status_code >= 400:
            if stream:
                await response.aclose()
            raise self._status_error(response)
        return response

    def _status_error(self, response: httpx.Response) -> APIError:
        status = response.status_code
        text = self._scrub_bytes(response.content).decode("utf-8", "replace")
        body: Any = text
        message = ""
        try:
            parsed = ErrorBody.model_validate_json(text)
            message = parsed.error.message
            body = parsed.model_dump()
        except ValidationError:
            message = text.strip()[:500]
        message = message or response.reason_phrase or "error"
        retry_after = parse_retry_after(response.headers)
        cls = STATUS_ERRORS.get(status)
        if cls is None:
            return APIStatusError(message, status=status, body=body, retry_after=retry_after)
        return cls(message, body=body, retry_after=retry_after)

    def _invalid_body(self, model: type[BaseModel], body: bytes, exc: ValidationError) -> APIError:
        if body.lstrip().startswith(b'{"error"'):
            return error_from_payload(self._scrub_bytes(body.strip()))
        text = self._scrub(body.decode("utf-8", "replace").strip())
        sample = text if len(text) <= 300 else text[:300] + "..."
        return APIError(
            f"the response is not a valid {model.__name__} ({exc.error_count()} errors): {sample}"
        )

    def _scrub(self, text: str) -> str:
        """Error text with any echo of the key masked (never used on a successful payload)."""
        return mask_text(text, self._key.value)

    def _scrub_bytes(self, payload: bytes) -> bytes:
        """A body about to become an error (message and ``body``), with any echo of the key masked."""
        return mask_payload(payload, self._key.value)


__all__ = ["ChatStream", "DeepSeekClient", "RetryPolicy", "Secret"]

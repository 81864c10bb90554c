"""A streamed chat completion: chunks as they arrive, then the same ``ChatCompletion`` as without streaming.

A stream is the one place where a request can fail after the caller has seen part of the answer, so it
owns two things the plain request does not: when retrying is still allowed (only until the first chunk)
and the idle timeout that catches a stream gone silent (DeepSeek-V3 issue #1608). What it needs from
its client (sending, retries, the key to mask) comes in a ``StreamLink``, fixed when the stream is made.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

import anyio
import httpx
from pydantic import ValidationError

from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    EmptyResponseError,
    StreamIdleTimeoutError,
    UserError,
    raise_if_interrupted,
)
from ._sse import SSEDecoder, StreamAssembler, error_from_payload, parse_chunks
from ._transport import is_timeout
from ._wire import ChatCompletion, ChatCompletionChunk

logger = logging.getLogger("agentkit")

IdleGuard = Literal["httpx", "each read"]
"""How a stream's idle timeout is enforced. ``"httpx"``: as httpx's read timeout, at no extra cost (a
client agentkit made itself, whose transport honours it). ``"each read"``: an anyio deadline around
``send`` and around each read (a client given by the user: its transport may be anything)."""


@dataclass(frozen=True)
class StreamLink:
    """What a stream uses of its client."""

    send: Callable[[str, bytes], Awaitable[httpx.Response]]
    """POSTs the body and returns the streamed response (error statuses raised as typed errors)."""
    with_retries: Callable[[Callable[[], Awaitable[None]]], Awaitable[None]]
    mask: Callable[[bytes], bytes]
    """The bytes with the API key masked, for what becomes an error (never for a successful chunk)."""
    idle_timeout: float | None
    idle_guard: IdleGuard
    """With ``"httpx"``, ``send`` has set the idle timeout as the read timeout already."""


class ChatStream:
    """A streamed chat completion: iterate for chunks, then read ``completion``.

    Opening it (``async with``, or the first ``async for``) sends the request and waits for the first
    chunk; failures up to that point are retried, since nothing has reached the caller yet. After that,
    a dropped or stalled stream raises (``StreamIdleTimeoutError`` after ``stream_idle_timeout`` seconds
    without a byte, keep-alives included) and the caller decides.
    """

    def __init__(self, link: StreamLink, url: str, content: bytes) -> None:
        self._link = link
        self._url = url
        self._content = content
        self._response: httpx.Response | None = None
        self._reads: AsyncIterator[bytes] | None = None
        self._decoder = SSEDecoder()
        self._first: list[ChatCompletionChunk] = []
        self._payloads: list[bytes] = []
        """Events read but not parsed yet: parsing waits until the caller asks for them, so a large read
        never holds thousands of parsed chunks at once."""
        self._eof = False
        self._assembler = StreamAssembler()
        self._completion: ChatCompletion | None = None

    @property
    def completion(self) -> ChatCompletion:
        """The assembled message, identical to what the same request returns without streaming."""
        if self._completion is None:
            raise UserError("the stream has not been read to the end yet")
        return self._completion

    async def __aenter__(self) -> ChatStream:
        await self._open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            await response.aclose()

    def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[ChatCompletionChunk]:
        opened_here = self._response is None
        if opened_here:
            if self._completion is not None or self._eof:
                raise UserError("this stream was already read; call chat_stream() again")
            await self._open()
        try:
            assembler, decoder, validate = (
                self._assembler,
                self._decoder,
                ChatCompletionChunk.model_validate_json,
            )
            first, self._first = self._first, []
            for chunk in first:
                assembler.add(chunk)
                yield chunk
            while True:
                if self._payloads:
                    payloads, self._payloads = self._payloads, []
                    for payload in payloads:
                        try:
                            chunk = validate(payload)
                        except ValidationError:  # an error event, or events glued together
                            for chunk in parse_chunks(payload, self._link.mask):
                                assembler.add(chunk)
                                yield chunk
                            continue
                        assembler.add(chunk)
                        yield chunk
                if decoder.done or self._eof:
                    break
                await self._read()
            if not decoder.done and not assembler.finished:
                raise APIConnectionError(
                    "the stream ended before it was complete (no [DONE], no finish_reason)"
                )
            completion = assembler.completion()
            if not completion.choices:  # a server fault, like a blank body: typed, so it is retried
                raise EmptyResponseError("the stream ended with no choices")
            self._completion = completion
            raise_if_interrupted(completion)
            logger.debug("stream %s done", self._url)
        finally:
            if opened_here:
                await self.aclose()

    async def _open(self) -> None:
        if self._response is None:
            await self._link.with_retries(self._attempt)

    async def _attempt(self) -> None:
        link = self._link
        self._decoder, self._first, self._payloads, self._eof = SSEDecoder(), [], [], False
        idle = link.idle_timeout
        if idle is None or link.idle_guard == "httpx":  # httpx's read timeout is then the idle timeout
            response = await link.send(self._url, self._content)
        else:
            with anyio.move_on_after(idle):
                response = await link.send(self._url, self._content)
                idle = None
            if idle is not None:
                raise StreamIdleTimeoutError(f"no response for {idle:g}s")
        self._response = response
        try:
            if response.headers.get("content-type", "").startswith("application/json"):
                body = (await response.aread()).strip()
                if not body:  # the overload symptom, on a streamed request too: retryable
                    raise EmptyResponseError("the stream request was answered 200 with an empty body")
                if body.startswith(b'{"error"'):
                    raise error_from_payload(link.mask(body), response.status_code)
                sample = link.mask(body[:200]).decode("utf-8", "replace")
                raise APIError(f"expected an event stream, got JSON: {sample}")
            self._reads = response.aiter_bytes()
            while not self._payloads and not self._eof and not self._decoder.done:
                await self._read()
            if not self._payloads:
                raise EmptyResponseError("the stream ended before its first chunk")
            self._first = parse_chunks(self._payloads.pop(0), link.mask)
        except BaseException:
            await self.aclose()
            raise

    async def _read(self) -> None:
        """One read from the network into ``_payloads``; sets ``_eof`` at the end of the body."""
        assert self._reads is not None
        idle = self._link.idle_timeout
        try:
            if idle is None or self._link.idle_guard != "each read":
                raw = await self._reads.__anext__()
            else:
                with anyio.move_on_after(idle):
                    raw = await self._reads.__anext__()
                    idle = None
                if idle is not None:
                    raise StreamIdleTimeoutError(f"the stream sent nothing for {idle:g}s")
        except StopAsyncIteration:
            self._eof = True
            self._payloads += self._decoder.close()
        except httpx.TransportError as exc:
            if isinstance(exc, httpx.ReadTimeout) and is_timeout(exc):
                if idle is None:
                    raise APITimeoutError("reading the stream timed out") from None
                raise StreamIdleTimeoutError(f"the stream sent nothing for {idle:g}s") from None
            if is_timeout(exc):
                raise APITimeoutError(f"reading the stream timed out ({type(exc).__name__})") from None
            message = f"the stream broke: {type(exc).__name__}: {exc}"
            raise APIConnectionError(self._link.mask(message.encode()).decode()) from None
        else:
            self._payloads += self._decoder.feed(raw)

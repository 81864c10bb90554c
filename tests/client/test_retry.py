"""Retries: which errors, how long to wait (no real sleeping), Retry-After, streams, stalls."""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import anyio
import httpx
import pytest
from client_wire import STALL, USAGE, Server, Sleeps, chunk, completion, sse, stream_response

from agentkit._client import DeepSeekClient
from agentkit._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    EmptyResponseError,
    InsufficientBalanceError,
    InvalidParametersError,
    RateLimitError,
    ServerError,
    ServerOverloadedError,
    StreamIdleTimeoutError,
)
from agentkit._retry import RetryPolicy, parse_retry_after
from agentkit._wire import ChatRequest

pytestmark = pytest.mark.anyio

HELLO: ChatRequest = {"model": "deepseek-v4-flash", "messages": [{"role": "user", "content": "Hi"}]}
OK = httpx.Response(200, json=completion({"role": "assistant", "content": "Hi"}))
STREAM_BODY = sse(
    chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
    chunk({"content": "Hi", "reasoning_content": None}),
    chunk({"content": "", "reasoning_content": None}, "stop", USAGE),
)


def failing(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"message": f"status {status}"}})


def raising(exc: type[httpx.TransportError]) -> object:
    def respond(request: httpx.Request) -> httpx.Response:
        raise exc("boom", request=request)

    return respond


@pytest.mark.parametrize(
    ("status", "cls"), [(429, RateLimitError), (500, ServerError), (503, ServerOverloadedError), (502, None)]
)
async def test_transient_statuses_are_retried_with_backoff(
    client: DeepSeekClient, server: Server, sleeps: Sleeps, status: int, cls: type[APIError] | None
) -> None:
    server.responses = [failing(status), failing(status), OK]
    result = await client.chat(HELLO)
    assert result.choices[0].message.content == "Hi"
    assert len(server.requests) == 3
    assert sleeps == [0.5 * 1.125, 1.0 * 1.125], "base 0.5s doubling, jitter 1..1.25 (random fixed at 0.5)"


async def test_each_retry_is_logged_with_its_count_delay_and_cause(
    client: DeepSeekClient, server: Server, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="agentkit")
    server.responses = [failing(503), failing(429), OK]
    await client.chat(HELLO)
    assert [r.getMessage() for r in caplog.records if r.name == "agentkit"] == [
        "retry 1 of 2 in 0.56s after ServerOverloadedError",
        "retry 2 of 2 in 1.12s after RateLimitError",
    ]


async def test_retries_give_up_after_max_retries(
    client: DeepSeekClient, server: Server, sleeps: Sleeps
) -> None:
    server.responses = [failing(503)]
    with pytest.raises(ServerOverloadedError):
        await client.chat(HELLO)
    assert len(server.requests) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("max_retries", [0, 1, 5])
async def test_max_retries_is_configurable(server: Server, sleeps: Sleeps, max_retries: int) -> None:
    server.responses = [failing(500)]
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handler)) as http:
        client = DeepSeekClient(api_key="sk-x", http_client=http, max_retries=max_retries)
        client.retry.sleep = sleeps
        with pytest.raises(ServerError):
            await client.chat(HELLO)
    assert len(server.requests) == max_retries + 1
    assert len(sleeps) == max_retries
    assert all(a < b for a, b in itertools.pairwise(sleeps)), sleeps


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, InsufficientBalanceError),
        (422, InvalidParametersError),
    ],
)
async def test_client_errors_are_never_retried(
    client: DeepSeekClient, server: Server, sleeps: Sleeps, status: int, cls: type[APIError]
) -> None:
    server.responses = [failing(status), OK]
    with pytest.raises(cls):
        await client.chat(HELLO)
    assert len(server.requests) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError, APIConnectionError),
        (httpx.RemoteProtocolError, APIConnectionError),
        (httpx.ReadTimeout, APITimeoutError),
        (httpx.ConnectTimeout, APITimeoutError),
    ],
)
async def test_connection_errors_and_timeouts_are_retried(
    client: DeepSeekClient,
    server: Server,
    sleeps: Sleeps,
    exc: type[httpx.TransportError],
    cls: type[APIError],
) -> None:
    server.responses = [raising(exc), OK]  # type: ignore[list-item]
    assert (await client.chat(HELLO)).choices[0].message.content == "Hi"
    assert len(sleeps) == 1
    server.requests.clear()
    server.responses = [raising(exc)]  # type: ignore[list-item]
    with pytest.raises(cls):
        await client.chat(HELLO)
    assert len(server.requests) == 3


async def test_retry_after_seconds_wins_over_backoff(
    client: DeepSeekClient, server: Server, sleeps: Sleeps
) -> None:
    server.responses = [failing(429, {"Retry-After": "7"}), failing(429, {"retry-after": "0.25"}), OK]
    await client.chat(HELLO)
    assert sleeps == [7.0, 0.25]


async def test_retry_after_http_date(client: DeepSeekClient, server: Server, sleeps: Sleeps) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    server.responses = [failing(503, {"Retry-After": format_datetime(when, usegmt=True)}), OK]
    await client.chat(HELLO)
    assert 25 < sleeps[0] <= 30


async def test_retry_after_is_capped(client: DeepSeekClient, server: Server, sleeps: Sleeps) -> None:
    server.responses = [failing(429, {"Retry-After": "3600"}), OK]
    await client.chat(HELLO)
    assert sleeps == [60.0]


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc).timestamp()
    assert parse_retry_after(httpx.Headers({"Retry-After": "12"}), now) == 12.0
    assert parse_retry_after(httpx.Headers({"Retry-After": "Mon, 23 Nov 2026 12:00:45 GMT"}), now) == 45.0
    assert parse_retry_after(httpx.Headers({"Retry-After": "Mon, 23 Nov 2026 11:00:00 GMT"}), now) == 0.0
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "1500"}), now) == 1.5
    assert parse_retry_after(httpx.Headers({"Retry-After": "soon"}), now) is None
    assert parse_retry_after(httpx.Headers({"Retry-After": "-3"}), now) == 0.0
    assert parse_retry_after(httpx.Headers({}), now) is None


def test_parse_retry_after_from_a_plain_mapping_of_lowercase_names() -> None:
    """Any ``Mapping`` will do (HTTP/2 and ASGI headers are lowercase); sub-second values stay exact."""
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "-5"}) == 0.0
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "x", "retry-after": "2"}) == 2.0
    assert parse_retry_after({"x-other": "3"}) is None


def test_backoff_schedule_and_jitter_bounds() -> None:
    policy = RetryPolicy(max_retries=10, base_delay=1.0, max_delay=8.0, jitter=0.5, random=lambda: 0.0)
    error = ServerError("x")
    assert [policy.delay(error, n) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    policy.random = lambda: 0.999
    assert all(8.0 <= policy.delay(error, n) < 12.0 for n in range(3, 6))


async def test_empty_body_then_success(client: DeepSeekClient, server: Server, sleeps: Sleeps) -> None:
    server.responses = [httpx.Response(200, content=b"\n\n"), OK]
    assert (await client.chat(HELLO)).choices[0].message.content == "Hi"
    assert len(sleeps) == 1


# --------------------------------------------------------------------------- streams


async def test_stream_is_retried_before_its_first_chunk(
    client: DeepSeekClient, server: Server, sleeps: Sleeps
) -> None:
    server.responses = [
        failing(503),
        raising(httpx.ConnectError),  # type: ignore[list-item]
        stream_response(b""),  # 200 with an empty body
        stream_response([b": keep-alive\n\n", httpx.RemoteProtocolError("dropped")]),
        stream_response(STREAM_BODY),
    ]
    client.retry.max_retries = 4
    async with client.chat_stream(HELLO) as stream:
        chunks = [c async for c in stream]
    assert len(chunks) == 3 and len(server.requests) == 5 and len(sleeps) == 4
    assert stream.completion.choices[0].message.content == "Hi"


async def test_stream_is_not_retried_after_its_first_chunk(
    client: DeepSeekClient, server: Server, sleeps: Sleeps
) -> None:
    first = sse(chunk({"role": "assistant", "content": "Hel"}), done=False)
    server.responses = [
        stream_response([first, httpx.ReadError("connection reset")]),
        stream_response(STREAM_BODY),
    ]
    seen = []
    with pytest.raises(APIConnectionError, match="ReadError"):
        async with client.chat_stream(HELLO) as stream:
            async for c in stream:
                seen.append(c.choices[0].delta.content)
    assert seen == ["Hel"]
    assert len(server.requests) == 1 and sleeps == []


async def test_stream_that_ends_without_done_or_finish_reason(client: DeepSeekClient, server: Server) -> None:
    server.responses = [stream_response(sse(chunk({"content": "Hel"}), done=False))]
    with pytest.raises(APIConnectionError, match="ended before it was complete"):
        async for _ in client.chat_stream(HELLO):
            pass


async def test_stream_with_finish_reason_but_no_done_is_accepted(
    client: DeepSeekClient, server: Server
) -> None:
    server.responses = [stream_response(sse(chunk({"content": "Hi"}, "stop"), done=False))]
    stream = client.chat_stream(HELLO)
    async for _ in stream:
        pass
    assert stream.completion.choices[0].message.content == "Hi"


async def test_stalled_stream_raises_idle_timeout_instead_of_hanging(
    client: DeepSeekClient, server: Server
) -> None:
    """DeepSeek-V3#1608: a stream went silent mid-reasoning, no [DONE], socket left open."""
    first = sse(chunk({"role": "assistant", "content": None, "reasoning_content": "Let me"}), done=False)
    server.responses = [stream_response([first, b": keep-alive\n\n", STALL])]
    client.stream_idle_timeout = 0.05
    seen = []
    with anyio.fail_after(10), pytest.raises(StreamIdleTimeoutError) as caught:
        async for c in client.chat_stream(HELLO):
            seen.append(c)
    assert len(seen) == 1
    assert caught.value.retryable
    assert len(server.requests) == 1, "chunks already reached the caller: not retried"


async def test_stall_before_the_first_chunk_is_retried(
    client: DeepSeekClient, server: Server, sleeps: Sleeps
) -> None:
    server.responses = [stream_response([b": keep-alive\n\n", STALL]), stream_response(STREAM_BODY)]
    client.stream_idle_timeout = 0.05
    with anyio.fail_after(10):
        async with client.chat_stream(HELLO) as stream:
            assert len([c async for c in stream]) == 3
    assert len(server.requests) == 2 and len(sleeps) == 1


async def test_empty_stream_body_exhausts_retries_as_empty_response(
    client: DeepSeekClient, server: Server
) -> None:
    server.responses = [stream_response(b"\n\n: keep-alive\n\ndata: [DONE]\n\n")]
    with pytest.raises(EmptyResponseError):
        async with client.chat_stream(HELLO):
            pass
    assert len(server.requests) == 3

"""The API key never shows: not in a repr, not in a log line, not in an exception message."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest
from client_wire import API_KEY, Server, chunk, completion, sse, stream_response

from agentkit._client import DeepSeekClient
from agentkit._errors import APIConnectionError, APIError, AuthenticationError

pytestmark = pytest.mark.anyio

HELLO = {"model": "deepseek-v4-flash", "messages": [{"role": "user", "content": "Hi"}]}


async def test_key_is_not_in_repr(client: DeepSeekClient) -> None:
    assert API_KEY not in repr(client)
    assert API_KEY not in repr(vars(client))
    assert API_KEY not in repr(client.chat_stream(HELLO))  # type: ignore[arg-type]


async def test_key_is_not_logged_at_debug(
    client: DeepSeekClient, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    server.responses = [
        httpx.Response(503),
        httpx.Response(200, json=completion({"role": "assistant", "content": "Hi"})),
        stream_response(sse(chunk({"content": "Hi"}, "stop"))),
        httpx.Response(
            401, json={"error": {"message": f"Authentication Fails, Your api key: {API_KEY} is invalid"}}
        ),
    ]
    with caplog.at_level(logging.DEBUG):
        await client.chat(HELLO)  # type: ignore[arg-type]
        async for _ in client.chat_stream(HELLO):  # type: ignore[arg-type]
            pass
        with pytest.raises(AuthenticationError):
            await client.chat(HELLO)  # type: ignore[arg-type]
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "agentkit POST https://api.deepseek.com/chat/completions" in logged
    assert "retry 1 of 2" in logged
    assert API_KEY not in logged
    assert API_KEY[3:] not in logged


async def test_key_is_not_in_error_messages_even_when_the_server_echoes_it(
    client: DeepSeekClient, server: Server
) -> None:
    server.responses = [
        httpx.Response(
            401, json={"error": {"message": f"Authentication Fails, Your api key: {API_KEY} is invalid"}}
        )
    ]
    with pytest.raises(AuthenticationError) as caught:
        await client.chat(HELLO)  # type: ignore[arg-type]
    error = caught.value
    assert "Authentication Fails" in str(error)
    for text in (
        str(error),
        repr(error),
        repr(error.body),
        error.message,
        "".join(traceback.format_exception(error)),
    ):
        assert API_KEY not in text


async def test_key_is_not_in_connection_errors(client: DeepSeekClient, server: Server) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {request.headers['authorization']}", request=request)

    server.responses = [refuse]
    with pytest.raises(APIConnectionError) as caught:
        await client.chat(HELLO)  # type: ignore[arg-type]
    assert API_KEY not in "".join(traceback.format_exception(caught.value))


def echoed() -> dict[str, object]:
    return {"error": {"message": f"Authentication Fails, Your api key: {API_KEY} is invalid"}}


@pytest.mark.parametrize(
    ("streamed", "response"),
    [
        (False, httpx.Response(200, json=echoed())),  # an error object in a 200 body
        (True, httpx.Response(200, json=echoed())),  # a streamed request answered with JSON
        (True, stream_response(sse(echoed()))),  # an error event as the first event
        (True, stream_response(sse(chunk({"content": "Hi"}), echoed()))),  # an error event mid-stream
    ],
    ids=["200-body", "stream-json", "first-event", "mid-stream-event"],
)
async def test_key_is_not_in_errors_from_error_bodies_inside_200_responses(
    client: DeepSeekClient, server: Server, streamed: bool, response: httpx.Response
) -> None:
    server.responses = [response]
    client.retry.max_retries = 0
    with pytest.raises(APIError) as caught:
        if streamed:
            async for _ in client.chat_stream(HELLO):  # type: ignore[arg-type]
                pass
        else:
            await client.chat(HELLO)  # type: ignore[arg-type]
    error = caught.value
    assert "Authentication Fails" in str(error)
    for text in (str(error), repr(error.body), error.message, "".join(traceback.format_exception(error))):
        assert API_KEY not in text

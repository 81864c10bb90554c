"""Every documented status becomes its typed error, with the server's message and the documented remedy."""

from __future__ import annotations

import httpx
import pytest
from client_wire import Server, chunk, completion, sse, stream_response

from agentkit._client import DeepSeekClient
from agentkit._errors import (
    APIError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    EmptyResponseError,
    InsufficientBalanceError,
    InvalidParametersError,
    RateLimitError,
    ServerError,
    ServerOverloadedError,
)
from agentkit._wire import ChatRequest

pytestmark = pytest.mark.anyio

HELLO: ChatRequest = {"model": "deepseek-v4-flash", "messages": [{"role": "user", "content": "Hi"}]}


def error_body(message: str, kind: str = "invalid_request_error") -> dict[str, object]:
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


@pytest.mark.parametrize(
    ("status", "cls", "remedy"),
    [
        (400, BadRequestError, "fix the request body"),
        (401, AuthenticationError, "check DEEPSEEK_API_KEY"),
        (402, InsufficientBalanceError, "insufficient balance: top up your account"),
        (422, InvalidParametersError, "fix the parameter values"),
        (429, RateLimitError, "send requests more slowly"),
        (500, ServerError, "retry after a short wait"),
        (503, ServerOverloadedError, "retry after a short wait"),
    ],
)
async def test_status_errors(
    client: DeepSeekClient, server: Server, status: int, cls: type[APIError], remedy: str
) -> None:
    message = "Missing `reasoning_content` field in the assistant message at message index 2."
    server.responses = [httpx.Response(status, json=error_body(message))]
    client.retry.max_retries = 0
    with pytest.raises(cls) as caught:
        await client.chat(HELLO)
    error = caught.value
    assert type(error) is cls
    assert error.status == status
    assert error.message == message
    assert str(error).startswith(f"{status} {message} (")
    assert remedy in str(error)
    assert error.body == error_body(message)


async def test_stream_status_errors_are_typed_too(client: DeepSeekClient, server: Server) -> None:
    server.responses = [httpx.Response(402, json=error_body("Insufficient Balance", "invalid_request_error"))]
    with pytest.raises(InsufficientBalanceError, match="Insufficient Balance"):
        async with client.chat_stream(HELLO):
            pass


async def test_error_body_that_is_not_json(client: DeepSeekClient, server: Server) -> None:
    server.responses = [httpx.Response(400, text="<html>Bad Request</html>")]
    with pytest.raises(BadRequestError, match="<html>Bad Request</html>"):
        await client.chat(HELLO)
    server.responses = [httpx.Response(400)]
    with pytest.raises(BadRequestError, match="400 Bad Request"):
        await client.chat(HELLO)


async def test_undocumented_status(client: DeepSeekClient, server: Server) -> None:
    server.responses = [httpx.Response(418, json=error_body("teapot"))]
    with pytest.raises(APIStatusError) as caught:
        await client.chat(HELLO)
    assert caught.value.status_code == 418
    assert "teapot" in str(caught.value)


@pytest.mark.parametrize("body", [b"", b"\n", b"\n\n\n  \r\n"])
async def test_empty_or_blank_200_body_is_a_retryable_error_not_a_json_error(
    client: DeepSeekClient, server: Server, body: bytes
) -> None:
    """DeepSeek-V3#599: under load a 200 with an empty body gave JSONDecodeError in other clients."""
    server.responses = [httpx.Response(200, content=body)]
    with pytest.raises(EmptyResponseError) as caught:
        await client.chat(HELLO)
    assert caught.value.retryable
    assert len(server.requests) == 3, "retried twice"


async def test_non_streamed_body_after_keep_alive_blank_lines(client: DeepSeekClient, server: Server) -> None:
    body = completion({"role": "assistant", "content": "Hi"})
    server.responses = [httpx.Response(200, content=b"\n\n\n\n" + httpx.Response(200, json=body).content)]
    result = await client.chat(HELLO)
    assert result.choices[0].message.content == "Hi"


async def test_body_that_is_not_a_completion(client: DeepSeekClient, server: Server) -> None:
    server.responses = [httpx.Response(200, text="<html>gateway</html>")]
    with pytest.raises(APIError, match=r"not a valid ChatCompletion.*gateway"):
        await client.chat(HELLO)
    assert len(server.requests) == 1


async def test_error_object_in_a_200_body(client: DeepSeekClient, server: Server) -> None:
    server.responses = [httpx.Response(200, json={"error": {"message": "busy", "code": 503}})]
    with pytest.raises(ServerOverloadedError, match="busy"):
        await client.chat(HELLO)


async def test_stream_answered_with_json_error(client: DeepSeekClient, server: Server) -> None:
    server.responses = [httpx.Response(200, json={"error": {"message": "bad key", "code": 401}})]
    with pytest.raises(AuthenticationError, match="bad key"):
        async with client.chat_stream(HELLO):
            pass


async def test_error_event_inside_a_stream(client: DeepSeekClient, server: Server) -> None:
    server.responses = [
        stream_response(
            sse(chunk({"content": "a"}), '{"error":{"message":"overloaded","code":"server_error"}}')
        )
    ]
    with pytest.raises(ServerError, match="overloaded"):
        async for _ in client.chat_stream(HELLO):
            pass

"""What a broken stream payload becomes: a typed error that says what arrived, never a decode error."""

from __future__ import annotations

import json

import pytest
from client_wire import chunk

from agentkit._errors import BadRequestError, RateLimitError, ServerError
from agentkit._sse import error_from_payload, parse_chunks


def test_a_short_invalid_chunk_is_shown_whole() -> None:
    payload = b'{"id": 1}'
    with pytest.raises(ServerError) as caught:
        parse_chunks(payload)
    assert caught.value.message.endswith('errors): {"id": 1}')


@pytest.mark.parametrize(("size", "shown"), [(200, 200), (201, 200)])
def test_a_long_invalid_chunk_is_cut_at_200_characters(size: int, shown: int) -> None:
    payload = b"x" * size
    with pytest.raises(ServerError) as caught:
        parse_chunks(payload)
    sample = caught.value.message.split("): ", 1)[1]
    assert sample == "x" * shown + ("..." if size > shown else "")


def test_invalid_utf8_in_a_chunk_is_replaced_not_raised() -> None:
    with pytest.raises(ServerError) as caught:
        parse_chunks(b'{"id": "\xff\xfe"}')
    assert caught.value.message.endswith('{"id": "\ufffd\ufffd"}')


def test_a_bad_line_among_several_is_the_one_shown() -> None:
    good = json.dumps(chunk({"content": "a"}))
    with pytest.raises(ServerError) as caught:
        parse_chunks(f'{good}\n{{"id": 2}}'.encode())
    assert caught.value.message.startswith("the stream sent a chunk that is not valid (")
    assert caught.value.message.endswith('errors): {"id": 2}')


def test_an_error_event_with_a_string_code_takes_the_http_status() -> None:
    kind = b'"invalid_request_error"'
    payload = b'{"error":{"message":"bad request","type":' + kind + b',"code":' + kind + b"}}"
    error = error_from_payload(payload, 400)
    assert type(error) is BadRequestError
    assert error.message == "bad request"
    assert error.body == payload
    assert type(error_from_payload(payload)) is ServerError  # no status at all: a server error


def test_an_error_event_with_a_numeric_code_takes_the_code() -> None:
    error = error_from_payload(b'{"error":{"message":"slow down","code":429}}', 500)
    assert type(error) is RateLimitError


def test_an_error_event_without_a_message_says_where_it_came_from() -> None:
    error = error_from_payload(b'{"error":{"message":"","code":503}}')
    assert error.message == "error event in the stream"


def test_an_error_body_that_is_not_the_error_shape_is_kept_as_text() -> None:
    payload = b'{"error": "\xff' + b"y" * 600
    error = error_from_payload(payload)
    assert type(error) is ServerError
    assert error.message == ('{"error": "\ufffd' + "y" * 600)[:500]

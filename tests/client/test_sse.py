"""The SSE decoder and the stream assembler, on the edge cases other DeepSeek clients got wrong."""

from __future__ import annotations

import json

import pytest
from client_wire import USAGE, chunk, completion

from agentkit._errors import RateLimitError, ServerError
from agentkit._sse import SSEDecoder, StreamAssembler, parse_chunks
from agentkit._wire import ChatCompletion, ChatCompletionChunk


def decode(*reads: bytes) -> tuple[list[bytes], bool]:
    decoder = SSEDecoder()
    events = [e for raw in reads for e in decoder.feed(raw)]
    events += decoder.close()
    return events, decoder.done


def test_plain_events_and_done() -> None:
    assert decode(b'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n') == ([b'{"a":1}', b'{"b":2}'], True)


def test_keep_alive_comments_and_blank_lines_are_skipped() -> None:
    body = b'\n\n: keep-alive\n\n: keep-alive\n\ndata: {"a":1}\n\n\n\n: keep-alive\n\ndata: [DONE]\n\n'
    assert decode(body) == ([b'{"a":1}'], True)


def test_a_comment_followed_by_a_blank_line_is_not_an_event() -> None:
    """openai-python#2722: the SDK dispatched an empty event here and then failed on json.loads("")."""
    assert decode(b": keep-alive\n\n") == ([], False)
    assert decode(b": keep-alive\r\n\r\n", b"data: [DONE]\r\n\r\n") == ([], True)


def test_an_empty_data_field_is_not_a_chunk() -> None:
    assert decode(b"data:\n\ndata: \n\n: keep-alive\n\n") == ([], False)


def test_crlf_and_cr_line_endings_even_split_across_reads() -> None:
    assert decode(b'data: {"a":1}\r\n\r\ndata: {"b":2}\r\r') == ([b'{"a":1}', b'{"b":2}'], False)
    body = b'data: {"a":1}\r\n\r\ndata: {"b":2}\r\n\r\ndata: [DONE]\r\n\r\n'
    for cut in range(1, len(body)):
        assert decode(body[:cut], body[cut:]) == ([b'{"a":1}', b'{"b":2}'], True), cut


def test_cr_only_events_come_out_as_each_read_completes_them() -> None:
    """A server ending lines with a bare CR: each event is returned by the read that completes it, not
    rescued by ``close``. Only a CR at the very end of a read waits, since an LF may follow it."""
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a":1}\r\rdata: {"b":2}\r') == [b'{"a":1}']
    assert decoder.feed(b'\rdata: {"c":3}\r\r') == [b'{"b":2}']
    assert decoder.feed(b"data: [DONE]\r\r") == [b'{"c":3}']
    assert not decoder.done  # the blank line of [DONE] is the CR held back
    assert decoder.close() == []
    assert decoder.done
    assert decoder.close() == []  # closing again finds nothing left


def test_every_split_point_of_a_body_gives_the_same_events() -> None:
    body = b': keep-alive\n\ndata: {"a":"x y"}\n\ndata:{"b":2}\n\n\ndata: [DONE]\n\n'
    for cut in range(1, len(body)):
        assert decode(body[:cut], body[cut:]) == ([b'{"a":"x y"}', b'{"b":2}'], True), cut
    assert decode(*[body[i : i + 1] for i in range(len(body))]) == ([b'{"a":"x y"}', b'{"b":2}'], True)


def test_multi_line_data_is_one_event() -> None:
    assert decode(b'data: {"a":\ndata: 1}\n\n') == ([b'{"a":\n1}'], False)
    assert json.loads(b'{"a":\n1}') == {"a": 1}


def test_other_fields_are_ignored_and_data_without_space_is_accepted() -> None:
    assert decode(b'event: message\nid: 7\nretry: 100\ndata:{"a":1}\n\n') == ([b'{"a":1}'], False)


def test_nothing_after_done_is_returned() -> None:
    assert decode(b'data: [DONE]\n\ndata: {"late":1}\n\n') == ([], True)


def test_last_event_without_its_blank_line_still_counts() -> None:
    assert decode(b'data: {"a":1}\n\ndata: [DONE]') == ([b'{"a":1}'], True)
    assert decode(b'data: {"a":1}') == ([b'{"a":1}'], False)


def test_events_missing_their_blank_lines_are_split_back_into_chunks() -> None:
    """Seen in a V4 capture: ``data:`` lines separated by a single newline."""
    one, two = json.dumps(chunk({"content": "a"})), json.dumps(chunk({"content": "b"}))
    events, done = decode(f"data: {one}\ndata: {two}\ndata: [DONE]\n\n".encode())
    assert done
    assert [c.choices[0].delta.content for e in events for c in parse_chunks(e)] == ["a", "b"]


def test_an_error_event_raises_its_typed_error() -> None:
    with pytest.raises(RateLimitError, match="slow down"):
        parse_chunks(b'{"error":{"message":"slow down","type":"rate_limit","code":429}}')
    with pytest.raises(ServerError, match="overloaded"):
        parse_chunks(b'{"error":{"message":"overloaded","type":"server_error","code":"server_error"}}')


def test_a_chunk_that_is_not_json_is_a_server_error_not_a_json_decode_error() -> None:
    with pytest.raises(ServerError, match="not valid"):
        parse_chunks(b"{not json")


# --------------------------------------------------------------------------- assembler


def assemble(*events: dict[str, object]) -> ChatCompletion:
    assembler = StreamAssembler()
    for event in events:
        assembler.add(ChatCompletionChunk.model_validate(event))
    return assembler.completion()


def test_first_empty_reasoning_delta_is_kept_as_empty_string() -> None:
    """Oaklight/llm-rosetta#356: a truthiness check lost ``reasoning_content: ""`` and caused a 400."""
    message = (
        assemble(
            chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
            chunk({"content": "Hi", "reasoning_content": None}),
            chunk({"content": "", "reasoning_content": None}, "stop", USAGE),
        )
        .choices[0]
        .message
    )
    assert message.reasoning_content == ""
    assert message.content == "Hi"


def test_no_reasoning_key_gives_none() -> None:
    message = assemble(chunk({"role": "assistant", "content": "Hi"}, "stop")).choices[0].message
    assert message.reasoning_content is None


def test_tool_call_fragments_with_id_and_name_only_on_the_first() -> None:
    call0 = {
        "index": 0,
        "id": "call_00_a",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    call1 = {
        "index": 1,
        "id": "call_01_b",
        "type": "function",
        "function": {"name": "get_time", "arguments": ""},
    }
    result = assemble(
        chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
        chunk({"content": None, "reasoning_content": "Need weather."}),
        chunk({"tool_calls": [call0]}),
        *[
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]})
            for p in ['{"', "city", '":"', "Berlin", '"}']
        ],
        chunk({"tool_calls": [call1]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}),
        chunk({"content": "", "reasoning_content": None}, "tool_calls", USAGE),
    )
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert [
        (c.id, c.function.name, c.function.arguments, c.index) for c in choice.message.tool_calls or []
    ] == [
        ("call_00_a", "get_weather", '{"city":"Berlin"}', 0),
        ("call_01_b", "get_time", "{}", 1),
    ]
    assert choice.message.reasoning_content == "Need weather."
    assert result.usage is not None and result.usage.prompt_cache_hit_tokens == 256


def test_interleaved_parallel_fragments_are_assembled_by_index() -> None:
    result = assemble(
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_00_a",
                        "type": "function",
                        "function": {"name": "a", "arguments": '{"x"'},
                    },
                    {
                        "index": 1,
                        "id": "call_01_b",
                        "type": "function",
                        "function": {"name": "b", "arguments": '{"y"'},
                    },
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": ":2}"}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]}),
        chunk({}, "tool_calls"),
    )
    calls = result.choices[0].message.tool_calls or []
    assert [(c.function.name, c.function.arguments) for c in calls] == [("a", '{"x":1}'), ("b", '{"y":2}')]


def test_assembled_equals_non_streamed_for_reasoning_content_and_tool_calls() -> None:
    non_streamed = ChatCompletion.model_validate(
        completion(
            {
                "role": "assistant",
                "content": "Let me check.",
                "reasoning_content": "The user wants weather.",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_00_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Berlin"}'},
                    },
                    {
                        "index": 1,
                        "id": "call_01_b",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": "{}"},
                    },
                ],
            },
            "tool_calls",
        )
    )
    streamed = assemble(
        chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
        chunk({"content": None, "reasoning_content": "The user "}),
        chunk({"content": None, "reasoning_content": "wants weather."}),
        chunk({"content": "Let me", "reasoning_content": None}),
        chunk({"content": " check.", "reasoning_content": None}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_00_a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Berlin"}'}}]}),
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "call_01_b",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": ""},
                    }
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}),
        chunk({"content": "", "reasoning_content": None}, "tool_calls", USAGE),
    )
    assert streamed == non_streamed
    assert streamed.model_dump() == non_streamed.model_dump()
    assert streamed.model_dump_json() == non_streamed.model_dump_json()


def test_finished_needs_a_finish_reason() -> None:
    assembler = StreamAssembler()
    assert not assembler.finished
    assembler.add(ChatCompletionChunk.model_validate(chunk({"content": "a"})))
    assert not assembler.finished
    assembler.add(ChatCompletionChunk.model_validate(chunk({"content": ""}, "stop")))
    assert assembler.finished


def test_usage_only_chunk_without_choices() -> None:
    """OpenAI-compatible servers with ``include_usage`` send usage on a chunk with no choices."""
    usage_chunk = {**chunk({}), "choices": [], "usage": USAGE}
    result = assemble(chunk({"role": "assistant", "content": "ok"}, "stop"), usage_chunk)
    assert result.usage is not None and result.usage.total_tokens == 391
    assert result.choices[0].message.content == "ok"

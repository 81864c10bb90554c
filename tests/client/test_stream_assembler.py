"""The stream assembler on what the common cases leave out: logprobs, several choices, bare streams."""

from __future__ import annotations

from typing import Any

from client_wire import chunk

from agentkit._sse import StreamAssembler
from agentkit._wire import ChatCompletion, ChatCompletionChunk


def assemble(*events: dict[str, Any]) -> ChatCompletion:
    assembler = StreamAssembler()
    for event in events:
        assembler.add(ChatCompletionChunk.model_validate(event))
    return assembler.completion()


def with_logprobs(event: dict[str, Any], logprobs: dict[str, Any]) -> dict[str, Any]:
    event["choices"][0]["logprobs"] = logprobs
    return event


def token(text: str, logprob: float) -> dict[str, Any]:
    return {"token": text, "logprob": logprob, "bytes": list(text.encode()), "top_logprobs": []}


def test_logprobs_of_every_chunk_are_merged_in_order() -> None:
    completion = assemble(
        chunk({"role": "assistant", "content": ""}),
        with_logprobs(chunk({"content": "Hel"}), {"content": [token("Hel", -0.1)], "refusal": None}),
        with_logprobs(chunk({"content": "lo"}), {"content": [token("lo", -0.2)], "note": "v1"}),
        with_logprobs(chunk({"content": ""}, "stop"), {"content": [], "refusal": None, "note": "v2"}),
    )
    assert completion.choices[0].logprobs == {
        "content": [token("Hel", -0.1), token("lo", -0.2)],
        "note": "v2",  # a value that is not a list: the latest one
    }


def test_no_logprobs_stay_none() -> None:
    assert assemble(chunk({"content": "Hi"}, "stop")).choices[0].logprobs is None


def test_several_choices_are_assembled_apart_and_in_index_order() -> None:
    def of(index: int, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        event = chunk(delta, finish_reason)
        event["choices"][0]["index"] = index
        event["choices"][0]["logprobs"] = {"content": [token(delta.get("content") or "", -float(index))]}
        return event

    completion = assemble(
        of(1, {"content": "B"}), of(0, {"content": "A"}), of(1, {"content": "b"}, "length"), of(0, {}, "stop")
    )
    assert [(c.index, c.message.content, c.finish_reason) for c in completion.choices] == [
        (0, "A", "stop"),
        (1, "Bb", "length"),
    ]
    assert [len(c.logprobs["content"]) for c in completion.choices if c.logprobs] == [2, 2]


def test_a_stream_with_no_chunk_assembles_to_an_empty_completion() -> None:
    assert StreamAssembler().completion() == ChatCompletion(
        id="", object="chat.completion", created=0, model="", system_fingerprint=None, choices=[], usage=None
    )


def test_a_tool_call_whose_fragments_never_carry_an_id_gets_an_empty_one() -> None:
    """Some OpenAI-compatible servers leave the id out; the call still assembles, with id ``""``."""
    fragment = {"index": 0, "function": {"name": "get_date", "arguments": "{}"}}
    (call,) = assemble(chunk({"tool_calls": [fragment]}, "tool_calls")).choices[0].message.tool_calls or []
    assert (call.id, call.type, call.function.name) == ("", "function", "get_date")
    assert call.function.arguments == "{}"


def test_a_tool_call_whose_fragments_never_carry_a_name_gets_an_empty_one() -> None:
    fragments = [{"index": 0, "id": "call_0", "function": {"arguments": "{}"}}, {"index": 0, "function": {}}]
    (call,) = assemble(chunk({"tool_calls": fragments}, "tool_calls")).choices[0].message.tool_calls or []
    assert (call.id, call.function.name, call.function.arguments) == ("call_0", "", "{}")

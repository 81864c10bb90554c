"""The SSE decoder and the stream assembler against arbitrary read boundaries and keep-alive noise.

Whatever the network does to the byte stream (reads split mid-line, mid-UTF-8 character, between CR and
LF) and whatever the server puts between events (``: keep-alive`` comments, blank lines, ``event:``/``id:``
fields), the decoder must return the same events as for the whole body read at once.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
from hypothesis import HealthCheck, given, settings, strategies as st

from agentkit._client import DeepSeekClient
from agentkit._sse import SSEDecoder
from agentkit.sim import SIM_API_KEY, Reply, Simulator

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# one line of event data: any text without line breaks (the decoder works on bytes; CR and LF end lines)
data_lines = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]), max_size=30)
noise_lines = st.sampled_from([": keep-alive", ":", ": ping", "event: message", "id: 7", "retry: 100", ""])


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, list[bytes], bool]:
    """An SSE body, the event payloads it holds, and whether it ends with ``[DONE]``."""
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    events = draw(
        st.lists(
            st.lists(data_lines.filter(lambda s: s != "[DONE]"), min_size=1, max_size=3).filter(
                lambda lines: "\n".join(lines) != ""
            ),
            max_size=6,
        )
    )
    lines: list[str] = []
    for event in events:
        lines += [line for line in draw(st.lists(noise_lines, max_size=3))]  # between events
        for data in event:
            lines += [f": {c}" for c in draw(st.lists(st.sampled_from(["keep-alive", "x"]), max_size=1))]
            lines.append(f"data: {data}" if draw(st.booleans()) or data[:1] == " " else f"data:{data}")
        lines.append("")  # the blank line that ends the event
    done = draw(st.booleans())
    if done:
        lines += ["data: [DONE]", ""]
        lines += draw(st.lists(st.sampled_from(["data: after the end", ""]), max_size=2))
    body = "".join(line + eol for line in lines).encode()
    return body, ["\n".join(event).encode() for event in events], done


def decode(parts: list[bytes]) -> tuple[list[bytes], bool]:
    decoder = SSEDecoder()
    events: list[bytes] = []
    for part in parts:
        events += decoder.feed(part)
    events += decoder.close()
    return events, decoder.done


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(body)) for c in cuts})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


@FUZZ
@given(body=bodies(), cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=40))
def test_any_read_boundaries_give_the_same_events(
    body: tuple[bytes, list[bytes], bool], cuts: list[int]
) -> None:
    raw, expected, done = body
    assert decode([raw]) == (expected, done)
    assert decode(split(raw, cuts)) == (expected, done)
    assert decode([raw[i : i + 1] for i in range(len(raw))]) == (expected, done)  # byte by byte


@FUZZ
@given(body=bodies())
def test_a_body_without_its_last_blank_line_still_counts(body: tuple[bytes, list[bytes], bool]) -> None:
    raw, expected, done = body
    if done or not expected:
        return
    for ending in (b"\r\n", b"\n", b"\r"):
        if raw.endswith(ending * 2):
            assert decode([raw[: -len(ending)]]) == (expected, False)
            return


# --------------------------------------------------------------------------- the whole client stream

words = st.text(st.characters(codec="utf-8", blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40)
replies = st.builds(
    Reply,
    content=st.none() | words,
    reasoning=st.none() | words,
    tool_calls=st.lists(
        st.tuples(
            st.sampled_from(["lookup", "add"]), st.dictionaries(st.sampled_from("abc"), words, max_size=2)
        ),
        max_size=3,
    ),
)


class Rechunked(httpx.AsyncBaseTransport):
    """Serves a recorded response body again, cut into the given pieces."""

    def __init__(self, body: bytes, cuts: list[int]) -> None:
        self.parts = split(body, cuts)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=_Parts(self.parts))


class _Parts(httpx.AsyncByteStream):
    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    async def __aiter__(self) -> Any:
        for part in self.parts:
            yield part


def _message(completion: Any) -> dict[str, Any]:
    data: dict[str, Any] = completion.choices[0].model_dump()
    # a stream's deltas carry content "" even when the answer has none, so "" and null mean the same here
    data["message"]["content"] = data["message"]["content"] or None
    for call in data["message"].get("tool_calls") or ():
        call.pop("id")  # the simulator derives ids from the request bytes, which differ with stream=True
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    reply=replies,
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=60),
    thinking=st.booleans(),
)
def test_a_rechunked_stream_assembles_to_the_plain_answer(
    reply: Reply, cuts: list[int], thinking: bool
) -> None:
    if not reply.content and not reply.tool_calls:
        reply = Reply(content="ok", reasoning=reply.reasoning)
    request: Any = {
        "model": "deepseek-v4-flash",
        "messages": [{"role": "user", "content": "hi"}],
        "thinking": {"type": "enabled" if thinking else "disabled"},
    }

    async def main() -> None:
        sim = Simulator(seed=0)
        sim.script(reply, reply)
        async with sim.http_client() as http:
            plain = await DeepSeekClient(http_client=http, base_url="http://sim").chat(request)
            streamed_body = {**request, "stream": True, "stream_options": {"include_usage": True}}
            raw = (await http.post("/chat/completions", content=json.dumps(streamed_body))).content
        async with httpx.AsyncClient(transport=Rechunked(raw, cuts)) as http:
            client = DeepSeekClient(api_key=SIM_API_KEY, base_url="http://sim", http_client=http)
            async with client.chat_stream(request) as stream:
                async for _ in stream:
                    pass
        assert _message(stream.completion) == _message(plain)
        assert stream.completion.usage == plain.usage

    anyio.run(main)

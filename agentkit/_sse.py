"""Server-sent events: bytes to chunks, and chunks to the message the non-streamed API would return.

The decoder works on raw bytes (no text decoding, no per-line string objects beyond ``split``) because
it sits on the hot path of every streamed token. It follows the SSE rules that other clients got wrong
on DeepSeek (``docs/deepseek-api.md`` §6): ``: keep-alive`` comments and blank lines are skipped, a comment
followed by a blank line is not an event (an event needs data), CR, LF and CRLF all end a line (even
split across reads), several ``data:`` lines form one event, and ``[DONE]`` ends the stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ._errors import STATUS_ERRORS, APIError, ServerError
from ._wire import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ErrorBody,
    ResponseFunctionCall,
    ResponseMessage,
    ResponseToolCall,
    Usage,
)

DONE = b"[DONE]"
MAX_LINE_BYTES = 16 * 1024 * 1024
"""The longest line (and event) read: a chunk is a few kilobytes, so more is a broken server, not data."""


class SSEDecoder:
    """Feed it reads as they arrive; it returns the data of each event they complete.

    The unfinished line is kept as a list of reads, joined once when its line break arrives: a long line
    costs its length, not its length times the number of reads (re-copying it on each read was quadratic).
    """

    __slots__ = ("_data", "_data_size", "_pending", "_pending_size", "done", "max_line")

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._data: list[bytes] = []
        self._data_size = 0
        self.max_line = max_line
        self.done = False
        """True once ``data: [DONE]`` arrived; nothing after it is returned."""

    def feed(self, raw: bytes) -> list[bytes]:
        pending = self._pending
        if b"\n" not in raw and b"\r" not in raw and not (pending and pending[-1][-1:] == b"\r"):
            pending.append(raw)  # still inside a line
            self._pending_size += len(raw)
            self._check(self._pending_size)
            return []
        buffer = b"".join((*pending, raw)) if pending else raw
        tail = b""
        if b"\r" in buffer:
            if buffer[-1:] == b"\r":  # its LF may come with the next read
                buffer, tail = buffer[:-1], b"\r"
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        rest = lines.pop() + tail
        self._pending = [rest] if rest else []
        self._pending_size = len(rest)
        self._check(self._pending_size)
        return self._lines(lines)

    def close(self) -> list[bytes]:
        """End of body: a last line or event without its blank line still counts (lenient servers)."""
        rest = b"".join(self._pending).replace(b"\r", b"")
        self._pending, self._pending_size = [], 0
        return self._lines([rest, b""] if rest else [b""])

    def _check(self, size: int) -> None:
        if size > self.max_line:
            raise APIError(
                f"the stream sent a line or event of more than {self.max_line} bytes; a chunk is a few "
                "kilobytes, so the server is broken or this is not an event stream (nothing more was read)"
            )

    def _lines(self, lines: list[bytes]) -> list[bytes]:
        events: list[bytes] = []
        data = self._data
        for line in lines:
            if self.done:
                break
            if not line:
                if data:
                    payload = data[0] if len(data) == 1 else b"\n".join(data)
                    data.clear()
                    self._data_size = 0
                    if payload == DONE or payload.endswith(b"\n" + DONE):
                        self.done = True
                        if payload != DONE:
                            events.append(payload[: -len(DONE) - 1])
                        break
                    if payload:
                        events.append(payload)
            elif line.startswith(b"data:"):
                value = line[6:] if line.startswith(b"data: ") else line[5:]
                self._data_size += len(value)
                self._check(self._data_size)
                data.append(value)
            # comments (":"), "event:", "id:", "retry:" and unknown lines carry nothing for us
        return events


def _unmasked(payload: bytes) -> bytes:
    return payload


def parse_chunks(payload: bytes, mask: Callable[[bytes], bytes] = _unmasked) -> list[ChatCompletionChunk]:
    """One event's data as chunks; an error event raises its typed error.

    Normally one event holds one chunk. Some servers forget the blank line between events, which
    turns several ``data:`` lines into one event; those are split back into one chunk per line.
    ``mask`` hides the API key in what becomes an error, and only there: chunks are parsed as sent.
    """
    if payload.startswith(b'{"error"'):
        raise error_from_payload(mask(payload))
    try:
        return [ChatCompletionChunk.model_validate_json(payload)]
    except ValidationError as exc:
        if b"\n" not in payload:
            raise _bad_chunk(mask(payload), exc) from exc
    chunks = []
    for line in payload.split(b"\n"):
        if line.strip():
            try:
                chunks.append(ChatCompletionChunk.model_validate_json(line))
            except ValidationError as exc:
                raise _bad_chunk(mask(line), exc) from exc
    return chunks


def error_from_payload(payload: bytes, status: int | None = None) -> APIError:
    """A typed error from an ``{"error": {...}}`` body that arrived inside a stream."""
    try:
        detail = ErrorBody.model_validate_json(payload).error
    except ValidationError:
        return ServerError(payload.decode("utf-8", "replace")[:500])
    code = detail.code if isinstance(detail.code, int) else status
    cls = STATUS_ERRORS.get(code or 500, ServerError)
    return cls(detail.message or "error event in the stream", body=payload)


def _bad_chunk(payload: bytes, exc: ValidationError) -> APIError:
    text = payload.decode("utf-8", "replace")
    sample = text if len(text) <= 200 else text[:200] + "..."
    return ServerError(f"the stream sent a chunk that is not valid ({exc.error_count()} errors): {sample}")


class _ToolCallState:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.arguments: list[str] = []


class _ChoiceState:
    __slots__ = ("content", "finish_reason", "logprobs", "reasoning", "tool_calls")

    def __init__(self) -> None:
        self.content: list[str] | None = None
        self.reasoning: list[str] | None = None
        self.tool_calls: dict[int, _ToolCallState] = {}
        self.finish_reason: str | None = None
        self.logprobs: dict[str, Any] | None = None


class StreamAssembler:
    """Folds chunks into the ``ChatCompletion`` the same request would have returned without streaming.

    Fields present in any delta are kept even when empty: DeepSeek's first delta is
    ``reasoning_content: ""``, and an empty reasoning must stay ``""`` (not ``None``) because the
    API wants it sent back. Tool calls are assembled by ``index``; only the first fragment of a call
    carries its ``id`` and ``name``.
    """

    __slots__ = ("_choices", "_created", "_fingerprint", "_id", "_model", "_usage")

    def __init__(self) -> None:
        self._id: str | None = None
        self._created = 0
        self._model = ""
        self._fingerprint: str | None = None
        self._usage: Usage | None = None
        self._choices: dict[int, _ChoiceState] = {}

    def add(self, chunk: ChatCompletionChunk) -> None:
        if self._id is None:
            self._id, self._created, self._model = chunk.id, chunk.created, chunk.model
        if chunk.system_fingerprint is not None:
            self._fingerprint = chunk.system_fingerprint
        if chunk.usage is not None:
            self._usage = chunk.usage
        for choice in chunk.choices:
            state = self._choices.get(choice.index)
            if state is None:
                state = self._choices[choice.index] = _ChoiceState()
            delta = choice.delta
            if delta.content is not None:
                if state.content is None:
                    state.content = [delta.content]
                else:
                    state.content.append(delta.content)
            if delta.reasoning_content is not None:
                if state.reasoning is None:
                    state.reasoning = [delta.reasoning_content]
                else:
                    state.reasoning.append(delta.reasoning_content)
            if delta.tool_calls:
                for fragment in delta.tool_calls:
                    call = state.tool_calls.get(fragment.index)
                    if call is None:
                        call = state.tool_calls[fragment.index] = _ToolCallState()
                    if fragment.id:
                        call.id = fragment.id
                    function = fragment.function
                    if function is not None:
                        if function.name and not call.name:
                            call.name = function.name
                        if function.arguments:
                            call.arguments.append(function.arguments)
            if choice.finish_reason is not None:
                state.finish_reason = choice.finish_reason
            if choice.logprobs:
                _merge_logprobs(state, choice.logprobs)

    @property
    def finished(self) -> bool:
        """Every choice seen so far has its ``finish_reason``."""
        return bool(self._choices) and all(s.finish_reason is not None for s in self._choices.values())

    def completion(self) -> ChatCompletion:
        choices = []
        for index in sorted(self._choices):
            state = self._choices[index]
            tool_calls = None
            if state.tool_calls:
                tool_calls = [
                    ResponseToolCall(
                        id=call.id,
                        type="function",
                        function=ResponseFunctionCall(name=call.name, arguments="".join(call.arguments)),
                        index=i,
                    )
                    for i, call in sorted(state.tool_calls.items())
                ]
            message = ResponseMessage(
                role="assistant",
                content=None if state.content is None else "".join(state.content),
                reasoning_content=None if state.reasoning is None else "".join(state.reasoning),
                tool_calls=tool_calls,
            )
            choices.append(
                Choice(
                    index=index, message=message, finish_reason=state.finish_reason, logprobs=state.logprobs
                )
            )
        return ChatCompletion(
            id=self._id or "",
            object="chat.completion",
            created=self._created,
            model=self._model,
            system_fingerprint=self._fingerprint,
            choices=choices,
            usage=self._usage,
        )


def _merge_logprobs(state: _ChoiceState, logprobs: dict[str, Any]) -> None:
    if state.logprobs is None:
        state.logprobs = {}
    for key, value in logprobs.items():
        if isinstance(value, list):
            state.logprobs.setdefault(key, []).extend(value)
        elif value is not None:
            state.logprobs[key] = value

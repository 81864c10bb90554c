"""The typed events ``Agent.run_stream`` yields.

Plain frozen dataclasses: a UI matches on the class (``match event: case TextDelta(text=t): ...``).
The last event of every successful run is ``RunDone``, which carries the ``RunResult``.
``stream_response`` turns one streamed model response into these events.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import APIError
from ._wire import ChatCompletion

if TYPE_CHECKING:
    from ._client import DeepSeekClient
    from ._run import RunResult
    from ._wire import ChatCompletionChunk, ChatRequest, Usage


@dataclass(frozen=True)
class ReasoningDelta:
    """A piece of the model's reasoning (thinking mode), shown to the user as it arrives."""

    text: str


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True)
class ToolCallStarted:
    """The model began a tool call; its arguments follow as ``ToolArgumentsDelta`` events."""

    tool_call_id: str
    name: str
    index: int


@dataclass(frozen=True)
class ToolArgumentsDelta:
    """A piece of a tool call's JSON arguments, as the model writes them."""

    tool_call_id: str
    index: int
    delta: str


@dataclass(frozen=True)
class ToolResult:
    """A tool call was answered; ``content`` is the ``tool`` message sent to the model."""

    tool_call_id: str
    name: str
    content: str
    is_error: bool = False
    """The call failed (unknown tool, bad arguments, an exception, a timeout): it counts against the
    tool's retry budget. A refused approval or a call skipped after the final answer is not an error."""


@dataclass(frozen=True)
class ModelResponseDone:
    """One model response is complete: the assistant message as stored in history, and its usage."""

    message: dict[str, Any]
    usage: Usage | None
    finish_reason: str | None


@dataclass(frozen=True)
class ResponseRestarted:
    """The streamed response broke after it began and is being asked for again (attempt ``attempt``):
    discard the deltas received since the last ``ModelResponseDone``."""

    attempt: int
    error: APIError


@dataclass(frozen=True)
class PartialOutput:
    """The structured answer so far (``output_type`` a pydantic model or other non-``str`` type), as it
    streams: an ``output_type`` instance validated from the JSON received, incomplete values left out
    (a string being written is shown as far as it goes). The final, complete output is in ``RunDone``."""

    output: Any


@dataclass(frozen=True)
class SubAgentEvent:
    """An event of an agent used as a tool (``Agent.as_tool``), relayed into the calling run's stream.

    ``agent`` is the tool's name and ``tool_call_id`` the call that ran it (one agent may be called
    several times at once). The events of one call arrive together, after the calls of their response
    finished and before their ``ToolResult``s (see ``agentkit._subagent``); the sub-agent's own
    ``RunDone`` is not relayed: its answer is the tool's result."""

    agent: str
    tool_call_id: str
    event: StreamEvent


@dataclass(frozen=True)
class RunDone:
    """The run finished; ``result`` is what ``Agent.run`` would have returned."""

    result: RunResult[Any]


StreamEvent = (
    ReasoningDelta
    | TextDelta
    | ToolCallStarted
    | ToolArgumentsDelta
    | ToolResult
    | ModelResponseDone
    | ResponseRestarted
    | PartialOutput
    | SubAgentEvent
    | RunDone
)

ResponseItem = StreamEvent | ChatCompletion
"""What a model request yields: its stream events (when streamed), then one ``ChatCompletion``."""


def chunk_events(chunk: ChatCompletionChunk, call_ids: dict[int, str]) -> list[StreamEvent]:
    """The events one streamed chunk carries; ``call_ids`` maps tool-call index to id across chunks
    (only a call's first fragment has its id and name)."""
    events: list[StreamEvent] = []
    for choice in chunk.choices:
        delta = choice.delta
        if delta.reasoning_content:
            events.append(ReasoningDelta(delta.reasoning_content))
        if delta.content:
            events.append(TextDelta(delta.content))
        for call in delta.tool_calls or ():
            function = call.function
            if call.id is not None:
                call_ids[call.index] = call.id
                events.append(ToolCallStarted(call.id, (function.name or "") if function else "", call.index))
            if function is not None and function.arguments:
                events.append(
                    ToolArgumentsDelta(call_ids.get(call.index, ""), call.index, function.arguments)
                )
    return events


async def stream_response(
    client: DeepSeekClient, request: ChatRequest
) -> AsyncGenerator[StreamEvent | ChatCompletion, None]:
    """One streamed model response as events, then its ``ChatCompletion``.

    The client retries failures before the first chunk. A stream that breaks after it began (dropped,
    stalled) is asked for again under the same retry policy, after a ``ResponseRestarted`` event telling
    the caller to discard what this response streamed so far.
    """
    retries = client.retry.start()
    while True:
        call_ids: dict[int, str] = {}
        started = False
        try:
            async with client.chat_stream(request) as chunks:
                async for chunk in chunks:
                    started = True
                    for event in chunk_events(chunk, call_ids):
                        yield event
            yield chunks.completion
            return
        except APIError as error:
            if not started:  # the client has retried the request already
                raise
            delay = retries.delay_after(error)
            yield ResponseRestarted(retries.count, error)
            await client.retry.sleep(delay)


async def model_response(
    client: DeepSeekClient, request: ChatRequest, *, stream: bool
) -> AsyncGenerator[StreamEvent | ChatCompletion, None]:
    """One model response: its events when streamed, then the ``ChatCompletion``."""
    if not stream:
        yield await client.chat(request)
        return
    async with aclosing(stream_response(client, request)) as items:
        async for item in items:
            yield item

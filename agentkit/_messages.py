"""History messages built from API responses.

A response becomes a plain dict with the API's keys in the API's order, the tool-call ``arguments``
text exactly as the model wrote it and ``reasoning_content`` whenever the server sent it (``""``
included): what is stored is what the cache-friendly prefix of later requests is made of.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from ._wire import AssistantMessage, ChatCompletion, Message


def assistant_message(completion: ChatCompletion) -> AssistantMessage:
    """The first choice of ``completion`` as a history message."""
    response = completion.choices[0].message
    message: AssistantMessage = {"role": "assistant", "content": response.content}
    if response.reasoning_content is not None:
        message["reasoning_content"] = response.reasoning_content
    if response.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }
            for call in response.tool_calls
        ]
    return message


def joined(parts: Sequence[AssistantMessage]) -> AssistantMessage:
    """One assistant message from the pieces of an answer continued with prefix completion."""
    message: AssistantMessage = {"role": "assistant", "content": "".join(p["content"] or "" for p in parts)}
    reasoning = [r for p in parts if (r := p.get("reasoning_content")) is not None]
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    return message


def plain(messages: list[Message]) -> list[dict[str, Any]]:
    """The same list, typed as the plain dicts the public API hands out (``result.messages``,
    ``RunContext.messages``, ``err.messages``): inside the loop messages are ``_wire``'s TypedDicts,
    so a mistyped key is a type error; outside, users read and build them as dicts."""
    return cast("list[dict[str, Any]]", messages)


def typed(messages: list[dict[str, Any]]) -> list[Message]:
    """A history or session given by the user, as the loop's messages (the API will judge its shape)."""
    return cast("list[Message]", messages)

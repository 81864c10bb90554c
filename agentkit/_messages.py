"""History messages built from API responses.

A response becomes a plain dict with the API's keys in the API's order, the tool-call ``arguments``
text exactly as the model wrote it and ``reasoning_content`` whenever the server sent it (``""``
included): what is stored is what the cache-friendly prefix of later requests is made of.
"""

from __future__ import annotations

from typing import Any

from ._wire import ChatCompletion


def assistant_message(completion: ChatCompletion) -> dict[str, Any]:
    """The first choice of ``completion`` as a history message."""
    response = completion.choices[0].message
    message: dict[str, Any] = {"role": "assistant", "content": response.content}
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


def joined(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One assistant message from the pieces of an answer continued with prefix completion."""
    message: dict[str, Any] = {"role": "assistant", "content": "".join(p["content"] or "" for p in parts)}
    reasoning = [p["reasoning_content"] for p in parts if p.get("reasoning_content") is not None]
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    return message

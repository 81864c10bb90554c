"""An MCP tool's result as the text of a ``tool`` message.

A ``tool`` message's content is a string (``docs/deepseek-api.md`` §3), so a result becomes text the model
can use:

- text blocks as they are, one after another;
- ``structuredContent`` as compact JSON: alone when the server sent no text, or instead of text that is
  the same data as JSON (servers send both for older clients, often pretty-printed: tokens for nothing);
- an embedded text resource with its URI, a resource link as one line naming it;
- images, audio and binary resources are not sent (a tool message cannot carry them, and base64 text
  would only cost tokens): one line says what was there (kind, media type, size, URI).

A result with ``isError`` raises ``MCPToolError`` with the same text, so the agent sends it as an error
(counted against the tool's retry budget) like any failed tool.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from mcp import types
from pydantic import ValidationError
from pydantic_core import to_json

from .._errors import AgentkitError


class MCPToolError(AgentkitError):
    """An MCP server answered a tool call with an error (``isError``, or a protocol error)."""


def result_text(result: types.CallToolResult) -> str:
    """The tool message for ``result``; raises ``MCPToolError`` for an error result."""
    text = "\n".join(_block_text(block) for block in result.content)
    structured = result.structured_content
    if structured is not None and (not text or _same_data(text, result.content, structured)):
        text = to_json(structured).decode()
    if result.is_error:
        raise MCPToolError(text or "the tool failed and gave no reason")
    return text


def _block_text(block: types.ContentBlock) -> str:
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.ImageContent | types.AudioContent):
        kind = "image" if isinstance(block, types.ImageContent) else "audio"
        return f"[{kind} not shown ({block.mime_type}, {_size(block.data)}): a tool message is text only]"
    if isinstance(block, types.ResourceLink):
        about = f": {block.description}" if block.description else ""
        media = f" ({block.mime_type})" if block.mime_type else ""
        return f"[resource link {block.uri} {block.name!r}{media}{about}]"
    resource = block.resource  # an EmbeddedResource
    media = f" ({resource.mime_type})" if resource.mime_type else ""
    if isinstance(resource, types.TextResourceContents):
        return f"[resource {resource.uri}{media}]\n{resource.text}"
    return f"[resource {resource.uri} not shown{media}, {_size(resource.blob)} of binary data]"


def _same_data(text: str, content: list[types.ContentBlock], structured: Any) -> bool:
    """The content is one text block holding ``structured`` as JSON."""
    if len(content) != 1 or not isinstance(content[0], types.TextContent):
        return False
    try:
        return bool(json.loads(text) == structured)
    except ValueError:
        return False


def _size(data: str) -> str:
    try:
        size = len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        size = len(data)
    return f"{size:,} bytes"


def first_error(exc: ValidationError) -> str:
    """Where and what the first problem of an answer that is not valid MCP is, in one line (pydantic's
    own message lists every member of every union it tried: pages of text)."""
    error = exc.errors(include_url=False)[0]
    return f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"

"""A stdio MCP server written by hand (JSON-RPC lines), to misbehave in ways no SDK server would: the
behaviour is the first argument. It speaks the ``initialize`` handshake and offers one tool, ``echo``.

- ``hang-list``: never answers ``tools/list``;
- ``exit-on-list``: exits when asked for its tools;
- ``long-names``: also lists tools with names of 60 and 70 characters;
- ``bad-list``: lists a tool without an ``inputSchema`` (required by the protocol);
- ``bad-result``: answers a call with a content block of a type MCP does not have.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

BEHAVIOUR = sys.argv[1] if len(sys.argv) > 1 else ""
ECHO = {"name": "echo", "description": "Echo text.", "inputSchema": {"type": "object"}}


def answer(request_id: object, result: dict[str, Any] | None = None, error: str | None = None) -> None:
    reply = {"error": {"code": -32601, "message": error}} if error else {"result": result}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": request_id, **reply}) + "\n")
    sys.stdout.flush()


def result_of(method: str, params: dict[str, Any]) -> dict[str, Any] | None:
    if method == "initialize":
        info = {"name": "hostile", "version": "1"}
        version = params["protocolVersion"]
        return {"protocolVersion": version, "capabilities": {"tools": {}}, "serverInfo": info}
    if method == "tools/list":
        if BEHAVIOUR == "hang-list":
            time.sleep(3600)
        if BEHAVIOUR == "exit-on-list":
            sys.exit(3)
        extra = [{"name": "broken", "description": "No input schema."}] if BEHAVIOUR == "bad-list" else []
        if BEHAVIOUR == "long-names":
            extra = [{"name": "y" * 60, "inputSchema": {"type": "object"}}, {**ECHO, "name": "z" * 70}]
        return {"tools": [ECHO, *extra]}
    if method == "tools/call":
        if BEHAVIOUR == "bad-result":
            return {"content": [{"type": "video", "url": "https://example.com/v.mp4"}]}
        return {"content": [{"type": "text", "text": json.dumps(params.get("arguments"))}]}
    if method == "ping":
        return {}
    return None


for line in sys.stdin:
    message = json.loads(line)
    if "id" in message and "method" in message:
        result = result_of(message["method"], message.get("params") or {})
        answer(message["id"], result, None if result is not None else f"no method {message['method']}")

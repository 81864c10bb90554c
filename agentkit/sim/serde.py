"""How DeepSeek's Rust front end reports a body it cannot read: serde_json behind axum's ``Json`` extractor.

Real bodies show the wording: ``Failed to parse the request body as JSON: <what> at line L column C`` for
bytes that are not JSON, and ``Failed to deserialize the JSON body into the target type: <path>: <what> at
line L column C`` for JSON of the wrong shape (``messages[1]: missing field `content` at line 8 column
5``, pig-mesh/deepseek4j #40; ``messages[1].role: unknown variant `developer`, ...``, decolua/9router
#773). Positions are serde_json's: bytes from the start of the line, counted to the next unread byte, so
a value that was read whole points past its end and one refused on sight (a ``[`` where a string was
expected) points before it. This module decodes bodies and places errors; ``shape`` knows the types.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

Path = Sequence[str | int]

PARSE = "Failed to parse the request body as JSON:"
DESERIALIZE = "Failed to deserialize the JSON body into the target type:"
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)")
# Python's json messages, and serde_json's for the same fault.
_SYNTAX = {
    "Expecting value": "expected value",
    "Expecting property name enclosed in double quotes": "key must be a string",
    "Expecting ':' delimiter": "expected `:`",
    "Extra data": "trailing characters",
    "Invalid control character at": "control character (\\u0000-\\u001F) found while parsing a string",
    "Invalid \\escape": "invalid escape",
    "Invalid \\uXXXX escape": "invalid escape",
}


class BodyError(Exception):
    """A body serde would refuse: ``syntax`` (not JSON) or ``data`` (JSON of the wrong shape)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def where(text: str, index: int) -> str:
    """``at line L column C`` for the next unread character ``index`` (columns count UTF-8 bytes)."""
    before = text[:index].encode("utf-8", "surrogatepass")
    line, column = before.count(b"\n") + 1, len(before) - before.rfind(b"\n") - 1
    return f"at line {line} column {column}"


def decode(raw: bytes) -> tuple[str, Any]:
    """The body as text and as a value, or :class:`BodyError` (syntax) as serde_json words it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = raw[: exc.start].decode("utf-8")
        raise BodyError("syntax", f"{PARSE} invalid unicode code point {where(text, len(text))}") from None
    _check_depth(text)  # before Python's own parser, which would overflow its stack
    try:
        value = json.loads(text, parse_constant=_refuse, parse_float=_finite)
    except json.JSONDecodeError as exc:
        raise BodyError("syntax", f"{PARSE} {_syntax_message(text, exc)}") from None
    except _Refused as refused:  # NaN, Infinity, or a number no f64 holds
        index = text.find(refused.literal)
        if refused.literal[-1].isdigit():  # read whole before it is found too large
            end = index + len(refused.literal)
            raise BodyError("syntax", f"{PARSE} number out of range {where(text, end)}") from None
        raise BodyError("syntax", f"{PARSE} expected value {where(text, index + 1)}") from None
    _check_surrogates(text)
    return text, value


class _Refused(ValueError):
    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


def _refuse(literal: str) -> Any:
    raise _Refused(literal)  # JSON has no NaN or Infinity


def _finite(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise _Refused(literal)
    return value


def _check_depth(text: str) -> None:
    """serde_json refuses the 128th nested array or object (its recursion limit)."""
    depth = 0
    for token in _TOKEN.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth >= 128:
                raise BodyError("syntax", f"{PARSE} recursion limit exceeded {where(text, token.end())}")
        elif char in "]}":
            depth -= 1


def _check_surrogates(text: str) -> None:
    """serde_json refuses ``\\uXXXX`` escapes that make no character; Python's json lets them through."""
    escapes = list(_ESCAPE.finditer(text))
    skip = False
    for index, escape in enumerate(escapes):
        code = int(escape.group(1), 16) if escape.group(1) and not skip else -1
        skip = False
        if 0xDC00 <= code <= 0xDFFF:
            reason, end = "lone leading surrogate in hex escape", escape.end()
        elif 0xD800 <= code <= 0xDBFF:
            following = escapes[index + 1] if index + 1 < len(escapes) else None
            if following is None or following.start() != escape.end() or not following.group(1):
                reason, end = "unexpected end of hex escape", escape.end() + 1
            elif not 0xDC00 <= int(following.group(1), 16) <= 0xDFFF:
                reason, end = "lone leading surrogate in hex escape", following.end()
            else:
                skip = True  # a pair makes one character: its second half is fine
                continue
        else:
            continue
        raise BodyError("syntax", f"{PARSE} {reason} {where(text, min(end, len(text)))}")


def _syntax_message(text: str, exc: json.JSONDecodeError) -> str:
    reason = next((serde for python, serde in _SYNTAX.items() if exc.msg.startswith(python)), None)
    rest = text[exc.pos :].strip()
    if exc.msg.startswith("Unterminated string") or (not rest and reason != "trailing characters"):
        container = _open_container(text[: exc.pos])
        what = {"{": "an object", "[": "a list"}.get(container, "a value")
        if exc.msg.startswith("Unterminated string"):
            what = "a string"
        return f"EOF while parsing {what} {where(text, len(text))}"
    if text[exc.pos : exc.pos + 1] in ("}", "]") and text[: exc.pos].rstrip().endswith(","):
        reason = "trailing comma"
    elif exc.msg.startswith("Expecting ',' delimiter"):
        reason = "expected `,` or `}`" if _open_container(text[: exc.pos]) == "{" else "expected `,` or `]`"
    return f"{reason or 'expected value'} {where(text, min(len(text), exc.pos + 1))}"


def _open_container(prefix: str) -> str:
    """The innermost bracket still open at the end of ``prefix`` (strings skipped)."""
    stack: list[str] = []
    for token in _TOKEN.finditer(prefix):
        char = token.group()
        if char in "[{":
            stack.append(char)
        elif char in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def span(text: str, path: Path) -> tuple[int, int]:
    """Where the value at ``path`` starts and ends in ``text`` (which must be valid JSON)."""
    index = _WS.match(text, 0).end()  # type: ignore[union-attr]
    for step in path:
        index = _WS.match(text, index + 1).end()  # type: ignore[union-attr]
        if isinstance(step, int):
            for _ in range(step):
                index = _after_comma(text, _DECODER.raw_decode(text, index)[1])
            continue
        found = index
        while text[index] != "}":
            key, index = _DECODER.raw_decode(text, index)
            index = _WS.match(text, _WS.match(text, index).end() + 1).end()  # type: ignore[union-attr]
            if key == step:
                found = index  # the last one wins, as in the parsed value
            index = _after_comma(text, _DECODER.raw_decode(text, index)[1])
        index = found
    return index, _DECODER.raw_decode(text, index)[1]


def _after_comma(text: str, index: int) -> int:
    index = _WS.match(text, index).end()  # type: ignore[union-attr]
    if text[index] == ",":
        index = _WS.match(text, index + 1).end()  # type: ignore[union-attr]
    return index


def unexpected(value: Any) -> str:
    """serde's name for a JSON value of the wrong type (``string "hi"``, ``sequence``, ``null``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value!r}`"
    if isinstance(value, str):
        return f"string {json.dumps(value, ensure_ascii=False)}"
    return "sequence" if isinstance(value, list) else "map"


def one_of(names: Sequence[str]) -> str:
    """serde's list of expected variants: ```a``` , ```a` or `b```, ``one of `a`, `b`, `c```."""
    quoted = [f"`{name}`" for name in names]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} or {quoted[1]}"
    return "one of " + ", ".join(quoted)


def path_text(path: Path) -> str:
    """serde_path_to_error's rendering: ``messages[1].role``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out.lstrip(".")

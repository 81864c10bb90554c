"""The API key: held where no repr or traceback shows it, sent by an ``httpx.Auth``, masked in error text.

Two ways a key leaks. A local variable holding it (a ``headers`` dict) is printed by any traceback that
records locals (``TracebackException(capture_locals=True)``, Sentry, rich): so the header is added by
``BearerAuth`` inside httpx, and no frame of ours ever holds it. And a server may echo it in an error:
not always verbatim, but JSON-escaped (``\\u0073k-...``), upper-cased or cut short; so error text is masked
wherever it shows a long enough piece of the key, and only error text: a successful payload is never
rewritten (a short key would otherwise mangle every chunk that happens to contain it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from typing import Any

import httpx

MASK = "<api key>"
FRAGMENT = 8
"""Any run of this many characters of the key is masked. A key shorter than this is a test value, not
a secret worth hiding; masking its every occurrence would only garble error messages."""

SIM_API_KEY = "sk-agentkit-sim"
"""The bundled simulator's key: public (written in the README), so never worth masking."""

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_ESCAPE = re.compile(r"\\u00([0-7][0-9a-fA-F])")


class Secret:
    """Holds the API key so that no repr, log line or traceback variable dump can show it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<secret>"


class BearerAuth(httpx.Auth):
    """Sets ``Authorization: Bearer <key>`` on each request as httpx sends it."""

    def __init__(self, secret: Secret) -> None:
        self._secret = secret

    def __repr__(self) -> str:
        return "BearerAuth(<secret>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Bearer " + self._secret.value
        yield request


def mask_printed(text: str, key: str, *, payload: bool = False) -> str:
    """``text`` about to be shown (the CLI): error text masked as the client masks its errors
    (``mask_text``); a successful ``payload`` only where it holds the whole key, so that it stays exactly
    what it was (JSON escapes included). The simulator's key is public (and contains "agentkit")."""
    if key == SIM_API_KEY:
        return text
    if payload:
        return text.replace(key, MASK) if len(key) >= FRAGMENT else text
    return mask_text(text, key)


def mask_text(text: str, key: str) -> str:
    """``text`` with every piece of ``key`` of at least ``FRAGMENT`` characters replaced by ``MASK``,
    ignoring ASCII case, after undoing JSON escapes of ASCII characters (``\\u0073`` is ``s``)."""
    if len(key) < FRAGMENT or len(text) < FRAGMENT:
        return text
    original = text
    if "\\u00" in text:
        text = _ASCII_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)
    folded, key = text.translate(_ASCII_LOWER), key.translate(_ASCII_LOWER)
    pieces = {key[i : i + FRAGMENT] for i in range(len(key) - FRAGMENT + 1)}
    spans: list[list[int]] = []
    for i in range(len(folded) - FRAGMENT + 1):
        if folded[i : i + FRAGMENT] in pieces:
            if spans and spans[-1][1] >= i:
                spans[-1][1] = i + FRAGMENT
            else:
                spans.append([i, i + FRAGMENT])
    if not spans:
        return original
    out, at = [], 0
    for start, end in spans:
        out += [text[at:start], MASK]
        at = end
    out.append(text[at:])
    return "".join(out)


def mask_payload(payload: bytes, key: str) -> bytes:
    """An error body with the key masked: every string of it if it is JSON (escapes and all), else the
    text. JSON comes back re-serialised, compact and unescaped, and still parses as before."""
    if len(key) < FRAGMENT:
        return payload
    text = payload.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return mask_text(text, key).encode()
    masked = json.dumps(_mask_strings(data, key), ensure_ascii=False, separators=(",", ":"))
    return masked.encode("utf-8", "replace")  # "replace": a lone surrogate escaped in the JSON


def _mask_strings(value: Any, key: str) -> Any:
    if isinstance(value, str):
        return mask_text(value, key)
    if isinstance(value, dict):
        return {mask_text(k, key): _mask_strings(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_strings(v, key) for v in value]
    return value

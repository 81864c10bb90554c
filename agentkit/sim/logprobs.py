"""Plausible log probabilities for the tokens the simulator sends, when a request asks for them.

Chat (``logprobs: true``, ``top_logprobs: k``): one entry per token piece, in OpenAI's shape
(``token``, ``logprob``, ``bytes``, ``top_logprobs`` of ``k`` alternatives, the chosen token first and
alternatives less likely), under ``content``, and in V4 thinking mode under ``reasoning_content`` too.
FIM (``logprobs: k``): the legacy completions shape (``tokens``, ``token_logprobs``, ``top_logprobs``
as ``{token: logprob}`` maps, ``text_offset``).
"""

from __future__ import annotations

import random
from typing import Any

_ALTERNATIVES = (" the", " a", ",", ".", " and", " to", " of", " is", " in", " it", "\n", " that", " I")


def _pairs(piece: str, top: int, rng: random.Random) -> list[tuple[str, float]]:
    """The chosen piece and ``top - 1`` alternatives, most likely first (at least the chosen one)."""
    chosen = -round(abs(rng.gauss(0, 0.4)), 6)
    rest = rng.sample([a for a in _ALTERNATIVES if a != piece], max(0, min(top, 10) - 1))
    pairs, logprob = [(piece, chosen)], chosen
    for alternative in rest:
        logprob -= round(0.5 + rng.random() * 3, 6)
        pairs.append((alternative, logprob))
    return pairs


def _entry(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8"))}


def chat_entries(pieces: list[str], top: int, rng: random.Random) -> list[dict[str, Any]]:
    """One ``content`` (or ``reasoning_content``) entry per piece."""
    entries = []
    for piece in pieces:
        pairs = _pairs(piece, max(top, 1), rng)
        entry = _entry(*pairs[0])
        entry["top_logprobs"] = [_entry(*pair) for pair in pairs[:top]]
        entries.append(entry)
    return entries


def fim_logprobs(pieces: list[str], top: int, start: int, rng: random.Random) -> dict[str, Any]:
    """The legacy shape for a completion made of ``pieces`` whose text begins at offset ``start``."""
    out: dict[str, Any] = {"tokens": [], "token_logprobs": [], "top_logprobs": [], "text_offset": []}
    offset = start
    for piece in pieces:
        pairs = _pairs(piece, max(top, 1), rng)
        out["tokens"].append(piece)
        out["token_logprobs"].append(pairs[0][1])
        out["top_logprobs"].append(dict(pairs[:top]))
        out["text_offset"].append(offset)
        offset += len(piece)
    return out

"""Which lines ``search_files`` matches: plain text, or a regular expression that cannot freeze the process.

A model-written pattern such as ``^(\\w+\\s?)*$`` backtracks exponentially, and the standard ``re`` engine
holds the GIL while it does: the event loop, ``tool_timeout`` and every other run stall with it. Regular
expressions therefore go to the ``regex`` package (the ``files`` extra), which releases the GIL while
matching and takes a ``timeout``: one search gets a time budget, and a pattern that exhausts it is
refused with a message the model can act on. ``regex`` expands fixed repeats when compiling (so
``((a{1000}){1000}){1000}`` would need gigabytes before any timeout applies): such patterns are refused
by their written-out size first. Google's RE2 was the alternative: linear-time, but it has no timeout, a
crafted pattern still took ~25 s on a 2 MB file, and it drops Python syntax (look-arounds, Unicode ``\\w``).
Plain text needs no engine: it is a case-insensitive substring test, linear by construction.
"""

from __future__ import annotations

import re
import time
from typing import Any

from ._rootfs import FilesError

MAX_PATTERN_CHARS = 1_000
MAX_WRITTEN_OUT = 200_000
"""The longest a pattern may be with its counted repeats written out (compiling costs about that)."""

_COUNT = re.compile(r"\{(\d*)(?:,(\d*))?\}")
_ESCAPE = re.compile(r"\\(?:[pPNxXuUg]\{[^}]*\}|.)", re.DOTALL)


def written_out_size(pattern: str) -> int:
    """An upper estimate of the pattern's length with every counted repeat written out: a group's size
    times its count, summed over sequences and alternatives (a cheap scan, not a full parser)."""
    frames: list[list[int]] = [[]]  # the sizes of the items of each open group
    i = 0
    while i < len(pattern):
        char = pattern[i]
        count = _COUNT.match(pattern, i) if char == "{" else None
        if char == "\\":
            escape = _ESCAPE.match(pattern, i)
            i = escape.end() if escape else i + 1
            frames[-1].append(1)
        elif char == "[":  # a character class is one item, whatever it holds
            j = i + 1 + (pattern[i + 1 : i + 2] == "^")
            j += pattern[j : j + 1] == "]"
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            frames[-1].append(1)
            i = j + 1
        elif char == "(":
            frames.append([])
            i += 1
        elif char == ")" and len(frames) > 1:
            inner = frames.pop()
            frames[-1].append(max(sum(inner), 1))
            i += 1
        elif count is not None and frames[-1]:
            frames[-1][-1] *= max(int(count[1] or 0), int(count[2] or 0), 1)
            i = count.end()
        else:
            frames[-1].append(1)
            i += 1
    return sum(sum(frame) for frame in frames)


class LineMatcher:
    """Tells whether a line matches; a regular expression shares ``seconds`` across the whole search."""

    def __init__(self, query: str, *, regex: bool, seconds: float) -> None:
        self.query = query
        self.seconds = seconds
        self._needle = query.casefold()
        self._pattern: Any = _compile(query) if regex else None
        self._deadline = time.monotonic() + seconds

    def __call__(self, line: str, where: str) -> bool:
        if self._pattern is None:
            return self._needle in line.casefold()
        left = self._deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            return self._pattern.search(line, timeout=left) is not None
        except TimeoutError:
            raise FilesError(
                f"the regular expression {self.query!r} took more than {self.seconds:g} s (stopped at "
                f"{where}): it backtracks too much, as nested repeats like (\\w+\\s?)* do; write a simpler "
                "pattern, or search for plain text (regex=false)"
            ) from None


def _compile(query: str) -> Any:
    try:
        import regex  # type: ignore[import-untyped]
    except ImportError:
        raise FilesError(
            "searching with a regular expression needs the 'regex' package, which bounds a search's time: "
            "pip install 'agentkit[files]'; a plain-text search (regex=false) works without it"
        ) from None
    if len(query) > MAX_PATTERN_CHARS:
        raise FilesError(f"the regular expression is too long (over {MAX_PATTERN_CHARS} characters)")
    if written_out_size(query) > MAX_WRITTEN_OUT:
        raise FilesError(
            f"the regular expression {query[:100]!r} repeats too much: written out, its counted repeats "
            f"({{n}}) would exceed {MAX_WRITTEN_OUT:,} characters; use smaller counts, or + and *"
        )
    try:
        return regex.compile(query, regex.IGNORECASE | regex.VERSION0)
    except regex.error as exc:
        raise FilesError(f"invalid regular expression {query!r}: {exc}") from None

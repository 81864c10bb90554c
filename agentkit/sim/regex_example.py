"""A short string a regular expression matches, for a ``pattern`` field no word of the request fits.

Read from the parsed pattern (fewest repeats, first branch, first character of a set) rather than by
trying strings, so it is instant; patterns it cannot spell (negated sets, backreferences) give None.
"""

from __future__ import annotations

import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import re._parser as sre_parse
else:  # pragma: no cover
    import sre_parse

_CATEGORY = {"DIGIT": "0", "WORD": "a", "SPACE": " ", "NOT_DIGIT": "a", "NOT_WORD": "-", "NOT_SPACE": "a"}


def example_matching(pattern: str) -> str | None:
    """A short string that ``pattern`` matches (``^[A-Z]{3}$`` -> ``AAA``), or None if none is found."""
    try:
        text = _spell(sre_parse.parse(pattern))
        return text if text is not None and re.search(pattern, text) else None
    except (re.error, RecursionError, TypeError, ValueError):
        return None


def _spell(items: Any) -> str | None:
    """The shortest spelling of a parsed regex: fewest repeats, first branch, first character of a set."""
    out: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in ("ANY", "NOT_LITERAL"):
            out.append("a" if name == "ANY" or arg != ord("a") else "b")
        elif name == "IN":
            kind, first = (str(arg[0][0]), arg[0][1])
            if kind == "NEGATE":
                return None
            out.append(_char(first) if kind == "CATEGORY" else chr(first[0] if kind == "RANGE" else first))
        elif name == "CATEGORY":
            out.append(_char(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            part = _spell(arg[2])
            if part is None:
                return None
            out.append(part * arg[0])
        elif name == "SUBPATTERN":
            part = _spell(arg[-1])
            if part is None:
                return None
            out.append(part)
        elif name == "BRANCH":
            part = _spell(arg[1][0])
            if part is None:
                return None
            out.append(part)
        elif name not in ("AT", "ASSERT", "ASSERT_NOT"):
            return None
    return "".join(out)


def _char(category: Any) -> str:
    return _CATEGORY.get(str(category).removeprefix("CATEGORY_"), "a")

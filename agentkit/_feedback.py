"""Validation errors written for the model: which field, what was wrong, what was given.

Tool arguments and structured final answers fail validation the same way and the model fixes both the
same way, so both are described by ``error_lines``: at most ``MAX_ERRORS`` lines, each naming the field as
a path (``items[0].name``) and showing the given value cut to ``MAX_SHOWN`` characters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

MAX_ERRORS = 8
"""More errors than this are counted, not listed: the first few are what the model acts on."""
MAX_SHOWN = 80
"""A given value is shown up to this many characters."""


def error_lines(error: ValidationError, *, accepted: Sequence[str] | None = None, whole: str) -> list[str]:
    """One line per error (``- where: what``). ``accepted``: the argument names, named when the model
    sent one that does not exist; ``whole``: what an error at the top level is about."""
    errors = error.errors(include_url=False)
    lines: list[str] = []
    for item in errors[:MAX_ERRORS]:
        where = location(item["loc"]) or whole
        kind = item["type"]
        if kind == "missing":
            lines.append(f"- {where}: required, but missing")
        elif kind == "extra_forbidden" and len(item["loc"]) == 1 and accepted is not None:
            names = ", ".join(accepted) or "none"
            lines.append(f"- {where}: unexpected argument (the arguments are: {names})")
        elif kind == "json_invalid":
            lines.append(f"- {where}: not valid JSON: {item['msg']}")
        else:
            lines.append(f"- {where}: {item['msg']}; got {shown(item.get('input'))}")
    if len(errors) > MAX_ERRORS:
        lines.append(f"- ... and {len(errors) - MAX_ERRORS} more")
    return lines


def location(loc: Sequence[str | int]) -> str:
    """``("items", 0, "name")`` -> ``items[0].name``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"

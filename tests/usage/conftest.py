"""Real usage bodies from the recorded DeepSeek traffic in tests/data/cassettes/.

The cassettes are YAML, but no YAML parser is a dependency, and the shapes needed here are simple: the
``usage:`` blocks of non-streamed responses (two levels of indentation) and the JSON of the last SSE chunk
of streamed ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from agentkit._wire import Usage

CASSETTES = Path(__file__).resolve().parents[1] / "data" / "cassettes"


@dataclass
class Recorded:
    cassette: str
    model: str
    completed_at: datetime
    usage: Usage


def _yaml_block(lines: list[str], start: int) -> dict[str, Any]:
    """The mapping under ``lines[start]`` (``usage:``), nested by indentation, integer leaves."""
    base = len(lines[start]) - len(lines[start].lstrip())
    root: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = [(base, root)]
    for line in lines[start + 1 :]:
        indent = len(line) - len(line.lstrip())
        if indent <= base or not line.strip():
            break
        key, _, value = line.strip().partition(":")
        while stack[-1][0] >= indent:
            stack.pop()
        if value.strip():
            stack[-1][1][key] = int(value)
        else:
            child: dict[str, Any] = {}
            stack[-1][1][key] = child
            stack.append((indent, child))
    return root


def _scalar_after(lines: list[str], end: int, key: str) -> str:
    """The value of the last ``key: value`` line before ``end``."""
    for line in reversed(lines[:end]):
        if line.strip().startswith(f"{key}: "):
            return line.split(": ", 1)[1].strip()
    raise LookupError(key)


def load_recorded() -> list[Recorded]:
    found: list[Recorded] = []
    for path in sorted(CASSETTES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.strip() == "usage:":
                created = int(_scalar_after(lines, i, "created"))
                found.append(Recorded(path.name, _scalar_after(lines, i, "model"),
                                      datetime.fromtimestamp(created, timezone.utc),
                                      Usage.model_validate(_yaml_block(lines, i))))
        for line in lines:
            if '\\"usage\\":{' in line:  # SSE body: JSON inside a YAML double-quoted string
                raw = line.replace('\\"', '"')
                chunk_start = raw.rindex('{"id"', 0, raw.index('"usage":{'))
                chunk, _ = json.JSONDecoder().raw_decode(raw, chunk_start)
                found.append(Recorded(path.name, chunk["model"],
                                      datetime.fromtimestamp(chunk["created"], timezone.utc),
                                      Usage.model_validate(chunk["usage"])))
    return found


@pytest.fixture(scope="session")
def recorded() -> list[Recorded]:
    items = load_recorded()
    assert re.search("stream", " ".join(r.cassette for r in items)), "the streamed cassette was not parsed"
    return items


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Sessions run their SQLite calls in worker threads: check both event loops."""
    return str(request.param)

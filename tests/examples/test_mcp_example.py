"""``examples/mcp_tools.py``, run as a user would, on the simulator: two MCP servers' tools in one run."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable

RunExample = Callable[..., subprocess.CompletedProcess[str]]


def test_mcp_tools_example(run_example: RunExample) -> None:
    out = run_example("mcp_tools").stdout
    assert "tools: time_get_current_time, time_convert_time, math_calculate" in out
    calls = dict(re.findall(r"^  tool call: (\w+) -> (.*)$", out, re.MULTILINE))
    assert set(calls) == {"time_get_current_time", "math_calculate"}
    now = json.loads(calls["time_get_current_time"])
    assert now["timezone"] == "Asia/Tokyo" and now["datetime"].endswith("+09:00")
    assert calls["math_calculate"] == "4294967296"
    assert re.search(r"^answer: .*4294967296", out, re.MULTILINE)
    assert re.search(r"^usage: 2 requests, 2 tool calls, cost \$\d", out, re.MULTILINE)

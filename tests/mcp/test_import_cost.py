"""``import agentkit`` (and building the ``agentkit`` command's parser) never imports the MCP SDK."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SDK = {"mcp", "mcp_types", "httpx2"}


@pytest.mark.parametrize(
    "code",
    [
        "import agentkit; agentkit.Agent; agentkit.tool; agentkit.ToolSource",
        "from agentkit._cli import build_parser; build_parser()",
    ],
)
def test_no_mcp_until_asked_for(code: str) -> None:
    probe = f"import sys, json; {code}; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert SDK.isdisjoint(json.loads(result.stdout))
    asked = subprocess.run(
        [sys.executable, "-c", "import sys, agentkit.mcp; print('mcp' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert asked.stdout.strip() == "True"  # the probe can see it: agentkit.mcp does import it

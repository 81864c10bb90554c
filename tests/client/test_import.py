"""Importing the client stays cheap: no SDKs, servers or terminal libraries come with it."""

from __future__ import annotations

import subprocess
import sys


def test_client_import_pulls_in_no_heavy_modules() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import agentkit._client"],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {
        line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line
    }
    assert "httpx" in imported and "agentkit" in imported
    assert imported.isdisjoint({"openai", "starlette", "uvicorn", "rich", "click", "pygments", "griffe"})


def test_httpx_cli_is_still_importable_afterwards() -> None:
    code = "import agentkit._client, httpx, httpx._main; print(callable(httpx._main.main))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"

"""``python -m agentkit.sim`` serves and prints the base URL and key to use."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx

from agentkit.sim import SIM_API_KEY


def test_module_entry_point_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "agentkit.sim", "--port", "0", "--seed", "3", "--era", "deepseek-v3.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines[0].startswith("DeepSeek simulator (deepseek-v3.2) listening")
        base_url = lines[1].split("=", 1)[1].strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert lines[2].strip() == f"DEEPSEEK_API_KEY={SIM_API_KEY}"
        models = httpx.get(
            f"{base_url}/models", headers={"Authorization": f"Bearer {SIM_API_KEY}"}, timeout=10
        )
        assert [m["id"] for m in models.json()["data"]] == ["deepseek-chat", "deepseek-reasoner"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0

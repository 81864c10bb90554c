"""Run an example as a user would (``python examples/NAME.py``), in a subprocess, on the simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SIMULATOR_LINE = "Running on the bundled simulator"

@pytest.fixture
def run_example(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_example("quickstart", *args)``: run it from ``tmp_path`` with no ``DEEPSEEK_*`` variables (so on
    the simulator) unless ``env`` gives some; check the exit code and the first line."""

    def run(
        name: str, *args: str, env: dict[str, str] | None = None, first_line: str = SIMULATOR_LINE
    ) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("DEEPSEEK_")}
        environ.update(env or {})
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
            cwd=tmp_path,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        assert result.stdout.splitlines()[0].startswith(first_line), result.stdout
        return result

    return run

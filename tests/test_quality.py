"""Project-wide guarantees: typed, linted, and cheap to import."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINTED = ["agentkit", "tests", "bench", "examples"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_passes() -> None:
    result = _run("ruff", "check", "--no-cache", *[p for p in LINTED if (ROOT / p).exists()])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes() -> None:
    result = _run("mypy", "--strict", "agentkit")
    assert result.returncode == 0, result.stdout + result.stderr


USER_PROGRAM = """
from agentkit import Agent, RunContext, RunResult, APIError, tool

@tool
def double(ctx: RunContext[int], x: int) -> int:
    \"""Double x.\"""
    return ctx.deps * x

agent: Agent[int, str] = Agent("deepseek-chat", tools=[double])
result: RunResult[str] = agent.run_sync("Double 2", deps=2)
print(result.output.upper(), APIError)
"""


def test_users_type_check_against_the_public_names() -> None:
    # The lazy exports must still be visible to a type checker as explicit re-exports.
    result = _run("mypy", "--strict", "-c", USER_PROGRAM)
    assert result.returncode == 0, result.stdout + result.stderr


def test_type_checkers_find_the_installed_package_from_anywhere(tmp_path: Path) -> None:
    """From a folder outside the repository, mypy sees the package as the README's install put it there
    (an editable install in strict mode: a link tree, not an import hook that type checkers cannot read),
    ready tools (agentkit.tools) included."""
    program = tmp_path / "app.py"
    program.write_text(USER_PROGRAM + "import agentkit.tools.math\nprint(agentkit.tools.math.toolset())\n")
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(program)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (
        result.stdout + result.stderr + "\n(install with the README's command)"
    )


@pytest.mark.parametrize("module", ["agentkit", "agentkit._agent"])
def test_import_pulls_in_no_heavy_optional_modules(module: str) -> None:
    # rich is not on the list: httpx itself imports it (for its own CLI) whenever it is installed.
    code = (
        f"import sys, json; import {module}; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in "
        "{'openai', 'griffe', 'starlette', 'uvicorn', 'trafilatura', 'opentelemetry'})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_exports_resolve() -> None:
    import agentkit

    missing = [name for name in agentkit.__all__ if getattr(agentkit, name, None) is None]
    assert missing == []


def test_the_wheel_ships_the_ready_tools_under_agentkit_only(tmp_path: Path) -> None:
    # docs/design.md: never install a generic top-level ``tools`` module into site-packages.
    result = _run("pip", "wheel", "-q", "--no-deps", ".", "-w", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob("agentkit-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
        names = set(archive.namelist())
    assert tops == {"agentkit", f"{wheel.name.split('-py')[0]}.dist-info"}
    assert {"agentkit/py.typed", "agentkit/tools/web.py", "agentkit/sim/app.py"} <= names

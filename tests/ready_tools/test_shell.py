"""The shell tool: approval always, no shell unless asked, time limit, output cap, no secrets passed on."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentkit._tool import Tool
from agentkit.tools import shell

pytestmark = pytest.mark.anyio

PY = sys.executable


def run_command(**options: Any) -> Tool:
    (tool,) = shell.toolset(**options)
    return tool


def test_always_requires_approval() -> None:
    assert shell.run_command.requires_approval
    assert run_command().requires_approval
    assert run_command(allow_shell=True, timeout=5).requires_approval


def test_the_description_says_there_is_no_shell() -> None:
    assert "without a shell" in run_command().description
    assert "without a shell" not in run_command(allow_shell=True).description


async def test_runs_a_command_and_reports_exit_code_and_output() -> None:
    out = await run_command().call({"command": f"{PY} -c \"import sys; print('hi'); sys.exit(3)\""})
    assert out == "exit code: 3\n--- stdout ---\nhi\n"
    err = await run_command().call({"command": f"{PY} -c \"import sys; sys.stderr.write('oops')\""})
    assert err == "exit code: 0\n--- stderr ---\noops"
    quiet = await run_command().call({"command": f"{PY} -c pass"})
    assert quiet == "exit code: 0\n(no output)"


async def test_no_shell_interpretation_by_default(tmp_path: Path) -> None:
    out = await run_command(cwd=tmp_path).call({"command": "echo one && echo $HOME > file.txt"})
    assert out == "exit code: 0\n--- stdout ---\none && echo $HOME > file.txt\n"
    assert not (tmp_path / "file.txt").exists()


async def test_shell_when_allowed_explicitly(tmp_path: Path) -> None:
    out = await run_command(cwd=tmp_path, allow_shell=True).call({"command": "echo one && echo two > f.txt"})
    assert out == "exit code: 0\n--- stdout ---\none\n"
    assert (tmp_path / "f.txt").read_text() == "two\n"


async def test_timeout_kills_the_command_and_its_children() -> None:
    tool = run_command(timeout=0.5, allow_shell=True)
    out = await tool.call({"command": f"{PY} -c 'import time; time.sleep(60)' & wait"})
    assert out.startswith("timed out after 0.5 s and was killed")


async def test_the_model_can_only_lower_the_timeout() -> None:
    out = await run_command(timeout=0.5).call(
        {"command": f"{PY} -c 'import time; time.sleep(60)'", "timeout": 999}
    )
    assert out.startswith("timed out after 0.5 s")


async def test_output_is_capped() -> None:
    out = await run_command(max_output_chars=100).call({"command": f"{PY} -c \"print('x' * 100000)\""})
    assert out == "exit code: 0\n--- stdout ---\n" + "x" * 100 + "\n[... 99901 more bytes not shown]"


async def test_only_safe_variables_are_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """An allow-list: names nobody thought of as secret (a deny-list's blind spot) stay behind too."""
    for name, value in {"DEEPSEEK_API_KEY": "sk-should-not-leak", "AGENTKIT_ANYTHING": "x",
                        "LANG": "C.UTF-8", "LC_TIME": "C", "PATH": os.environ["PATH"]}.items():
        monkeypatch.setenv(name, value)
    out = await run_command().call({"command": f'{PY} -c "import os; print(sorted(os.environ))"'})
    passed = ast.literal_eval(out.split("\n")[2])
    assert {"PATH", "LANG", "LC_TIME"} <= set(passed)
    assert [name for name in passed if name not in shell.SAFE_VARIABLES and not name.startswith("LC_")] == []


async def test_explicit_environment() -> None:
    out = await run_command(env={"ONLY": "this"}).call(
        {"command": f"{PY} -c \"import os; print(os.environ.get('ONLY'), os.environ.get('HOME'))\""}
    )
    assert "this None" in out


async def test_clear_errors() -> None:
    with pytest.raises(shell.ShellError, match="command not found: 'no-such-command-agentkit'"):
        await run_command().call({"command": "no-such-command-agentkit --x"})
    with pytest.raises(shell.ShellError, match="the command is empty"):
        await run_command().call({"command": "   "})
    with pytest.raises(shell.ShellError, match="cannot split"):
        await run_command().call({"command": "echo 'unclosed"})


@pytest.mark.skipif(sys.platform != "linux", reason="the reaper runs on Linux")
def test_a_command_whose_agent_died_before_it_started_is_not_run(tmp_path: Path) -> None:
    """The reaper ends the command when the agent dies, by a signal armed as it starts: an agent killed
    in that first moment is seen by its parent pid, and the command is not started at all."""
    marker = tmp_path / "ran"
    reaper = Path(shell.__file__).with_name("_reaper.py")
    command = [sys.executable, "-I", "-S", str(reaper)]
    gone = subprocess.run([*command, "1", "touch", str(marker)], timeout=30)  # pid 1 is no parent of it
    assert gone.returncode == 128 + signal.SIGTERM and not marker.exists()
    alive = subprocess.run([*command, str(os.getpid()), "touch", str(marker)], timeout=30)
    assert alive.returncode == 0 and marker.exists()

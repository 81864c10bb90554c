"""Every code block in README.md is checked.

Python blocks run as a reader runs them: without a key, against a freshly started simulator served on
loopback (``DEEPSEEK_BASE_URL`` and ``DEEPSEEK_API_KEY`` point at it, as the README's top says), each in a
fresh empty folder. Blocks under the same ``##`` heading share one namespace, in order, so a section can
build on its first block. A ``text`` block right after a python block is its output, compared whole (``…``
stands for a value that changes from run to run, such as the time); a python block without one must print
nothing.

Bash blocks are checked command by command: each command must be one this test knows, files and extras it
names must exist, ``agentkit`` commands may only use options that their ``--help`` lists, and the cheap,
offline ones (``run``, ``fim``, ``models``, ``balance``) are run on the simulator.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import subprocess
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache
from importlib.metadata import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CONFIG_VARIABLES = {"DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL"}
CHEAP_COMMANDS = {"run", "fim", "models", "balance"}
TRACING_BACKENDS = {"docker", "phoenix"}


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    section: str
    line: int
    output: str | None = None
    """For a python block: the text block right after it, if any."""


def _blocks() -> list[Block]:
    blocks: list[Block] = []
    section = ""
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:].strip()
        fence = re.match(r"^```(\w*)\s*$", line)
        if fence:
            end = lines.index("```", i + 1)
            block = Block(fence.group(1), "\n".join(lines[i + 1 : end]) + "\n", section, i + 1)
            if block.language == "text" and blocks and blocks[-1].language == "python":
                blocks[-1] = replace(blocks[-1], output=block.code)
            blocks.append(block)
            i = end
        i += 1
    return blocks


BLOCKS = _blocks()
PYTHON = [b for b in BLOCKS if b.language == "python"]
BASH = [b for b in BLOCKS if b.language == "bash"]


def test_every_block_has_a_checked_language() -> None:
    assert BLOCKS, "README.md has no code blocks"
    assert [b.line for b in BLOCKS if b.language not in {"python", "bash", "text"}] == []


# --------------------------------------------------------------------------- python blocks


@pytest.fixture
def simulator_url() -> Iterator[str]:
    """A fresh simulator for each block, as the README starts one (``--seed 0``, era V4)."""
    from agentkit.sim import Simulator, serve

    with serve(Simulator(seed=0), host="127.0.0.1", port=0) as base_url:
        yield base_url


def _shown(text: str) -> str:
    """Output as a reader compares it: trailing blanks and blank lines at the end do not count."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


@pytest.mark.parametrize("block", PYTHON, ids=[f"line{b.line}" for b in PYTHON])
def test_python_block_prints_its_output(
    block: Block, simulator_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from agentkit.sim import SIM_API_KEY

    monkeypatch.setenv("DEEPSEEK_BASE_URL", simulator_url)
    monkeypatch.setenv("DEEPSEEK_API_KEY", SIM_API_KEY)
    monkeypatch.chdir(tmp_path)  # a fresh empty folder: files a block writes start out absent
    module = types.ModuleType("__readme__")  # a real module: dataclasses and pydantic look classes up in it
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    earlier = [b for b in PYTHON if b.section == block.section and b.line < block.line]
    with contextlib.redirect_stdout(io.StringIO()):
        for b in earlier:
            exec(compile(b.code, f"README.md:{b.line}", "exec"), namespace)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block.code, f"README.md:{block.line}", "exec"), namespace)
    shown = _shown(block.output or "")
    pattern = ".+?".join(re.escape(part) for part in shown.split("…"))  # … : what changes from run to run
    assert re.fullmatch(pattern, _shown(printed.getvalue()), re.DOTALL), (
        f"README.md:{block.line} printed:\n{printed.getvalue()}\nshown:\n{shown}"
    )


# --------------------------------------------------------------------------- bash blocks


@cache
def _help(*subcommand: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "agentkit", *subcommand, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _extras() -> set[str]:
    return set(metadata("agentkit").get_all("Provides-Extra") or [])


def _commands(code: str) -> Iterator[list[str]]:
    """Split a bash block into simple commands (joined lines, ``&&`` chains), comments dropped."""
    for line in code.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        command: list[str] = []
        for word in [*words, "&&"]:
            if word in {"&&", "||", ";"}:
                if command:
                    yield command
                command = []
            else:
                command.append(word)


def _check_agentkit(args: list[str]) -> None:
    sub = args[0]
    assert re.search(rf"^    {sub} ", _help(), re.MULTILINE), f"`agentkit {sub}` is not in `agentkit --help`"
    command = [sub]
    if len(args) > 1 and re.search(rf"^    {re.escape(args[1])} ", _help(sub), re.MULTILINE):
        command.append(args[1])  # a subcommand's own command: `agentkit mcp serve`
    options = {a.split("=")[0] for a in args if a.startswith("--")}
    listed = set(re.findall(r"--[a-z][a-z0-9-]*", _help(*command)))
    assert options <= listed, f"`agentkit {sub}` has no options {sorted(options - listed)}"
    if sub in CHEAP_COMMANDS:  # offline and quick: without a key they run on the simulator
        result = subprocess.run(
            [sys.executable, "-m", "agentkit", *args], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "using the bundled simulator" in result.stdout + result.stderr
        if "--json" in args:
            printed = json.loads(result.stdout)
            if sub == "run":
                assert {"output", "usage", "tool_calls"} <= set(printed)


def _check_simulator(args: list[str]) -> str:
    """``python -m agentkit.sim ...``: its options exist; returns the base URL it serves (it prints it)."""
    listed = subprocess.run(
        [sys.executable, "-m", "agentkit.sim", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    options = {a.split("=")[0] for a in args if a.startswith("--")}
    assert options <= set(re.findall(r"--[a-z][a-z0-9-]*", listed)), f"python -m agentkit.sim {args}"
    port = args[args.index("--port") + 1] if "--port" in args else "8000"
    return f"http://127.0.0.1:{port}"


def _check_command(command: list[str], exported: dict[str, str]) -> None:
    program, args = command[0], command[1:]
    if program == "export":
        for assignment in args:
            name, _, value = assignment.partition("=")
            assert name in CONFIG_VARIABLES, assignment
            exported[name] = value
    elif program in {"python", "python3"} and args[:2] == ["-m", "venv"]:
        pass
    elif program.endswith("pip") and args[:1] == ["install"]:
        for spec in [a for a in args if a.startswith(".[")]:
            extras = set(spec[2:-1].split(","))
            assert extras <= _extras(), f"unknown extras {sorted(extras - _extras())}"
    elif program.endswith("python") and args[:2] == ["-m", "pytest"]:
        pass
    elif program.endswith("python") and args[:2] == ["-m", "agentkit.sim"]:
        exported["simulator"] = _check_simulator(args[2:])
    elif program.endswith("python") and args and args[0].endswith(".py"):
        assert (ROOT / args[0]).is_file(), f"{args[0]} does not exist"
    elif program.endswith("mkdocs") and args[:1] in (["serve"], ["build"]):
        assert (ROOT / "mkdocs.yml").is_file()
    elif program.endswith("mutmut") and args[:1] in (["run"], ["results"], ["show"], ["browse"]):
        assert "[tool.mutmut]" in (ROOT / "pyproject.toml").read_text()
    elif program.endswith("agentkit"):
        _check_agentkit(args)
    elif program in TRACING_BACKENDS:
        pass  # a local tracing backend the README shows how to start (needs Docker or a big install)
    elif program.endswith("python") and args[:2] == ["-m", "agentkit"]:
        _check_agentkit(args[2:])
    else:
        pytest.fail(f"test_readme.py does not know how to check {shlex.join(command)!r}")


@pytest.mark.parametrize("block", BASH, ids=[f"line{b.line}" for b in BASH])
def test_bash_block_commands_exist(block: Block) -> None:
    from agentkit.sim import SIM_API_KEY

    commands = list(_commands(block.code))
    assert commands, "empty bash block"
    exported: dict[str, str] = {}
    for command in commands:
        _check_command(command, exported)
    if "simulator" in exported:  # a block that starts the simulator exports what it prints
        assert exported.get("DEEPSEEK_BASE_URL") == exported["simulator"]
        assert exported.get("DEEPSEEK_API_KEY") == SIM_API_KEY

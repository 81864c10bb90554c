"""A shell tool: run a command with a time limit and an output cap. It always requires approval.

The command is split like a shell would (``shlex``) and run directly, without a shell, so pipes,
redirections, ``&&`` and variables are not interpreted unless the toolset is built with
``allow_shell=True``. Only the variables of ``SAFE_VARIABLES`` (PATH, HOME, LANG, ...) are passed on,
not the agent's whole environment: a deny-list of secret-looking names always missed some
(``SENTRY_DSN``, ``GH_PAT``, ``REDIS_URL=redis://:pw@host``...). On Linux every process the command
starts is ended with it (``_reaper``), even one that left its process group (``setsid``, ``&``),
unless the command kills the reaper itself (``kill -9 $PPID``). Elsewhere only a command that times out
is ended, with its process group (POSIX).

What it does not do: sandbox. A command runs as the user, with the user's files and network, and can
read the environment the agent started with through ``/proc/<agent pid>/environ`` (``DEEPSEEK_API_KEY``
included). The approval of each command is the only guard.

    from agentkit.tools import shell
    agent = Agent(model=..., tools=[shell.toolset(cwd="./project", timeout=60)], approve=...)
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

import anyio
from anyio.abc import ByteReceiveStream

from agentkit._tool import Tool, tool
from agentkit._toolset import Toolset

__all__ = ["SAFE_VARIABLES", "ShellError", "run_command", "toolset"]

SAFE_VARIABLES = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR", "TEMP", "TMP"}
    # what programs need on Windows to start at all
    | {"SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE", "USERNAME", "HOMEDRIVE",
       "HOMEPATH", "APPDATA", "LOCALAPPDATA", "PROGRAMDATA", "PROGRAMFILES", "PROGRAMFILES(X86)"}
)
"""The variables commands get by default (and every ``LC_*``): what programs need, nothing secret."""

_REAPER = [sys.executable, "-I", "-S", os.path.join(os.path.dirname(os.path.abspath(__file__)), "_reaper.py")]


class ShellError(ValueError):
    """The command could not be started; the message is written for the model."""


@dataclass(frozen=True)
class _Settings:
    cwd: str | None
    timeout: float
    max_output_chars: int
    allow_shell: bool
    env: Mapping[str, str] | None


class _Capture:
    """Keeps the first ``limit`` bytes of a stream and counts the rest (the stream is always drained)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0

    async def drain(self, stream: ByteReceiveStream | None) -> None:
        if stream is None:
            return
        async for chunk in stream:
            room = self.limit - len(self.data)
            self.data += chunk[:room]
            self.dropped += max(0, len(chunk) - room)

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        return text + (f"\n[... {self.dropped} more bytes not shown]" if self.dropped else "")


def _environment(settings: _Settings) -> dict[str, str]:
    if settings.env is not None:
        return dict(settings.env)
    return {
        name: value
        for name, value in os.environ.items()
        if name.upper() in SAFE_VARIABLES or name.startswith("LC_")
    }


def _arguments(command: str, allow_shell: bool) -> list[str]:
    if allow_shell:
        return ["cmd", "/c", command] if sys.platform == "win32" else ["/bin/sh", "-c", command]
    try:
        arguments = shlex.split(command, posix=sys.platform != "win32")
    except ValueError as exc:
        raise ShellError(f"cannot split the command into arguments: {exc}") from None
    if not arguments:
        raise ShellError("the command is empty")
    return arguments


def _executable(arguments: list[str], settings: _Settings, env: Mapping[str, str]) -> None:
    """Refuse a command that cannot start, as starting it would (the reaper starts it out of sight)."""
    program = arguments[0]
    if os.sep in program or (os.altsep and os.altsep in program):
        program = os.path.join(settings.cwd or ".", program)
    if shutil.which(program, path=env.get("PATH", os.defpath)) is None:
        if os.path.isfile(program):
            raise ShellError(f"permission denied running {arguments[0]!r}")
        raise ShellError(f"command not found: {arguments[0]!r}")


async def _end(process: anyio.abc.Process) -> None:
    """End the command and everything it started: the reaper on SIGTERM (with a grace period), then
    the process group (where the command runs without the reaper, or the reaper did not answer)."""
    try:
        if sys.platform == "win32":
            process.kill()
        else:
            if sys.platform == "linux":
                process.terminate()
                with anyio.move_on_after(5):
                    await process.wait()
            os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    await process.wait()


async def run(command: str, settings: _Settings, timeout: float | None = None) -> str:
    """Run ``command`` and describe the outcome: exit code, standard output and standard error."""
    limit = settings.timeout if timeout is None else max(0.1, min(timeout, settings.timeout))
    arguments = _arguments(command, settings.allow_shell)
    env = _environment(settings)
    _executable(arguments, settings, env)
    out, err = _Capture(settings.max_output_chars), _Capture(settings.max_output_chars)
    try:
        process = await anyio.open_process(
            [*_REAPER, str(os.getpid()), *arguments] if sys.platform == "linux" else arguments,
            cwd=settings.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=sys.platform != "win32",
        )
    except FileNotFoundError:
        raise ShellError(f"command not found: {arguments[0]!r}") from None
    except PermissionError:
        raise ShellError(f"permission denied running {arguments[0]!r}") from None
    async with process:
        with anyio.move_on_after(limit) as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(out.drain, process.stdout)
                tg.start_soon(err.drain, process.stderr)
            await process.wait()
        if scope.cancelled_caught:
            with anyio.CancelScope(shield=True):
                await _end(process)
    if scope.cancelled_caught:
        lines = [f"timed out after {limit:g} s and was killed"]
    else:
        lines = [f"exit code: {process.returncode}"]
    if out.data or out.dropped:
        lines += ["--- stdout ---", out.text()]
    if err.data or err.dropped:
        lines += ["--- stderr ---", err.text()]
    if len(lines) == 1:
        lines.append("(no output)")
    return "\n".join(lines)


_DESCRIPTION = (
    "Run a command on the user's machine and return its exit code, output and errors.\n\n"
    "The user approves each command before it runs. Prefer short, non-interactive commands."
)


def _make_tool(settings: _Settings) -> Tool:
    note = "" if settings.allow_shell else " It runs without a shell: no pipes, redirection, && or $VARS."

    @tool(requires_approval=True, description=_DESCRIPTION + note)
    async def run_command(command: str, timeout: float | None = None) -> str:
        """Run a command on the user's machine and return its exit code, output and errors.

        The user approves each command before it runs. Prefer short, non-interactive commands.

        Args:
            command: The command line, e.g. "ls -la" or "python --version".
            timeout: Seconds to let it run before it is killed (capped by the tool's own limit).
        """
        return await run(command, settings, timeout)

    return run_command


def toolset(
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
    max_output_chars: int = 20_000,
    allow_shell: bool = False,
    env: Mapping[str, str] | None = None,
) -> Toolset:
    """The shell tool (run_command), which always requires approval.

    Args:
        cwd: The folder commands run in (default: the current folder).
        timeout: The longest a command may run, in seconds.
        max_output_chars: Bytes kept of each of stdout and stderr.
        allow_shell: Run commands through the system shell (pipes, redirection, variables...).
        env: The exact environment of commands (default: only this process's ``SAFE_VARIABLES`` and
            ``LC_*``; pass ``env={**os.environ}`` to hand them everything, secrets included).
    """
    settings = _Settings(None if cwd is None else os.fspath(cwd), timeout, max_output_chars, allow_shell, env)
    return Toolset(_make_tool(settings), name="shell")


run_command = _make_tool(_Settings(None, 30.0, 20_000, False, None))

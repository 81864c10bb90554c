"""Runs one command and, when it ends or is stopped, ends every process it started (Linux).

The shell tool starts ``python -I -S _reaper.py AGENT_PID COMMAND...`` instead of the command itself.
Killing the command's process group misses what left the group: ``setsid sleep`` survived a timeout,
``sleep &`` outlived a normal exit. This process makes itself a child subreaper
(``PR_SET_CHILD_SUBREAPER``), so every orphan of the command's tree is re-parented to it instead of to
init, and can be found under it in ``/proc`` and killed. It ends the whole tree when the command exits,
on SIGTERM (the tool's timeout), and when the agent itself dies (``PR_SET_PDEATHSIG``; an agent that
died before that was armed is seen by the parent pid, and the command is not started). Standard library
only: it runs without site.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from types import FrameType

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _descendants() -> list[int]:
    """Every live process under this one, from ``/proc/PID/stat`` (zombies are left to ``_reap``)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # it ended meanwhile
            continue
        state, parent = stat[stat.rfind(b")") + 2 :].split()[:2]
        if state != b"Z":
            children.setdefault(int(parent), []).append(int(name))
    found, todo = [], [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_all() -> None:
    """Kill every descendant, again and again until none is left (a process forking meanwhile leaves
    orphans that come back to this subreaper, and are found by the next round)."""
    for _ in range(1000):
        pids = _descendants()
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _reap()


def _stopped(signum: int, frame: FrameType | None) -> None:
    end_all()
    os._exit(128 + signum)


def main(argv: list[str]) -> int:
    agent, argv = int(argv[0]), argv[1:]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != agent:  # the agent died before the signal was armed: nobody waits for the command
        return 128 + signal.SIGTERM
    signal.signal(signal.SIGTERM, _stopped)
    try:
        command = subprocess.Popen(argv)
    except OSError as exc:
        print(f"cannot run {argv[0]!r}: {exc.strerror}", file=sys.stderr)
        return 127
    code = command.wait()
    end_all()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

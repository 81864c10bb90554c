"""The ``agentkit`` command's standard output going away: ``agentkit models --json | head -1``."""

from __future__ import annotations

import os
import sys

SIGPIPE_EXIT = 141
"""128 + SIGPIPE: what a shell reports for a command whose reader closed the pipe."""


def reader_gone() -> int:
    """Stop quietly when stdout's reader has closed it, as other commands do, rather than report an
    error: Python ignores SIGPIPE, so the write raised ``BrokenPipeError``. Standard output is pointed at
    ``os.devnull`` so that flushing it at exit does not fail again (see the ``signal`` module's docs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return SIGPIPE_EXIT

"""A batch's progress: done, failed, rate, cost and ETA; a rich bar on a terminal, plain lines otherwise.

Plain lines (to stderr, at most every ``interval`` seconds, and a last one) suit logs and CI; the bar needs
rich (the ``cli`` extra) and a terminal.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Protocol, TextIO


@dataclass
class Counts:
    """A batch's tally: ``done`` and ``failed`` in this session, ``earlier`` answered before it."""

    total: int
    earlier: int = 0
    done: int = 0
    failed: int = 0
    cost: float = 0.0
    """USD, of every answer in the output file (earlier ones included)."""
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> int:
        return self.earlier + self.done + self.failed

    def rate(self) -> float:
        """Answers per second in this session."""
        elapsed = time.monotonic() - self.started
        return (self.done + self.failed) / elapsed if elapsed > 0 else 0.0

    def figures(self) -> str:
        """``2 failed · 31.0/s · $0.012000 · ETA 3s``"""
        rate = self.rate()
        eta = f"{(self.total - self.finished) / rate:.0f}s" if rate > 0 else "?"
        return f"{self.failed} failed · {rate:.1f}/s · ${self.cost:.6f} · ETA {eta}"

    def line(self) -> str:
        return f"{self.finished}/{self.total} answered ({self.earlier} earlier) · {self.figures()}"


class Progress(Protocol):
    def update(self, counts: Counts) -> None: ...

    def close(self, counts: Counts) -> None: ...


class PlainProgress:
    """``batch answers.jsonl: 120/200 answered (0 earlier) · 2 failed · 31.0/s · $0.012 · ETA 3s``."""

    def __init__(self, label: str, stream: TextIO | None = None, interval: float = 2.0) -> None:
        self.label, self.interval = label, interval
        self.stream = stream if stream is not None else sys.stderr
        self._last = 0.0

    def update(self, counts: Counts) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._print(counts)

    def close(self, counts: Counts) -> None:
        self._print(counts)

    def _print(self, counts: Counts) -> None:
        print(f"{self.label}: {counts.line()}", file=self.stream, flush=True)


class RichProgress:
    """A rich progress bar on stderr with the same figures."""

    def __init__(self, label: str, counts: Counts) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
                             TextColumn("{task.fields[info]}"))
        self._task = self._bar.add_task(label, total=counts.total, completed=counts.finished, info="")
        self._bar.start()

    def update(self, counts: Counts) -> None:
        self._bar.update(self._task, completed=counts.finished, info=counts.figures())

    def close(self, counts: Counts) -> None:
        self.update(counts)
        self._bar.stop()


def progress_for(label: str, counts: Counts, show: bool) -> Progress | None:
    """A bar on a terminal (with rich), plain lines elsewhere; None when not ``show``."""
    if not show:
        return None
    if sys.stderr.isatty():
        try:
            return RichProgress(label, counts)
        except ImportError:
            pass
    return PlainProgress(label)

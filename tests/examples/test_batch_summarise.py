"""batch_summarise.py: a durable crawl-and-summarise batch that a second run finds already done."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

RunExample = Callable[..., subprocess.CompletedProcess[str]]


def test_summarises_the_demo_site_once_and_a_second_run_skips_every_page(
    run_example: RunExample, tmp_path: Path
) -> None:
    first = run_example("batch_summarise").stdout
    assert "3 summarised now, 0 earlier, 0 failed" in first
    lines = (tmp_path / "summaries.jsonl").read_text().splitlines()
    answers = {answer["id"]: answer["output"] for answer in map(json.loads, lines)}
    assert sorted(answers) == ["/", "/teas.html", "/visit.html"]
    assert "Tidewater is a small tea house" in answers["/"] and "open from 9:00" in answers["/visit.html"]
    assert (tmp_path / "summaries.sqlite").is_file()  # the checkpoints, next to the output

    second = run_example("batch_summarise").stdout
    assert "0 summarised now, 3 earlier, 0 failed" in second
    assert len((tmp_path / "summaries.jsonl").read_text().splitlines()) == 3

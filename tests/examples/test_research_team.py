"""research_team.py: a writer agent using a researcher agent with the web tools, on the simulator and the
bundled demo site (served on loopback)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

RunExample = Callable[..., subprocess.CompletedProcess[str]]


def test_the_writer_asks_the_researcher_and_shows_its_progress(run_example: RunExample) -> None:
    out = run_example("research_team").stdout
    lines = out.splitlines()
    site = re.search(r"^serving the demo site at (\S+)$", out, re.MULTILINE)
    assert site is not None, out
    # The researcher's events reach the writer's stream, marked, before the writer gets its answer.
    progress = [line for line in lines if line.startswith(("[writer]", "  [research]"))]
    assert progress[:2] == ["[writer] calling research", "  [research] calling crawl_site"], out
    assert re.fullmatch(r"  \[research\] crawl_site -> \d+ characters", progress[2])
    assert progress[3].startswith("[writer] research -> 'Crawled 3 page(s) starting from " + site.group(1))
    # What the researcher found (all three pages) became the writer's material.
    article = out.split(progress[3], 1)[1]
    assert "Longjing" in article and "15:00" in article and "Tuesday to Sunday" in article
    pattern = r"^usage: (\d+) requests \((\d+) by the researcher\), (\d+) tokens \((\d+) by"
    usage = re.search(pattern, out, re.MULTILINE)
    assert usage is not None, out
    requests, by_researcher, tokens, researcher_tokens = map(int, usage.groups())
    assert (requests, by_researcher) == (4, 2) and 0 < researcher_tokens < tokens

"""The documentation in docs/: the site builds with ``--strict``, the API reference covers every public
name, and every citation of docs/deepseek-api.md or docs/design.md in the code points at a real section."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import agentkit

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CITING = ["agentkit", "tests", "examples", "bench"]
def test_the_site_builds_strict(tmp_path: Path) -> None:
    # --strict turns every warning into a failure: a broken link, a name mkdocstrings cannot resolve.
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    reference = (tmp_path / "site" / "reference" / "index.html").read_text(encoding="utf-8")
    assert 'id="agentkit.Agent.run_sync"' in reference  # the reference is rendered from the docstrings


def test_the_reference_lists_every_public_name() -> None:
    listed = re.findall(r"^::: agentkit\.(\w+)$", (DOCS / "reference.md").read_text(), re.MULTILINE)
    assert sorted(set(agentkit.__all__) - set(listed)) == []
    assert sorted(set(listed) - set(agentkit.__all__)) == []


def _sections(page: str) -> set[str]:
    return set(re.findall(r"^## (\d+)\. ", (DOCS / page).read_text(encoding="utf-8"), re.MULTILINE))


def test_citations_name_the_repository_docs_and_existing_sections() -> None:
    sections = _sections("deepseek-api.md")
    bare, dangling = [], []
    files = [p for folder in CITING for p in (ROOT / folder).rglob("*.py")] + [ROOT / "README.md"]
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        if path == Path(__file__):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in re.finditer(r"(\S*?)(deepseek-api|design)\.md", line):
                if not match.group(1).lstrip("`(\"'").startswith("docs/"):
                    bare.append(f"{name}:{number}")
            for cited in re.findall(r"deepseek-api\.md`*\)? §(\d+)", line):
                if cited not in sections:
                    dangling.append(f"{name}:{number} §{cited}")
    assert bare == [], "cite docs/deepseek-api.md or docs/design.md, files of this repository"
    assert dangling == []

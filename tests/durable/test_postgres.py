"""Two ``agentkit batch`` workers share one PostgreSQL: each prompt is answered once, both do work.

The test starts a throwaway PostgreSQL cluster (``initdb``, ``pg_ctl``) from the system's ``postgresql``
package on a free loopback port; ``.ci/run`` installs the package when it is missing. PostgreSQL refuses
to run as root, so as root the cluster runs as the ``postgres`` user the package creates.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from dbos import DBOSClient

from agentkit.sim import Simulator


class InFlight:
    """A script reply that takes ``seconds``, counting the requests being answered at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.now, self.peak = seconds, 0, 0

    async def answer(self, request: dict[str, Any]) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await anyio.sleep(self.seconds)
        finally:
            self.now -= 1
        # None: the simulator's own policy answers


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """``postgresql://agentkit@127.0.0.1:PORT/postgres`` of a cluster that lives as long as this module."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed: apt-get install postgresql (.ci/run does it when root)")
    root = Path(tempfile.mkdtemp(prefix="agentkit-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "agentkit", "--auth=trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
                    "-o", options, "start"], check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://agentkit@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_two_workers_sharing_postgresql_answer_each_prompt_once(
    sim: Simulator, child_env: dict[str, str], tmp_path: Path, postgres: str
) -> None:
    flight = InFlight(seconds=0.2)
    sim.script(*[flight.answer] * 200)
    prompts, output = tmp_path / "prompts.jsonl", tmp_path / "answers.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"Summarise ticket {i}."}) + "\n" for i in range(200)))
    agentkit = [sys.executable, "-m", "agentkit", "batch", "--database", postgres]
    worker = subprocess.Popen([*agentkit, "--worker", "--worker-id", "b"], env=child_env,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert worker.stderr is not None
        assert worker.stderr.readline().startswith("worker b: answering queue agentkit.cli-")
        submitted = subprocess.run([*agentkit, str(prompts), "--output", str(output), "--worker-id", "a",
                                    "--concurrency", "8"],
                                   env=child_env, capture_output=True, text=True, timeout=180)
        assert submitted.returncode == 0, submitted.stderr
    finally:
        worker.send_signal(signal.SIGINT)  # Ctrl-C: a worker runs until stopped
        worker.wait(timeout=60)

    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert sorted(line["id"] for line in lines) == list(range(1, 201))
    assert all(line["output"] for line in lines)
    assert len(sim.requests) == 200  # each prompt answered once
    # Each worker runs the batch's 8 at once, worker b too (it follows the queue's concurrency from its
    # first prompt on, though it started before the batch existed), although each takes 24 from the queue.
    assert flight.peak <= 16
    client = DBOSClient(system_database_url=postgres)
    try:
        runs = client.list_workflows(workflow_id_prefix="agentkit.cli-", load_input=False, load_output=False)
    finally:
        client.destroy()
    by_worker = Counter(run.executor_id for run in runs)
    assert sum(by_worker.values()) == 200 and set(by_worker) == {"a", "b"}  # both workers did work

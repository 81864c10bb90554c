"""``agentkit batch``: killed half way (``kill -9``) and run again, nothing is lost and nothing paid twice."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from dbos import DBOS

from agentkit import _cli, tool
from agentkit.durable import DurableAgent
from agentkit.sim import Reply, Simulator

CONCURRENCY = 8


def write_prompts(path: Path, count: int) -> None:
    path.write_text("".join(json.dumps({"prompt": f"Summarise ticket {i}."}) + "\n" for i in range(count)))


def answers(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def batch(prompts: Path, output: Path | str, tmp_path: Path, *more: str) -> list[str]:
    """``agentkit batch`` of ``prompts`` into ``output``, on a database in ``tmp_path``."""
    return [sys.executable, "-m", "agentkit", "batch", str(prompts), "--output", str(output),
            "--database", f"sqlite:///{tmp_path / 'batch.sqlite'}", *more]


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_batch_killed_half_way_and_run_again_answers_every_prompt_once(
    sim: Simulator, child_env: dict[str, str], tmp_path: Path
) -> None:
    sim.inject("latency;seconds=0.05", times=None)
    prompts, output = tmp_path / "prompts.jsonl", tmp_path / "answers.jsonl"
    write_prompts(prompts, 200)
    command = batch(prompts, output, tmp_path, "--concurrency", str(CONCURRENCY))
    first = subprocess.Popen(command, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: output.exists() and output.read_text().count("\n") >= 100)
    first.kill()  # SIGKILL: no cleanup of any kind
    first.wait()
    earlier = output.read_text().count("\n")
    assert earlier < 200, "the batch finished before it could be killed"

    again = subprocess.run(command, env=child_env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    lines = answers(output)
    assert sorted(line["id"] for line in lines) == list(range(1, 201))  # every prompt, each once
    assert all(line["output"] for line in lines)
    assert 200 <= len(sim.requests) <= 200 + CONCURRENCY  # at most the requests in flight at the kill, twice
    assert f"answered 200/200 (0 failed, {earlier} earlier)" in again.stderr
    assert "batch answers.jsonl: 200/200 answered" in again.stderr  # plain progress lines off a terminal


def test_a_worker_takes_no_prompt_file_and_a_batch_needs_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli.main(["batch", "--worker", "--output", "x.jsonl"]) == 1
    assert _cli.main(["batch", "prompts.jsonl"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ["error: give PROMPTS.jsonl and --output, or --worker (not both)"] * 2
    assert _cli.main(["batch", "--worker", "--concurrency", "4"]) == 1
    assert capsys.readouterr().err == (
        "error: --concurrency is the batch's, for every worker (DBOS keeps one per queue): give it to the "
        "command that submits the prompts, not to --worker\n"
    )


def test_a_bad_prompt_line_is_named_before_anything_runs(
    tmp_path: Path, child_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL"):
        monkeypatch.setenv(name, child_env[name])
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"prompt": "one"}\n{"prompt": "two", "id": 1}\n')
    code = _cli.main(["batch", str(prompts), "-o", str(tmp_path / "out.jsonl"),
                      "--database", f"sqlite:///{tmp_path / 'db.sqlite'}"])
    assert code == 1
    assert capsys.readouterr().err == "error: prompts.jsonl line 2: id 1 is already used on line 1\n"
    assert not (tmp_path / "db.sqlite").exists()


RUNNING: list[int] = [0, 0]
"""Tool calls running now, and the most seen at once."""


@tool
async def hold() -> str:
    """Hold for a moment."""
    RUNNING[0] += 1
    RUNNING[1] = max(RUNNING)
    await anyio.sleep(0.05)
    RUNNING[0] -= 1
    return "held"


def hold_then_answer(request: dict[str, Any]) -> Reply:
    if request["messages"][-1]["role"] == "tool":
        return Reply(content="done")
    return Reply(tool_calls=[("hold", {})])


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_worker_takes_more_than_its_concurrency_from_the_queue_and_runs_its_concurrency_at_once(
    sim: Simulator, sim_url: str, db: str, tmp_path: Path
) -> None:
    from agentkit import Agent
    from agentkit.sim import SIM_API_KEY

    sim.script(*[hold_then_answer] * 24)
    agent = Agent(tools=[hold], api_key=SIM_API_KEY, base_url=sim_url)
    durable = DurableAgent(agent, name="limited", database_url=db)
    prompts = [f"Prompt {i}" for i in range(12)]
    report = await durable.batch(prompts, output=tmp_path / "held.jsonl", concurrency=3, per_minute=600,
                                 progress=False)
    assert (report.done, RUNNING) == (12, [0, 3])
    queue = await DBOS.retrieve_queue_async(durable.queue)
    assert queue is not None
    assert (await queue.get_worker_concurrency_async(), await queue.get_limiter_async()) == (
        9, {"limit": 600, "period": 60.0}
    )


def test_failed_prompts_are_told_in_the_answers_and_one_summary_not_a_traceback_each(
    sim: Simulator, child_env: dict[str, str], tmp_path: Path
) -> None:
    sim.inject("402", times=None)
    prompts, output = tmp_path / "prompts.jsonl", tmp_path / "answers.jsonl"
    write_prompts(prompts, 3)
    ran = subprocess.run(batch(prompts, output, tmp_path), env=child_env, capture_output=True, text=True,
                         timeout=120)
    assert ran.returncode == 1
    assert [line["error"].split(":")[0] for line in answers(output)] == ["InsufficientBalanceError"] * 3
    lines = ran.stderr.splitlines()  # no DBOS traceback per failed run: the answers file has the errors
    assert all(line.startswith("batch answers.jsonl: ") for line in lines[:-2]), ran.stderr
    assert lines[-2].startswith("answered 0/3 (3 failed, 0 earlier)")
    assert lines[-1] == "run the same command again to retry the failed prompts"


@pytest.mark.parametrize("option", ["--concurrency", "--per-minute"])
@pytest.mark.parametrize("value", ["0", "-3", "99999999999999999999"])
def test_a_concurrency_or_rate_that_cannot_work_is_a_usage_error(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:  # --concurrency 0 ran 16 at once; a huge one overflowed SQLite
        _cli.main(["batch", "prompts.jsonl", "-o", "answers.jsonl", option, value])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"agentkit batch: error: argument {option}: must be from 1 to 1,000,000, got {value}"
    )


def test_answers_the_simulator_gave_without_a_key_are_not_taken_for_the_apis_with_one(
    sim: Simulator, child_env: dict[str, str], tmp_path: Path
) -> None:
    prompts, output = tmp_path / "prompts.jsonl", tmp_path / "answers.jsonl"
    write_prompts(prompts, 3)
    command = batch(prompts, output, tmp_path)
    no_key = {k: v for k, v in child_env.items() if not k.startswith("DEEPSEEK_")}
    simulated = subprocess.run(command, env=no_key, capture_output=True, text=True, timeout=120)
    assert simulated.returncode == 0, simulated.stderr
    assert simulated.stderr.startswith("no DEEPSEEK_API_KEY set: using the bundled simulator")
    output.unlink()  # start again, with the key
    real = subprocess.run(command, env=child_env, capture_output=True, text=True, timeout=120)
    assert real.returncode == 0, real.stderr
    assert len(sim.requests) == 3  # asked again, not the simulator's recorded answers
    assert "answered 3/3 (0 failed, 0 earlier)" in real.stderr

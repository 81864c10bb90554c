"""``agentkit batch`` with messy files: outputs that are not files or are busy, prompts and answers
that are not what a batch writes. Each failure is one line that says what to do, before any request."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from agentkit import _cli
from agentkit.sim import Simulator

from .test_batch_cli import answers, batch, wait_for, write_prompts


def test_the_same_batch_started_twice_at_once_is_refused_and_every_answer_is_written_once(
    sim: Simulator, child_env: dict[str, str], tmp_path: Path
) -> None:
    sim.inject("latency;seconds=0.05", times=None)
    prompts, output = tmp_path / "prompts.jsonl", tmp_path / "answers.jsonl"
    write_prompts(prompts, 40)
    first = subprocess.Popen(batch(prompts, output, tmp_path, "--concurrency", "2"), env=child_env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: output.exists() and output.read_text().count("\n") >= 1)
    second = subprocess.run(batch(prompts, output, tmp_path), env=child_env, capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 1
    assert second.stderr.splitlines()[-1] == (
        f"error: {output} is being written by another batch (the same command, still running?): wait for "
        "it to finish, or help it with agentkit batch --worker"
    )
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert sorted(line["id"] for line in answers(output)) == list(range(1, 41))  # each once
    assert len(sim.requests) == 40


def test_an_output_that_is_not_a_regular_file_is_refused_before_it_is_read(
    child_env: dict[str, str], tmp_path: Path
) -> None:
    prompts, fifo = tmp_path / "prompts.jsonl", tmp_path / "answers.fifo"
    write_prompts(prompts, 1)
    os.mkfifo(fifo)  # reading it back waited for a writer forever (and /dev/zero filled the memory)
    for output in (fifo, tmp_path):
        ran = subprocess.run(batch(prompts, output, tmp_path), env=child_env, capture_output=True, text=True,
                             timeout=60)
        assert ran.returncode == 1
        assert ran.stderr == (
            f"error: the output {output} is not a regular file: a batch reads its answers back to carry on "
            "where it stopped, so write them to a file (and follow it with tail -f)\n"
        )
    assert not (tmp_path / "batch.sqlite").exists()


def test_prompts_with_a_byte_order_mark_are_read_and_other_encodings_are_named(
    tmp_path: Path, child_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL"):
        monkeypatch.setenv(name, child_env[name])
    prompts, output = tmp_path / "prompts.jsonl", tmp_path / "answers.jsonl"
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    prompts.write_bytes(b'{"prompt": "one"}\n{"prompt": "caf\xe9"}\n')  # Latin-1
    assert _cli.main(["batch", str(prompts), "-o", str(output), "--database", database]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: prompts.jsonl line 2 is not UTF-8 (byte 0xe9): save the file as UTF-8"
    )
    prompts.write_bytes(b'\xef\xbb\xbf{"prompt": "caf\xc3\xa9?"}\r\n\r\n{"prompt": "two"}\r\n')  # Notepad's
    assert _cli.main(["batch", str(prompts), "-o", str(output), "--database", database]) == 0
    assert [line["id"] for line in answers(output)] == [1, 3]


@pytest.mark.parametrize(("written", "error"), [
    (b'{"id": 1, "output": "caf\xe9"}\n', "answers.jsonl line 1 is not UTF-8 (byte 0xe9): save the file as "
     "UTF-8"),
    (b'{"id": 1, "output": "x", "usage": {"cost": "$1"}}\n', "answers.jsonl line 1 is not an answer line "
     "written by a batch: fix it, or write the answers to another file"),
    (b'{"id": 1, "output": "x"}\n{"id": 2, "output": "y", "usage": [3]}\n', "answers.jsonl line 2 is not an "
     "answer line written by a batch: fix it, or write the answers to another file"),
])
def test_an_answers_file_edited_between_runs_is_named_with_the_line_to_fix(
    written: bytes, error: str, tmp_path: Path, child_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL"):
        monkeypatch.setenv(name, child_env[name])
    prompts, output = tmp_path / "prompts.jsonl", tmp_path / "answers.jsonl"
    write_prompts(prompts, 2)
    output.write_bytes(written)
    assert _cli.main(["batch", str(prompts), "-o", str(output), "--database",
                      f"sqlite:///{tmp_path / 'db.sqlite'}"]) == 1
    assert capsys.readouterr().err == f"error: {error}\n"
    assert output.read_bytes() == written


def test_blank_lines_an_editor_left_in_the_answers_are_passed_over(
    sim: Simulator, tmp_path: Path, child_env: dict[str, str]
) -> None:
    prompts, output = tmp_path / "prompts.jsonl", tmp_path / "answers.jsonl"
    write_prompts(prompts, 2)
    output.write_text('{"id": 1, "output": "kept", "usage": {"cost": 0.5}}\n\n')
    ran = subprocess.run(batch(prompts, output, tmp_path), env=child_env, capture_output=True, text=True,
                         timeout=120)
    assert ran.returncode == 0, ran.stderr
    lines = output.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines if line] == [1, 2]
    assert json.loads(lines[0])["output"] == "kept"
    assert "answered 2/2 (0 failed, 1 earlier)" in ran.stderr
    assert len(sim.requests) == 1

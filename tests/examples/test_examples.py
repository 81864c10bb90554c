"""Each example, run as ``python examples/NAME.py`` on the simulator, does what its docstring says."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from agentkit.sim import SIM_API_KEY, Simulator, serve

RunExample = Callable[..., subprocess.CompletedProcess[str]]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_quickstart_calls_tools_in_parallel_and_answers_quickly(run_example: RunExample) -> None:
    started = time.monotonic()
    out = run_example("quickstart").stdout
    elapsed = time.monotonic() - started
    assert "2 tool call(s) in one model response, run concurrently:" in out
    calls = re.findall(r"^  tool call: (\w+)\((.*)\)$", out, re.MULTILINE)
    assert [name for name, _ in calls] == ["get_weather", "get_local_time"]
    assert all(json.loads(arguments) == {"city": "Hangzhou"} for _, arguments in calls)
    assert "answer: " in out and "light rain, 18 °C" in out
    assert re.search(r"^usage: 2 requests, \d+ prompt tokens .*cost \$\d", out, re.MULTILINE), out
    assert elapsed < 10, f"the quick start took {elapsed:.1f} s"  # the README's promise, generously


def test_with_a_key_the_examples_use_deepseek_base_url(run_example: RunExample) -> None:
    # A stand-in "DeepSeek": the simulator on loopback, reached through the real configuration variables.
    with serve(Simulator(), host="127.0.0.1", port=0) as base_url:
        env = {"DEEPSEEK_API_KEY": SIM_API_KEY, "DEEPSEEK_BASE_URL": base_url}
        out = run_example("quickstart", env=env, first_line=f"Running on DeepSeek ({base_url})").stdout
    assert "answer: " in out


def test_assistant_multi_turn_with_tools_and_streaming(run_example: RunExample) -> None:
    out = run_example("assistant").stdout
    # Two add_todo calls in one response in turn 1, run concurrently: either may append first.
    listed = re.search(r"^to-do list: (\[.*\])$", out, re.MULTILINE)
    assert listed is not None and sorted(ast.literal_eval(listed.group(1))) == ["buy milk", "call the bank"]
    streamed = out.split("user: What is on my list now?\n", 1)[1]
    shown = re.match(r"assistant: \[calling list_todos\] \[list_todos -> (\[.*?\])\]", streamed)
    assert shown is not None and sorted(json.loads(shown.group(1))) == ["buy milk", "call the bank"]
    assert re.search(r"conversation: \d+ messages", out)


def test_automation_writes_validated_records(run_example: RunExample, tmp_path: Path) -> None:
    out_file = tmp_path / "triaged.json"
    out = run_example("automation", "--out", str(out_file)).stdout
    assert f"wrote 3 tickets to {out_file}" in out
    records = json.loads(out_file.read_text(encoding="utf-8"))
    assert [r["file"] for r in records] == ["001.txt", "002.txt", "003.txt"]
    assert [(r["category"], r["urgency"]) for r in records] == [
        ("billing", "normal"),
        ("bug", "urgent"),
        ("feature", "low"),
    ]
    tickets = EXAMPLES / "data" / "tickets"
    # The simulator's summary is a phrase of the ticket (here its subject); a model's would be its own words.
    for r in records:
        assert len(r["summary"].split()) >= 3 and r["summary"] in (tickets / r["file"]).read_text(), r


def test_automation_without_out_prints_and_writes_nothing(run_example: RunExample, tmp_path: Path) -> None:
    before = sorted(EXAMPLES.parent.rglob("*.json"))
    out = run_example("automation").stdout
    records = json.loads(out[out.index("[\n") :])
    assert [r["file"] for r in records] == ["001.txt", "002.txt", "003.txt"]
    assert sorted(EXAMPLES.parent.rglob("*.json")) == before and not list(tmp_path.iterdir())


def test_automation_reads_any_folder(run_example: RunExample, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("From: x@example.com\nSubject: Refund please\n\nA billing problem.\n")
    out = run_example("automation", str(inbox), "--out", "out.json").stdout
    assert "a.txt: billing" in out
    assert len(json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))) == 1


def test_reasoner_shows_reasoning_and_calls_tools_in_thinking_mode(run_example: RunExample) -> None:
    out = run_example("reasoner").stdout
    assert "profile deepseek-v4: reasoning sent back: all-with-tools" in out
    assert out.count("\nthinking: ") >= 4  # before and after the tool call, in both turns
    assert out.count("tool call: get_weather(") == 2
    assert "history: 9 messages; 4 keep their reasoning_content" in out


def test_fim_and_prefix_completion(run_example: RunExample) -> None:
    out = run_example("fim_and_prefix").stdout
    fim = out.split("FIM completion:\n", 1)[1].split("Prefix completion:\n", 1)[0]
    assert fim.strip(), "empty FIM completion"
    prefix = out.split("Prefix completion:\n", 1)[1]
    code = prefix.split("```python\n", 1)[1].split("```", 1)[0]
    compile(code, "<prefix completion>", "exec")  # the continuation is code, cut at the stop fence


def test_every_example_has_a_test() -> None:
    tests = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    tested = set(re.findall(r'run_example\(\s*"(\w+)"', tests))
    examples = {p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_")}
    assert examples == tested


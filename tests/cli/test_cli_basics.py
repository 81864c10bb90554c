"""Parsing, help, errors and the small API commands (against a stand-in server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from agentkit import _cli
from agentkit.sim import SIM_API_KEY

Cli = Callable[..., Any]
COMMANDS = ["chat", "run", "sim", "models", "balance", "fim"]


def test_no_command_prints_help_and_fails(cli: Cli) -> None:
    ran = cli()
    assert ran.code == 2
    assert "COMMAND" in ran.out and all(c in ran.out for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_everywhere(cli: Cli, command: str) -> None:
    ran = cli(command, "--help")
    assert ran.code == 0
    assert f"usage: agentkit {command}" in ran.out
    assert "--debug" in ran.out


def test_version(cli: Cli) -> None:
    ran = cli("--version")
    assert (ran.code, ran.out.split()[0]) == (0, "agentkit")


def test_unknown_option_is_a_usage_error(cli: Cli) -> None:
    ran = cli("models", "--bogus")
    assert ran.code == 2
    assert "unrecognized arguments: --bogus" in ran.err


def test_python_dash_m_agentkit() -> None:
    done = subprocess.run([sys.executable, "-m", "agentkit", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: agentkit")


def test_models(cli: Cli, fake_api: list[httpx.Request], secret: str) -> None:
    ran = cli("models")
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == ["deepseek-v4-flash  deepseek", "deepseek-v4-pro  deepseek"]
    assert [r.url.path for r in fake_api] == ["/models"]
    assert secret not in ran.out + ran.err


def test_models_json(cli: Cli, fake_api: list[httpx.Request]) -> None:
    ran = cli("models", "--json")
    assert [m["id"] for m in ran.json()["data"]] == ["deepseek-v4-flash", "deepseek-v4-pro"]


def test_balance(cli: Cli, fake_api: list[httpx.Request]) -> None:
    ran = cli("balance")
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == ["balance: available", "  2.30 CNY  (granted 0.00, topped up 2.30)"]
    assert cli("balance", "--json").json()["balance_infos"][0]["total_balance"] == "2.30"


def test_fim(cli: Cli, fake_api: list[httpx.Request]) -> None:
    ran = cli("fim", "def add(a, b):\n", "--suffix", "\n\nprint(add(1, 2))", "--max-tokens", "32")
    assert ran.code == 0, ran.err
    assert ran.out == "    return a + b\n"
    import json

    body = json.loads(fake_api[0].content)
    assert fake_api[0].url.path == "/beta/completions"
    assert body == {"model": "deepseek-chat", "prompt": "def add(a, b):\n", "max_tokens": 32,
                    "suffix": "\n\nprint(add(1, 2))"}


def test_api_error_is_one_line_with_remedy_and_no_key(cli: Cli, fake_api: list[httpx.Request],
                                                      monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    wrong = secret[:-4] + "XXXX"
    monkeypatch.setattr(_cli, "_api", _fixed_api(_cli.API(wrong, None, False)))
    monkeypatch.setenv("DEEPSEEK_API_KEY", wrong)
    ran = cli("balance")
    assert ran.code == 1
    assert ran.out == ""
    assert len(ran.err.splitlines()) == 1
    assert ran.err.startswith("error: 401")
    assert "DEEPSEEK_API_KEY" in ran.err  # the remedy
    assert wrong not in ran.err and "Traceback" not in ran.err


def test_debug_shows_the_traceback_without_the_key(cli: Cli, fake_api: list[httpx.Request],
                                                   monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    wrong = secret[:-4] + "YYYY"
    monkeypatch.setattr(_cli, "_api", _fixed_api(_cli.API(wrong, None, False)))
    monkeypatch.setenv("DEEPSEEK_API_KEY", wrong)
    ran = cli("--debug", "balance")
    assert ran.code == 1
    assert "Traceback" in ran.err
    assert ran.err.splitlines()[-1].startswith("error: 401")
    assert wrong not in ran.err


def _fixed_api(api: _cli.API) -> Any:
    import contextlib

    @contextlib.contextmanager
    def fixed(args: Any, notice: Any) -> Any:
        yield api

    return fixed


def test_missing_simulator_says_how_to_fix(cli: Cli, no_simulator: None) -> None:
    ran = cli("models")
    assert ran.code == 1
    assert ran.err == ("error: no DEEPSEEK_API_KEY is set and the simulator is not installed: "
                       "export DEEPSEEK_API_KEY=sk-..., or pip install 'agentkit[sim]'\n")


def test_unknown_tool_lists_the_ready_tools(cli: Cli) -> None:
    ran = cli("run", "hi", "--tools", "clock,nope")
    assert ran.code == 1
    assert ran.err.startswith("error: unknown tool 'nope' in --tools: choose from ")
    assert "clock" in ran.err and "_fetch" not in ran.err


def test_unexpected_errors_are_one_line_too(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(args: Any) -> int:
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(_cli, "_cmd_models", boom)
    ran = cli("models")
    assert (ran.code, ran.err) == (1, "error: unexpected ZeroDivisionError: division by zero second line "
                                      "(run again with --debug to see where)\n")


def test_tool_calls_made_pairs_calls_with_results() -> None:
    messages = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_00_a", "type": "function",
             "function": {"name": "now", "arguments": "{\"tz\":\"Asia/Tokyo\"}"}},
            {"id": "call_01_b", "type": "function", "function": {"name": "calc", "arguments": "{bad"}}]},
        {"role": "tool", "tool_call_id": "call_01_b", "content": "error: invalid JSON"},
        {"role": "tool", "tool_call_id": "call_00_a", "content": "2026-11-24T00:50:00+09:00"},
        {"role": "assistant", "content": "done"},
    ]
    assert _cli.tool_calls_made(messages) == [
        {"id": "call_00_a", "name": "now", "arguments": {"tz": "Asia/Tokyo"},
         "result": "2026-11-24T00:50:00+09:00"},
        {"id": "call_01_b", "name": "calc", "arguments": "{bad", "result": "error: invalid JSON"},
    ]


def test_usage_line() -> None:
    from agentkit._usage import RunUsage

    usage = RunUsage(prompt_tokens=2414, completion_tokens=256, prompt_cache_hit_tokens=1408,
                     prompt_cache_miss_tokens=1006, reasoning_tokens=111, requests=3, tool_calls=2,
                     cost=0.000216)
    assert _cli.usage_line(usage) == ("2,414 prompt tokens (58% cached) · 256 completion (111 reasoning) · "
                                      "3 requests · 2 tool calls · $0.000216")


def test_sim_delegates_to_the_simulator_entry_point(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import agentkit.sim

    seen: list[list[str]] = []
    monkeypatch.setattr(agentkit.sim, "main", lambda argv: seen.append(argv) or 0)
    assert cli("sim").code == 0
    assert cli("sim", "--port", "0", "--seed", "7", "--era", "deepseek-r1", "--lenient").code == 0
    assert seen == [
        ["--host", "127.0.0.1", "--port", "8000", "--era", "deepseek-v4"],
        ["--host", "127.0.0.1", "--port", "0", "--era", "deepseek-r1", "--seed", "7", "--lenient"],
    ]


def test_sim_serves_on_loopback_until_stopped() -> None:
    import os
    import signal

    proc = subprocess.Popen([sys.executable, "-m", "agentkit", "sim", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        base_url = lines[1].strip().removeprefix("DEEPSEEK_BASE_URL=")
        assert base_url.startswith("http://127.0.0.1:")
        auth = {"Authorization": "Bearer sk-agentkit-sim"}
        models = httpx.get(f"{base_url}/models", headers=auth, timeout=30)
        assert models.status_code == 200 and models.json()["data"]
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.communicate(timeout=30)


def test_an_error_echoing_a_piece_of_the_key_in_any_case_or_escaped_is_masked(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", secret)
    escaped = "".join(f"\\u{ord(c):04x}" for c in secret[:12])

    def boom(args: Any) -> int:
        raise ValueError(f"bad key {secret.upper()[3:]} / {escaped}")

    monkeypatch.setattr(_cli, "_cmd_models", boom)
    ran = cli("models")
    assert ran.err == ("error: unexpected ValueError: bad key <api key> / <api key> "
                       "(run again with --debug to see where)\n")


def test_the_simulators_public_key_masks_nothing_and_json_output_stays_json(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", SIM_API_KEY)

    def boom(args: Any) -> int:
        raise ValueError("agentkit-sim says no")

    monkeypatch.setattr(_cli, "_cmd_models", boom)
    assert "agentkit-sim says no" in cli("models").err

    monkeypatch.setenv("DEEPSEEK_API_KEY", secret)
    answer = {"output": f"an escape \x1b[2J, café, and {secret[:10]} but not the key"}
    monkeypatch.setattr(_cli, "_cmd_models", lambda args: _cli._print_json(answer) or 0)
    assert json.loads(cli("models").out) == answer  # a payload is printed as it is, valid JSON
    monkeypatch.setattr(_cli, "_cmd_models", lambda args: _cli._print_json({"echo": secret}) or 0)
    assert json.loads(cli("models").out) == {"echo": "<api key>"}


def test_a_reader_that_closes_the_pipe_ends_the_command_quietly() -> None:
    """``agentkit models --json | head -1``: no 'error: [Errno 32] Broken pipe (check the path...)'."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPSEEK_")}
    proc = subprocess.Popen([sys.executable, "-m", "agentkit", "models", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    proc.stdout.close()  # before the command writes anything: its write fails with EPIPE
    _, err = proc.communicate(timeout=60)
    assert len(err.splitlines()) == 1  # the simulator notice, nothing after it
    assert err.startswith("no DEEPSEEK_API_KEY set: using the bundled simulator")
    assert proc.returncode == 141

"""Hostile input to the ready tools (issue 11, round 2 of the adversarial review): arguments a model, or a
file, page or command it controls, could use to freeze the process, burn CPU after a timeout, leak a
secret or crash a listing. Each test fails without its fix; what could freeze runs in a child process
with a deadline, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fault_rig import in_child

from agentkit.tools import files, shell  # type: ignore[import-not-found]
from agentkit.tools.math import MathError, evaluate  # type: ignore[import-not-found]

pytestmark = pytest.mark.anyio

# --------------------------------------------------------------------------- item 7: math CPU


def test_an_expression_cannot_buy_a_minute_of_cpu_within_its_length_limit() -> None:
    """37 modular powers of 10,000 bits fit in 1,000 characters, ~2.2 s each: the whole expression's
    work is now estimated before each operation runs, and refused past the budget."""
    printed = in_child(
        """
        from agentkit.tools.math import MathError, evaluate
        expensive = [
            "pow(3, 2**9999-1, 2**9999-1)",  # the review's: ~2.2 s each
            "pow(2**9999-1, -1, 3**6300)",  # a modular inverse of 10,000 bits: ~15 ms each
            "comb(5000, 2500)",  # ~1.5 ms each
            "round(2**9999, -9999)",
            "(2**9999-1) % 3**6000",
            "gcd(3**6300, 2**9999-1)",
        ]
        for term in expensive:
            expression = "+".join([term] * (1000 // (len(term) + 1)))
            try:
                evaluate(expression)
                print("computed")
            except MathError as exc:
                print(exc)
        """,
        timeout=20,
    )
    outcomes = printed.splitlines()
    assert outcomes[0].startswith("the expression needs too much computation (over 50,000,000 steps, at pow)")
    assert len(outcomes) == 6


def test_one_affordable_modular_power_still_computes() -> None:
    assert evaluate("pow(3, 2**2047 - 1, 2**2048 - 1)") == pow(3, 2**2047 - 1, 2**2048 - 1)


@pytest.mark.parametrize("expression", ["2(3)", "(2+3)(4)", "2.5(1)", "(1)(2)(3)", "-2(3)"])
def test_calling_a_number_is_an_error_not_a_silent_wrong_answer(expression: str) -> None:
    """``2(3)`` gave 2 and ``(2+3)(4)`` gave 5: the call was dropped."""
    with pytest.raises(MathError, match=r"a number cannot be called: write 2\*\(3\)"):
        evaluate(expression)


# --------------------------------------------------------------------------- the files tools


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("TOP SECRET\n")
    (tmp_path / "root" / "readme.txt").write_text(SENTENCE + "\n")
    return tmp_path / "root"


SENTENCE = "This is an ordinary sentence in a readme file with some words."


async def call(root: Path, name: str, **arguments: Any) -> str:
    tools = {t.name: t for t in files.toolset(root)}
    return str(await tools[name].call(arguments))


def files_in_child(root: Path, calls: str, **settings: Any) -> list[tuple[str, int, float]]:
    """Run tool calls (``(name, {arguments}),`` per line) on ``root`` in a child process with a deadline,
    with a ticker on the same event loop: per call, its outcome, how often the loop ticked meanwhile
    (every 10 ms if it is not blocked) and how long it took."""
    printed = in_child(
        f"""
        import json, time, anyio
        from agentkit.tools import files
        tools = {{t.name: t for t in files.toolset({str(root)!r}, **{settings!r})}}
        calls = [{calls}]
        async def main():
            ticks = []
            async def ticker():
                while True:
                    ticks.append(time.monotonic())
                    await anyio.sleep(0.01)
            async with anyio.create_task_group() as tg:
                tg.start_soon(ticker)
                for name, arguments in calls:
                    started, before = time.monotonic(), len(ticks)
                    try:
                        outcome = await tools[name].call(arguments)
                    except files.FilesError as exc:
                        outcome = f"FilesError: {{exc}}"
                    print(json.dumps([outcome, len(ticks) - before, time.monotonic() - started]))
                tg.cancel_scope.cancel()
        anyio.run(main)
        """,
        timeout=60,
    )
    return [tuple(json.loads(line)) for line in printed.splitlines()]


# item 1: a model-supplied regular expression


def test_a_backtracking_regex_neither_freezes_the_process_nor_runs_unbounded(root: Path) -> None:
    """``re`` held the GIL for ever on ``^(\\w+\\s?)*$``: the event loop (and tool_timeout) froze with it.
    Now the engine releases the GIL (the loop ticks on) and a search has a time budget."""
    (root / "letters.txt").write_text("a" * 40 + "b\n")
    outcomes = files_in_child(
        root,
        """
        ("search_files", {"query": r"^(\\w+\\s?)*$", "regex": True, "path": "readme.txt"}),
        ("search_files", {"query": r"^(a|aa)*$", "regex": True, "path": "letters.txt"}),
        ("search_files", {"query": r"((a{1000}){1000}){1000}", "regex": True}),
        ("search_files", {"query": r"some WORDS\\.$", "regex": True}),
        """,
        search_seconds=0.5,
    )
    first, slow, bomb, fine = outcomes
    assert first[0] == "no line matches '^(\\\\w+\\\\s?)*$'"  # the review's: the sentence ends with "."
    assert slow[0].startswith("FilesError: the regular expression '^(a|aa)*$' took more than 0.5 s")
    assert slow[2] < 5 and slow[1] >= 10  # stopped in time; the loop ticked (every 10 ms) meanwhile
    assert "repeats too much" in bomb[0] and bomb[2] < 5  # refused before compiling gigabytes
    assert fine[0] == f"readme.txt:1: {SENTENCE}"


def test_the_repeat_estimate_refuses_only_what_written_out_is_huge() -> None:
    from agentkit.tools._search import written_out_size  # type: ignore[import-not-found]

    assert written_out_size(r"\d{4}-\d{2}-\d{2}") == 10
    assert written_out_size(r"(?:a{1000}){1000}") >= 1_000_000
    assert written_out_size(r".{0,1000}x.{0,1000}y") <= 3_000
    assert written_out_size(r"[{]{5}\{9999\}\p{L}{3}") < 100


# item 4: named pipes


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_given_as_a_path_is_refused_not_opened(root: Path) -> None:
    """Opening a FIFO blocks until a writer (or reader) comes: for ever."""
    os.mkfifo(root / "pipe")
    outcomes = files_in_child(
        root,
        """
        ("search_files", {"query": "x", "path": "pipe"}),
        ("read_file", {"path": "pipe"}),
        ("write_file", {"path": "pipe", "content": "x"}),
        ("search_files", {"query": "ordinary"}),
        ("list_files", {}),
        """,
    )
    refusal = "FilesError: 'pipe' is a named pipe, not a regular file: the file tools do not open it"
    assert [outcome for outcome, _, _ in outcomes] == [
        refusal,
        refusal,
        refusal,
        f"readme.txt:1: {SENTENCE}",  # a folder search skips the pipe
        "pipe (a named pipe: not readable)\nreadme.txt (63 bytes)",
    ]


# item 5: broken links and loops


async def test_broken_links_and_loops_are_listed_as_what_they_are(root: Path) -> None:
    (root / "broken").symlink_to("missing")
    (root / "self").symlink_to("self")
    (root / "ping").symlink_to("pong")
    (root / "pong").symlink_to("ping")
    (root / "sub").mkdir()
    (root / "sub" / "dangling").symlink_to("../../outside/gone.txt")
    expected = [
        "broken (broken link: what it points to does not exist)",
        "ping (link loop: not accessible)",
        "pong (link loop: not accessible)",
        "readme.txt (63 bytes)",
        "self (link loop: not accessible)",
    ]
    assert (await call(root, "list_files")).splitlines() == [*expected, "sub/"]
    listing = (await call(root, "list_files", recursive=True)).splitlines()
    assert listing == [*expected, "sub/dangling (broken link: what it points to does not exist)"]
    assert await call(root, "search_files", query="ordinary") == f"readme.txt:1: {SENTENCE}"
    with pytest.raises(files.FilesError, match="link loop"):
        await call(root, "read_file", path="ping")
    assert await call(root, "delete_file", path="self") == "deleted self"  # the loop can be cleaned up
    assert await call(root, "delete_file", path="broken") == "deleted broken"
    assert not os.path.lexists(root / "self") and not os.path.lexists(root / "broken")


# item 6: file names that are not UTF-8 (the files tools' part: listing them without crashing)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="these file systems only take Unicode names")
async def test_names_that_are_not_utf8_are_listed_searched_and_read(root: Path) -> None:
    (root / os.fsdecode(b"caf\xe9.txt")).write_text("ordinary coffee\n")
    name = os.fsdecode(b"caf\xe9.txt")  # the name as Python sees it: a lone surrogate for the byte
    assert (await call(root, "list_files")).splitlines()[0] == f"{name} (16 bytes)"
    assert f"{name}:1: ordinary coffee" in await call(root, "search_files", query="ordinary")
    assert await call(root, "read_file", path=name) == "ordinary coffee\n"
    with pytest.raises(files.FilesError, match="not valid text"):  # a lone surrogate in content
        await call(root, "write_file", path="new.txt", content="caf\udce9")
    assert not (root / "new.txt").exists()


# item 16: a link swapped between the check and the open

FLIPPER = """
import os, sys, time
root, outside = sys.argv[1:3]
docs, away = os.path.join(root, "docs"), os.path.join(root, "docs-away")
for _ in range(200_000):  # bounded; the test ends it sooner
    os.rename(docs, away)  # the real folder "docs" goes...
    os.symlink(outside, docs)  # ...and a link out of the root takes its name for a moment,
    time.sleep(0.0001)
    os.unlink(docs)
    os.rename(away, docs)  # then the real folder is back
    time.sleep(0.0001)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
async def test_reads_racing_a_link_swapped_in_and_out_never_leak_outside(root: Path) -> None:
    """A second process swaps ``docs`` between a real folder and a link out of the root while reads and
    searches run: a path checked inside must never be opened outside (the review saw 1 leak in
    3,000 reads). Files are opened component by component without following links, so a swap is
    refused or missed, never followed."""
    (root / "docs").mkdir()
    (root / "docs" / "secret.txt").write_text("harmless\n")
    flipper = subprocess.Popen([sys.executable, "-c", FLIPPER, str(root), str(root.parent / "outside")])
    tools = {t.name: t for t in files.toolset(root)}
    seen: set[str] = set()
    try:
        for _ in range(800):
            for name, arguments in (
                ("read_file", {"path": "docs/secret.txt"}),
                ("search_files", {"query": "e"}),
            ):
                try:
                    seen.add(await tools[name].call(arguments))
                except (files.FilesError, OSError) as exc:  # refused, or gone for a moment: never read
                    seen.add(type(exc).__name__)
    finally:
        flipper.kill()
        flipper.wait()
    assert not [text for text in seen if "TOP SECRET" in text], seen
    assert "harmless\n" in seen  # the reads did run, and often succeeded
    assert not seen & {"OSError", "FileNotFoundError"}, seen  # a race is a clear refusal too


# --------------------------------------------------------------------------- the shell tool


async def test_commands_get_only_safe_variables_whatever_the_secret_is_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Item 2 (b): each of these passed the old deny-list of secret-looking names and URLs."""
    leaky = {
        "DEEPSEEK_API_KEY": "sk-not-for-commands",
        "REDIS_URL": "redis://:pw@cache:6379",
        "DATABASE_URL": "postgres://u:pa/ss@db/app",
        "SENTRY_DSN": "https://abc123@o1.ingest.sentry.io/1",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/XyZ",
        "WEBHOOK_URL": "https://example.com/hook?token=abc",
        "GH_PAT": "ghp_x",
        "GITHUB_PAT": "ghp_y",
        "CI_JOB_JWT": "eyJ.x.y",
        "AWS_CREDS": "aws-creds-value",
        "PASSWORD_SALT": "salt-value",
    }
    for name, value in leaky.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LANG", "C.UTF-8")
    (tool,) = shell.toolset()
    out = await tool.call({"command": f'{sys.executable} -c "import os; print(dict(os.environ))"'})
    passed = ast.literal_eval(out.split("\n")[2])
    assert [name for name in leaky if name in passed] == []
    assert not [value for value in leaky.values() if value in out]
    assert passed["LANG"] == "C.UTF-8" and passed["PATH"] == os.environ["PATH"]


def survivors(marker: str) -> list[int]:
    """Processes whose command line holds ``marker`` (a sleep length no one else uses)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline.split(b"\0"):
                found.append(int(name))
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="descendants are tracked on Linux (a subreaper)")
@pytest.mark.parametrize(
    ("command", "timeout"),
    [
        ("setsid sleep {marker}", 1.0),  # left the process group, then the timeout struck
        ("setsid -f sleep {marker}", 5.0),  # left the group and its parent, which exited at once
        ("sleep {marker} >/dev/null 2>&1 &", 5.0),  # in the background, the command exited normally
        ("(sh -c 'setsid sleep {marker} >/dev/null 2>&1 &' &); sleep 0.2", 5.0),  # a double fork
    ],
    ids=["setsid-timeout", "setsid-fork", "background", "double-fork"],
)
async def test_no_process_a_command_started_outlives_it(command: str, timeout: float) -> None:
    """Item 15: killing the process group missed ``setsid sleep`` at a timeout and ``sleep &`` at a
    normal exit; every descendant is now ended with the command."""
    marker = f"{os.getpid() % 1000 + 1000}.{abs(hash(command)) % 10_000}"
    (tool,) = shell.toolset(allow_shell=True, timeout=timeout)
    try:
        out = await tool.call({"command": command.format(marker=marker)})
        assert out.startswith(("exit code: 0", "timed out after 1 s and was killed")), out
        assert survivors(marker) == []
    finally:
        for pid in survivors(marker):  # what a regression left running: ended here, by its id
            os.kill(pid, signal.SIGKILL)

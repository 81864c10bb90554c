"""``MCPServer``: the tools of a Model Context Protocol server, as agentkit tools.

An ``MCPServer`` is a tool source (``agentkit.ToolSource``): give it to ``Agent(tools=[...])`` next to
plain tools. ``async with server`` opens the connection (a subprocess for ``stdio``, a session for
``http``); it is reference-counted, so several runs may hold it at once and the last one out closes it.
``async with agent`` holds it open across runs; a run of an agent not entered opens and closes it.
A connection belongs to the event loop that opened it, so each loop (``run_sync``'s, a trio run's) opens
and counts its own.

The tool list is fetched once and cached: ``list_tools`` returns the same list object until the server
says its tools changed (and keeps it even then if nothing the model sees changed), so the ``tools`` part
of every request stays the same bytes and DeepSeek's prefix cache keeps hitting. Each tool is a
``Tool.from_schema`` with the server's own input schema, so calls take the agent's normal path: events,
``usage.tool_calls``, hooks, timeouts, retry budgets. Whatever goes wrong in a call (an error result, a
timeout, the server crashing) becomes a tool message for the model, never a crashed run, and a server
that died is started again for the next call, up to ``max_restarts`` times per opening.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, TextIO

import anyio
import httpx
from mcp import Client, StdioServerParameters, stdio_client, types
from mcp.client import ClientRequestContext, IncomingMessage, Transport
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError
from typing_extensions import TypedDict, Unpack

from .. import __version__
from .._context import RunContext
from .._errors import AgentkitError, ToolDefinitionError, UserError
from .._perloop import PerLoop
from .._tool import Tool
from ._connection import Connection, ConnectionLost, MCPServerError, http_transport
from ._results import MCPToolError, first_error, result_text
from ._sampling import CALLER, Caller, answer

logger = logging.getLogger("agentkit")

_PREFIX = re.compile(r"[a-zA-Z0-9_-]+")
_NOT_IN_NAMES = re.compile(r"[^a-zA-Z0-9_-]")
_MAX_PAGES = 100
_MAX_NAME = 64
"""The longest tool name the API accepts (``docs/deepseek-api.md``)."""
_CLOSED = (ConnectionLost, anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream)


class ServerOptions(TypedDict, total=False):
    """The options of ``MCPServer.stdio`` and ``MCPServer.http``."""

    name: str
    """What messages call the server (default: its command line, or its URL without credentials or query)."""
    prefix: str
    """Put before every tool name, ``prefix_name``: two servers' tools can then never collide."""
    allow: Collection[str]
    """Offer only these tools (the server's names for them)."""
    deny: Collection[str]
    """Offer every tool but these."""
    strict: bool
    """Make every tool strict (DeepSeek's ``/beta``); a tool whose schema cannot be is left out, and
    ``refused`` says why. Default ``False``: many servers' schemas are not strict-compatible."""
    timeout: float | None
    """Seconds one call may take (default 60; ``None``: the agent's ``tool_timeout``); the model is then
    told it timed out."""
    connect_timeout: float
    """Seconds to start and connect, and to list the tools (default 30)."""
    sampling: bool
    """Answer the server's sampling requests with the calling run's model (default ``False``)."""
    max_restarts: int
    """How many times a server that died is started (or reconnected) again for the next call, per
    opening (default 3)."""


class _Stdio(NamedTuple):
    params: StdioServerParameters
    errlog: TextIO | None


class _HTTP(NamedTuple):
    url: str
    headers: dict[str, str]


@dataclass(eq=False)
class _Link:
    """The server as one event loop has it open: a connection cannot be used from another loop."""

    lock: anyio.Lock = field(default_factory=anyio.Lock)
    """Held while the connection is replaced (``_live``)."""
    connection: Connection | None = None
    restarts: int = 0
    listed: tuple[Connection, int] | None = None
    """The connection and change count the cached tool list was fetched at."""
    waiting: list[Caller] = field(default_factory=list)
    """Calls waiting on this connection whose runs may be asked to sample, oldest first."""


class MCPServer:
    """An MCP server's tools for an agent. Make one with ``MCPServer.stdio`` or ``MCPServer.http``."""

    def __init__(self, target: _Stdio | _HTTP, label: str, **options: Unpack[ServerOptions]) -> None:
        """``target``: how to reach the server (what ``stdio`` and ``http`` build)."""
        self._target = target
        self.name = options.get("name") or label
        self.prefix = options.get("prefix")
        if self.prefix is not None and not _PREFIX.fullmatch(self.prefix):
            raise UserError(f"MCP server prefix {self.prefix!r}: use only letters, digits, '_' and '-'")
        allow = options.get("allow")
        self.allow = None if allow is None else frozenset(allow)
        self.deny = frozenset(options.get("deny", ()))
        self.strict = options.get("strict", False)
        self.timeout = options.get("timeout", 60.0)
        self.connect_timeout = options.get("connect_timeout", 30.0)
        self.sampling = options.get("sampling", False)
        self.max_restarts = options.get("max_restarts", 3)
        self.refused: dict[str, str] = {}
        """Tools the server lists that are not offered, with the reason (strict mode, bad names)."""
        self._links: PerLoop[_Link] = PerLoop(self._open_link, self._close_link)
        self._changes = 0
        self._tools: list[Tool[..., Any]] | None = None

    @classmethod
    def stdio(
        cls,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        errlog: TextIO | None = None,
        **options: Unpack[ServerOptions],
    ) -> MCPServer:
        """A server run as a subprocess that speaks MCP on its stdin and stdout. It gets a minimal
        environment (``PATH``, ``HOME``...: not your API keys) plus ``env``; its stderr goes to
        ``errlog`` (a file; default: this process's stderr)."""
        params = StdioServerParameters(command=command, args=list(args), env=dict(env or {}), cwd=cwd)
        return cls(_Stdio(params, errlog), " ".join([command, *args]), **options)

    @classmethod
    def http(
        cls, url: str, *, headers: Mapping[str, str] | None = None, **options: Unpack[ServerOptions]
    ) -> MCPServer:
        """A server at ``url`` over streamable HTTP, sent ``headers`` (e.g. ``Authorization``) with
        every request. Messages name it by its URL without credentials or query (they often hold a
        token), unless ``name`` is given."""
        public = httpx.URL(url).copy_with(username=None, password=None, query=None, fragment=None)
        return cls(_HTTP(url, dict(headers or {})), str(public), **options)

    def __repr__(self) -> str:
        return f"<MCPServer {self.name!r}>"

    # ------------------------------------------------------------------ lifetime

    async def __aenter__(self) -> MCPServer:
        await self._links.enter()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not await self._links.exit():  # a cancelled run still stops the server
            self._link()  # raises: not open on this loop

    async def _open_link(self) -> _Link:
        link = _Link()
        link.connection = await self._connect(link)
        return link

    @staticmethod
    async def _close_link(link: _Link) -> None:
        connection, link.connection = link.connection, None
        if connection is not None:
            await connection.close()

    async def _connect(self, link: _Link) -> Connection:
        return await Connection.open(partial(self._client, link), repr(self.name), self.connect_timeout,
                                     self._changed)

    def _client(self, link: _Link) -> Client:
        return Client(
            self._transport(link),
            cache=None,  # list_tools keeps its own
            sampling_callback=partial(self._sample, link) if self.sampling else None,
            message_handler=self._on_message,
            client_info=types.Implementation(name="agentkit", version=__version__),
        )

    def _transport(self, link: _Link) -> Transport:
        target = self._target
        if isinstance(target, _HTTP):
            return http_transport(target.url, target.headers, partial(self._forgotten, link))
        if target.errlog is None:
            return stdio_client(target.params)
        return stdio_client(target.params, target.errlog)

    def _link(self) -> _Link:
        """This event loop's link; the server must have been opened on this loop."""
        link = self._links.get()
        if link is None and not self._links.open_elsewhere():
            raise UserError(
                f"open the MCP server {self.name!r} first: `async with server:`, or give it to an Agent"
            )
        if link is None:
            raise UserError(
                f"the MCP server {self.name!r} is open on another event loop only: a connection belongs to "
                "the loop that opened it, so open it (`async with server:`) in this one too"
            )
        return link

    async def _live(self, link: _Link) -> Connection:
        """The open connection; one that died is opened again while restarts are left."""
        async with link.lock:
            connection = link.connection
            if connection is None:
                raise MCPServerError(f"the MCP server {self.name!r} is not open (it was closed)")
            if connection.alive:
                return connection
            if link.restarts >= self.max_restarts:
                raise MCPServerError(
                    f"the MCP server {self.name!r} stopped and was restarted {_times(link.restarts)} "
                    f"already; it is not started again until it is closed and reopened"
                )
            link.restarts += 1
            logger.warning("restarting the MCP server %r (restart %d of %d)", self.name, link.restarts,
                           self.max_restarts)
            with anyio.CancelScope(shield=True):
                await connection.close()  # what is left of it: pipes, tasks, a process that hangs on
            link.connection = connection = await self._connect(link)
            return connection

    @staticmethod
    def _forgotten(link: _Link) -> None:
        """The HTTP server answered 404 to our session: it has forgotten it (it restarted, or expired it),
        so the connection is dead and the next call opens a new session (as the spec asks)."""
        if link.connection is not None:
            link.connection.lost = True

    def _lost(self, link: _Link, connection: Connection, doing: str) -> MCPServerError:
        connection.lost = True
        restart = (
            "it will be started again for the next call"
            if link.restarts < self.max_restarts
            else f"it was restarted {_times(link.restarts)} already and will not be again"
        )
        return MCPServerError(
            f"the MCP server {self.name!r} closed the connection {doing} (it crashed, exited or went away); "
            f"{restart}"
        )

    # ------------------------------------------------------------------ tools

    async def list_tools(self) -> list[Tool[..., Any]]:
        """The server's tools, filtered and named for the model: the same list object until the server
        says they changed. Raises ``MCPServerError`` if the server cannot be reached."""
        link = self._link()
        connection = await self._live(link)
        if self._tools is not None and link.listed == (connection, self._changes):
            return self._tools
        changes = self._changes
        listed: list[types.Tool] = []
        cursor: str | None = None
        try:
            with anyio.fail_after(self.connect_timeout):  # a run waits for the list before its first request
                for _ in range(_MAX_PAGES):
                    page = await connection.request(partial(_list_page, cursor=cursor))
                    listed.extend(page.tools)
                    cursor = page.next_cursor
                    if cursor is None:
                        break
        except _CLOSED:
            raise self._lost(link, connection, "while listing its tools") from None
        except MCPError as exc:
            if exc.code == types.CONNECTION_CLOSED or not connection.alive:
                raise self._lost(link, connection, "while listing its tools") from None
            raise MCPServerError(f"the MCP server {self.name!r} could not list its tools: {exc}") from None
        except TimeoutError:
            raise MCPServerError(
                f"the MCP server {self.name!r} did not list its tools within {self.connect_timeout:g} s; "
                "if it is slow to start, raise its connect_timeout"
            ) from None
        except ValidationError as exc:
            raise MCPServerError(
                f"the MCP server {self.name!r} sent a tool list that is not valid MCP: {first_error(exc)}"
            ) from None
        tools = self._offer(listed)
        if self._tools is None or [t.schema for t in tools] != [t.schema for t in self._tools]:
            self._tools = tools
        link.listed = (connection, changes)
        return self._tools

    def _offer(self, listed: list[types.Tool]) -> list[Tool[..., Any]]:
        """The tools the model gets: filtered, prefixed, names made valid, strict if asked."""
        offered: dict[str, Tool[..., Any]] = {}
        self.refused = {}
        for spec in listed:
            if (self.allow is not None and spec.name not in self.allow) or spec.name in self.deny:
                continue
            name = _NOT_IN_NAMES.sub("_", f"{self.prefix}_{spec.name}" if self.prefix else spec.name)
            if name in offered:
                self.refused[spec.name] = f"another tool of the server is also named {name!r} for the model"
                continue
            if not 0 < len(name) <= _MAX_NAME:
                shorter = "; a shorter prefix may fit it" if self.prefix else ""
                self.refused[spec.name] = (
                    f"its name for the model has {len(name)} characters, and the API accepts 1 to "
                    f"{_MAX_NAME}{shorter}"
                )
                continue
            try:
                offered[name] = Tool.from_schema(
                    name, spec.input_schema, partial(self._call, spec.name),
                    description=spec.description or "", strict=self.strict, timeout=self.timeout,
                )
            except ToolDefinitionError as exc:
                self.refused[spec.name] = str(exc)
        for name, reason in self.refused.items():
            logger.warning("MCP server %r: tool %r is not offered: %s", self.name, name, reason)
        missing = sorted((self.allow or set()) - {spec.name for spec in listed})
        if missing:
            logger.warning("MCP server %r has no tools named %s (given in allow)", self.name, missing)
        return list(offered.values())

    async def _call(self, name: str, ctx: RunContext[Any], arguments: dict[str, Any]) -> str:
        """One call of the server's tool ``name``: its result as text, or an exception whose message
        tells the model what happened."""
        link = self._link()
        connection = await self._live(link)
        caller = Caller.of(ctx) if self.sampling else None
        token = CALLER.set(caller)
        if caller is not None:
            link.waiting.append(caller)
        try:
            result = await connection.request(partial(_call_tool, name=name, arguments=arguments))
        except _CLOSED:
            raise self._lost(link, connection, "during the call") from None
        except MCPError as exc:
            if exc.code == types.CONNECTION_CLOSED or not connection.alive:
                raise self._lost(link, connection, "during the call") from None
            raise MCPToolError(f"the server refused the call: {exc}") from None
        except ValidationError as exc:
            count = exc.error_count()
            raise MCPToolError(
                f"the server's answer is not valid MCP ({count} error{'s' * (count > 1)}, the first: "
                f"{first_error(exc)})"
            ) from None
        finally:
            CALLER.reset(token)
            if caller is not None:
                link.waiting.remove(caller)
        return result_text(result)

    # ------------------------------------------------------------------ messages from the server

    async def _on_message(self, message: IncomingMessage) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self._changed()
        elif isinstance(message, Exception):
            logger.debug("MCP server %r: %r", self.name, message)

    def _changed(self) -> None:
        self._changes += 1

    async def _sample(
        self, link: _Link, context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult | types.ErrorData:
        caller = CALLER.get() or (link.waiting[0] if link.waiting else None)
        if caller is None:
            return types.ErrorData(
                code=types.INVALID_REQUEST,
                message="this client answers sampling requests only during a call of one of your tools",
            )
        try:
            return await answer(caller, params)
        except AgentkitError as exc:
            return types.ErrorData(code=types.INTERNAL_ERROR, message=f"the model request failed: {exc}")


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


async def _list_page(client: Client, *, cursor: str | None) -> types.ListToolsResult:
    return await client.list_tools(cursor=cursor)


async def _call_tool(client: Client, *, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    return await client.call_tool(name, arguments)

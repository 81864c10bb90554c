"""``@tool`` and ``Tool``: a typed Python function the model can call.

A ``Tool`` is built once, at decoration time: its schema, its argument validator and its wire form
(``Tool.schema``) never change afterwards, so every request carries the same bytes for it. It stays
callable exactly like the function it wraps (a sync function stays sync), so decorating costs nothing
for code that calls the function directly. ``Tool.from_schema`` builds one from a JSON Schema and an
async function of the arguments instead (an MCP server's tool, say).

The agent uses three steps per call: ``parse_arguments`` (model text -> validated values, or a
``ToolArgumentError`` whose message is written for the model), ``call`` (runs the function; blocking
functions in a worker thread) and ``serialize`` (the result as the text of a ``tool`` message).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Generic, overload

import anyio.to_thread
from pydantic import BaseModel, ValidationError
from pydantic_core import to_json
from typing_extensions import ParamSpec, TypeVar

from ._context import RunContext
from ._errors import ToolArgumentError, ToolDefinitionError, UserError
from ._schema import FunctionSchema, build_function_schema, format_validation_error
from ._strict import to_strict
from ._wire import FunctionDefinition, ToolDefinition

P = ParamSpec("P", default=...)
R = TypeVar("R", default=Any)

DEFAULT_MAX_RESULT_CHARS = 20_000
"""Results longer than this are cut, with a note saying so: one tool must not flood the context."""

_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_SHOWN_ARGUMENTS = 200


class Tool(Generic[P, R]):
    """A function plus everything the agent needs to offer it to the model and run it."""

    name: str
    description: str
    strict: bool
    timeout: float | None
    retries: int | None
    requires_approval: bool
    sequential: bool
    max_result_chars: int
    is_async: bool
    takes_context: bool
    function: Callable[P, R]
    schema: ToolDefinition
    """The wire form ``{"type": "function", "function": {...}}``: built once; do not modify it."""

    def __init__(
        self,
        function: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = False,
        timeout: float | None = None,
        retries: int | None = None,
        requires_approval: bool = False,
        sequential: bool = False,
        max_result_chars: int | None = None,
        localns: dict[str, Any] | None = None,
    ) -> None:
        """``localns``: extra names for string annotations (``@tool`` passes its caller's locals)."""
        if not callable(function):
            raise ToolDefinitionError(f"@tool needs a function, got {function!r}")
        functools.update_wrapper(self, function)
        tool_name = _check_name(name if name is not None else _function_name(function))
        _check_options(tool_name, function, timeout, retries, max_result_chars)
        schema = build_function_schema(
            function, name=tool_name, description=description, strict=strict, localns=localns
        )
        self._setup(function, function, tool_name, schema, strict, timeout, retries, requires_approval,
                    sequential, max_result_chars)

    @classmethod
    def from_schema(
        cls,
        name: str,
        parameters: dict[str, Any],
        function: Callable[[RunContext[Any], dict[str, Any]], Awaitable[Any]],
        *,
        description: str = "",
        strict: bool = False,
        timeout: float | None = None,
        retries: int | None = None,
        requires_approval: bool = False,
        sequential: bool = False,
        max_result_chars: int | None = None,
    ) -> Tool[..., Any]:
        """A tool defined by a JSON Schema instead of a Python signature, such as an MCP server's tool.

        ``parameters`` (an ``object`` schema) is what the model sees, as given; ``strict=True`` converts it
        with agentkit's strict transform or raises ``ToolDefinitionError`` with the reason. A call checks
        only that the arguments are a JSON object and awaits ``function(ctx, arguments)`` with it:
        validating them against the schema is the job of whatever runs the tool (the MCP server). The
        other options are ``@tool``'s.
        """
        _check_name(name)
        _check_options(name, function, timeout, retries, max_result_chars)
        if not _is_async(function):
            raise ToolDefinitionError(f"Tool {name!r}: from_schema needs an async function(ctx, arguments)")
        if not isinstance(parameters, dict) or parameters.get("type", "object") != "object":
            raise ToolDefinitionError(
                f"Tool {name!r}: the parameters must be a JSON Schema of type 'object', got {parameters!r}"
            )
        wire = to_strict(parameters, tool_name=name) if strict else json.loads(json.dumps(parameters))

        async def invoke(ctx: RunContext[Any], /, **arguments: Any) -> Any:
            return await function(ctx, arguments)

        self = cls.__new__(cls)
        functools.update_wrapper(self, function)
        self._setup(function, invoke, name, _SchemaArguments(description, wire, inspect.signature(invoke)),
                    strict, timeout, retries, requires_approval, sequential, max_result_chars)
        return self

    def _setup(
        self,
        function: Callable[..., Any],
        invoke: Callable[..., Any],
        name: str,
        schema: FunctionSchema,
        strict: bool,
        timeout: float | None,
        retries: int | None,
        requires_approval: bool,
        sequential: bool,
        max_result_chars: int | None,
    ) -> None:
        self.function = function
        self._invoke = invoke
        self.name = name
        self.strict = strict
        self.timeout = timeout
        self.retries = retries
        self.requires_approval = requires_approval
        self.sequential = sequential
        self.max_result_chars = DEFAULT_MAX_RESULT_CHARS if max_result_chars is None else max_result_chars
        self.is_async = _is_async(invoke)
        self._function_schema = schema
        self.description = schema.description
        self.takes_context = schema.context_param is not None
        self._parameters = tuple(schema.signature.parameters.values())
        definition: FunctionDefinition = {"name": self.name}
        if self.description:
            definition["description"] = self.description
        definition["parameters"] = schema.parameters
        if strict:
            definition["strict"] = True
        self.schema = {"type": "function", "function": definition}

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Tool {self.name!r}>"

    def parse_arguments(self, arguments: str | dict[str, Any]) -> dict[str, Any]:
        """The model's JSON arguments -> validated values by parameter name (defaults filled in).

        Raises ToolArgumentError whose message tells the model what to fix. Empty text means no arguments;
        a JSON string that itself holds a JSON object (double-encoded arguments) is accepted.
        """
        data: Any = arguments
        if isinstance(arguments, str):
            text = arguments.strip()
            data = self._decode(text) if text else {}
            if isinstance(data, str) and data.lstrip().startswith("{"):
                with contextlib.suppress(json.JSONDecodeError):
                    data = json.loads(data)
        if not isinstance(data, dict):
            raise ToolArgumentError(
                f"The arguments for tool {self.name!r} must be a JSON object with the arguments by name, "
                f"got {_json_type(data)}"
                + ("" if data is None else f": {_clip(json.dumps(data, ensure_ascii=False))}")
            )
        try:
            return self._function_schema.validate(data)
        except ValidationError as exc:
            raise ToolArgumentError(format_validation_error(self.name, exc, self._function_schema)) from None

    async def call(
        self,
        arguments: dict[str, Any],
        ctx: RunContext[Any] | None = None,
        *,
        limiter: anyio.CapacityLimiter | None = None,
    ) -> Any:
        """Run the function with ``parse_arguments``' result. Async functions are awaited; sync ones run
        in a worker thread (under ``limiter``). Whatever the function raises propagates unchanged.

        Cancelling (a run's cancellation, a tool timeout) abandons a blocking function's thread: Python
        cannot stop a thread, but the run does not wait for it."""
        if self.takes_context and ctx is None:
            raise UserError(f"Tool {self.name!r} takes a RunContext: pass ctx= to Tool.call")
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for param in self._parameters:
            if param.name == self._function_schema.context_param:
                value: Any = ctx
            elif param.kind is param.VAR_KEYWORD:  # a from_schema tool: every argument, by name
                kwargs.update(arguments)
                continue
            elif param.name in arguments:
                value = arguments[param.name]
            else:
                continue
            if param.kind is param.POSITIONAL_ONLY:
                args.append(value)
            else:
                kwargs[param.name] = value
        function: Callable[..., Any] = self._invoke
        if self.is_async:
            return await function(*args, **kwargs)
        call = functools.partial(function, *args, **kwargs)
        result = await anyio.to_thread.run_sync(call, limiter=limiter, abandon_on_cancel=True)
        return await result if inspect.isawaitable(result) else result

    def serialize(self, value: Any) -> str:
        """The text of the ``tool`` message: a str as is, anything else as compact JSON (non-ASCII kept
        readable), cut to ``max_result_chars`` with a note saying how much was cut."""
        if isinstance(value, str):
            text = value
        else:
            try:
                text = to_json(value, serialize_unknown=True).decode()
            except Exception:  # plain data with lone surrogates (a non-UTF-8 file name) is still JSON;
                try:  # anything else pydantic cannot walk (a reference cycle): its text
                    text = json.dumps(value, ensure_ascii=False)
                except (TypeError, ValueError):
                    text = str(value)
        cap = self.max_result_chars
        if len(text) <= cap:
            return text
        return f"{text[:cap]}\n[truncated: showing the first {cap} of {len(text)} characters]"

    def _decode(self, text: str) -> Any:
        try:
            return json.loads(text)
        except RecursionError:  # e.g. "[[[[...": json's C scanner recurses once per level
            raise ToolArgumentError(
                f"The arguments for tool {self.name!r} are nested too deeply to read. "
                f"Send one flat JSON object. Received: {_clip(text)}"
            ) from None
        except json.JSONDecodeError as exc:
            cut_off = exc.msg.startswith("Unterminated string") or (
                exc.pos >= len(text) - 1 and exc.msg != "Extra data"
            )
            hint = (
                "They end in the middle of a value, so they were probably cut off (for example by the output "
                "token limit); send shorter, complete arguments."
                if cut_off
                else "Send the arguments as one JSON object, with double-quoted keys and strings."
            )
            raise ToolArgumentError(
                f"The arguments for tool {self.name!r} are not valid JSON ({exc}). "
                f"{hint} Received: {_clip(text)}"
            ) from None


@overload
def tool(function: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = False,
    timeout: float | None = None,
    retries: int | None = None,
    requires_approval: bool = False,
    sequential: bool = False,
    max_result_chars: int | None = None,
) -> Callable[[Callable[P, R]], Tool[P, R]]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = False,
    timeout: float | None = None,
    retries: int | None = None,
    requires_approval: bool = False,
    sequential: bool = False,
    max_result_chars: int | None = None,
) -> Any:
    """Turn a typed function into a :class:`Tool`: ``@tool`` or ``@tool(name=..., strict=True, ...)``.

    Args:
        name: The name the model sees (default: the function's name); a-z A-Z 0-9 _ -, at most 64 chars.
        description: Overrides the docstring's summary.
        strict: DeepSeek strict mode (``/beta``): the server makes the arguments match the schema.
        timeout: Seconds the agent lets one call run.
        retries: How many failed calls the agent tolerates before ending the run.
        requires_approval: The agent asks its approval callback before each call.
        sequential: The agent never runs this tool concurrently with other tools.
        max_result_chars: Cap on the result text (default 20,000 characters).
    """

    options: dict[str, Any] = {
        "name": name,
        "description": description,
        "strict": strict,
        "timeout": timeout,
        "retries": retries,
        "requires_approval": requires_approval,
        "sequential": sequential,
        "max_result_chars": max_result_chars,
    }

    def wrap(func: Callable[..., Any], depth: int = 1) -> Tool:
        frame = sys._getframe(depth)
        localns = frame.f_locals if frame.f_locals is not frame.f_globals else None
        if isinstance(func, Tool):
            func = func.function
        return Tool(func, **options, localns=localns)

    return wrap if function is None else wrap(function, 2)


# --------------------------------------------------------------------------- helpers


class _SchemaArguments(FunctionSchema):
    """A ``from_schema`` tool's schema: arguments pass through as the JSON object the model wrote."""

    def __init__(self, description: str, parameters: dict[str, Any], signature: inspect.Signature) -> None:
        super().__init__(description=description, parameters=parameters, fields=(), context_param="ctx",
                         signature=signature, make_model=lambda: BaseModel)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        return data


def _function_name(function: Callable[..., Any]) -> str:
    while isinstance(function, functools.partial):
        function = function.func
    return str(getattr(function, "__name__", type(function).__name__))


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ToolDefinitionError(
            f"Tool name {name!r} is not allowed: the API accepts only letters a-z A-Z, digits 0-9, '_' and "
            f"'-', at most 64 characters. Choose one with @tool(name=...)."
        )
    return name


def _check_options(
    name: str, function: Callable[..., Any], timeout: float | None, retries: int | None, max_chars: int | None
) -> None:
    if inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function):
        raise ToolDefinitionError(
            f"Tool {name!r} is a generator function: a tool returns one result. Return a list, or a string."
        )
    if timeout is not None and not timeout > 0:
        raise ToolDefinitionError(
            f"Tool {name!r}: timeout must be a positive number of seconds, got {timeout!r}"
        )
    if retries is not None and retries < 0:
        raise ToolDefinitionError(f"Tool {name!r}: retries must be 0 or more, got {retries!r}")
    if max_chars is not None and max_chars < 1:
        raise ToolDefinitionError(f"Tool {name!r}: max_result_chars must be 1 or more, got {max_chars!r}")


def _is_async(function: Callable[..., Any]) -> bool:
    while isinstance(function, functools.partial):
        function = function.func
    if inspect.iscoroutinefunction(function):
        return True
    call = getattr(type(function), "__call__", None)  # noqa: B004 (the method itself is what we want)
    return not inspect.isfunction(function) and inspect.iscoroutinefunction(call)


def _json_type(value: Any) -> str:
    names = {str: "a string", list: "an array", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN_ARGUMENTS else text[: _SHOWN_ARGUMENTS - 1] + "…"

"""Sampling: an MCP server asks its client's model for a completion (``sampling/createMessage``).

Off unless the server is created with ``sampling=True``. The request is answered by the run whose tool
call the server is serving, through that run's own API client and model and its hooks (a
``ModelRequestInfo`` with ``sampling=True``: traced like its other requests), and counted in that run's
usage like any of its requests (tokens, cost, and one request). A server on protocol 2026-07-28 asks
within the tool call itself, so the run is known exactly; an older server sends the request on its own
and it is answered for the earliest call still waiting on that server.

Messages are sent as text (only DeepSeek's vision model reads images, ``docs/deepseek-api.md`` §3): images
and audio in the server's messages become a line saying so.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

from mcp import types
from pydantic_core import to_json

from .._events import model_response
from .._hooks import CURRENT_RUN, ModelRequestInfo, chain_request, completion_of
from .._profiles import get_profile
from .._wire import ChatCompletion

if TYPE_CHECKING:
    from .._client import DeepSeekClient
    from .._context import RunContext
    from .._hooks import RunInfo
    from .._pricing import Pricing
    from .._usage import RunUsage
    from .._wire import ChatRequest, Message


@dataclass(frozen=True, eq=False)
class Caller:
    """The run a tool call comes from: where its sampling requests go and are counted."""

    client: DeepSeekClient
    model: str
    usage: RunUsage | None
    pricing: Pricing | None
    run: RunInfo | None

    @classmethod
    def of(cls, ctx: RunContext[Any]) -> Caller | None:
        """The run of ``ctx``, or ``None`` for a call made outside a run (no client to ask)."""
        if ctx.client is None:
            return None
        run = CURRENT_RUN.get()
        profile = run.profile if run is not None else get_profile(ctx.model)
        return cls(ctx.client, ctx.model, ctx.usage, profile.pricing_for(ctx.model), run)


CALLER: ContextVar[Caller | None] = ContextVar("agentkit_mcp_caller", default=None)
"""Set while a tool call waits on its server: a sampling request made within the call finds its run."""


async def answer(caller: Caller, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
    """Ask the caller's model; raises the client's ``APIError`` when the request fails, and
    ``UsageLimitExceeded`` when the run's limits allow no more requests."""
    messages: list[Message] = []
    if params.system_prompt:
        messages.append({"role": "system", "content": params.system_prompt})
    for message in params.messages:
        blocks = message.content if isinstance(message.content, list) else [message.content]
        text = "\n".join(_text(block) for block in blocks)
        if message.role == "user":
            messages.append({"role": "user", "content": text})
        else:
            messages.append({"role": "assistant", "content": text})
    if caller.run is not None and caller.run.usage_limits is not None:  # a server may ask many times
        caller.run.usage_limits.check_before_request(caller.run.usage)  # within one call
    request: ChatRequest = {"model": caller.model, "messages": messages, "max_tokens": params.max_tokens}
    if params.temperature is not None:
        request["temperature"] = params.temperature
    if params.stop_sequences:
        request["stop"] = params.stop_sequences
    completion = await _ask(caller, request)
    if caller.usage is not None:
        if completion.usage is None:
            caller.usage.requests += 1
        else:
            now = datetime.now(timezone.utc)
            cost = caller.pricing.cost(completion.usage, now) if caller.pricing else 0.0
            caller.usage.add(completion.usage, cost=cost)
    choice = completion.choices[0]
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text=choice.message.content or ""),
        model=completion.model,
        stop_reason="maxTokens" if choice.finish_reason == "length" else "endTurn",
    )


async def _ask(caller: Caller, request: ChatRequest) -> ChatCompletion:
    """The request, through the calling run's hooks when it has some."""
    run = caller.run
    if run is None or not run.hooks:
        return await caller.client.chat(request)
    proceed = partial(model_response, caller.client, request, stream=False)
    info = ModelRequestInfo(run, request, run.usage.requests + 1, sampling=True)
    return await completion_of(chain_request(run.hooks, info, proceed))


def _text(block: types.SamplingMessageContentBlock) -> str:
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.ImageContent | types.AudioContent):
        return f"[{block.type} not shown ({block.mime_type}): sent as text only]"
    return to_json(block.model_dump(mode="json", by_alias=True, exclude_none=True)).decode()

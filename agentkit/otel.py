"""OpenTelemetry traces and metrics of agentkit runs, in the GenAI semantic conventions (extra ``otel``).

``agentkit.instrument()`` traces every run of the process; ``Agent(hooks=[Instrumentation(...)])`` one
agent's runs (with its own providers or content setting); ``agentkit.uninstrument()`` stops the first.
When several apply to a run, the most specific one traces it (a context's, then the agent's, then the
process's), so a run is never traced twice. Built on ``agentkit.Hook``: without instrumentation a run
does no tracing work at all.

Conventions followed: the GenAI semantic conventions as released in OpenTelemetry semantic-conventions
v1.41.0 (status Development; the last release before they moved to the semantic-conventions-genai
repository), in their current form (``gen_ai.provider.name``, ``gen_ai.input.messages``), which is what
OpenTelemetry backends read today:

- ``invoke_agent {agent.name}`` (INTERNAL), one per run, a child of the span current when the run starts,
  and current while the run works between its requests and calls (spans of a tool source's listing);
- ``chat {model}`` (CLIENT), one per model request, a child of the run span. The client's retries of a
  request (429, 5xx, dropped connections, a stream that broke and was restarted) stay inside the one span,
  as the conventions ask, and each is an ``agentkit.retry`` event (``agentkit.retry.attempt``,
  ``error.type``);
- ``execute_tool {tool}`` (INTERNAL), one per tool call, a child of the run span; a response's calls run
  concurrently and so do their spans. The call's span is the current span while the tool runs, so the
  tool's own spans (an MCP call, an HTTP request, a sub-agent's run) are its children. A model request
  an MCP server asks for during a call (sampling) is a ``chat`` span of the run too, marked
  ``agentkit.mcp.sampling``.

Attributes and metrics are in ``agentkit._semconv``. Prompts, answers, reasoning and tool arguments and
results are recorded only with ``capture_content=True``, as the JSON-string attributes
``gen_ai.system_instructions``, ``gen_ai.input.messages``, ``gen_ai.output.messages``,
``gen_ai.tool.call.arguments`` and ``gen_ai.tool.call.result``. A failure sets the span's status to
ERROR and ``error.type`` to the exception's class name (``RateLimitError``, ``OutputValidationError``, a
tool's ``ValueError``, ``TimeoutError``; ``_OTHER`` for an unknown tool); its message and traceback, which
may quote content, are recorded only with ``capture_content=True``. A stream the caller abandons, or a
cancelled run, ends its spans with ``agentkit.stopped`` = ``abandoned`` / ``cancelled``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

import anyio

try:
    from opentelemetry import context as otel_context, metrics, trace
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, SpanKind, Status, StatusCode
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError("agentkit's tracing needs OpenTelemetry: pip install 'agentkit[otel]'") from exc

from . import __version__, _semconv as sc
from ._errors import APIError
from ._events import RunDone, StreamEvent, ToolResult
from ._hooks import (
    Hook,
    ModelRequestInfo,
    ResponseItem,
    RunInfo,
    ToolCallInfo,
    add_hook,
    closing,
    observing_retries,
    remove_hook,
)
from ._profiles import Profile
from ._wire import ChatCompletion

__all__ = ["Instrumentation", "instrument", "uninstrument"]


@dataclass(eq=False)
class _RunTrace:
    """A run's span, kept in ``RunInfo.state`` for the run's requests and tool calls."""

    owner: Instrumentation
    context: Context | None = None
    finish_reasons: tuple[str, ...] = ()


class Instrumentation(Hook):
    """The hook that traces and measures runs; ``None`` providers mean OpenTelemetry's global ones."""

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        capture_content: bool = False,
    ) -> None:
        self.capture_content = capture_content
        self._tracer = trace.get_tracer("agentkit", __version__, tracer_provider, schema_url=sc.SCHEMA_URL)
        meter = metrics.get_meter("agentkit", __version__, meter_provider, schema_url=sc.SCHEMA_URL)
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=sc.TOKEN_BUCKETS,
        )
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=sc.DURATION_BUCKETS,
        )
        self._cost = meter.create_counter(
            "agentkit.client.cost", unit="{USD}", description="Cost of model requests, in US dollars."
        )

    # ------------------------------------------------------------------ the run

    def wrap_run(self, run: RunInfo, events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
        # Hooks are wrapped innermost first, so the most specific instrumentation claims the run.
        if _RunTrace in run.state:
            return events
        traced = run.state[_RunTrace] = _RunTrace(self)
        return self._run(run, traced, events)

    async def _run(
        self, run: RunInfo, traced: _RunTrace, events: AsyncIterator[StreamEvent]
    ) -> AsyncIterator[StreamEvent]:
        attributes = sc.run_attributes(run, capture=self.capture_content)
        span = self._tracer.start_span(
            f"invoke_agent {run.agent.name}", kind=SpanKind.INTERNAL, attributes=attributes
        )
        context = traced.context = trace.set_span_in_context(span)
        started, error, done = time.perf_counter(), None, False
        try:
            async with closing(events) as items:
                while True:
                    # The run's own work (listing a tool source's tools) is under its span; as for a
                    # request, the span is current while the run works, never across a yield.
                    with _attached(context):
                        try:
                            event = await items.__anext__()
                        except StopAsyncIteration:
                            break
                    if isinstance(event, RunDone):
                        done = True
                        if self.capture_content:
                            output = sc.output_messages(event.result.output, traced.finish_reasons)
                            span.set_attribute(sc.OUTPUT_MESSAGES, output)
                    yield event
        except BaseException as exc:
            if not (done and isinstance(exc, GeneratorExit)):  # closed after its last event: finished
                error = self._failed(span, exc)
            raise
        finally:
            priced = run.profile.pricing_for(run.model) is not None
            span.set_attributes(sc.run_usage(run.usage, priced=priced))
            if traced.finish_reasons:
                span.set_attribute(sc.FINISH_REASONS, traced.finish_reasons)
            span.end()
            self._measure_duration(started, attributes, (sc.AGENT_NAME,), error)

    # ------------------------------------------------------------------ one model request

    def wrap_request(
        self, request: ModelRequestInfo, proceed: Callable[[], AsyncIterator[ResponseItem]]
    ) -> AsyncIterator[ResponseItem]:
        traced = self._trace_of(request.run)
        return proceed() if traced is None else self._request(request, traced, proceed)

    async def _request(
        self, request: ModelRequestInfo, traced: _RunTrace, proceed: Callable[[], AsyncIterator[ResponseItem]]
    ) -> AsyncIterator[ResponseItem]:
        body, run = request.request, request.run
        attributes = sc.request_attributes(request, capture=self.capture_content)
        span = self._tracer.start_span(
            f"chat {body['model']}", context=traced.context, kind=SpanKind.CLIENT, attributes=attributes
        )
        current = trace.set_span_in_context(span)

        def retrying(error: APIError, attempt: int) -> None:
            span.add_event(sc.RETRY_EVENT, {sc.RETRY_ATTEMPT: attempt, sc.ERROR_TYPE: type(error).__name__})

        started, error, completion = time.perf_counter(), None, None
        try:
            async with closing(proceed()) as items:
                while True:
                    # The request's span is current while it works (HTTP spans, retries), never across
                    # a yield: the caller may stop reading there.
                    with _attached(current), observing_retries(retrying):
                        try:
                            item = await items.__anext__()
                        except StopAsyncIteration:
                            break
                    if isinstance(item, ChatCompletion):
                        completion = item
                    yield item
        except BaseException as exc:
            if not (completion is not None and isinstance(exc, GeneratorExit)):  # complete: finished
                error = self._failed(span, exc)
            raise
        finally:
            if completion is not None:
                self._completed(span, request.profile or run.profile, attributes, completion, traced)
            span.end()
            self._measure_duration(started, attributes, (sc.RESPONSE_MODEL,), error)

    def _completed(
        self,
        span: Span,
        profile: Profile,
        attributes: sc.Attributes,
        completion: ChatCompletion,
        traced: _RunTrace,
    ) -> None:
        usage, pricing = completion.usage, profile.pricing_for(str(attributes[sc.REQUEST_MODEL]))
        cost = None
        if pricing is not None and usage is not None:
            cost = pricing.cost(usage, datetime.now(timezone.utc))  # priced when complete, as DeepSeek bills
        span.set_attributes(sc.response_attributes(completion, cost, capture=self.capture_content))
        if not attributes.get(sc.SAMPLING):  # the run's own answer, not one for an MCP server
            traced.finish_reasons = tuple(sc.finish_reasons(completion))
        attributes[sc.RESPONSE_MODEL] = completion.model
        metric = _metric_attributes(attributes, (sc.RESPONSE_MODEL,))
        if usage is not None:
            self._tokens.record(usage.prompt_tokens, {**metric, sc.TOKEN_TYPE: "input"})
            self._tokens.record(usage.completion_tokens, {**metric, sc.TOKEN_TYPE: "output"})
        if cost is not None:
            self._cost.add(cost, metric)

    # ------------------------------------------------------------------ one tool call

    async def wrap_tool_call(
        self, call: ToolCallInfo, proceed: Callable[[], Awaitable[ToolResult]]
    ) -> ToolResult:
        traced = self._trace_of(call.run)
        if traced is None:
            return await proceed()
        attributes = sc.tool_attributes(call, capture=self.capture_content)
        span = self._tracer.start_span(
            f"execute_tool {attributes[sc.TOOL_NAME]}",
            context=traced.context,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
        )
        started, error = time.perf_counter(), None
        try:
            with _attached(trace.set_span_in_context(span)):  # the tool's own spans are its children
                result = await proceed()
            if result.is_error:
                error = self._failed(span, call.error, name=None if call.error else "_OTHER")
            if self.capture_content:
                span.set_attribute(sc.TOOL_RESULT, result.content)
            return result
        except BaseException as exc:
            error = self._failed(span, exc)
            raise
        finally:
            span.end()
            run = {sc.PROVIDER: sc.provider(call.run.profile), sc.REQUEST_MODEL: call.run.model}
            self._measure_duration(started, {**attributes, **run}, (sc.TOOL_NAME,), error)

    # ------------------------------------------------------------------ shared

    def _trace_of(self, run: RunInfo) -> _RunTrace | None:
        """The run's trace if this instrumentation traces the run (and its span has started)."""
        traced: _RunTrace | None = run.state.get(_RunTrace)
        return traced if traced is not None and traced.owner is self and traced.context is not None else None

    def _failed(self, span: Span, exc: BaseException | None, name: str | None = None) -> str | None:
        """Record how an operation ended early on its span; the ``error.type``, or ``None`` if it was
        stopped (abandoned or cancelled) rather than failed."""
        if isinstance(exc, GeneratorExit):
            span.set_attribute(sc.STOPPED, "abandoned")
            return None
        if exc is not None and isinstance(exc, anyio.get_cancelled_exc_class()):
            span.set_attribute(sc.STOPPED, "cancelled")
            return None
        error_type = name or type(exc).__name__
        span.set_attribute(sc.ERROR_TYPE, error_type)
        if self.capture_content and exc is not None:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{error_type}: {exc}"))
        else:
            span.set_status(Status(StatusCode.ERROR))
        return error_type

    def _measure_duration(
        self, started: float, attributes: sc.Attributes, extra: tuple[str, ...], error: str | None
    ) -> None:
        metric = _metric_attributes(attributes, extra)
        if error is not None:
            metric[sc.ERROR_TYPE] = error
        self._duration.record(time.perf_counter() - started, metric)


def _metric_attributes(attributes: sc.Attributes, extra: tuple[str, ...]) -> sc.Attributes:
    """A span's low-cardinality attributes, the ones its metrics carry."""
    keys = (sc.OPERATION, sc.PROVIDER, sc.REQUEST_MODEL, *extra)
    return {key: attributes[key] for key in keys if key in attributes}


@contextmanager
def _attached(context: Context) -> Iterator[None]:
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)


_installed: list[Instrumentation] = []


def instrument(
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
    capture_content: bool = False,
) -> Instrumentation:
    """Trace and measure every agent run in this process (replacing an earlier ``instrument()``).

    ``None`` providers are OpenTelemetry's global ones (set them before or after). ``capture_content``
    records prompts, answers, reasoning and tool arguments and results on the spans: they may hold
    personal data, so it is off by default. Returns the process-wide hook; ``uninstrument()`` removes it.
    """
    uninstrument()
    hook = Instrumentation(tracer_provider, meter_provider, capture_content)
    add_hook(hook)
    _installed.append(hook)
    return hook


def uninstrument() -> None:
    """Stop ``instrument()``'s tracing; runs already going finish their spans. Agents' own
    ``Instrumentation`` hooks are left alone."""
    while _installed:
        remove_hook(_installed.pop())

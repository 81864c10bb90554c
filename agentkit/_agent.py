"""``Agent`` and the agent loop.

The loop is ``Agent._loop``, one async generator read top to bottom:

1. start: load the session (or take ``history``), add the instructions and the user prompt;
2. repeat: check limits, build the request (the profile decides which reasoning goes back), ask the
   model (streamed or not), add up usage and cost;
3. if the model called tools: answer every call concurrently (``_toolcalls``), append the assistant
   message and its answers as one step, and go round again;
4. otherwise the answer is final: continue it if it was cut at ``max_tokens``, validate it into
   ``output_type`` (sending errors back for a retry), and finish with ``RunDone``.

Each step is a small method below the loop; the run's state (messages, usage, budgets) is a
``RunState`` (``_run``). After every completed step the new messages go to the session, so a crash loses
nothing finished. ``run`` and ``run_sync`` drain the same generator that ``run_stream`` hands to the caller.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing, asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, Literal

import anyio
import httpx
from typing_extensions import Unpack

from ._client import DeepSeekClient, Secret
from ._context import DepsT, RunContext
from ._errors import (
    ApprovalRequiredError,
    MaxTurnsExceeded,
    OutputValidationError,
    ToolRetriesExceeded,
    TooManyToolsError,
    UserError,
)
from ._events import ModelResponseDone, RunDone, StreamEvent, ToolResult, stream_response
from ._messages import assistant_message, joined
from ._output import OUTPUT_TOOL, OutputInvalid, OutputSpec
from ._profiles import Profile, get_profile
from ._request import RequestPlan
from ._run import OutputT, RunOptions, RunResult, RunState
from ._settings import ModelSettings, merge_settings
from ._toolcalls import Approve, CallRunner, answer_calls, tool_message
from ._toolset import Toolset
from ._usage import UsageLimits
from ._wire import ChatCompletion

if TYPE_CHECKING:
    from ._session import Session
    from ._tool import Tool
    from ._wire import ChatRequest, ToolCall


class Agent(Generic[DepsT, OutputT]):
    """A model, its tools and instructions; run it with ``run``, ``run_sync`` or ``run_stream``."""

    def __init__(
        self,
        model: str = "deepseek-chat",
        *,
        tools: Sequence[Tool | Callable[..., Any]] | Toolset = (),
        instructions: str | None = None,
        output_type: type[OutputT] = str,  # type: ignore[assignment]
        max_turns: int = 20,
        deps_type: type[DepsT] | None = None,
        settings: ModelSettings | None = None,
        profile: str | Profile | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        client: DeepSeekClient | None = None,
        usage_limits: UsageLimits | None = None,
        approve: Approve | None = None,
        tool_retries: int = 2,
        output_retries: int = 2,
        tool_timeout: float | None = None,
        tool_threads: int = 16,
        length_continuations: int = 0,
        end_strategy: Literal["error", "final_answer"] = "error",
    ) -> None:
        """See the attributes of the same names. ``tool_retries``: how many failed calls a tool may have
        per run (``@tool(retries=...)`` overrides it); ``length_continuations``: how many times an answer
        cut at ``max_tokens`` is continued with prefix completion; ``end_strategy="final_answer"``: when
        ``max_turns`` or a retry budget runs out, ask once more without tools instead of raising;
        ``client``: a configured ``DeepSeekClient`` (retries, timeouts) to use instead of ``api_key``,
        ``base_url`` and ``http_client``; ``deps_type``: never read, it only tells type checkers what
        ``deps`` the tools' ``RunContext`` carries."""
        self.model = model
        self.toolset = tools if isinstance(tools, Toolset) else Toolset(*tools)
        self.instructions = instructions
        self.output = OutputSpec.of(output_type)
        self.max_turns = max_turns
        self.settings: ModelSettings = settings or {}
        self.profile = get_profile(profile if profile is not None else model)
        self.usage_limits = usage_limits
        self.approve = approve
        self.tool_retries, self.output_retries = tool_retries, output_retries
        self.tool_timeout, self.tool_threads = tool_timeout, tool_threads
        self.length_continuations, self.end_strategy = length_continuations, end_strategy
        self._api_key = Secret(api_key) if api_key is not None else None
        self._base_url, self._http_client = base_url, http_client
        self._shared_client = client
        """A client given by the user (or made once for their ``http_client``), shared by every run."""
        self._output_tool = None if self.output.is_text or not self.toolset else self.output
        """The output spec when answers come through the output tool (structured output with tools)."""
        count = len(self.toolset) + (self._output_tool is not None)
        if count > self.profile.max_tools:
            raise TooManyToolsError(
                f"{count} tools (the structured-output tool included), the API accepts at most "
                f"{self.profile.max_tools}"
            )
        if OUTPUT_TOOL in self.toolset and not self.output.is_text:
            raise UserError(f"a tool named {OUTPUT_TOOL!r} clashes with the structured-output tool")
        self._threads_needed = any(not t.is_async for t in self.toolset)
        self._base_plan: RequestPlan | None = None
        self._tool_defs = list(self.toolset.schemas)
        if self._output_tool:
            strict = any(t.strict for t in self.toolset)  # a Toolset is all strict or not at all
            self._tool_defs.append(self.output.tool_definition(strict=strict))

    # ------------------------------------------------------------------ entry points

    async def run(self, prompt: str | None = None, **options: Unpack[RunOptions]) -> RunResult[OutputT]:
        """Run to the final answer. ``prompt=None`` continues ``history``/``session`` as it stands
        (e.g. after a crash). See ``RunOptions`` for the keyword arguments."""
        async with aclosing(self._loop(prompt, options, stream=False)) as events:
            async for event in events:  # closing the loop at RunDone closes its HTTP client now
                if isinstance(event, RunDone):
                    return event.result
        raise AssertionError("the loop ended without RunDone")  # pragma: no cover

    def run_stream(
        self, prompt: str | None = None, **options: Unpack[RunOptions]
    ) -> AsyncIterator[StreamEvent]:
        """``run``, as typed events: reasoning and text deltas, tool calls and results, one
        ``ModelResponseDone`` per response, and last ``RunDone`` carrying ``.result``."""
        return self._loop(prompt, options, stream=True)

    def run_sync(self, prompt: str | None = None, **options: Unpack[RunOptions]) -> RunResult[OutputT]:
        """``run`` for synchronous code.

        Outside an event loop it runs one with ``anyio.run``. In a thread that is already running an
        event loop (Jupyter, an async web handler) a nested loop cannot run, so the run goes to a fresh
        worker thread with its own event loop while this thread waits for it: the run never needs the
        blocked loop, so it cannot deadlock. (Objects bound to the outer loop, such as an
        ``http_client`` used there, cannot be shared with that run; prefer ``await agent.run``.)
        """
        call = partial(self.run, prompt, **options)
        if not _in_event_loop():
            return anyio.run(call)
        with ThreadPoolExecutor(1, thread_name_prefix="agentkit-run-sync") as pool:
            return pool.submit(anyio.run, call).result()

    # ------------------------------------------------------------------ the loop

    async def _loop(
        self, prompt: str | None, options: RunOptions, *, stream: bool
    ) -> AsyncGenerator[StreamEvent, None]:
        approve = options.get("approve") or self.approve
        if approve is None and any(t.requires_approval for t in self.toolset):
            names = [t.name for t in self.toolset if t.requires_approval]
            raise ApprovalRequiredError(f"tools {names} require approval: pass approve=callback")
        limits = options.get("usage_limits") or self.usage_limits
        plan = self._plan(options.get("settings"))

        # 1. The conversation so far, then this run's instructions and prompt as the first step.
        run = await self._start(prompt, options.get("history"), options.get("session"))

        async with self._client() as client:
            limiter = anyio.CapacityLimiter(self.tool_threads) if self._threads_needed else None
            context = partial(self._context, run, options.get("deps"), client)
            runner = CallRunner(self.toolset, context, limiter, approve, self.tool_timeout)
            with run.errors_carry_messages():
                while True:
                    # 2. Limits, then one model request (its deltas streamed as they come).
                    self._check_limits(run, limits)
                    request = self._next_request(run, plan)
                    async with aclosing(_respond(client, request, stream=stream)) as items:
                        async for item in items:  # closed at once if the caller stops reading
                            if isinstance(item, ChatCompletion):
                                completion = item
                            else:
                                yield item
                    run.count(completion)
                    message = assistant_message(completion)
                    finish_reason = completion.choices[0].finish_reason
                    if stream:
                        yield ModelResponseDone(message, completion.usage, finish_reason)

                    # 3. Tool calls: answer every one, then append the message and answers as one step.
                    if "tool_calls" in message:
                        answers, output = await self._answer_calls(run, runner, message)
                        for answer in answers if stream else ():
                            yield answer
                        if output is not None:
                            yield RunDone(run.result(output[0]))
                            return
                        self._count_failures(run, answers)
                        continue

                    # 4. A final answer: continue it if cut at max_tokens, then validate it.
                    if finish_reason == "length" and self._may_continue(run):
                        run.cut_answer.append(message)
                        continue
                    if run.cut_answer:
                        message, run.cut_answer = joined([*run.cut_answer, message]), []
                    final = await self._validate(run, message)
                    if final is not None:
                        yield RunDone(run.result(final[0]))
                        return

    # ------------------------------------------------------------------ the steps of the loop

    async def _start(
        self, prompt: str | None, history: Sequence[dict[str, Any]] | None, session: Session | None
    ) -> RunState:
        """The run, its conversation loaded, with the instructions and the prompt committed."""
        if session is not None:
            if history is not None:
                raise UserError("pass history= or session=, not both")
            history = await session.load()
        messages = list(history or ())
        run = RunState(messages, session, self.profile.pricing_for(self.model), start=len(messages))
        first: list[dict[str, Any]] = []
        system = self._system_prompt()
        if system and not (run.messages and run.messages[0]["role"] == "system"):
            first.append({"role": "system", "content": system})
        if prompt is not None:
            first.append({"role": "user", "content": prompt})
        elif not run.messages or run.messages[-1]["role"] == "assistant":
            raise UserError(
                "nothing to answer: give a prompt, or history that ends with a user or tool message"
            )
        await run.commit(first)
        return run

    def _check_limits(self, run: RunState, limits: UsageLimits | None) -> None:
        """Raise before a request that would go over a limit; at ``max_turns`` with
        ``end_strategy="final_answer"``, allow one more request, without tools."""
        if run.usage.requests >= self.max_turns:
            if self.end_strategy == "error" or run.usage.requests > self.max_turns:
                raise MaxTurnsExceeded(
                    f"the run reached max_turns={self.max_turns} model requests without a final answer"
                )
            run.final_only = True
        if limits is not None:
            limits.check_before_request(run.usage)

    def _next_request(self, run: RunState, plan: RequestPlan) -> ChatRequest:
        """The conversation as a request; a cut answer goes last, as the prefix the model continues."""
        history = run.messages
        if run.cut_answer:
            history = [*run.messages, {**joined(run.cut_answer), "prefix": True}]
        overrides = {"tool_choice": "none"} if run.final_only and self._tool_defs else None
        return plan.request(history, overrides=overrides)

    async def _answer_calls(
        self, run: RunState, runner: CallRunner, message: dict[str, Any]
    ) -> tuple[list[ToolResult], tuple[Any] | None]:
        """Every call's answer, and ``(output,)`` if the output tool gave a valid final answer."""
        calls: list[ToolCall] = message["tool_calls"]
        run.usage.tool_calls += len(calls)
        answers: list[ToolResult] = []
        try:
            output = await answer_calls(runner, calls, self._output_tool, answers)
        finally:  # the step is recorded whatever happened (cancellation too), one answer per call id
            with anyio.CancelScope(shield=True):
                await run.commit([message, *map(tool_message, answers)])
        return answers, output

    def _may_continue(self, run: RunState) -> bool:
        """An answer cut at ``max_tokens`` is continued while the budget and the profile allow it."""
        return len(run.cut_answer) < self.length_continuations and self.profile.prefix_completion

    async def _validate(self, run: RunState, message: dict[str, Any]) -> tuple[Any] | None:
        """``(output,)`` from a final answer, committed; an invalid one is committed with the error
        for the model, which tries again (``None``) until ``output_retries`` runs out."""
        content = message["content"] or ""
        try:
            output = content if self.output.is_text else self.output.validate(content)
        except OutputInvalid as exc:
            hint = f" Call the {OUTPUT_TOOL} tool with your answer." if self._output_tool else ""
            await run.commit([message, {"role": "user", "content": f"{exc}{hint}"}])
            self._count_output_failure(run, str(exc))
            return None
        await run.commit([message])
        return (output,)

    def _count_failures(self, run: RunState, answers: list[ToolResult]) -> None:
        """Charge failed calls to their tools' retry budgets; raise (or go final) when one runs out."""
        seen: set[str] = set()
        for answer in answers:
            if not answer.is_error or answer.name in seen:
                continue  # several failed calls of one tool in one response use one retry
            seen.add(answer.name)
            if answer.name == OUTPUT_TOOL and self._output_tool is not None:
                self._count_output_failure(run, answer.content)
                continue
            failures = run.tool_failures[answer.name] = run.tool_failures.get(answer.name, 0) + 1
            tool = self.toolset.get(answer.name)
            budget = tool.retries if tool is not None and tool.retries is not None else self.tool_retries
            if failures > budget:
                if self.end_strategy == "final_answer":
                    run.final_only = True
                    continue
                raise ToolRetriesExceeded(
                    f"tool {answer.name!r} failed in {failures} responses, more than its retry "
                    f"budget of {budget}; last error: {answer.content}"
                )

    def _count_output_failure(self, run: RunState, error: str) -> None:
        run.output_failures += 1
        if run.output_failures > self.output_retries:
            raise OutputValidationError(
                f"the final answer failed validation {run.output_failures} times "
                f"(output_retries={self.output_retries}); last error: {error}"
            )

    def _plan(self, run_settings: ModelSettings | None) -> RequestPlan:
        """The run's fixed request part; the agent's own is built once and reused by every run."""
        if run_settings or self._base_plan is None:
            settings = merge_settings(self.settings, run_settings)
            json_mode = not self.output.is_text and not self.toolset and self.profile.json_mode
            plan = RequestPlan.build(self.model, self.profile, settings, self._tool_defs, json_mode=json_mode)
            if run_settings:
                return plan
            self._base_plan = plan
        return self._base_plan

    def _system_prompt(self) -> str:
        text = self.instructions or ""
        if not self.output.is_text and not self._tool_defs:
            text = f"{text}\n\n{self.output.json_instructions()}" if text else self.output.json_instructions()
        return text

    def _context(
        self, run: RunState, deps: Any, client: DeepSeekClient, call_id: str, name: str
    ) -> RunContext[Any]:
        return RunContext(
            deps, self.model, run.messages, run.usage, run.usage.requests, call_id, name, client
        )

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[DeepSeekClient]:
        """A user's ``client`` or ``http_client`` is shared by every run; otherwise each run opens and
        closes its own, so no connection outlives the loop that made it (``run_sync`` makes a new loop)."""
        key = None if self._api_key is None else self._api_key.value
        if self._shared_client is not None or self._http_client is not None:
            if self._shared_client is None:
                self._shared_client = DeepSeekClient(
                    api_key=key, base_url=self._base_url, http_client=self._http_client
                )
            yield self._shared_client
            return
        async with DeepSeekClient(api_key=key, base_url=self._base_url) as client:
            yield client


async def _respond(
    client: DeepSeekClient, request: ChatRequest, *, stream: bool
) -> AsyncGenerator[StreamEvent | ChatCompletion, None]:
    """One model response: its events when streamed, then the ``ChatCompletion``."""
    if not stream:
        yield await client.chat(request)
        return
    async with aclosing(stream_response(client, request)) as items:
        async for item in items:
            yield item


def _in_event_loop() -> bool:
    """Whether this thread is running an asyncio or trio event loop."""
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    return bool(trio is not None and trio.lowlevel.in_trio_run())

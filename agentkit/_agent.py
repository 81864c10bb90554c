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

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager, AsyncExitStack
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, Literal

import anyio
import httpx
from typing_extensions import Unpack

from ._approvals import take_up
from ._client import DeepSeekClient, Secret
from ._context import DepsT, RunContext
from ._conversation import Instructions, led_by, system_prompt
from ._errors import MaxTurnsExceeded, OutputValidationError, UserError
from ._events import ModelResponseDone, RunDone, StreamEvent
from ._fallback import Fallback, Models
from ._guardrails import InputGuardrail, OutputGuardrail, check_input, check_output
from ._hooks import CURRENT_RUN, Hook, ResponseItem, RunInfo, active_hooks, chain_run, closing
from ._messages import assistant_message, joined, plain, typed
from ._output import OUTPUT_TOOL, OutputInvalid, OutputSpec
from ._override import Overrides, effective, override
from ._partial import partial_outputs
from ._perloop import Nesting
from ._pool import SYNC_LOOP, ClientPool
from ._profiles import Profile, get_profile
from ._run import OutputT, RetryBudget, RunOptions, RunResult, RunState
from ._runtools import RunTools, ToolCatalog, ToolSource, split_sources
from ._settings import ModelSettings
from ._subagent import agent_tool
from ._toolcalls import Approve, FinalOutput, ToolCallRunner, ToolStep, tool_message
from ._toolset import Toolset
from ._usage import RunUsage, UsageLimits
from ._wire import ChatCompletion

if TYPE_CHECKING:
    from ._tool import Tool
    from ._wire import AssistantMessage



class Agent(Generic[DepsT, OutputT]):
    """A model, its tools and instructions; run it with ``run``, ``run_sync`` or ``run_stream``.

    An agent is meant to live as long as the application: it keeps one HTTP connection pool per event
    loop for all its runs. ``async with agent:`` (or ``await agent.aclose()``) closes it, and holds its
    tool sources (MCP servers) open across runs; an agent never closed leaks nothing.

    Attributes (read them; build a new agent to change them):
        model: The model name sent with every request.
        name: The agent's name in traces and in a parent's events when it is used as a tool.
        toolset: Its own tools (a tool source's are listed when a run starts).
        instructions: Text, or a function of the ``RunContext`` called once per run.
        output: The ``output_type`` as a spec (``output.is_text`` for plain text).
        max_turns: Model requests per run before ``MaxTurnsExceeded``.
        settings: Model settings sent with every request (a run's ``settings=`` override them).
        profile: The model profile: reasoning replay, limits, prices (chosen from the model name).
        usage_limits, approve: Defaults for the run options of the same names.
        tool_retries, output_retries: Failed calls per tool, invalid final answers, per run.
        tool_timeout, tool_threads: Seconds per tool call; worker threads for blocking tools.
        length_continuations, end_strategy: See ``__init__``.
        hooks: Wrappers of each run, model request and tool call (``Hook``).
    """

    def __init__(
        self,
        model: str = "deepseek-chat",
        *,
        tools: Sequence[Tool | Callable[..., Any] | ToolSource] | Toolset = (),
        instructions: Instructions = None,
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
        approve: Approve | Literal["defer"] | None = None,
        fallback_models: Sequence[str | Fallback] = (),
        input_guardrails: Sequence[InputGuardrail] = (),
        output_guardrails: Sequence[OutputGuardrail] = (),
        tool_retries: int = 2,
        output_retries: int = 2,
        tool_timeout: float | None = None,
        tool_threads: int = 16,
        length_continuations: int = 0,
        end_strategy: Literal["error", "final_answer"] = "error",
        hooks: Sequence[Hook] = (),
        name: str = "agent",
    ) -> None:
        """See the attributes of the same names. ``tool_retries``: how many failed calls a tool may have
        per run (``@tool(retries=...)`` overrides it); ``length_continuations``: how many times an answer
        cut at ``max_tokens`` is continued with prefix completion; ``end_strategy="final_answer"``: when
        ``max_turns`` or a retry budget runs out, ask once more without tools instead of raising;
        ``client``: a configured ``DeepSeekClient`` (retries, timeouts) to use instead of ``api_key``,
        ``base_url`` and ``http_client``; ``deps_type``: never read, it only tells type checkers what
        ``deps`` the tools' ``RunContext`` carries. ``approve="defer"``, ``fallback_models`` and the
        guardrails: see ``_approvals``, ``_fallback`` and ``_guardrails``."""
        self.model = model
        self.name = name
        static, sources = ([tools], []) if isinstance(tools, Toolset) else split_sources(tools)
        self.toolset = Toolset(*static)
        self.instructions = instructions
        self.output = OutputSpec.of(output_type)
        self.max_turns = max_turns
        self.settings: ModelSettings = settings or {}
        self.profile = get_profile(profile if profile is not None else model)
        self.usage_limits = usage_limits
        self.approve = approve
        self.fallback_models = [Fallback.of(each) for each in fallback_models]
        self.input_guardrails, self.output_guardrails = tuple(input_guardrails), tuple(output_guardrails)
        self.tool_retries, self.output_retries = tool_retries, output_retries
        self.tool_timeout, self.tool_threads = tool_timeout, tool_threads
        self.length_continuations, self.end_strategy = length_continuations, end_strategy
        self.hooks = tuple(hooks)
        self._api_key = Secret(api_key) if api_key is not None else None
        self._base_url, self._http_client = base_url, http_client
        self._shared_client = client
        """A client given by the user (or made once for their ``http_client``), shared by every run."""
        self._pool = ClientPool(self._new_client, self._users_client)
        self._catalog = ToolCatalog(self.toolset, sources, self.output, self.profile)
        self._budget = RetryBudget(tool_retries, output_retries, end_strategy)
        self._blocks = Nesting()

    # ------------------------------------------------------------------ lifetime

    async def __aenter__(self) -> Agent[DepsT, OutputT]:
        """Open the tool sources for every run until the block ends; blocks nest (on each event loop,
        the outermost one closes the agent)."""
        await self._catalog.hold_open()
        self._blocks.enter()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._blocks.exit():
            await self.aclose()
        else:
            await self._catalog.release()

    async def aclose(self) -> None:
        """Close the agent's connection pools and tool sources; closing twice is harmless. A user's own
        ``http_client`` or ``client`` is left open."""
        await self._pool.aclose()
        await self._catalog.release()

    def _new_client(self) -> DeepSeekClient:
        key = None if self._api_key is None else self._api_key.value
        return DeepSeekClient(api_key=key, base_url=self._base_url)

    def _users_client(self) -> DeepSeekClient | None:
        """The user's ``client``, or one made once around their ``http_client``: never closed by us."""
        if self._shared_client is None and self._http_client is not None:
            key = None if self._api_key is None else self._api_key.value
            http = self._http_client
            self._shared_client = DeepSeekClient(api_key=key, base_url=self._base_url, http_client=http)
        return self._shared_client

    # ------------------------------------------------------------------ entry points

    async def run(self, prompt: str | None = None, **options: Unpack[RunOptions]) -> RunResult[OutputT]:
        """Run to the final answer. ``prompt=None`` continues ``history``/``session`` as it stands
        (e.g. after a crash). See ``RunOptions`` for the keyword arguments."""
        async with closing(self._events(prompt, options, stream=False)) as events:
            async for event in events:
                if isinstance(event, RunDone):
                    return event.result
        raise AssertionError("the loop ended without RunDone")  # pragma: no cover

    def run_stream(
        self, prompt: str | None = None, **options: Unpack[RunOptions]
    ) -> AsyncIterator[StreamEvent]:
        """``run``, as typed events: reasoning and text deltas, tool calls and results, one
        ``ModelResponseDone`` per response, and last ``RunDone`` carrying ``.result``."""
        return self._events(prompt, options, stream=True)

    def run_sync(self, prompt: str | None = None, **options: Unpack[RunOptions]) -> RunResult[OutputT]:
        """``run`` for synchronous code, on agentkit's background event loop (``_pool``): the runs of
        every ``run_sync`` call share its connections, and it works the same in a thread that is
        already running an event loop (Jupyter, an async web handler), which it does not block on.
        (An ``http_client`` of yours bound to another loop cannot serve it; prefer ``await agent.run``.)
        Async code of a ``run_sync`` run (a tool, hook) runs on that loop, so it must ``await`` instead.
        """
        return SYNC_LOOP.run(partial(self.run, prompt, **options))

    def as_tool(self, name: str | None = None, description: str | None = None) -> Tool:
        """This agent as a tool of another, run on the caller's connection and ``deps`` (``_subagent``)."""
        return agent_tool(self, name, description)

    def override(self, **changes: Unpack[Overrides]) -> AbstractContextManager[None]:
        """``with agent.override(model=...):`` for the runs started inside (``_override``)."""
        return override(self, **changes)

    # ------------------------------------------------------------------ the loop

    def _events(self, prompt: str | None, options: RunOptions, *, stream: bool) -> AsyncIterator[StreamEvent]:
        agent = effective(self)  # the agent as an ``override`` in this context changes it
        hooks = active_hooks(agent.hooks)
        deps, parent = options.get("deps"), CURRENT_RUN.get()
        info = RunInfo(agent, agent.model, agent.profile, prompt, stream, deps, [], RunUsage(), parent,
                       hooks=hooks)
        events = agent._loop(prompt, options, info)
        return chain_run(hooks, info, events) if hooks else events

    async def _loop(
        self, prompt: str | None, options: RunOptions, info: RunInfo
    ) -> AsyncGenerator[StreamEvent, None]:
        approve = options.get("approve") or self.approve
        limits = options.get("usage_limits") or self.usage_limits
        stream = info.stream
        async with AsyncExitStack() as held:  # the tool sources and the client, for the run
            # 1. The tools (tool sources listed), the conversation so far, then instructions and prompt.
            tools = await self._catalog.for_run(held)
            info.toolset = tools.toolset
            approve = tools.approval(approve, info)
            client = self._pool.lease()
            held.push_async_callback(self._pool.give_back, client)
            models = Models.build(self, tools, client, options.get("settings"))  # its own, then fallbacks
            run = await self._start(prompt, options, info, client, tools)
            limiter = anyio.CapacityLimiter(self.tool_threads) if tools.threads_needed else None
            context = partial(self._context, run, options.get("deps"), client)
            runner = ToolCallRunner(tools.toolset, context, limiter, approve, self.tool_timeout, info,
                                    options.get("decisions") or {})
            with run.errors_carry_state():
                resumed = run.waiting  # tool calls of an earlier run that waited for approval go first
                while True:
                    # 2. Limits, then one model request (its deltas streamed as they come).
                    if resumed is not None:
                        message, resumed = resumed, None
                    else:
                        self._check_limits(run, limits)
                        async with closing(self._respond(run, models, tools, info)) as items:
                            async for item in items:  # closed at once if the caller stops reading
                                if isinstance(item, ChatCompletion):
                                    completion = item
                                else:
                                    yield item
                        run.count(completion, models.answered, models.request)
                        message = assistant_message(completion)
                        finish_reason = completion.choices[0].finish_reason
                        if stream:
                            yield ModelResponseDone(dict(message), completion.usage, finish_reason)

                    # 3. Tool calls: answer every one (or stop for approvals), then commit them as one step.
                    if "tool_calls" in message:
                        step = await self._run_tool_calls(run, runner, message, tools)
                        for event in [*info.take_relayed(), *step.answers()] if stream else ():
                            yield event
                        if step.waiting:  # a person decides; a later run goes on (``_approvals``)
                            yield RunDone(run.result(None, step.waiting))
                            return
                        if step.final is not None and await self._accepted(run, step.final.value, context):
                            yield RunDone(run.result(step.final.value))
                            return
                        self._budget.charge_tool_failures(run, step.answers(), tools)
                        continue

                    # 4. A final answer: continue it if cut at max_tokens, then validate it.
                    if finish_reason == "length" and self._may_continue(run):
                        run.cut_answer.append(message)
                        continue
                    if run.cut_answer:
                        message, run.cut_answer = joined([*run.cut_answer, message]), []
                    final = await self._validate(run, message, tools)
                    if final is not None and await self._accepted(run, final.value, context):
                        yield RunDone(run.result(final.value))
                        return

    # ------------------------------------------------------------------ the steps of the loop

    async def _start(
        self, prompt: str | None, options: RunOptions, info: RunInfo, client: DeepSeekClient, tools: RunTools
    ) -> RunState:
        """The run, its conversation loaded: this agent's instructions first (replacing those a history
        or session was made with), then the conversation, then the prompt."""
        session, history = options.get("session"), options.get("history")
        if session is not None and history is not None:
            raise UserError("pass history= or session=, not both")
        run = RunState(typed(info.messages), session, usage=info.usage)  # the session's writer from now
        if session is not None:
            history = await session.load()
        conversation = typed(list(history or ()))
        context = partial(self._context, run, options.get("deps"), client)
        system = await system_prompt(self.instructions, self.output, tools, context)
        run.messages.extend(led_by(system, conversation))
        run.start = len(run.messages)
        await check_input(self.input_guardrails, run, context, prompt)
        await take_up(run, prompt, options.get("decisions") or {})  # tool calls waiting for approval
        if prompt is not None:
            run.add_prompt({"role": "user", "content": prompt})
        elif run.waiting is None and (not conversation or conversation[-1]["role"] == "assistant"):
            raise UserError(
                "nothing to answer: give a prompt, or history that ends with a user or tool message"
            )
        return run

    def _check_limits(self, run: RunState, limits: UsageLimits | None) -> None:
        """Raise before a request that would go over a limit; at ``max_turns`` with
        ``end_strategy="final_answer"``, allow one more request, without tools."""
        if run.turns >= self.max_turns:
            if self.end_strategy == "error" or run.turns > self.max_turns:
                raise MaxTurnsExceeded(
                    f"the run reached max_turns={self.max_turns} model requests without a final answer"
                )
            run.final_only = True
        if limits is not None:
            limits.check_before_request(run.usage)

    def _respond(
        self, run: RunState, models: Models, tools: RunTools, info: RunInfo
    ) -> AsyncIterator[ResponseItem]:
        """One response to the conversation (a cut answer last, as the prefix to continue), from a fallback
        if need be (``_fallback``): its events when streamed (with partial outputs), then the completion."""
        history = run.messages
        if run.cut_answer:
            history = [*run.messages, {**joined(run.cut_answer), "prefix": True}]
        overrides = {"tool_choice": "none"} if run.final_only and tools.definitions else None
        items = models.respond(history, overrides, info, run.turns + 1)
        if info.stream and not self.output.is_text:
            return partial_outputs(items, self.output, via_tool=tools.output_tool is not None)
        return items

    async def _run_tool_calls(
        self, run: RunState, runner: ToolCallRunner, message: AssistantMessage, tools: RunTools
    ) -> ToolStep:
        """Every call answered, and the response and its answers committed as one step (``_approvals``)."""
        step = ToolStep(message["tool_calls"])
        resumed = message is run.waiting
        run.usage.tool_calls += 0 if resumed else len(step.calls)
        try:
            await runner.run_step(step, tools.output_tool)
        finally:  # the step is recorded whatever happened (cancellation too), one answer per call id
            answers = [tool_message(a) for a in step.answers()]
            with anyio.CancelScope(shield=True):
                await run.commit(answers if resumed else [message, *answers])
        return step

    def _may_continue(self, run: RunState) -> bool:
        """An answer cut at ``max_tokens`` is continued while the budget and the profile allow it."""
        return len(run.cut_answer) < self.length_continuations and self.profile.prefix_completion

    async def _validate(
        self, run: RunState, message: AssistantMessage, tools: RunTools
    ) -> FinalOutput | None:
        """The final answer, committed; an invalid one is committed with the error for the model, which
        tries again (``None``) until ``output_retries`` runs out."""
        content = message["content"] or ""
        try:
            output = content if self.output.is_text else self.output.validate(content)
        except OutputInvalid as exc:
            try:
                self._budget.charge_output_failure(run, str(exc))
            except OutputValidationError:
                await run.commit([message])  # the correction was never sent: it is not kept
                raise
            hint = f" Call the {OUTPUT_TOOL} tool with your answer." if tools.output_tool else ""
            await run.commit([message])
            run.add_prompt({"role": "user", "content": f"{exc}{hint}"})  # saved with its answer
            return None
        await run.commit([message])
        return FinalOutput(output)

    async def _accepted(self, run: RunState, output: Any, context: Callable[[], RunContext[Any]]) -> bool:
        """The output guardrails pass ``output``, or one's ``ModelRetry`` sends the answer back."""
        problem = await check_output(self.output_guardrails, context, output)
        if problem is not None:
            self._budget.charge_output_failure(run, problem)
            run.add_prompt({"role": "user", "content": problem})  # saved with its answer
        return problem is None

    def _context(
        self, run: RunState, deps: Any, client: DeepSeekClient, call_id: str = "", name: str = ""
    ) -> RunContext[Any]:
        return RunContext(
            deps=deps,
            model=self.model,
            messages=plain(run.messages),
            usage=run.usage,
            turn=run.turns,
            tool_call_id=call_id,
            tool_name=name,
            client=client,
        )

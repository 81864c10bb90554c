"""The fault rig: one uvicorn-served simulator on loopback, a fresh simulated model per test, and the
checks every faulted run must pass (the message invariant, the session on disk, a clean resume).

A small ASGI wrapper (``Gate``) sits in front of the simulator. It targets faults at the n-th request
(``X-Sim-Fault`` added to that request only, so retries of it are clean), answers with canned
responses the simulator cannot make (429 without ``Retry-After`` or with an HTTP date, 422, 401 in
mid-run), and can give every tool call of a response the same id.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from agentkit import RetryPolicy
from agentkit._agent import Agent
from agentkit._client import DeepSeekClient
from agentkit._errors import AgentkitError
from agentkit._events import ModelResponseDone, RunDone, StreamEvent, ToolResult
from agentkit._session import SQLiteSession
from agentkit.sim import SIM_API_KEY, Reply, Simulator

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MODEL = "deepseek-v4-flash"
_CALL_ID = re.compile(rb"call_\d\d_[A-Za-z0-9]{24}")


@dataclass
class Canned:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Gate:
    """ASGI app in front of ``sim.app``; counts chat requests (retries included) from 0."""

    def __init__(self) -> None:
        self.sim = Simulator()
        self.count = 0
        self.fault_at: dict[int, str] = {}
        self.canned_at: dict[int, Canned] = {}
        self.same_ids_at: set[int] = set()

    def reset(self, sim: Simulator) -> None:
        self.sim, self.count = sim, 0
        self.fault_at, self.canned_at, self.same_ids_at = {}, {}, set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/chat/completions"):
            await self.sim.app(scope, receive, send)
            return
        n, self.count = self.count, self.count + 1
        canned = self.canned_at.get(n)
        if canned is not None:
            await _drain(receive)
            given = {k.lower(): v for k, v in canned.headers.items()}
            given.setdefault("content-type", "application/json")
            headers = [(k.encode(), v.encode()) for k, v in given.items()]
            await send({"type": "http.response.start", "status": canned.status, "headers": headers})
            await send({"type": "http.response.body", "body": canned.body})
            return
        if n in self.fault_at:
            scope = {**scope, "headers": [*scope["headers"], (b"x-sim-fault", self.fault_at[n].encode())]}
        if n in self.same_ids_at:
            send = _same_ids(send)
        await self.sim.app(scope, receive, send)


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


def _same_ids(send: Send) -> Send:
    """Rewrites every tool-call id of a response (streamed or not) to the first one seen."""
    first: list[bytes] = []

    def same(match: re.Match[bytes]) -> bytes:
        if not first:
            first.append(match.group(0))
        return first[0]

    async def rewriting(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            message = {**message, "body": _CALL_ID.sub(same, message["body"])}
        await send(message)

    return rewriting


@dataclass
class Served:
    app: Gate


@dataclass
class Outcome:
    """What a run produced: a result or a typed error, and the messages either way."""

    messages: list[dict[str, Any]]
    output: Any = None
    error: BaseException | None = None
    events: list[StreamEvent] = field(default_factory=list)


@dataclass
class Rig:
    sim: Simulator
    gate: Gate
    url: str
    session: SQLiteSession
    transport: str = "httpx"
    delays: list[float] = field(default_factory=list)
    """Every backoff the clients asked for (they sleep 0 instead, so tests stay fast)."""

    def client(self, *, api_key: str = SIM_API_KEY, max_retries: int = 3, **kwargs: Any) -> DeepSeekClient:
        kwargs.setdefault("transport", self.transport)
        client = DeepSeekClient(api_key=api_key, base_url=self.url, max_retries=max_retries, **kwargs)

        async def record(delay: float) -> None:
            self.delays.append(delay)

        client.retry = RetryPolicy(max_retries=max_retries, base_delay=0.01, max_delay=0.05, sleep=record)
        return client

    def agent(self, *, client: DeepSeekClient | None = None, **kwargs: Any) -> Agent[Any, Any]:
        kwargs.setdefault("model", MODEL)
        return Agent(client=client or self.client(), **kwargs)

    async def run(
        self, agent: Agent[Any, Any], prompt: str | None, *, stream: bool, **options: Any
    ) -> Outcome:
        """Run with the rig's SQLite session; a typed error is an outcome, anything else fails the test."""
        options.setdefault("session", self.session)
        events: list[StreamEvent] = []
        try:
            if stream:
                async for event in agent.run_stream(prompt, **options):
                    events.append(event)
                done = events[-1]
                assert isinstance(done, RunDone)
                result = done.result
            else:
                result = await agent.run(prompt, **options)
        except AgentkitError as exc:
            messages = getattr(exc, "messages", None)
            assert isinstance(messages, list), f"{type(exc).__name__} carries no messages"
            return Outcome(messages, error=exc, events=events)
        return Outcome(result.messages, output=result.output, events=events)

    async def check(self, outcome: Outcome, *, tools: Any = ()) -> None:
        """The invariant, the session on disk, the streamed events, and a clean resume from disk."""
        assert_consistent(outcome.messages)
        assert await self.session.load() == stored_form(outcome.messages), "the session differs from messages"
        if outcome.events:
            done = [e.message for e in outcome.events if isinstance(e, ModelResponseDone)]
            stored = [m for m in outcome.messages if m["role"] == "assistant"]
            assert done == stored[len(stored) - len(done) :]
            answered = [e.tool_call_id for e in outcome.events if isinstance(e, ToolResult)]
            assert answered == [m["tool_call_id"] for m in outcome.messages if m["role"] == "tool"]
        # the stored history is one the API accepts: continue it on a clean server
        self.sim = Simulator(era="deepseek-v4", seed=1)
        self.gate.reset(self.sim)
        self.sim.script(Reply(content="Resumed."))
        again = await self.agent(tools=tools).run("Go on.", session=self.session)
        assert again.output == "Resumed."
        assert await self.session.load() == stored_form(again.messages)


def stored_form(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a session holds of a run's messages: no instructions (they belong to the agent), and no
    user message the model has not answered yet (a run stopped there leaves the session as it was)."""
    kept = [m for m in messages if m["role"] != "system"]
    return kept[:-1] if kept and kept[-1]["role"] == "user" else kept


def assert_consistent(messages: list[dict[str, Any]]) -> None:
    """Every tool call answered exactly once, right after its assistant message, in call order; no
    stray tool message; every assistant message complete (content or calls, well-formed calls)."""
    i = 0
    while i < len(messages):
        message = messages[i]
        role = message["role"]
        assert role in ("system", "user", "assistant", "tool"), message
        assert role != "tool", f"tool message {i} answers no call: {message}"
        if role == "assistant":
            assert "prefix" not in message, f"a prefix-completion piece was stored: {message}"
            content, calls = message.get("content"), message.get("tool_calls") or []
            assert isinstance(content, str) or content is None
            assert content is not None or calls, f"assistant message {i} has neither content nor calls"
            for call in calls:
                assert call["type"] == "function" and call["id"], call
                assert isinstance(call["function"]["name"], str), call
                assert isinstance(call["function"]["arguments"], str), call
            ids = [call["id"] for call in calls]
            answers = messages[i + 1 : i + 1 + len(ids)]
            assert [m["role"] for m in answers] == ["tool"] * len(ids), f"calls of message {i} unanswered"
            assert [m["tool_call_id"] for m in answers] == ids
            assert all(isinstance(m["content"], str) for m in answers)
            i += len(ids)
        i += 1


def in_child(code: str, *, timeout: float = 30.0) -> str:
    """Run ``code`` in a fresh Python and return what it printed; a hang fails the test at ``timeout``
    instead of freezing the suite (for hostile input that could freeze, or spin in, a process)."""
    command = [sys.executable, "-c", textwrap.dedent(code)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running after {timeout:g} s: it froze on hostile input") from None
    assert done.returncode == 0, done.stderr
    return done.stdout

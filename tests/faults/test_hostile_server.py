"""Hostile answers from the server side (issue 11, round 2 of the adversarial review): headers, bodies and
streams crafted to crash, freeze or mislead the client and the loop. Each test fails without its fix;
anything that could freeze the process runs in a child process with a deadline.
"""

from __future__ import annotations

import json
import re
import sqlite3
import traceback

import httpx
import pytest
from fault_rig import Canned, Rig, in_child

from agentkit import RetryPolicy
from agentkit._client import DeepSeekClient
from agentkit._errors import APIError, AuthenticationError, EmptyResponseError, SessionError
from agentkit._sse import MAX_LINE_BYTES
from agentkit.sim import SIM_API_KEY, Reply, Simulator

pytestmark = pytest.mark.anyio

RATE_LIMITED = b'{"error":{"message":"Rate Limit Reached","type":"rate_limit_error","param":null}}'


def really_sleeping(rig: Rig) -> DeepSeekClient:
    """A client that sleeps for real (``anyio.sleep``), as outside tests, with short backoffs."""
    client = DeepSeekClient(api_key=SIM_API_KEY, base_url=rig.url, max_retries=2)
    client.retry = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02)
    return client


# --------------------------------------------------------------------------- item 10: Retry-After: nan


@pytest.mark.parametrize("header", ["Retry-After", "retry-after-ms"])
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf"])
async def test_a_retry_after_that_is_not_a_finite_number_is_ignored(
    rig: Rig, stream: bool, header: str, value: str
) -> None:
    """``anyio.sleep(nan)`` raises ValueError: such a header means our own backoff, not a crash."""
    rig.sim.script(Reply(content="Hello."))
    rig.gate.canned_at[0] = Canned(429, RATE_LIMITED, {header: value})
    outcome = await rig.run(rig.agent(client=really_sleeping(rig)), "Hi.", stream=stream)
    assert outcome.error is None and outcome.output == "Hello."
    assert rig.gate.count == 2


# --------------------------------------------------------------------------- item 11: "choices": []

NO_CHOICES = {
    "id": "x",
    "object": "chat.completion",
    "created": 1,
    "model": "deepseek-v4-flash",
    "choices": [],
    "usage": {"prompt_tokens": 5, "completion_tokens": 0, "total_tokens": 5},
}


def no_choices(stream: bool) -> Canned:
    if not stream:
        return Canned(200, json.dumps(NO_CHOICES).encode())
    chunk = {**NO_CHOICES, "object": "chat.completion.chunk"}
    body = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
    return Canned(200, body, {"content-type": "text/event-stream"})


async def test_a_response_without_choices_is_a_retried_server_fault(rig: Rig, stream: bool) -> None:
    """It raised a raw IndexError from ``Agent.run`` (``choices[0]``)."""
    rig.sim.script(Reply(content="Hello."))
    rig.gate.canned_at[0] = no_choices(stream)
    outcome = await rig.run(rig.agent(), "Hi.", stream=stream)
    assert outcome.error is None and outcome.output == "Hello."
    assert rig.gate.count == 2 and len(rig.delays) == 1
    await rig.check(outcome)


async def test_only_responses_without_choices_end_a_run_as_a_typed_error(rig: Rig, stream: bool) -> None:
    for n in range(4):
        rig.gate.canned_at[n] = no_choices(stream)
    outcome = await rig.run(rig.agent(), "Hi.", stream=stream)
    assert isinstance(outcome.error, EmptyResponseError), repr(outcome.error)
    assert "no choices" in str(outcome.error)
    assert rig.gate.count == 4


# --------------------------------------------------------------------------- item 12: a long SSE line


def test_a_long_line_in_many_small_reads_costs_its_length_not_its_square() -> None:
    """15 MiB in 1 KiB reads: re-copying the unfinished line on each read moved ~110 GiB (minutes)."""
    printed = in_child(
        """
        from agentkit._sse import SSEDecoder
        decoder, piece = SSEDecoder(), b"x" * 1024
        events = decoder.feed(b'data: "')
        for _ in range(15 * 1024):
            events += decoder.feed(piece)
        events += decoder.feed(b'"\\n\\n')
        print(len(events), len(events[0]))
        """,
        timeout=30,
    )
    assert printed.split() == ["1", str(15 * 1024 * 1024 + 2)]


async def test_a_line_over_the_cap_is_a_clear_error(rig: Rig) -> None:
    """17 MiB without a line break, over loopback: refused at the cap instead of buffered for ever."""
    body = b"data: " + b"x" * (MAX_LINE_BYTES + (1 << 20))
    rig.gate.canned_at[0] = Canned(200, body, {"content-type": "text/event-stream"})
    outcome = await rig.run(rig.agent(), "Hi.", stream=True)
    assert isinstance(outcome.error, APIError) and not outcome.error.retryable
    assert f"more than {MAX_LINE_BYTES} bytes" in str(outcome.error)
    assert rig.gate.count == 1


# --------------------------------------------------------------------------- item 13: corrupted rows


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        ("5", "holds int '5', not a message with a role"),
        ("not json {", "is not JSON"),
        ('["user", "hi"]', "holds list"),
        ('{"content": "no role"}', "holds dict"),
        (b"\x00\xff", "is not JSON"),
    ],
    ids=["number", "text", "list", "no-role", "blob"],
)
async def test_a_corrupted_session_row_is_a_session_error_naming_the_row(
    rig: Rig, stored: object, problem: str
) -> None:
    """``UPDATE agentkit_messages SET message = ...`` by hand raised raw JSONDecodeError/AttributeError."""
    rig.sim.script(Reply(content="Hello."))
    await rig.run(rig.agent(), "Hi.", stream=False)
    with sqlite3.connect(rig.session.path) as db:
        row_id = db.execute("SELECT max(id) FROM agentkit_messages").fetchone()[0]
        db.execute("UPDATE agentkit_messages SET message = ? WHERE id = ?", (stored, row_id))
    named = rf"row id={row_id} of session 'default' {re.escape(problem)}"
    with pytest.raises(SessionError, match=named):
        await rig.session.load()
    with pytest.raises(SessionError, match=named):  # the agent resuming it gets the same error
        await rig.agent().run("Again.", session=rig.session)


# --------------------------------------------------------------------------- item 3: the key


KEY = "sk-hostile-0d9b7c5a3e1f2a4b6c8d"


def leaks(text: str) -> bool:
    """Any 10 characters of the key's secret part, in any ASCII case."""
    secret, folded = KEY[3:].lower(), text.lower()
    return any(secret[i : i + 10] in folded for i in range(len(secret) - 9))


def traceback_with_locals(error: BaseException) -> str:
    """What Sentry or rich record: every frame's local variables, by repr."""
    return "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())


def failing_hook(request: httpx.Request) -> None:
    raise RuntimeError("a request hook failed")


@pytest.mark.parametrize("failure", ["refused", "raised inside httpx"])
async def test_the_key_is_in_no_traceback_local_of_the_send_path(failure: str) -> None:
    """A local ``headers`` dict held ``Authorization: Bearer sk-...``; the header is now set by an
    ``httpx.Auth`` object inside httpx, so no frame's locals (reprs) show it."""
    # refused: a real connection failure (nothing listens on port 9 of loopback); raised inside httpx:
    # any exception escaping httpx.send passes through every frame of ours
    hooks = {"request": [failing_hook]} if failure == "raised inside httpx" else {}
    http = httpx.AsyncClient(event_hooks=hooks)
    async with http, DeepSeekClient(api_key=KEY, base_url="http://127.0.0.1:9", http_client=http) as client:
        client.retry.max_retries = 0
        with pytest.raises(Exception) as caught:
            await client.chat({"model": "deepseek-v4-flash", "messages": [{"role": "user", "content": "Hi"}]})
    shown = traceback_with_locals(caught.value)
    assert "in _send" in shown and "request = <Request('POST'" in shown  # the frame and its locals are there
    assert not leaks(shown), shown


ECHOES = {
    "verbatim": KEY,
    "one char JSON-escaped": "\\u0073" + KEY[1:],
    "every char JSON-escaped": "".join(f"\\u{ord(c):04x}" for c in KEY),
    "upper-cased": KEY.upper(),
    "minus its last character": KEY[:-1],
    "minus a middle character": KEY[:15] + KEY[16:],
    "cut to its first 20": KEY[:20] + "...",
}


@pytest.mark.parametrize("echo", list(ECHOES.values()), ids=list(ECHOES))
async def test_a_near_echo_of_the_key_is_masked_in_errors(rig: Rig, stream: bool, echo: str) -> None:
    """Only the exact key was masked: these reached ``str(exc)`` and ``exc.body``."""
    rig.sim = Simulator(api_keys=(KEY,))
    rig.gate.reset(rig.sim)
    body = f'{{"error":{{"message":"Authentication Fails, Your api key: {echo} is invalid","type":"auth"}}}}'
    rig.gate.canned_at[0] = Canned(401, body.encode())
    outcome = await rig.run(rig.agent(client=rig.client(api_key=KEY)), "Hi.", stream=stream)
    error = outcome.error
    assert isinstance(error, AuthenticationError) and "Authentication Fails" in str(error)
    for shown in (str(error), repr(error), repr(error.body), traceback_with_locals(error)):
        assert not leaks(shown), shown


@pytest.mark.parametrize("key", ["k", "chat.completion.chunk"])
async def test_successful_payloads_are_never_masked(rig: Rig, stream: bool, key: str) -> None:
    """With ``api_key="k"`` every "k" of every chunk was masked (``chat.completion.chun<api key>``)
    and the stream failed validation: a key that occurs in a good answer must leave it alone."""
    rig.sim = Simulator(api_keys=(key,))
    rig.gate.reset(rig.sim)
    rig.sim.script(Reply(reasoning="Think of a kitchen.", content="A kitchen knife, kept sharp."))
    outcome = await rig.run(rig.agent(client=rig.client(api_key=key)), "Name a tool.", stream=stream)
    assert outcome.error is None, repr(outcome.error)
    assert outcome.output == "A kitchen knife, kept sharp."

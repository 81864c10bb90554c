"""One request through the simulated model: validate, reply, count tokens and cache hits, shape.

The app module handles HTTP (auth, faults on the wire, streaming); this module is what happens inside
the model server for a well-formed request, so it can be read top to bottom per endpoint.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .eras import ModelSpec, check_reasoning, resolve_model, thinking_on
from .errors import SimError
from .faults import Fault
from .logprobs import chat_entries, fim_logprobs
from .policy import Reply, default_reply, fim_text
from .render import Completion, chunk_events, completion_body, fim_body, fim_events, pieces, usage
from .tokens import ContextCache, count_tokens, render_message, render_prompt
from .validate import check_chat, check_fim, read_chat, read_fim

if TYPE_CHECKING:
    from .app import Simulator

FINGERPRINTS = {
    "deepseek-r1": "fp_393bca965e_prod0623_fp8_kvcache",  # recorded: test_deepseek_model_thinking_stream
    "deepseek-v3.2": "fp_ffc7281d48_prod0820_fp8_kvcache",
    "deepseek-v4": "fp_8b330d02d0_prod0820_fp8_kvcache_20260402",
}
_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass
class Prepared:
    """A response ready to send: ``body`` when not streamed, else the SSE ``events``."""

    body: dict[str, Any]
    events: Iterable[str] | None = None


class Engine:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.cache = ContextCache()
        # ids are fresh, as the real API's are, unless the user asked for a seed: then a fixed sequence
        self._rng = random.Random() if sim.seed is None else random.Random(sim.seed)

    async def chat(self, raw: bytes, *, beta: bool, faults: list[Fault]) -> Prepared:
        body = read_chat(raw, self.sim.era)
        spec = resolve_model(body["model"], self.sim.era)
        thinking = thinking_on(spec, body)
        prompt = render_prompt(body)
        prompt_tokens = count_tokens(prompt)
        check_chat(body, spec, thinking=thinking, beta=beta, prompt_tokens=prompt_tokens)
        if self.sim.reasoning_check != "off":
            check_reasoning(spec, thinking, body, self.sim.reasoning_check)
        if Decimal(self.sim.balance) <= 0:
            raise SimError(402, "Insufficient Balance")

        rng = random.Random(self._rng.getrandbits(64))
        seed = self.sim.seed or 0
        reply = await self.sim.next_reply(body) or default_reply(body, thinking=thinking, seed=seed)
        reasoning = (reply.reasoning or "") if thinking else None
        content, finish = _limit(reply, body, spec, reasoning)
        calls = [_tool_call(i, name, args, rng) for i, (name, args) in enumerate(reply.tool_calls)]
        if calls and finish == "stop":
            finish = reply.finish_reason or "tool_calls"
        content, calls, finish = _apply_output_faults(faults, content, calls, finish)

        namespace = f"{body.get('user_id', '')}"
        hit = self.cache.lookup(namespace, prompt)
        answer = {"role": "assistant", "content": content, "tool_calls": calls}
        self.cache.store(namespace, prompt + render_message(answer))
        if reasoning is not None:
            self.cache.store(namespace, prompt + render_message({**answer, "reasoning_content": reasoning}))
        reasoning_tokens = count_tokens(reasoning or "")
        output_tokens = count_tokens(content or "") + reasoning_tokens
        output_tokens += sum(count_tokens(c["function"]["name"] + c["function"]["arguments"]) for c in calls)
        completion = Completion(
            **_identity(rng, spec, body),
            thinking=thinking,
            content=content,
            reasoning=reasoning,
            tool_calls=calls,
            finish_reason=finish,
            usage=usage(prompt_tokens, hit, max(output_tokens, 1), reasoning_tokens, thinking=thinking),
            logprobs=_chat_logprobs(body, content, reasoning, spec, rng),
        )
        if body.get("stream"):
            events = chunk_events(completion, include_usage=_usage_asked(body))
            return Prepared(completion_body(completion), events)
        return Prepared(completion_body(completion))

    async def fim(self, raw: bytes) -> Prepared:
        body = read_fim(raw, self.sim.era)
        spec = resolve_model(body["model"], self.sim.era)
        check_fim(body, spec, thinking=thinking_on(spec, body))
        text = fim_text(body["prompt"], body.get("suffix"))
        if body.get("echo"):
            text = body["prompt"] + text
        text, finish = _cut(text, body.get("stop"), body.get("max_tokens"))
        prompt_tokens = count_tokens(body["prompt"] + (body.get("suffix") or ""))
        hit = self.cache.lookup("fim", body["prompt"])
        self.cache.store("fim", body["prompt"])
        rng = random.Random(self._rng.getrandbits(64))
        top = body.get("logprobs")
        start = len(body["prompt"]) if body.get("echo") else 0
        result = fim_body(
            **_identity(rng, spec, body),
            text=text,
            finish_reason=finish,
            usage=usage(prompt_tokens, hit, max(count_tokens(text), 1), 0, thinking=False),
            logprobs=None if top is None else fim_logprobs(pieces(text), top, start, rng),
        )
        if body.get("stream"):
            return Prepared(result, fim_events(result, include_usage=_usage_asked(body)))
        return Prepared(result)


def _chat_logprobs(
    body: dict[str, Any], content: str | None, reasoning: str | None, spec: ModelSpec, rng: random.Random
) -> dict[str, list[dict[str, Any]]] | None:
    """Entries for each piece of the answer (and, in V4, of the reasoning) when ``logprobs`` is true."""
    if not body.get("logprobs"):
        return None
    top = body.get("top_logprobs", 0)
    out = {"content": chat_entries(pieces(content or ""), top, rng)}
    if reasoning is not None and spec.era == "deepseek-v4":
        out["reasoning_content"] = chat_entries(pieces(reasoning), top, rng)
    return out


def _identity(rng: random.Random, spec: ModelSpec, body: dict[str, Any]) -> dict[str, Any]:
    """The response's id, creation time, model name and fingerprint, as the era's server reports them."""
    return {
        "id": str(uuid.UUID(bytes=rng.randbytes(16), version=4)),
        "created": int(time.time()),
        "model": spec.served_name if spec.era == "deepseek-v4" else body["model"],
        "fingerprint": FINGERPRINTS[spec.era],
    }


def _usage_asked(body: dict[str, Any]) -> bool:
    """Whether a streamed response ends with a usage chunk (``stream_options.include_usage``)."""
    return bool((body.get("stream_options") or {}).get("include_usage"))


def _cut(text: str, stop: str | list[str] | None, max_tokens: int | None) -> tuple[str, str]:
    """Apply stop sequences, then the token limit: (text, finish_reason)."""
    for sequence in [stop] if isinstance(stop, str) else stop or []:
        if sequence and sequence in text:
            text = text[: text.index(sequence)]
    if max_tokens is not None and count_tokens(text) > max_tokens:
        while text and count_tokens(text) > max_tokens:
            text = text[: max(0, min(len(text) - 1, int(len(text) * max_tokens / count_tokens(text))))]
        return text, "length"
    return text, "stop"


def _limit(
    reply: Reply, body: dict[str, Any], spec: ModelSpec, reasoning: str | None
) -> tuple[str | None, str]:
    """The answer cut by stop sequences and ``max_tokens`` (the model's default when not given)."""
    if reply.content is None:
        return None, reply.finish_reason or "stop"
    limit = body.get("max_tokens", spec.default_max_tokens)
    if spec.max_tokens_counts_reasoning:
        limit = max(0, limit - count_tokens(reasoning or ""))
    content, finish = _cut(reply.content, body.get("stop"), limit)
    return content, reply.finish_reason or finish


def _tool_call(index: int, name: str, arguments: dict[str, Any] | str, rng: random.Random) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    suffix = "".join(rng.choice(_ID_CHARS) for _ in range(24))
    return {
        "index": index,
        "id": f"call_{index:02d}_{suffix}",
        "type": "function",
        "function": {"name": name, "arguments": text},
    }


def _apply_output_faults(
    faults: list[Fault], content: str | None, calls: list[dict[str, Any]], finish: str
) -> tuple[str | None, list[dict[str, Any]], str]:
    for fault in faults:
        if fault.kind == "truncated-args" and calls:
            function = calls[-1]["function"]
            function["arguments"] = function["arguments"][: max(1, len(function["arguments"]) // 2)]
            finish = "length"
        elif fault.kind == "invalid-args" and calls:
            for call in calls:
                call["function"]["arguments"] = call["function"]["arguments"].replace('"', "'") + ","
        elif fault.kind == "insufficient-system-resource":
            content = (content or "")[: len(content or "") // 2]
            calls, finish = [], "insufficient_system_resource"
    return content, calls, finish

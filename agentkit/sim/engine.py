"""One request through the simulated model: validate, reply, count tokens and cache hits, shape.

The app module handles HTTP (auth, faults on the wire, streaming); this module is what happens inside
the model server for a well-formed request, so it can be read top to bottom per endpoint.
"""

from __future__ import annotations

import hashlib
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
from .policy import Reply, default_reply, fim_text
from .render import Completion, chunk_events, completion_body, fim_body, fim_events, usage
from .tokens import ContextCache, count_tokens, render_message, render_prompt
from .validate import check_chat, check_fim, normalize_chat, normalize_fim, parse_json

if TYPE_CHECKING:
    from .app import Simulator

FINGERPRINTS = {
    "deepseek-r1": "fp_7e73fd9a08",
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

    async def chat(self, raw: bytes, *, beta: bool, faults: list[Fault]) -> Prepared:
        body = normalize_chat(parse_json(raw))
        spec = resolve_model(body["model"], self.sim.era)
        thinking = thinking_on(spec, body)
        prompt = render_prompt(body)
        prompt_tokens = count_tokens(prompt)
        check_chat(body, spec, thinking=thinking, beta=beta, prompt_tokens=prompt_tokens)
        if not self.sim.lenient:
            check_reasoning(spec, thinking, body)
        if Decimal(self.sim.balance) <= 0:
            raise SimError(402, "Insufficient Balance")

        rng = _request_rng(self.sim.seed, raw)
        reply = await self.sim.next_reply(body) or default_reply(body, thinking=thinking, seed=self.sim.seed)
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
        )
        if body.get("stream"):
            events = chunk_events(completion, include_usage=_usage_asked(body))
            return Prepared(completion_body(completion), events)
        return Prepared(completion_body(completion))

    async def fim(self, raw: bytes) -> Prepared:
        body = normalize_fim(parse_json(raw))
        spec = resolve_model(body["model"], self.sim.era)
        check_fim(body, spec, thinking=thinking_on(spec, body))
        text = fim_text(body["prompt"], body.get("suffix"))
        if body.get("echo"):
            text = body["prompt"] + text
        text, finish = _cut(text, body.get("stop"), body.get("max_tokens"))
        prompt_tokens = count_tokens(body["prompt"] + (body.get("suffix") or ""))
        hit = self.cache.lookup("fim", body["prompt"])
        self.cache.store("fim", body["prompt"])
        result = fim_body(
            **_identity(_request_rng(self.sim.seed, raw), spec, body),
            text=text,
            finish_reason=finish,
            usage=usage(prompt_tokens, hit, max(count_tokens(text), 1), 0, thinking=True),
        )
        if body.get("stream"):
            return Prepared(result, fim_events(result, include_usage=_usage_asked(body)))
        return Prepared(result)


def _request_rng(seed: int, raw: bytes) -> random.Random:
    """Randomness fixed by the seed and the request bytes: the same request gets the same ids again."""
    return random.Random(hashlib.sha256(str(seed).encode() + raw).digest())


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

"""Random bodies never make the simulator fail: every one gets a 2xx or the era's 4xx, never a 5xx.

Before, ``messages`` as a string, an object or absent gave a plain-text 500 (an ``AttributeError`` in the
prompt renderer), which clients retry as a server fault. Half the bodies are random JSON values, half are
valid requests with one part replaced by a random value, deleted, or duplicated, so the deep paths
(messages, tool calls, tools, parameters) are reached too.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from agentkit.sim import Simulator

pytestmark = pytest.mark.anyio

BODIES_PER_ERA = 700  # x3 eras: 2,100 bodies
CALL = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
VALID: list[tuple[str, dict[str, Any]]] = [
    (
        "/chat/completions",
        {"model": "deepseek-chat", "messages": [{"role": "user", "content": "Weather in Paris?"}]},
    ),
    (
        "/chat/completions",
        {
            "model": "deepseek-chat",
            "messages": [
                {"role": "system", "content": "Answer in json."},
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": None, "reasoning_content": "", "tool_calls": [CALL]},
                {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
            ],
            "tools": [TOOL],
            "tool_choice": "auto",
            "stream": True,
            "stream_options": {"include_usage": True},
            "response_format": {"type": "json_object"},
            "logprobs": True,
            "top_logprobs": 2,
            "max_tokens": 100,
            "stop": ["\n\n"],
        },
    ),
    (
        "/beta/chat/completions",
        {
            "model": "deepseek-reasoner",
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Write quick sort"}]},
                {"role": "assistant", "content": "```python\n", "prefix": True},
            ],
            "thinking": {"type": "enabled"},
            "reasoning_effort": "high",
        },
    ),
    (
        "/beta/completions",
        {
            "model": "deepseek-v4-flash",
            "prompt": "def f(a):",
            "suffix": "    return a",
            "logprobs": 2,
            "thinking": {"type": "disabled"},
        },
    ),
]
WORDS = [
    "",
    "user",
    "assistant",
    "tool",
    "system",
    "function",
    "json",
    "text",
    "deepseek-chat",
    "c1",
    "\u00e9\u4f60",
]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, 1, -1, 2, 20, 21, 129, 2**33, -(2**40)])
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e300, -2.5, 3.0])
    if kind in (4, 5):
        return (
            rng.choice(WORDS)
            if rng.random() < 0.8
            else "".join(chr(rng.randrange(1, 0x3000)) for _ in range(5))
        )
    if kind == 6:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = [
        "role",
        "content",
        "type",
        "name",
        "model",
        "messages",
        "tool_calls",
        "function",
        "thinking",
        "text",
    ]
    return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def mutate(rng: random.Random, body: Any) -> Any:
    """One random change somewhere in ``body``: replace, delete or add a value."""
    body = copy.deepcopy(body)
    node, path = body, []
    while isinstance(node, dict | list) and node and rng.random() < 0.7:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        path.append((node, key))
        node = node[key]
    if not path:
        return random_value(rng)
    parent, key = path[-1]
    action = rng.randrange(3)
    if action == 0 and isinstance(parent, dict):
        del parent[key]
    elif action == 1 and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    else:
        parent[key] = random_value(rng)
    return body


@pytest.mark.parametrize("era", ["deepseek-r1", "deepseek-v3.2", "deepseek-v4"])
async def test_random_bodies_get_no_5xx(era: str) -> None:
    rng = random.Random(f"fuzz-{era}")
    sim = Simulator(era=era, seed=1)  # type: ignore[arg-type]
    statuses: dict[int, int] = {}
    async with sim.http_client() as client:
        for _ in range(BODIES_PER_ERA):
            path, valid = rng.choice(VALID)
            body = random_value(rng) if rng.random() < 0.3 else mutate(rng, valid)
            for _ in range(rng.randrange(2)):
                body = mutate(rng, body) if isinstance(body, dict) else body
            raw = json.dumps(body, ensure_ascii=rng.random() < 0.5).encode()
            if rng.random() < 0.05:
                raw = raw[: rng.randrange(len(raw) + 1)]  # cut short: not JSON any more
            response = await client.post(path, content=raw, headers={"content-type": "application/json"})
            await response.aread()
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, (raw[:400], response.text[:400])
            if response.status_code >= 400 and response.headers["content-type"].startswith(
                "application/json"
            ):
                assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    # the mix reaches both the shape errors and the rules behind them, and still gets answers through
    refused = sum(count for status, count in statuses.items() if status >= 400)
    assert statuses.get(200, 0) >= 20 and refused >= BODIES_PER_ERA // 2, statuses


@pytest.mark.parametrize(
    ("system", "parameters"),
    [
        ('Reply in json: {"type": "object", "properties": 5}', None),
        ('Reply in json: {"type": "object", "properties": {"a": {"type": "array", "items": 7}}}', None),
        ("Reply in json.", {"type": "object", "properties": {"city": 1.5}, "required": "city"}),
    ],
)
async def test_schemas_the_model_cannot_read_get_an_answer(system: str, parameters: Any) -> None:
    """A schema written in the prompt, or a tool's parameters, that is not JSON Schema made the built-in
    model raise (a 500); now it answers in words, in JSON mode a JSON object, as a model would."""
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": parameters}}
    body: dict[str, Any] = {
        "model": "deepseek-chat",
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": "Weather in Paris?"}],
        "response_format": {"type": "json_object"},
        **({"tools": [tool]} if parameters else {}),
    }
    async with Simulator().http_client() as client:
        response = await client.post("/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert json.loads(response.json()["choices"][0]["message"]["content"]) == {"answer": "Weather in Paris?"}

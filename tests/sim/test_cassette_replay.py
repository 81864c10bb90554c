"""Replay: every request recorded in ``tests/data/cassettes`` gets, from the simulator, a response of the
recorded shape: the same keys and value types at every level, and for a stream the same kinds of chunk in
the same order. The simulator answers with the recorded words (scripted), in the era the recording
comes from, so only the wire shape is compared."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from sim_helpers import CASSETTES, sse_payloads

from agentkit.sim import Reply, Simulator

pytestmark = pytest.mark.anyio


def interactions() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(Path(CASSETTES).glob("*.yaml")):
        for index, interaction in enumerate(yaml.safe_load(path.read_text())["interactions"]):
            found.append((f"{path.stem}[{index}]", interaction))
    return found


def shape(value: Any) -> Any:
    """Keys and value types, recursively; a list is the shapes of its items."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, bool) or value is None:
        return repr(value) if value is None else "bool"
    return "number" if isinstance(value, int | float) else type(value).__name__


def recorded_reply(message: dict[str, Any]) -> Reply:
    calls = [(c["function"]["name"], c["function"]["arguments"]) for c in message.get("tool_calls") or ()]
    return Reply(content=message.get("content"), reasoning=message.get("reasoning_content"), tool_calls=calls)


def chunk_kinds(chunks: list[dict[str, Any]]) -> list[Any]:
    """Each run of chunks of the same shape, once, with the text values left out."""
    kinds = [shape(chunk) for chunk in chunks]
    return [kind for kind, _ in itertools.groupby(kinds)]


def era_of(fingerprint: str) -> str:
    return "deepseek-v4" if fingerprint.endswith("_20260402") else "deepseek-r1"


CASES = interactions()


@pytest.mark.parametrize("interaction", [c[1] for c in CASES], ids=[c[0] for c in CASES])
async def test_simulator_answers_each_recorded_request_in_the_recorded_shape(
    interaction: dict[str, Any],
) -> None:
    request, response = interaction["request"], interaction["response"]
    body = request["parsed_body"]
    if "parsed_body" in response:
        recorded = response["parsed_body"]
        events = None
        message = recorded["choices"][0]["message"]
    else:
        events = [p for p in sse_payloads(response["body"]["string"]) if isinstance(p, dict)]
        recorded = events[0]
        deltas = [e["choices"][0]["delta"] for e in events]
        message = {
            "content": "".join(d.get("content") or "" for d in deltas),
            "reasoning_content": "".join(d.get("reasoning_content") or "" for d in deltas),
        }
    sim = Simulator(era=era_of(recorded["system_fingerprint"]))  # type: ignore[arg-type]
    sim.script(recorded_reply(message))
    path = "/beta/chat/completions" if "/beta/" in request["uri"] else "/chat/completions"
    async with sim.http_client() as client:
        answer = await client.post(path, json=body)
    assert answer.status_code == response["status"]["code"], answer.text
    if events is None:
        assert shape(answer.json()) == shape(recorded)
        return
    chunks = [p for p in sse_payloads(answer.text) if isinstance(p, dict)]
    assert sse_payloads(answer.text)[-1] == "[DONE]"
    assert chunk_kinds(chunks) == chunk_kinds(events)

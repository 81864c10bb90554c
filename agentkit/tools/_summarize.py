"""Map-reduce summarisation of long text with the agent's own model.

A long page does not fit one request (and should not fill the agent's context), so the text is cut into
chunks on paragraph boundaries, each chunk is summarised on its own (concurrently, a few at a time), and
the partial summaries are combined, in rounds if they are still too long.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

import anyio

if TYPE_CHECKING:
    from agentkit._pricing import Pricing
    from agentkit._wire import ChatCompletion, ChatRequest, Message


class ChatClient(Protocol):
    """What summarising needs from a client: ``DeepSeekClient`` fits."""

    async def chat(self, request: ChatRequest) -> ChatCompletion: ...


class UsageSink(Protocol):
    """Where the summary requests' token usage is added (the run's ``RunUsage``)."""

    def add(self, usage: Any, *, cost: float = 0.0) -> None: ...


_MAP_PROMPT = (
    "You summarise part {index} of {total} of a longer text{focus}. Keep the facts, names, numbers and "
    "claims that matter; drop navigation, boilerplate and repetition. Write only the summary, in the "
    "text's language."
)
_REDUCE_PROMPT = (
    "You combine partial summaries of one text into a single coherent summary{focus}. Merge overlapping "
    "points, keep the facts, names and numbers, and write only the summary, in the text's language."
)
_MAX_ROUNDS = 4


def split_text(text: str, chunk_chars: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``chunk_chars``, on paragraph, then line, then hard boundaries."""
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        for line in paragraph.split("\n") if len(paragraph) > chunk_chars else [paragraph]:
            pieces.extend(line[i : i + chunk_chars] for i in range(0, max(len(line), 1), chunk_chars))
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if not piece.strip():
            continue
        if current and len(current) + 2 + len(piece) > chunk_chars:
            chunks.append(current)
            current = piece
        else:
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


async def summarize_text(
    client: ChatClient,
    model: str,
    text: str,
    *,
    focus: str = "",
    chunk_chars: int = 12_000,
    max_chunks: int = 24,
    max_concurrency: int = 4,
    usage: UsageSink | None = None,
    pricing: Pricing | None = None,
) -> str:
    """Summarise ``text`` with ``model``: one request if it fits a chunk, else map-reduce.

    Args:
        client: The client to call (the agent's own, from ``RunContext.client``).
        model: The model to ask (the agent's own, from ``RunContext.model``).
        text: The text to summarise.
        focus: What the summary should concentrate on, if anything.
        chunk_chars: The size of one chunk sent to the model.
        max_chunks: Text beyond this many chunks is left out (and the summary says so), to bound cost.
        max_concurrency: How many chunk requests run at once.
        usage: Where to add each request's token usage (the run's usage), if anywhere.
        pricing: Prices the requests' cost added to ``usage`` (none: the cost is not counted).
    """
    focus_note = f", focusing on: {focus}" if focus.strip() else ""
    chunks = split_text(text, chunk_chars)
    if not chunks:
        return "(nothing to summarise: the text is empty)"
    omitted = len(chunks) - max_chunks
    chunks = chunks[:max_chunks]
    limiter = anyio.CapacityLimiter(max_concurrency)

    async def ask(system: str, content: str) -> str:
        messages: list[Message] = [
            {"role": "system", "content": system},
            {"role": "user", "content": content},
        ]
        async with limiter:
            completion = await client.chat({"model": model, "messages": messages})
        if usage is not None and completion.usage is not None:
            cost = pricing.cost(completion.usage, datetime.now(timezone.utc)) if pricing else 0.0
            usage.add(completion.usage, cost=cost)
        if not completion.choices:
            return ""
        return (completion.choices[0].message.content or "").strip()

    async def map_all(system_for: list[str], contents: list[str]) -> list[str]:
        results = [""] * len(contents)

        async def one(i: int) -> None:
            results[i] = await ask(system_for[i], contents[i])

        async with anyio.create_task_group() as tg:
            for i in range(len(contents)):
                tg.start_soon(one, i)
        return results

    if len(chunks) == 1:
        summaries = await map_all([_MAP_PROMPT.format(index=1, total=1, focus=focus_note)], chunks)
    else:
        prompts = [
            _MAP_PROMPT.format(index=i + 1, total=len(chunks), focus=focus_note) for i in range(len(chunks))
        ]
        summaries = await map_all(prompts, chunks)
        for _ in range(_MAX_ROUNDS):
            groups = split_text("\n\n".join(s for s in summaries if s), chunk_chars)
            summaries = await map_all([_REDUCE_PROMPT.format(focus=focus_note)] * len(groups), groups)
            if len(summaries) <= 1:
                break
    summary = "\n\n".join(s for s in summaries if s) or "(the model returned an empty summary)"
    if omitted > 0:
        summary += (
            f"\n\n(Only the first {max_chunks} parts of the text were summarised; {omitted} were left out.)"
        )
    return summary

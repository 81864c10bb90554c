"""Faults the simulator can inject, per server (``Simulator.inject``) or per request (``X-Sim-Fault``).

A fault spec is ``kind[;key=value...]``; several are joined with commas, e.g.
``X-Sim-Fault: keepalive;seconds=0.5, drop;after=3``.

=============================  ===============================================================
kind                           effect
=============================  ===============================================================
429 / 500 / 503 / 402          that error status and body; ``retry_after=S`` adds a ``Retry-After``
                               header (DeepSeek documents none, so only when asked)
empty-body                     200 with an empty body (the overload symptom of early 2025)
latency;seconds=S              wait S seconds before answering
keepalive;seconds=S            S seconds of ``: keep-alive`` SSE comments (stream) or blank lines
                               (non-stream) before the answer, one every ``interval=`` seconds
drop;after=N                   the connection is cut after N SSE events (non-stream: mid-body)
stall;after=N;seconds=S        after N events the stream goes silent for S seconds, then closes
                               without finish_reason or ``[DONE]``
truncated-args                 the last tool call's arguments are cut off, finish_reason ``length``
invalid-args                   tool call arguments are not valid JSON
insufficient-system-resource   the answer stops half way with that finish_reason
=============================  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SimError

STATUS_FAULTS = {
    "402": "Insufficient Balance",
    "429": "Rate Limit Reached",
    "500": "Server Error",
    "503": "Server Overloaded",
}
KINDS = frozenset(
    {
        *STATUS_FAULTS,
        "empty-body",
        "latency",
        "keepalive",
        "drop",
        "stall",
        "truncated-args",
        "invalid-args",
        "insufficient-system-resource",
    }
)


@dataclass(frozen=True)
class Fault:
    kind: str
    params: dict[str, float] = field(default_factory=dict)

    def get(self, name: str, default: float) -> float:
        return self.params.get(name, default)

    def error(self) -> SimError | None:
        """The error response of a status fault, else None."""
        if self.kind not in STATUS_FAULTS:
            return None
        headers = {}
        if "retry_after" in self.params:
            headers["Retry-After"] = f"{self.params['retry_after']:g}"
        return SimError(int(self.kind), STATUS_FAULTS[self.kind], headers=headers)


def parse_faults(spec: str) -> list[Fault]:
    """Parse ``kind;key=value, kind...``; an unknown kind or a bad number is an error (400)."""
    faults = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        kind, *pairs = (p.strip() for p in item.split(";"))
        if kind not in KINDS:
            raise SimError(400, f"Unknown fault {kind!r}; known faults: {', '.join(sorted(KINDS))}")
        params: dict[str, float] = {}
        for pair in pairs:
            key, _, value = pair.partition("=")
            try:
                params[key.strip()] = float(value)
            except ValueError:
                raise SimError(400, f"Fault parameter {pair!r} needs a number") from None
        faults.append(Fault(kind, params))
    return faults


@dataclass
class _Armed:
    faults: list[Fault]
    times: int | None


class FaultQueue:
    """Server-wide faults, in the order they were injected: the first injection applies to the next
    ``times`` requests (``None``: until cleared), then the next one takes over. So ``inject("503")``
    twice fails two requests in a row; the faults of one spec (``"latency;seconds=1, 429"``) act together."""

    def __init__(self) -> None:
        self._armed: list[_Armed] = []

    def add(self, faults: list[Fault], times: int | None) -> None:
        if faults:
            self._armed.append(_Armed(list(faults), times))

    def clear(self) -> None:
        self._armed.clear()

    def take(self) -> list[Fault]:
        if not self._armed:
            return []
        head = self._armed[0]
        if head.times is not None:
            head.times -= 1
            if head.times <= 0:
                self._armed.pop(0)
        return list(head.faults)

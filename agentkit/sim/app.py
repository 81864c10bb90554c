"""The simulator: a DeepSeek-compatible ASGI app with scripted or default replies, faults and a cache.

Routes: ``POST /chat/completions`` (also under ``/v1`` and ``/beta``), ``POST /beta/completions`` (FIM),
``GET /models``, ``GET /user/balance``, and the admin routes ``POST/DELETE /_sim/faults`` for a
simulator running in another process.
"""

from __future__ import annotations

import inspect
import json
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .._secret import SIM_API_KEY as SIM_API_KEY
from .engine import Engine, Prepared
from .eras import ERAS, REASONING_CHECKS, Era, ReasoningCheck, model_ids
from .errors import ConnectionDropped, SimError
from .faults import Fault, FaultQueue, parse_faults
from .policy import Reply
from .render import DONE, KEEPALIVE, dumps
from .transport import StreamingASGITransport

ScriptItem = Reply | Callable[[dict[str, Any]], Reply | Awaitable[Reply]]


@dataclass(frozen=True)
class RecordedRequest:
    """A request as it arrived: ``body`` is the exact bytes, ``json`` the parsed body (None if invalid)."""

    path: str
    headers: dict[str, str]
    body: bytes
    json: dict[str, Any] | None


class Simulator:
    """A local DeepSeek: see the package docstring for the public surface."""

    def __init__(
        self,
        era: Era = "deepseek-v4",
        seed: int | None = None,
        reasoning_check: ReasoningCheck = "strict",
        api_keys: Sequence[str] = (SIM_API_KEY,),
        *,
        balance: str = "100.00",
        chunk_delay: float = 0.0,
    ) -> None:
        if era not in ERAS:
            raise ValueError(f"unknown era {era!r}; choose one of {', '.join(ERAS)}")
        if reasoning_check not in REASONING_CHECKS:
            raise ValueError(
                f"unknown reasoning_check {reasoning_check!r}; choose one of {', '.join(REASONING_CHECKS)}"
            )
        self.era: Era = era
        self.seed = seed
        """None: fresh ids on every response, as the real API gives; a number: the same ids on every run."""
        self.reasoning_check: ReasoningCheck = reasoning_check
        """``"with-tools"`` checks V4 requests only when they carry tools; ``"off"``: no reasoning checks
        (some live servers enforce none)."""
        self.api_keys = tuple(api_keys)
        self.balance = balance
        """The account's balance in CNY, as a string; at or below zero every chat request answers 402."""
        self.chunk_delay = chunk_delay
        """Seconds between streamed chunks (0: as fast as possible, still yielding to other tasks)."""
        self.requests: list[RecordedRequest] = []
        self._script: deque[ScriptItem] = deque()
        self._faults = FaultQueue()
        self._engine = Engine(self)
        chat, fim = self._chat, self._fim
        routes = [
            Route(f"{prefix}/chat/completions", chat, methods=["POST"]) for prefix in ("", "/v1", "/beta")
        ]
        routes += [
            Route(path, fim, methods=["POST"])
            for path in ("/beta/completions", "/completions", "/v1/completions")
        ]
        for prefix in ("", "/v1", "/beta"):
            routes.append(Route(f"{prefix}/models", self._models, methods=["GET"]))
            routes.append(Route(f"{prefix}/user/balance", self._balance, methods=["GET"]))
        routes.append(Route("/_sim/faults", self._admin_faults, methods=["POST", "DELETE"]))
        self.app = Starlette(routes=routes)

    # ------------------------------------------------------------------ test API

    def script(self, *items: ScriptItem) -> None:
        """Queue replies (or functions of the request dict) for the next chat requests, in order."""
        self._script.extend(items)

    def inject(self, fault: Fault | str, times: int | None = 1) -> None:
        """Apply a fault (a :class:`Fault` or a spec like ``"429;retry_after=2"``) to the next ``times``
        requests; ``times=None`` keeps it until :meth:`clear_faults`."""
        self._faults.add(parse_faults(fault) if isinstance(fault, str) else [fault], times)

    def clear_faults(self) -> None:
        self._faults.clear()

    def reset_cache(self) -> None:
        self._engine.cache.clear()

    def http_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` wired to this simulator in process (base URL ``http://sim``), with a
        valid key unless ``headers`` say otherwise."""
        headers = {"Authorization": f"Bearer {self.api_keys[0]}"} if self.api_keys else {}
        headers.update(kwargs.pop("headers", {}))
        kwargs.setdefault("base_url", "http://sim")
        return httpx.AsyncClient(transport=StreamingASGITransport(self.app), headers=headers, **kwargs)

    async def next_reply(self, request: dict[str, Any]) -> Reply | None:
        """The scripted reply for ``request``, or None when the script is empty."""
        if not self._script:
            return None
        item = self._script.popleft()
        if isinstance(item, Reply):
            return item
        result = item(request)
        if inspect.isawaitable(result):
            result = await result
        return result

    # ------------------------------------------------------------------ plumbing

    async def _receive(self, request: Request) -> tuple[bytes, list[Fault]]:
        raw = await request.body()
        try:
            parsed = json.loads(raw) if raw else None
        except (ValueError, RecursionError):
            parsed = None
        headers = {
            k: ("Bearer <redacted>" if k == "authorization" else v) for k, v in request.headers.items()
        }
        self.requests.append(
            RecordedRequest(request.url.path, headers, raw, parsed if isinstance(parsed, dict) else None)
        )
        faults = self._faults.take() + parse_faults(request.headers.get("x-sim-fault", ""))
        self._authorize(request)
        for fault in faults:
            error = fault.error()
            if error is not None:
                raise error
        return raw, faults

    def _authorize(self, request: Request) -> None:
        """DeepSeek's two 401 texts: a malformed header, or a key it does not know, shown masked
        (continuedev/continue #11820: ``Authentication Fails, Your api key: ****fcc2 is invalid``)."""
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key:
            raise SimError(401, "Authentication Fails (auth header format should be Bearer sk-...)")
        if key not in self.api_keys:
            raise SimError(401, f"Authentication Fails, Your api key: ****{key[-4:]} is invalid")

    async def _chat(self, request: Request) -> Response:
        try:
            raw, faults = await self._receive(request)
            prepared = await self._engine.chat(raw, beta=request.url.path.startswith("/beta"), faults=faults)
        except SimError as error:
            return _error_response(error)
        return await self._respond(prepared, faults)

    async def _fim(self, request: Request) -> Response:
        try:
            raw, faults = await self._receive(request)
            if not request.url.path.startswith("/beta"):
                raise SimError(
                    404, "FIM completion is a beta feature: use base_url https://api.deepseek.com/beta."
                )
            prepared = await self._engine.fim(raw)
        except SimError as error:
            return _error_response(error)
        return await self._respond(prepared, faults)

    async def _respond(self, prepared: Prepared, faults: list[Fault]) -> Response:
        for fault in faults:
            if fault.kind == "latency":
                await anyio.sleep(fault.get("seconds", 0.1))
        if any(f.kind == "empty-body" for f in faults):
            return Response(b"", media_type="application/json")
        keepalive = next((f for f in faults if f.kind == "keepalive"), None)
        drop = next((f for f in faults if f.kind == "drop"), None)
        stall = next((f for f in faults if f.kind == "stall"), None)
        if prepared.events is None:
            if keepalive is None and drop is None:
                return Response(dumps(prepared.body), media_type="application/json")
            return StreamingResponse(
                self._plain_body(prepared, keepalive, drop), media_type="application/json"
            )
        return StreamingResponse(
            self._sse(prepared.events, keepalive, drop, stall),
            media_type="text/event-stream; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    async def _keepalive(self, fault: Fault | None, line: str) -> AsyncIterator[str]:
        if fault is None:
            return
        seconds, interval = fault.get("seconds", 0.2), fault.get("interval", 0.05)
        deadline = anyio.current_time() + seconds
        yield line
        while anyio.current_time() + interval < deadline:
            await anyio.sleep(interval)
            yield line
        await anyio.sleep(max(0.0, deadline - anyio.current_time()))

    async def _plain_body(
        self, prepared: Prepared, keepalive: Fault | None, drop: Fault | None
    ) -> AsyncIterator[str]:
        async for line in self._keepalive(keepalive, "\n"):
            yield line
        text = dumps(prepared.body)
        if drop is not None:
            yield text[: len(text) // 2]
            raise ConnectionDropped
        yield text

    async def _sse(
        self, events: Iterable[str], keepalive: Fault | None, drop: Fault | None, stall: Fault | None
    ) -> AsyncIterator[str]:
        async for line in self._keepalive(keepalive, KEEPALIVE):
            yield line
        for count, event in enumerate(events):
            if drop is not None and count >= drop.get("after", 3):
                raise ConnectionDropped
            if stall is not None and count >= stall.get("after", 3):
                await anyio.sleep(stall.get("seconds", 1.0))
                return
            yield event
            await anyio.sleep(self.chunk_delay)
        yield DONE

    async def _models(self, request: Request) -> Response:
        try:
            await self._receive(request)
        except SimError as error:
            return _error_response(error)
        data = [{"id": name, "object": "model", "owned_by": "deepseek"} for name in model_ids(self.era)]
        return Response(dumps({"object": "list", "data": data}), media_type="application/json")

    async def _balance(self, request: Request) -> Response:
        try:
            await self._receive(request)
        except SimError as error:
            return _error_response(error)
        info = {
            "currency": "CNY",
            "total_balance": self.balance,
            "granted_balance": "0.00",
            "topped_up_balance": self.balance,
        }
        body = {"is_available": Decimal(self.balance) > 0, "balance_infos": [info]}
        return Response(dumps(body), media_type="application/json")

    async def _admin_faults(self, request: Request) -> Response:
        """``POST {"fault": "503", "times": 2}`` arms a fault; ``DELETE`` clears them all."""
        try:
            self._authorize(request)
            if request.method == "DELETE":
                self.clear_faults()
            else:
                body = json.loads(await request.body() or b"{}")
                self.inject(str(body.get("fault", "")), body.get("times", 1))
        except (SimError, ValueError, AttributeError, RecursionError) as error:
            return _error_response(error if isinstance(error, SimError) else SimError(400, str(error)))
        return Response(dumps({"ok": True}), media_type="application/json")


def _error_response(error: SimError) -> Response:
    if error.plain:
        return Response(error.message, status_code=error.status, media_type="text/plain; charset=utf-8")
    return Response(
        dumps(error.body()), status_code=error.status, media_type="application/json", headers=error.headers
    )

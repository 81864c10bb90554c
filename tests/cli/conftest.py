"""Run the CLI in-process (``main(argv)``) and capture what it prints."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from agentkit import _cli

SECRET = "sk-test-secret-0123456789abcdef"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    def run(*argv: str) -> Ran:
        try:
            code = _cli.main(list(argv))
        except SystemExit as exc:  # argparse: --help, usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """A stand-in DeepSeek server answering /models, /user/balance and /beta/completions.

    DEEPSEEK_API_KEY is set to ``SECRET``, so every test can check that the key is never printed.
    """
    monkeypatch.setenv("DEEPSEEK_API_KEY", SECRET)
    seen: list[httpx.Request] = []
    replies: dict[str, Any] = {
        "/models": {"object": "list", "data": [
            {"id": "deepseek-v4-flash", "object": "model", "owned_by": "deepseek"},
            {"id": "deepseek-v4-pro", "object": "model", "owned_by": "deepseek"}]},
        "/user/balance": {"is_available": True, "balance_infos": [
            {"currency": "CNY", "total_balance": "2.30", "granted_balance": "0.00",
             "topped_up_balance": "2.30"}]},
        "/beta/completions": {"id": "x", "object": "text_completion", "created": 1, "model": "deepseek-chat",
                              "choices": [{"index": 0, "text": "    return a + b", "finish_reason": "stop"}],
                              "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}},
    }

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("authorization") != f"Bearer {SECRET}":
            return httpx.Response(401, json={"error": {"message": f"Authentication Fails, Your api key: "
                                                       f"{request.headers.get('authorization')} is invalid",
                                                       "type": "authentication_error"}})
        return httpx.Response(200, json=replies[request.url.path])

    def client(api: _cli.API) -> Any:
        from agentkit._client import DeepSeekClient

        http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
        client = DeepSeekClient(api_key=api.api_key, base_url="https://fake.test", http_client=http)
        return _Closing(client, http)

    monkeypatch.setattr(_cli, "_client", client)
    return seen


class _Closing(contextlib.AbstractAsyncContextManager[Any]):
    def __init__(self, client: Any, http: httpx.AsyncClient) -> None:
        self.client, self.http = client, http

    async def __aenter__(self) -> Any:
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()


@pytest.fixture
def no_simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pretend the sim extra is not installed."""
    import sys

    monkeypatch.setitem(sys.modules, "agentkit.sim", None)
    yield


@pytest.fixture
def secret() -> str:
    return SECRET


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The simulator the CLI starts when there is no key, with a script the test fills in."""
    import agentkit.sim

    sim = agentkit.sim.Simulator(seed=0)
    monkeypatch.setattr(agentkit.sim, "Simulator", lambda **kwargs: sim)
    return sim

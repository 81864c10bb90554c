"""Shared test settings. Each area keeps its own fixtures in its folder's conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio unless a folder's conftest parametrises trio too."""
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_real_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never talk to the real API, whatever the developer's environment holds."""
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    monkeypatch.delenv("DEEPSEEK_BASE_URL", raising=False)

"""Where the examples run: DeepSeek when ``DEEPSEEK_API_KEY`` is set, otherwise the bundled simulator.

Every example prints which one on its first line. On the simulator, the example's agent and client read
``DEEPSEEK_BASE_URL`` and ``DEEPSEEK_API_KEY`` like they would for DeepSeek, so the example code is the
same either way: only this helper knows the difference.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def backend(**simulator_options: Any) -> Iterator[Any]:
    """Yield the running ``agentkit.sim.Simulator`` (``None`` on DeepSeek); print the first line."""
    if os.environ.get("DEEPSEEK_API_KEY"):
        base_url = os.environ.get("DEEPSEEK_BASE_URL", "https://api.deepseek.com")
        print(f"Running on DeepSeek ({base_url}): DEEPSEEK_API_KEY is set.", flush=True)
        yield None
        return
    from agentkit.sim import SIM_API_KEY, Simulator, serve

    sim = Simulator(**simulator_options)
    with serve(sim, host="127.0.0.1", port=0) as base_url:
        os.environ["DEEPSEEK_BASE_URL"] = base_url
        os.environ["DEEPSEEK_API_KEY"] = SIM_API_KEY
        print(f"Running on the bundled simulator ({base_url}): set DEEPSEEK_API_KEY to use DeepSeek.",
              flush=True)
        try:
            yield sim
        finally:
            del os.environ["DEEPSEEK_BASE_URL"], os.environ["DEEPSEEK_API_KEY"]

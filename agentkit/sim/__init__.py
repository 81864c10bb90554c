"""A local DeepSeek-compatible API server for tests, examples and the no-key quick start.

>>> sim = Simulator(era="deepseek-v4", seed=0)          # doctest: +SKIP
>>> sim.script(Reply(tool_calls=[("get_weather", {"city": "Paris"})]), Reply(content="Sunny."))
>>> async with sim.http_client() as http: ...           # in process
>>> with serve(sim) as base_url: ...                    # uvicorn on 127.0.0.1, a free port

Eras and model names: see :mod:`agentkit.sim.eras`; faults: :mod:`agentkit.sim.faults`.
"""

from __future__ import annotations

from .app import SIM_API_KEY, RecordedRequest, Simulator
from .eras import ERAS, Era
from .faults import Fault
from .policy import Reply
from .serve import main, serve

__all__ = ["ERAS", "SIM_API_KEY", "Era", "Fault", "RecordedRequest", "Reply", "Simulator", "main", "serve"]

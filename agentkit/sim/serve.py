"""Serving the simulator with uvicorn: in a background thread for tests, or as a command."""

from __future__ import annotations

import argparse
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from .app import SIM_API_KEY, Simulator
from .eras import ERAS
from .errors import ConnectionDropped


class _HideDrops(logging.Filter):
    """A ``drop`` fault cuts the connection by raising; that is the point, not a server error to log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


logging.getLogger("uvicorn.error").addFilter(_HideDrops())


@contextmanager
def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0, *, timeout: float = 10.0) -> Iterator[str]:
    """Run ``sim`` with uvicorn in a daemon thread; yields the base URL (``http://127.0.0.1:<port>``)."""
    config = uvicorn.Config(
        sim.app, host=host, port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="agentkit-sim", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the simulator did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout)


def main(argv: list[str] | None = None) -> int:
    """``python -m agentkit.sim [--host] [--port] [--seed] [--era] [--lenient]``: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="agentkit sim", description="Run the local DeepSeek simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=None, help="fixed ids and answers (default: fresh ids)")
    parser.add_argument("--era", choices=ERAS, default="deepseek-v4")
    parser.add_argument("--lenient", action="store_true", help="do not enforce the reasoning_content rules")
    args = parser.parse_args(argv)
    sim = Simulator(era=args.era, seed=args.seed, reasoning_check="off" if args.lenient else "strict")
    config = uvicorn.Config(sim.app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    original = server.startup

    async def startup(sockets: object = None) -> None:
        await original(sockets)  # type: ignore[arg-type]
        bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else args.port
        print(f"DeepSeek simulator ({args.era}) listening.", flush=True)
        print(f"  DEEPSEEK_BASE_URL=http://{args.host}:{bound}", flush=True)
        print(f"  DEEPSEEK_API_KEY={SIM_API_KEY}", flush=True)

    server.startup = startup  # type: ignore[method-assign]
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled: a normal stop
        server.run()
    return 0

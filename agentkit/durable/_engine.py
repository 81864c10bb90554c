"""DBOS, started once per process: the user's own configuration when they made one, else agentkit's.

DBOS is a process-wide singleton (``DBOS(config=...)`` then ``DBOS.launch()``). A program that configures
it itself keeps full control (database, executor id, logging, Conductor); agentkit then only launches it
if the program has not. Otherwise agentkit configures it on first use: the database is ``database_url``,
else DBOS's own ``DBOS_SYSTEM_DATABASE_URL``, else a local SQLite file (``~/.agentkit/durable.sqlite``).

A SQLite database is switched to write-ahead logging with ``synchronous=NORMAL``: a commit survives the
process being killed (``kill -9``) without an fsync per checkpoint, which costs ~18 ms on a typical disk
and would dominate a batch; only a power cut can lose the last moments' checkpoints (their requests are
made again). Use PostgreSQL for several machines.

Workflows must be registered before DBOS launches (its recovery of interrupted runs looks them up then),
so every ``DurableAgent`` must exist before the first durable run of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dbos._dbos as _dbos_module  # the one private name used: whether the program made its own DBOS
from dbos import DBOS, DBOSClient, DBOSConfig
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from .. import __version__
from .._errors import UserError
from .._pool import SYNC_LOOP

DEFAULT_DATABASE = Path("~/.agentkit/durable.sqlite")
APPLICATION = "agentkit"

_lock = threading.Lock()
_queues: list[str] = []
"""The queues of this process's durable agents: the only ones an agentkit-configured DBOS works on, so a
worker never takes a prompt it has no agent for."""
_ours: str | None = None
"""The database URL of the DBOS that agentkit configured in this process (None: none, or the user's)."""
_clients: dict[str, DBOSClient] = {}


class _QuietRunFailures(logging.Filter):
    """Drops DBOS's traceback of a failed run: its caller has the error (``DurableAgent.run`` raises it, a
    batch writes it in its answers), and a batch of failing prompts would print a page of it per prompt.
    That includes runs cut short by the process exiting: they resume at the next start. The same for a
    failed launch, which ``launch`` raises as a ``UserError``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(_QUIETED)


_QUIETED = ("Exception encountered in asynchronous workflow", "DBOS failed to launch")
_QUIET = _QuietRunFailures()


def database_url(given: str | None) -> str:
    """``given``, else ``$DBOS_SYSTEM_DATABASE_URL``, else the local SQLite file (its folder made)."""
    url = given or os.environ.get("DBOS_SYSTEM_DATABASE_URL")
    if url:
        return url
    path = DEFAULT_DATABASE.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"cannot make {path.parent} for the default database ({exc.strerror or exc}): give a "
            "database (--database or database_url: sqlite:///PATH or postgresql://...), or set "
            "DBOS_SYSTEM_DATABASE_URL"
        ) from exc
    return f"sqlite:///{path}"


def _instance() -> DBOS | None:
    instance: DBOS | None = getattr(_dbos_module, "_dbos_global_instance", None)
    return instance


def launched() -> bool:
    instance = _instance()
    return instance is not None and bool(getattr(instance, "_launched", False))


def register(queue: str) -> None:
    """Note a durable agent's queue; refused once DBOS runs (see the module docstring)."""
    if launched():
        raise UserError(
            "create every DurableAgent before the first durable run of the process (at import time): "
            "DBOS is already running, and it looks up interrupted runs' agents when it starts"
        )
    if queue not in _queues:
        _queues.append(queue)


def launch(given_url: str | None, executor_id: str | None = None) -> None:
    """Configure DBOS (unless the program did) and launch it (unless it runs); idempotent."""
    global _ours
    with _lock:
        instance = _instance()
        if instance is None:
            url = database_url(given_url)
            logging.getLogger("dbos").addFilter(_QUIET)  # a no-op when it has it
            try:
                DBOS(config=_config(url, executor_id))
                DBOS.listen_queues(_queues)
                DBOS.launch()
            except SQLAlchemyError as exc:
                DBOS.destroy()  # so that the corrected URL can be tried in this process
                raise _unusable(url, exc) from None
            _ours = url
        elif given_url is not None and (_ours is None or given_url != _ours):
            where = "by this program" if _ours is None else f"on {_redacted(_ours)}"
            raise UserError(
                f"DBOS is already configured in this process ({where}): one process uses one database, "
                "so pass the same database_url to every DurableAgent (or None to use that configuration)"
            )
        if not launched():
            DBOS.launch()


def _config(url: str, executor_id: str | None) -> DBOSConfig:
    config: DBOSConfig = {
        "name": APPLICATION,
        "system_database_url": url,
        "application_version": f"agentkit-{__version__}",
        "log_level": "WARNING",
    }
    if url.startswith("sqlite"):
        # One connection: the process's writers wait in turn, not in SQLite's busy handler; a file
        # connection never goes stale, so it is not pinged before each use.
        config["db_engine_kwargs"] = {
            "creator": _sqlite_connector(url), "pool_size": 1, "pool_pre_ping": False,
        }
    if executor_id:
        config["executor_id"] = executor_id
    return config


def shutdown() -> None:
    """Stop DBOS in this process (its worker threads end); interrupted runs resume at the next launch."""
    global _ours
    with _lock:
        if _instance() is not None:
            DBOS.destroy()
            _renew_default_executors()
        _ours = None
        for client in _clients.values():
            client.destroy()
        _clients.clear()


def _renew_default_executors() -> None:
    """DBOS makes its thread pool the default executor of each asyncio loop it works on and closes that
    pool when it stops, which would leave those loops unable to resolve a host name: give the loops that
    outlive it here (agentkit's background loop, the caller's) a pool of their own again."""
    loops = [SYNC_LOOP.loop] if SYNC_LOOP.alive() and SYNC_LOOP.loop is not None else []
    with contextlib.suppress(RuntimeError):
        loops.append(asyncio.get_running_loop())
    for loop in loops:
        loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="asyncio"))


def client(given_url: str | None) -> DBOSClient | None:
    """A DBOS client for a process that does not run DBOS (an HTTP handler deciding approvals): it talks
    to the database only, and never resumes anyone's runs. None when DBOS runs here (use it directly)."""
    if launched():
        return None
    url = database_url(given_url)
    with _lock:
        if url not in _clients:
            _clients[url] = DBOSClient(system_database_url=url)
        return _clients[url]


def _sqlite_connector(url: str) -> Callable[[], Any]:
    path = make_url(url).database or ""

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return connect


def _unusable(url: str, exc: SQLAlchemyError) -> UserError:
    try:
        where = f"the database {_redacted(url)}"
    except ArgumentError:
        where = "the database URL"
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return UserError(f"cannot use {where}: {reason} (give sqlite:///PATH or postgresql://USER@HOST/NAME, "
                     "and check that the database can be reached)")


def _redacted(url: str) -> str:
    """The URL without its password (it is printed in errors)."""
    return make_url(url).render_as_string(hide_password=True)


def on_asyncio() -> bool:
    """DBOS runs on asyncio; a trio caller hands its durable work to agentkit's background loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True

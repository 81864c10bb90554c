"""Sessions: where a conversation's messages live between runs (and across a crash of the process).

A session stores plain OpenAI-format message dicts, exactly as ``RunResult.messages`` holds them, including
``reasoning_content`` and ``tool_calls``. ``append`` is durable when it returns, so an agent that appends
after every completed step can be killed at any moment and resume with every step it finished.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

import anyio.to_thread

from ._errors import SessionError

_T = TypeVar("_T")


@runtime_checkable
class Session(Protocol):
    """Storage for one conversation's messages, in order."""

    async def load(self) -> list[dict[str, Any]]:
        """Every message appended so far, oldest first."""
        ...

    async def append(self, messages: list[dict[str, Any]]) -> None:
        """Add messages at the end; durable when this returns (all of them or none)."""
        ...

    async def clear(self) -> None:
        """Forget every message of this session."""
        ...


def _encode(message: dict[str, Any]) -> str:
    if not isinstance(message, dict):
        raise TypeError(f"a session stores message dicts, got {type(message).__name__}")
    # allow_nan=False: NaN is not JSON and would not load back in other tools.
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class InMemorySession:
    """A session in a Python list, for tests and short-lived programs.

    Messages are stored as JSON text, like ``SQLiteSession`` does, so both accept and return the same
    things and later changes to a caller's dicts never leak into the stored history.
    """

    def __init__(self) -> None:
        self._rows: list[str] = []

    async def load(self) -> list[dict[str, Any]]:
        return [json.loads(row) for row in self._rows]

    async def append(self, messages: list[dict[str, Any]]) -> None:
        self._rows.extend([_encode(m) for m in messages])

    async def clear(self) -> None:
        self._rows.clear()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS agentkit_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS agentkit_messages_session ON agentkit_messages (session_id, id);
"""


class SQLiteSession:
    """A session in an SQLite file (stdlib ``sqlite3``): one row per message, many sessions per file.

    Each call opens its own connection in a worker thread (``anyio.to_thread``), so the event loop never
    blocks on disk and nothing is left open between calls. The file uses WAL journaling with
    ``synchronous=FULL``: an ``append`` that returned survives a crash of the process (and of the machine).
    Readers and writers in other processes wait up to ``timeout`` seconds for a lock.
    """

    def __init__(self, path: str | Path, session_id: str = "default", *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.session_id = session_id
        self.timeout = timeout
        self._ready = False
        self._lock = threading.Lock()  # one writer per object; other processes are handled by SQLite's locks

    def __repr__(self) -> str:
        return f"SQLiteSession({str(self.path)!r}, session_id={self.session_id!r})"

    async def load(self) -> list[dict[str, Any]]:
        rows = await anyio.to_thread.run_sync(self._run, self._load)
        return [self._decode(row_id, text) for row_id, text in rows]

    def _decode(self, row_id: int, text: Any) -> dict[str, Any]:
        """One stored message; a row changed behind our back is named, not a raw JSON or type error."""
        try:
            message = json.loads(text)
        except (TypeError, ValueError) as exc:
            problem = f"is not JSON ({exc})"
        else:
            if isinstance(message, dict) and isinstance(message.get("role"), str):
                return message
            problem = f"holds {type(message).__name__} {str(message)[:60]!r}, not a message with a role"
        raise SessionError(
            f"session file {self.path}: row id={row_id} of session {self.session_id!r} {problem}; it was "
            "changed outside agentkit: fix or delete that row of agentkit_messages, or use another session"
        )

    async def append(self, messages: list[dict[str, Any]]) -> None:
        encoded = [_encode(m) for m in messages]
        if encoded:
            await anyio.to_thread.run_sync(self._run, lambda db: self._append(db, encoded))

    async def clear(self) -> None:
        await anyio.to_thread.run_sync(self._run, self._clear)

    # ------------------------------------------------------------------ worker-thread side

    def _load(self, db: sqlite3.Connection) -> list[tuple[int, Any]]:
        cursor = db.execute(
            "SELECT id, message FROM agentkit_messages WHERE session_id = ? ORDER BY id", (self.session_id,)
        )
        return [(row[0], row[1]) for row in cursor]

    def _append(self, db: sqlite3.Connection, encoded: list[str]) -> None:
        with db:  # one transaction: all of the messages or none
            db.executemany(
                "INSERT INTO agentkit_messages (session_id, message) VALUES (?, ?)",
                [(self.session_id, m) for m in encoded],
            )

    def _clear(self, db: sqlite3.Connection) -> None:
        with db:
            db.execute("DELETE FROM agentkit_messages WHERE session_id = ?", (self.session_id,))

    def _run(self, operation: Callable[[sqlite3.Connection], _T]) -> _T:
        """Open the file, run ``operation(db)``, close; SQLite errors become one clear SessionError."""
        with self._lock:
            try:
                db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level="DEFERRED")
            except sqlite3.Error as exc:
                raise SessionError(f"cannot open session file {self.path}: {exc} (check the path and its "
                                   f"permissions)") from exc
            try:
                if not self._ready:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(_SCHEMA)
                    self._ready = True
                db.execute("PRAGMA synchronous=FULL")
                return operation(db)
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise SessionError(
                        f"session file {self.path} is locked by another process (waited {self.timeout:g} s): "
                        "close the other program or use another file"
                    ) from exc
                raise SessionError(f"session file {self.path}: {exc}") from exc
            except sqlite3.DatabaseError as exc:
                raise SessionError(
                    f"session file {self.path} is not a readable SQLite database ({exc}): "
                    "move it aside or use another path"
                ) from exc
            finally:
                db.close()

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from agentkit._errors import SessionError
from agentkit._session import InMemorySession, Session, SQLiteSession

pytestmark = pytest.mark.anyio

CONVERSATION: list[dict[str, Any]] = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "杭州和北京的天气？ Ünïcödé, emoji 🌧️, quotes \" and \\ and a\nnewline"},
    {
        "role": "assistant",
        "content": "",
        "reasoning_content": "用户想知道两个城市的天气……我应该并行调用 get_weather。",
        "tool_calls": [
            {"id": "call_00_sXqYgMESDht75NCLLZtt9804", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"杭州\"}"}},
            {"id": "call_01_aaaaaaaaaaaaaaaaaaaaaaaa", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\":\"北京\"}"}},
        ],
    },
    {"role": "tool", "tool_call_id": "call_00_sXqYgMESDht75NCLLZtt9804", "content": "24°C, 小雨"},
    {"role": "tool", "tool_call_id": "call_01_aaaaaaaaaaaaaaaaaaaaaaaa", "content": "18°C, 晴"},
    {"role": "assistant", "content": "杭州 24°C 小雨；北京 18°C 晴。", "reasoning_content": None,
     "extra": {"nested": [1, 2.5, True, None, {"k": "v"}], "big": 2**62, "float": 0.1}},
]


@pytest.fixture(params=["memory", "sqlite"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Session:
    return InMemorySession() if request.param == "memory" else SQLiteSession(tmp_path / "s.db")


async def test_sessions_follow_the_protocol(session: Session) -> None:
    assert isinstance(session, Session)


async def test_round_trip_is_exact(session: Session) -> None:
    assert await session.load() == []
    await session.append(CONVERSATION[:2])
    await session.append(CONVERSATION[2:])
    loaded = await session.load()
    assert loaded == CONVERSATION
    assert json.dumps(loaded, ensure_ascii=False) == json.dumps(CONVERSATION, ensure_ascii=False)
    assert type(loaded[-1]["extra"]["big"]) is int
    assert loaded[2]["reasoning_content"] == CONVERSATION[2]["reasoning_content"]


async def test_stored_history_is_a_copy(session: Session) -> None:
    message = {"role": "user", "content": "hi"}
    await session.append([message])
    message["content"] = "changed"
    loaded = await session.load()
    loaded[0]["content"] = "changed too"
    assert await session.load() == [{"role": "user", "content": "hi"}]


async def test_append_nothing_and_clear(session: Session) -> None:
    await session.append([])
    await session.append(CONVERSATION)
    await session.clear()
    assert await session.load() == []
    await session.append(CONVERSATION[:1])
    assert await session.load() == CONVERSATION[:1]


async def test_messages_that_are_not_json_are_refused_whole(session: Session) -> None:
    await session.append(CONVERSATION[:1])
    with pytest.raises(TypeError):
        await session.append([{"role": "user", "content": "ok"}, {"role": "user", "content": object()}])
    with pytest.raises(ValueError):
        await session.append([{"role": "tool", "content": float("nan")}])
    with pytest.raises(TypeError, match="message dicts"):
        await session.append(["not a dict"])  # type: ignore[list-item]
    assert await session.load() == CONVERSATION[:1]


async def test_several_session_ids_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    alice, bob = SQLiteSession(path, "alice"), SQLiteSession(path, session_id="bob")
    await alice.append(CONVERSATION[:2])
    await bob.append(CONVERSATION[1:2])
    await alice.append(CONVERSATION[2:3])
    await bob.clear()
    await bob.append(CONVERSATION[3:4])
    assert await alice.load() == CONVERSATION[:3]
    assert await bob.load() == CONVERSATION[3:4]
    assert await SQLiteSession(path).load() == []  # "default"


async def test_one_row_per_message_stored_as_readable_json(tmp_path: Path) -> None:
    path = tmp_path / "rows.db"
    await SQLiteSession(path, "s1").append(CONVERSATION)
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT session_id, message FROM agentkit_messages ORDER BY id").fetchall()
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.close()
    assert len(rows) == len(CONVERSATION)
    assert {r[0] for r in rows} == {"s1"}
    assert "杭州" in rows[1][1]  # not \u-escaped
    assert mode == "wal"


async def test_history_survives_a_new_object(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    await SQLiteSession(path, "chat").append(CONVERSATION)
    assert await SQLiteSession(str(path), "chat").load() == CONVERSATION


async def test_concurrent_appends_keep_each_batch_whole(tmp_path: Path) -> None:
    session = SQLiteSession(tmp_path / "concurrent.db")
    batches = [[{"role": "user", "content": f"{i}-{j}"} for j in range(3)] for i in range(20)]
    async with anyio.create_task_group() as tg:
        for batch in batches:
            tg.start_soon(session.append, batch)
    loaded = await session.load()
    assert len(loaded) == 60
    chunks = [loaded[k : k + 3] for k in range(0, 60, 3)]
    assert sorted(chunks, key=lambda c: int(c[0]["content"].split("-")[0])) == batches


async def test_corrupt_file_gives_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not an sqlite database at all" * 100)
    with pytest.raises(SessionError, match=r"is not a readable SQLite database .*move it aside"):
        await SQLiteSession(path).load()


async def test_unopenable_path_gives_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="cannot open session file"):
        await SQLiteSession(tmp_path / "missing-dir" / "s.db").load()


async def test_locked_file_gives_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    session = SQLiteSession(path, timeout=0.05)
    await session.append(CONVERSATION[:1])
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(SessionError, match=r"is locked by another process \(waited 0.05 s\)"):
            await session.append(CONVERSATION[1:2])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await session.append(CONVERSATION[1:2])
    assert await session.load() == CONVERSATION[:2]


WRITER = """
import sys, anyio
from agentkit._session import SQLiteSession

async def main() -> None:
    session = SQLiteSession(sys.argv[1], "crash")
    i = 0
    while True:
        await session.append([{"role": "user", "content": f"message {i} · 消息"}])
        print(i, flush=True)
        i += 1

anyio.run(main)
"""


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_killed_process_loses_nothing_already_appended(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acknowledged = [int(proc.stdout.readline()) for _ in range(25)]
    os.kill(proc.pid, signal.SIGKILL)  # no chance to flush or close anything
    proc.wait()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    loaded = await SQLiteSession(path, "crash").load()
    contents = [m["content"] for m in loaded]
    assert contents[:25] == [f"message {i} · 消息" for i in acknowledged]
    assert contents == [f"message {i} · 消息" for i in range(len(contents))]  # nothing torn, in order

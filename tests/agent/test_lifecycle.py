"""Long-lived agents: one connection pool per agent and event loop, reused run after run (async and
``run_sync``), closed by ``async with`` / ``aclose``; a user's own client is never closed; an agent never
closed leaks nothing and warns about nothing. TCP connections are counted on the server side, over real
loopback sockets (the client port of each request the simulator receives)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from agentkit import Agent, DeepSeekClient, tool
from agentkit.sim import SIM_API_KEY, Reply, Simulator, serve

from .conftest import HeldTool


@tool
def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


class CountingSimulator(Simulator):
    """The simulator, noting the client port (one per TCP connection) of every request it serves."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ports: list[int] = []
        app = self.app

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope.get("client"):
                self.ports.append(scope["client"][1])
            await app(scope, receive, send)

        self.app = counting  # type: ignore[assignment]


@pytest.fixture
def served() -> Iterator[tuple[CountingSimulator, str]]:
    sim = CountingSimulator(era="deepseek-v4")
    with serve(sim) as base_url:
        yield sim, base_url


def on(base_url: str, **kwargs: Any) -> Agent[Any, Any]:
    return Agent(model="deepseek-v4-flash", tools=[lookup], base_url=base_url, api_key=SIM_API_KEY, **kwargs)


def script_runs(sim: Simulator, runs: int) -> None:
    for _ in range(runs):
        sim.script(Reply(tool_calls=[("lookup", {"key": "a"})]), Reply(content="a is known."))


@pytest.mark.anyio
async def test_sequential_runs_share_connections(served: tuple[CountingSimulator, str]) -> None:
    sim, base_url = served
    script_runs(sim, 5)
    async with on(base_url) as agent:
        for _ in range(5):
            assert (await agent.run("Look up a.")).output == "a is known."
    assert len(sim.ports) == 10  # 5 runs of 2 requests
    assert len(set(sim.ports)) <= 2


def test_sequential_run_sync_calls_share_connections(served: tuple[CountingSimulator, str]) -> None:
    sim, base_url = served
    script_runs(sim, 5)
    agent = on(base_url)
    for _ in range(5):
        assert agent.run_sync("Look up a.").output == "a is known."
    assert len(sim.ports) == 10
    assert len(set(sim.ports)) <= 2


@pytest.mark.anyio
async def test_aclose_closes_the_pool_and_twice_is_harmless(served: tuple[CountingSimulator, str]) -> None:
    sim, base_url = served
    script_runs(sim, 2)
    agent = on(base_url)
    await agent.run("Look up a.")
    await agent.aclose()
    await agent.aclose()
    await agent.run("Look up a.")  # a closed agent opens a new pool when used again
    await agent.aclose()
    assert len(set(sim.ports)) == 2  # the first connection was closed, not reused


@pytest.mark.anyio
async def test_closing_the_agent_never_closes_the_client_under_a_run(
    served: tuple[CountingSimulator, str],
) -> None:
    """A request handler's ``async with agent`` ends while another task's run waits on its tool: the
    run goes on with its client, closed when it ends; the next run gets a new one."""
    sim, base_url = served
    slow = HeldTool("slow")
    sim.script(Reply(tool_calls=[("slow", {"key": "b"})]), Reply(content="b is known."))
    script_runs(sim, 1)
    agent = Agent(model="deepseek-v4-flash", tools=[slow.tool, lookup], base_url=base_url,
                  api_key=SIM_API_KEY)
    outputs: list[str] = []

    async def long_run() -> None:
        outputs.append((await agent.run("Look up b.")).output)

    async with anyio.create_task_group() as group:
        group.start_soon(long_run)
        await slow.started.wait()
        async with agent:  # another task's block, ended while the run is in its tool call
            pass
        slow.release.set()
    assert outputs == ["b is known."]
    assert (await agent.run("Look up a.")).output == "a is known."
    assert len(sim.ports) == 4 and len(set(sim.ports[:2])) == 1  # one connection for the long run,
    assert not set(sim.ports[2:]) & set(sim.ports[:2])  # closed after it: the next run opened another
    await agent.aclose()


@pytest.mark.anyio
async def test_nested_blocks_keep_the_connections_until_the_outermost_ends(
    served: tuple[CountingSimulator, str],
) -> None:
    sim, base_url = served
    script_runs(sim, 2)
    agent = Agent(model="deepseek-v4-flash", tools=[lookup], base_url=base_url, api_key=SIM_API_KEY)
    async with agent:
        async with agent:  # e.g. a helper that uses the agent as a context manager itself
            assert (await agent.run("Look up a.")).output == "a is known."
        assert (await agent.run("Look up a.")).output == "a is known."
    assert len(sim.ports) == 4 and len(set(sim.ports)) == 1  # one connection, not closed by the inner block


@pytest.mark.anyio
async def test_a_users_http_client_is_used_as_given_and_never_closed(
    served: tuple[CountingSimulator, str],
) -> None:
    sim, base_url = served
    script_runs(sim, 2)
    async with httpx.AsyncClient() as http:
        async with on(base_url, http_client=http) as agent:
            await agent.run("Look up a.")
        assert not http.is_closed
        async with on(
            base_url, client=DeepSeekClient(api_key=SIM_API_KEY, base_url=base_url, http_client=http)
        ) as a:
            await a.run("Look up a.")
        assert not http.is_closed
    assert len(set(sim.ports)) == 1


def test_each_event_loop_gets_its_own_pool(served: tuple[CountingSimulator, str]) -> None:
    """Connections never cross loops: three ``anyio.run`` calls, three connections; and the clients of
    loops that have ended are dropped rather than kept for ever."""
    sim, base_url = served
    script_runs(sim, 3)
    agent = on(base_url)
    for backend in ("asyncio", "trio", "asyncio"):
        anyio.run(agent.run, "Look up a.", backend=backend)
    assert len(set(sim.ports)) == 3
    assert len(agent._pool._clients) == 1  # only the last loop's, which ended when it is next used


CHILD = textwrap.dedent(
    """
    import sys, warnings
    warnings.simplefilter("error")
    from agentkit import Agent
    from agentkit.sim import SIM_API_KEY, Reply, Simulator, serve

    sim = Simulator(era="deepseek-v4")
    with serve(sim) as url:
        sim.script(Reply(content="one"), Reply(content="two"))
        agent = Agent(model="deepseek-v4-flash", base_url=url, api_key=SIM_API_KEY)
        print(agent.run_sync("1").output, agent.run_sync("2").output)
    """
)


ASYNC_CHILD = textwrap.dedent(
    """
    import asyncio, gc, warnings
    warnings.simplefilter("error")
    from agentkit import Agent
    from agentkit.sim import SIM_API_KEY, Reply, Simulator, serve

    async def main(url):
        agent = Agent(model="deepseek-v4-flash", base_url=url, api_key=SIM_API_KEY)
        print((await agent.run("1")).output, end=" ")
        dropped = Agent(model="deepseek-v4-flash", base_url=url, api_key=SIM_API_KEY)
        print((await dropped.run("2")).output)
        del dropped  # garbage-collected while the loop still runs: its connections close on that loop
        gc.collect()
        await asyncio.sleep(0.1)

    sim = Simulator(era="deepseek-v4")
    with serve(sim) as url:
        sim.script(Reply(content="one"), Reply(content="two"))
        asyncio.run(main(url))  # never closed: the loop's shutdown closes the agent's connections
    """
)


TRIO_CHILD = ASYNC_CHILD.replace("import asyncio,", "import trio,").replace("asyncio.sleep", "trio.sleep")
TRIO_CHILD = TRIO_CHILD.replace("asyncio.run(main(url))", "trio.run(main, url)")


@pytest.mark.parametrize(
    "child", [CHILD, ASYNC_CHILD, TRIO_CHILD], ids=["run_sync", "asyncio.run", "trio.run"]
)
def test_an_agent_never_closed_neither_warns_nor_fails_at_exit(tmp_path: Any, child: str) -> None:
    """On either transport: aiohttp warns about every session left open, httpx leaves sockets open (on
    trio too, whose run ends without closing them)."""
    script = tmp_path / "child.py"
    script.write_text(child)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "one two\n"
    assert done.stderr == ""


@pytest.mark.anyio
async def test_agents_send_through_aiohttp_on_asyncio_and_httpx_on_trio(anyio_backend: str) -> None:
    from httpx_aiohttp import AiohttpTransport

    from agentkit._transport import make_http_client

    async with make_http_client(httpx.Timeout(5.0)) as http:
        on_aiohttp = isinstance(http._transport, AiohttpTransport)
    assert on_aiohttp == (anyio_backend == "asyncio")


@pytest.mark.anyio
async def test_run_sync_inside_a_running_loop_uses_the_background_loop(
    served: tuple[CountingSimulator, str],
) -> None:
    sim, base_url = served
    script_runs(sim, 2)
    agent = on(base_url)
    first = await anyio.to_thread.run_sync(agent.run_sync, "Look up a.")
    second = agent.run_sync("Look up a.")  # blocks this loop's thread, but never nests a loop
    assert first.output == second.output == "a is known."
    assert len(set(sim.ports)) == 1


REENTRANT_CHILD = textwrap.dedent(
    """
    from agentkit import Agent, UserError, tool
    from agentkit.sim import SIM_API_KEY, Reply, Simulator, serve

    sim = Simulator(era="deepseek-v4")
    with serve(sim) as url:
        helper = Agent(model="deepseek-v4-flash", base_url=url, api_key=SIM_API_KEY)

        @tool
        async def ask(question: str) -> str:
            \"\"\"Ask the helper.\"\"\"
            return helper.run_sync(question).output  # on the loop that runs this very tool

        @tool
        def ask_blocking(question: str) -> str:
            \"\"\"Ask the helper, from a worker thread.\"\"\"
            return helper.run_sync(question).output

        agent = Agent(model="deepseek-v4-flash", tools=[ask, ask_blocking], base_url=url, api_key=SIM_API_KEY)
        sim.script(Reply(tool_calls=[("ask", {"question": "hi"})]))
        try:
            agent.run_sync("go")
        except UserError as exc:
            print(exc)
        sim.script(Reply(tool_calls=[("ask_blocking", {"question": "hi"})]), Reply(content="hello"),
                   Reply(content="the helper says hello"))
        print(agent.run_sync("go").output)
    """
)


def test_run_sync_inside_a_run_of_run_sync_says_what_to_do_instead_of_hanging(tmp_path: Any) -> None:
    """An async tool (hook, callback) of a ``run_sync`` run runs on the background loop: a ``run_sync``
    there would wait for that loop, which waits for it. A blocking tool runs in a worker thread: fine."""
    script = tmp_path / "child.py"
    script.write_text(REENTRANT_CHILD)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "run_sync was called on agentkit's background loop, from async code of a run that run_sync started "
        "(a tool, hook or callback): use 'await agent.run(...)' there",
        "the helper says hello",
    ]


def test_threads_each_running_their_own_loop_share_an_agent(served: tuple[CountingSimulator, str]) -> None:
    """A threaded server calling ``asyncio.run(agent.run(...))`` per request: each thread's new loop finds
    the clients of loops that have ended and drops them. Two threads doing so at once must not both drop
    the same one (a ``KeyError`` ended one of the runs). A loop that is slow to say it is closed holds
    both threads at that point, so they always meet there."""
    sim, base_url = served
    script_runs(sim, 3)
    agent = on(base_url)
    meeting = threading.Barrier(2)

    class SlowToTell(asyncio.SelectorEventLoop):
        def is_closed(self) -> bool:
            closed = super().is_closed()
            if closed and threading.current_thread().name.startswith("request"):
                with contextlib.suppress(threading.BrokenBarrierError):
                    meeting.wait(timeout=5)
            return closed

    ended = SlowToTell()
    assert ended.run_until_complete(agent.run("Look up a.")).output == "a is known."
    ended.close()
    outputs: list[str] = []

    def request() -> None:
        outputs.append(asyncio.run(agent.run("Look up a.")).output)

    threads = [threading.Thread(target=request, name=f"request {n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outputs == ["a is known.", "a is known."]

"""Security checks that tests/client, tests/cli and tests/ready_tools do not already make: the key through
a whole agent run (every logger at DEBUG, reprs, errors, the SQLite file, the CLI as a real process),
the web guard under combined bypasses and when the model drives it, the files guard against dangling
and chained links, and approval through the Agent for the ready tools. Each fails without its guard.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fault_rig import Canned, Rig, assert_consistent

from agentkit._agent import Agent
from agentkit._errors import AuthenticationError, UserError
from agentkit._session import SQLiteSession
from agentkit._tool import tool
from agentkit.sim import SIM_API_KEY, Reply, Simulator
from agentkit.tools import _netguard, files, shell, web  # type: ignore[import-not-found]
from agentkit.tools._netguard import AddressPolicy  # type: ignore[import-not-found]

pytestmark = pytest.mark.anyio

KEY = "sk-reliability-7f3a9c1e5b2d8f4a6c0e"
"""A key distinctive enough that any trace of it (or of its secret part) is found."""


def leaked(text: str) -> bool:
    return KEY in text or KEY[3:] in text


@tool
def echo(text: str) -> str:
    """Echo the text."""
    return text


def keyed(rig: Rig, *replies: Reply) -> None:
    """The rig's server, now accepting only ``KEY``; by default a tool call, then an answer."""
    rig.sim = Simulator(api_keys=(KEY,))
    rig.gate.reset(rig.sim)
    rig.sim.script(*replies or (Reply(tool_calls=[("echo", {"text": "hi"})]), Reply(content="Said hi.")))


def unauthorized_echoing_the_key() -> Canned:
    message = f"Authentication Fails, Your api key: Bearer {KEY} is invalid"
    body = {"error": {"message": message, "type": "authentication_error", "param": None, "code": None}}
    return Canned(401, json.dumps(body).encode())


# --------------------------------------------------------------------------- the API key


async def test_the_key_is_in_no_log_record_at_debug(
    rig: Rig, stream: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Every logger (agentkit, httpx, the transport's, the server) at DEBUG over retries, tools and an
    error."""
    keyed(rig)
    rig.gate.fault_at[1] = "503"
    rig.gate.canned_at[3] = unauthorized_echoing_the_key()  # 0 tool call, 1 503, 2 retry: answer
    agent = rig.agent(tools=[echo], client=rig.client(api_key=KEY))
    with caplog.at_level(logging.DEBUG):
        first = await rig.run(agent, "Say hi.", stream=stream)
        failed = await rig.run(agent, "Again.", stream=stream)
    assert first.output == "Said hi." and isinstance(failed.error, AuthenticationError)
    records = caplog.records
    assert any(r.name == "agentkit" for r in records) and any(r.name == "httpx" for r in records)
    if rig.transport == "httpx":
        assert any(r.name.startswith("httpcore") for r in records)
    for record in records:
        text = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        assert not leaked(text), f"{record.name}: {text}"


async def test_the_key_is_in_no_error_result_or_session_file(rig: Rig, tmp_path: Path) -> None:
    keyed(rig)
    rig.gate.canned_at[2] = unauthorized_echoing_the_key()
    session = SQLiteSession(tmp_path / "chat.db")
    agent = rig.agent(tools=[echo], client=rig.client(api_key=KEY))
    done = await rig.run(agent, "Say hi.", stream=False, session=session)
    failed = await rig.run(agent, "Again.", stream=True, session=session)
    error = failed.error
    assert isinstance(error, AuthenticationError)
    assert "Authentication Fails" in str(error)  # the server's message is kept, the key is not
    for text in (
        str(error),
        repr(error),
        repr(error.body),
        repr(error.messages),
        "".join(traceback.format_exception(error)),
        repr(done),
        repr(done.messages),
        repr(session),
    ):
        assert not leaked(text), text
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("chat.db"))
    assert b"Said hi." in stored  # the file holds the conversation...
    assert KEY.encode() not in stored and KEY[3:].encode() not in stored  # ...and never the key


def test_the_key_is_in_no_agent_repr() -> None:
    agent: Agent[Any, Any] = Agent("deepseek-v4-flash", api_key=KEY, tools=[echo])
    assert not leaked(repr(agent))
    assert not leaked(repr(vars(agent)))


def run_cli(url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEEPSEEK_")}
    env.update(DEEPSEEK_API_KEY=KEY, DEEPSEEK_BASE_URL=url)
    command = [sys.executable, "-m", "agentkit", "run", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def test_the_cli_json_output_never_shows_the_key(rig: Rig) -> None:
    """The CLI as a real process on a server that knows the key: a tool run printed as JSON."""
    keyed(rig, Reply(tool_calls=[("calculate", {"expression": "6*7"})]), Reply(content="It is 42."))
    done = run_cli(rig.url, "What is 6*7?", "--tools", "math", "--json", "--model", "deepseek-v4-flash")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["output"] == "It is 42." and result["simulated"] is False  # the key went to the server
    assert result["tool_calls"][0]["result"] == "42"
    assert not leaked(done.stdout + done.stderr)


def test_the_cli_debug_error_never_shows_the_key_even_when_the_server_echoes_it(rig: Rig) -> None:
    keyed(rig)
    rig.gate.canned_at[0] = unauthorized_echoing_the_key()
    done = run_cli(rig.url, "Say hi.", "--json", "--debug")
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "Authentication Fails" in done.stderr
    assert not leaked(done.stdout + done.stderr)


# --------------------------------------------------------------------------- the web guard

PUBLIC = "93.184.216.34"


class Network:
    """Fake DNS and a fake network that would answer anything: only the guard stops a request."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, handler: Callable[[httpx.Request], httpx.Response]):
        self.answers: dict[str, list[str]] = {"public.test": [PUBLIC]}
        self.sent: list[httpx.Request] = []
        self.handler = handler
        monkeypatch.setattr(_netguard, "_getaddrinfo", self.resolve)

    async def resolve(self, host: str, port: int, **kwargs: Any) -> list[Any]:
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [
            (family[ipaddress.ip_address(ip).version], socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in self.answers[host]
        ]

    @property
    def transport(self) -> httpx.MockTransport:
        def record(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            return self.handler(request)

        return httpx.MockTransport(record)

    def settings(self) -> web.WebSettings:
        return web.WebSettings(fetch=web.FetchOptions(policy=AddressPolicy.build(), transport=self.transport))


def redirect_to(location: str) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC:
            return httpx.Response(302, headers={"location": location})
        return httpx.Response(200, text="internal data")

    return handle


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "which carries 169.254.169.254"),
        ("http://[::ffff:a9fe:a9fe]/", "which carries 169.254.169.254"),
        ("http://2130706433:8080/", "127.0.0.1 is a loopback"),
        ("http://017700000001/", "127.0.0.1 is a loopback"),
        ("http://mixed.test/", "mixed.test (10.0.0.5) is a private address"),
        ("http://six.test/", "which carries 127.0.0.1"),
        ("/hop", "mixed.test (10.0.0.5) is a private address"),
    ],
)
async def test_a_redirect_cannot_reach_a_private_address_in_any_spelling(
    monkeypatch: pytest.MonkeyPatch, location: str, reason: str
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/hop":  # a second hop, to a name with one private address among public ones
            return httpx.Response(301, headers={"location": "http://mixed.test/"})
        return redirect_to(location)(request)

    network = Network(monkeypatch, handle)
    network.answers["mixed.test"] = [PUBLIC, "93.184.216.35", "10.0.0.5"]
    network.answers["six.test"] = ["2606:4700:4700::1111", "::ffff:127.0.0.1"]
    with pytest.raises(web.WebError) as caught:
        await web.fetch_page("http://public.test/start", network.settings())
    assert reason in str(caught.value)
    assert all(r.url.host == PUBLIC for r in network.sent), [str(r.url) for r in network.sent]


async def test_a_crawl_cannot_be_redirected_to_a_private_address(monkeypatch: pytest.MonkeyPatch) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.url.host == PUBLIC and request.url.path == "/":
            return httpx.Response(200, html='<a href="/next">next</a>', headers={"content-type": "text/html"})
        return httpx.Response(302, headers={"location": "http://public.test/internal"})

    network = Network(monkeypatch, handle)
    network.answers["public.test"] = [PUBLIC, "127.0.0.1"]  # rebinding-style: one answer is loopback
    result = await web.crawl_pages("http://public.test/", settings=network.settings())
    assert result.pages == []
    assert all(r.url.host == PUBLIC for r in network.sent)


async def test_the_model_cannot_make_the_web_tool_reach_a_private_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through the Agent: the refusal is the tool's answer to the model, and no request goes out."""
    network = Network(monkeypatch, lambda r: httpx.Response(200, text="internal data"))
    sim = Simulator()
    urls = ["http://[::ffff:127.0.0.1]:2375/containers/json", "http://2852039166/", "http://0x7f.1/"]
    sim.script(Reply(tool_calls=[("fetch_url", {"url": url}) for url in urls]), Reply(content="Blocked."))
    async with sim.http_client() as http:
        tools = web.toolset(transport=network.transport)
        agent: Agent[Any, Any] = Agent(
            "deepseek-v4-flash", tools=tools, http_client=http, api_key=SIM_API_KEY
        )
        result = await agent.run("Fetch these.")
    answers = [m["content"] for m in result.messages if m["role"] == "tool"]
    assert ["loopback" in answers[0], "link-local" in answers[1], "loopback" in answers[2]] == [True] * 3
    assert network.sent == []


# --------------------------------------------------------------------------- the files guard


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("TOP SECRET")
    return tmp_path / "root"


def file_tools(root: Path) -> dict[str, Any]:
    return {t.name: t for t in files.toolset(root)}


async def test_a_dangling_link_cannot_create_a_file_outside(root: Path) -> None:
    (root / "new.txt").symlink_to(root.parent / "outside" / "created.txt")
    (root / "dir").symlink_to(root.parent / "outside" / "made", target_is_directory=True)
    for path in ("new.txt", "dir/file.txt", "dir/sub/file.txt"):
        with pytest.raises(files.FilesError, match="leads outside the root"):
            await file_tools(root)["write_file"].call({"path": path, "content": "pwned"})
    assert sorted(p.name for p in (root.parent / "outside").iterdir()) == ["secret.txt"]


async def test_a_chain_of_links_cannot_lead_outside(root: Path) -> None:
    (root / "hop2").symlink_to("../outside")  # relative, escaping
    (root / "hop1").symlink_to("hop2")  # relative, looks harmless
    (root / "deep").mkdir()
    (root / "deep" / "hop0").symlink_to("../hop1/secret.txt")
    tools = file_tools(root)
    for path in ("hop1/secret.txt", "deep/hop0", "./hop1/./secret.txt"):
        with pytest.raises(files.FilesError, match="leads outside the root"):
            await tools["read_file"].call({"path": path})
    with pytest.raises(files.FilesError, match="leads outside the root"):
        await tools["delete_file"].call({"path": "hop1/secret.txt"})
    assert (root.parent / "outside" / "secret.txt").read_text() == "TOP SECRET"


async def test_a_link_outside_cannot_be_deleted_through_a_folder_link(root: Path) -> None:
    """``out/back`` resolves inside the root (``back`` points at a root file), but the link is outside."""
    (root / "keep.txt").write_text("keep me")
    (root.parent / "outside" / "back").symlink_to(root / "keep.txt")
    (root / "out").symlink_to(root.parent / "outside", target_is_directory=True)
    with pytest.raises(files.FilesError, match="leads outside the root"):
        await file_tools(root)["delete_file"].call({"path": "out/back"})
    assert (root.parent / "outside" / "back").is_symlink() and (root / "keep.txt").exists()


# --------------------------------------------------------------------------- approval, through the Agent


def refuse(name: str, arguments: dict[str, Any]) -> bool:
    return False


def explode(name: str, arguments: dict[str, Any]) -> bool:
    raise RuntimeError("the approval prompt crashed")


@pytest.mark.parametrize("approve", [refuse, explode], ids=["refused", "approval-crashed"])
async def test_ready_tools_needing_approval_never_run_without_it(
    root: Path, stream: bool, approve: Callable[[str, dict[str, Any]], bool]
) -> None:
    (root / "keep.txt").write_text("keep me")
    sim = Simulator()
    sim.script(
        Reply(
            tool_calls=[
                ("write_file", {"path": "pwned.txt", "content": "x"}),
                ("delete_file", {"path": "keep.txt"}),
                ("run_command", {"command": f"touch {root / 'touched'}"}),
                ("read_file", {"path": "keep.txt"}),  # needs no approval: runs
            ]
        ),
        Reply(content="Nothing done."),
    )
    async with sim.http_client() as http:
        agent: Agent[Any, Any] = Agent(
            "deepseek-v4-flash",
            tools=[*files.toolset(root), *shell.toolset(cwd=root)],
            approve=approve,
            http_client=http,
            api_key=SIM_API_KEY,
        )
        try:
            if stream:
                messages = [e async for e in agent.run_stream("Do it.")][-1].result.messages  # type: ignore[union-attr]
            else:
                messages = (await agent.run("Do it.")).messages
        except UserError as exc:  # a crashed approval stops the run (the application's bug)
            assert approve is explode and "the approval prompt crashed" in str(exc)
            messages = None
    if messages is not None:
        assert approve is refuse
        assert_consistent(messages)
        answers = [m["content"] for m in messages if m["role"] == "tool"]
        assert all("keep me" not in a for a in answers[:3]) and "keep me" in answers[3]
    assert sorted(p.name for p in root.iterdir()) == ["keep.txt"]
    assert (root / "keep.txt").read_text() == "keep me"

"""parse_arguments -> call -> serialize, context injection, threads, and the tool staying a function."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import threading
from typing import Any

import anyio
import pytest
from inline_snapshot import snapshot
from pydantic import BaseModel, field_serializer

from agentkit import RunContext, Tool, tool


class Deps(BaseModel):
    user: str


class Item(BaseModel):
    name: str
    qty: int = 1


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


# --------------------------------------------------------------------------- still the function


def test_sync_tool_stays_sync_and_keeps_metadata() -> None:
    @tool
    def add(a: int, b: int = 2) -> int:
        """Add two numbers."""
        return a + b

    assert add(1) == 3 and add(1, b=5) == 6
    assert add.__name__ == "add" and add.__doc__ == "Add two numbers."
    assert isinstance(add, Tool) and not add.is_async
    assert repr(add) == "<Tool 'add'>"


def test_tool_of_a_tool_rebuilds_with_new_options() -> None:
    @tool
    def ping() -> str:
        return "pong"

    renamed = tool(name="ping2", strict=True)(ping)
    assert renamed.name == "ping2" and renamed.strict and renamed() == "pong"
    assert ping.name == "ping" and not ping.strict


def test_options_are_kept() -> None:
    @tool(timeout=5, retries=2, requires_approval=True, sequential=True, max_result_chars=10)
    def f() -> None: ...

    assert (f.timeout, f.retries, f.requires_approval, f.sequential, f.max_result_chars) == (
        5,
        2,
        True,
        True,
        10,
    )


# --------------------------------------------------------------------------- parse_arguments


@tool
def order(item: Item, size: Size = Size.SMALL, when: datetime.date | None = None) -> str:
    return item.name


def test_parse_arguments_validates_and_fills_defaults() -> None:
    values = order.parse_arguments('{"item": {"name": "茶", "qty": "2"}, "when": "2026-01-02"}')
    assert values == {"item": Item(name="茶", qty=2), "size": Size.SMALL, "when": datetime.date(2026, 1, 2)}


def test_parse_arguments_accepts_empty_text_and_double_encoded_json() -> None:
    @tool
    def now() -> str:
        return "12:00"

    assert now.parse_arguments("") == {} and now.parse_arguments("  ") == {}
    assert order.parse_arguments('"{\\"item\\": {\\"name\\": \\"tea\\"}}"')["item"] == Item(name="tea")
    assert order.parse_arguments({"item": {"name": "tea"}})["item"] == Item(name="tea")


def test_parameter_names_that_shadow_basemodel_attributes() -> None:
    @tool
    def odd(json: str, model_config: int, schema: bool, _private: str = "p") -> str:
        return f"{json}{model_config}{schema}{_private}"

    assert list(odd.schema["function"]["parameters"]["properties"]) == [
        "json",
        "model_config",
        "schema",
        "_private",
    ]
    values = odd.parse_arguments('{"json": "j", "model_config": 1, "schema": true}')
    assert values == {"json": "j", "model_config": 1, "schema": True, "_private": "p"}


# --------------------------------------------------------------------------- call


@pytest.mark.anyio
async def test_async_tool_is_awaited_on_the_event_loop() -> None:
    seen: list[int] = []

    @tool
    async def where() -> str:
        seen.append(threading.get_ident())
        return "here"

    assert await where.call({}) == "here"
    assert seen == [threading.get_ident()]


@pytest.mark.anyio
async def test_sync_tool_runs_in_a_worker_thread() -> None:
    seen: list[int] = []

    @tool
    def where() -> str:
        seen.append(threading.get_ident())
        return "there"

    assert await where.call({}) == "there"
    assert seen and seen[0] != threading.get_ident()


@pytest.mark.anyio
async def test_limiter_bounds_concurrent_sync_calls() -> None:
    lock = threading.Lock()
    running = [0, 0]  # now, most at once
    gate = threading.Event()

    @tool
    def slow() -> None:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        gate.wait(0.05)
        with lock:
            running[0] -= 1

    limiter = anyio.CapacityLimiter(2)
    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(lambda: slow.call({}, limiter=limiter))
    assert 1 <= running[1] <= 2


@pytest.mark.anyio
async def test_exceptions_propagate_unchanged() -> None:
    error = ValueError("no such city")

    @tool
    def sync_fail() -> None:
        raise error

    @tool
    async def async_fail() -> None:
        raise error

    for failing in (sync_fail, async_fail):
        with pytest.raises(ValueError) as caught:
            await failing.call({})
        assert caught.value is error


@pytest.mark.anyio
async def test_context_is_passed_and_kept_out_of_the_schema() -> None:
    @tool
    def greet(ctx: RunContext[Deps], greeting: str = "hi") -> str:
        return f"{greeting} {ctx.deps.user} ({ctx.tool_name})"

    @tool
    async def bare(greeting: str, ctx: RunContext) -> str:  # type: ignore[type-arg]
        return f"{greeting} {ctx.deps}"

    assert greet.takes_context and bare.takes_context
    assert greet.schema["function"]["parameters"] == snapshot(
        {
            "type": "object",
            "properties": {"greeting": {"type": "string", "default": "hi"}},
            "additionalProperties": False,
        }
    )
    assert list(bare.schema["function"]["parameters"]["properties"]) == ["greeting"]
    ctx = RunContext(deps=Deps(user="Ada"), tool_name="greet")
    assert await greet.call(greet.parse_arguments("{}"), ctx) == "hi Ada (greet)"
    assert await bare.call(bare.parse_arguments('{"greeting": "yo"}'), RunContext(deps=3)) == "yo 3"


@pytest.mark.anyio
async def test_context_annotation_imported_only_for_type_checking() -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from agentkit import RunContext\n"
        "def who(ctx: RunContext[str], shout: bool = False) -> str:\n"
        "    return ctx.deps.upper() if shout else ctx.deps\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    who = tool(namespace["who"])
    assert who.takes_context
    assert list(who.schema["function"]["parameters"]["properties"]) == ["shout"]
    assert await who.call(who.parse_arguments('{"shout": true}'), RunContext(deps="ada")) == "ADA"


@pytest.mark.anyio
async def test_positional_only_and_keyword_only_parameters() -> None:
    @tool
    def f(a: int, /, b: int, *, c: int = 3) -> list[int]:
        return [a, b, c]

    assert await f.call(f.parse_arguments('{"a": 1, "b": 2}')) == [1, 2, 3]


@pytest.mark.anyio
async def test_local_model_under_string_annotations() -> None:
    class Local(BaseModel):
        n: int

    @tool
    def f(x: Local) -> int:
        return x.n

    assert await f.call(f.parse_arguments('{"x": {"n": 4}}')) == 4


# --------------------------------------------------------------------------- serialize


@dataclasses.dataclass
class Reading:
    city: str
    at: datetime.datetime


def test_serialize() -> None:
    @tool
    def f() -> None: ...

    when = datetime.datetime(2026, 1, 2, 3, 4, 5)
    assert f.serialize("plain text, as is") == "plain text, as is"
    assert f.serialize({"城市": "杭州", "temp": 21.5}) == '{"城市":"杭州","temp":21.5}'
    assert f.serialize(Item(name="tea")) == '{"name":"tea","qty":1}'
    assert f.serialize([Reading("北京", when)]) == '[{"city":"北京","at":"2026-01-02T03:04:05"}]'
    assert f.serialize(None) == "null"
    assert f.serialize(Size.LARGE) == '"l"'
    assert f.serialize({1, 2}) in ("[1,2]", "[2,1]")


def test_serialize_falls_back_to_text() -> None:
    @tool
    def f() -> None: ...

    class Broken(BaseModel):
        secret: str

        @field_serializer("secret")
        def _refuse(self, value: str) -> str:
            raise ValueError("not serialisable")

    assert f.serialize(Broken(secret="s")) == "secret='s'"  # pydantic cannot: the value's text
    assert f.serialize([object]) == "[\"<class 'object'>\"]"  # unknown objects: their text


def test_serialize_caps_the_size() -> None:
    @tool(max_result_chars=10)
    def f() -> None: ...

    assert f.serialize("x" * 10) == "x" * 10
    assert f.serialize("abcdefghijklmnop") == snapshot(
        "abcdefghij\n[truncated: showing the first 10 of 16 characters]"
    )

    @tool
    def g() -> None: ...

    assert len(g.serialize("y" * 50_000)) == 20_000 + len(
        "\n[truncated: showing the first 20000 of 50000 characters]"
    )


@pytest.mark.anyio
async def test_cancelling_a_blocking_call_does_not_wait_for_its_thread() -> None:
    release = threading.Event()

    @tool
    def stuck() -> str:
        release.wait(5)
        return "done"

    started = anyio.current_time()
    with anyio.move_on_after(0.2):
        await stuck.call({})
    waited = anyio.current_time() - started
    release.set()
    assert waited < 2, f"the cancelled call waited {waited:.1f}s for its thread"

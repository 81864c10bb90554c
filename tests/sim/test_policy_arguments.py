"""The default policy's arguments: read from the request by each parameter's kind, valid for the schema."""

from __future__ import annotations

import json
import random
from typing import Any, Literal

import jsonschema
import pytest
from hypothesis import given, settings, strategies as st
from sim_helpers import CLOCK, WEATHER, user

from agentkit import Agent, tool
from agentkit.sim import SIM_API_KEY, Simulator
from agentkit.sim.arguments import Reading
from agentkit.sim.policy import default_reply
from agentkit.sim.schema_values import plan
from agentkit.tools import clock, files, math, shell, web

READY = [*clock.toolset().schemas, *math.toolset().schemas]


@tool
async def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Get the current weather for a city.

    Args:
        city: City name, e.g. "Hangzhou".
        unit: Temperature unit.
    """
    return f"{city}: 21 degrees {unit.upper()}"


def calls(text: str, tools: list[Any], seed: int = 0, **body: Any) -> list[tuple[str, dict[str, Any]]]:
    request = {"messages": [user(text)], "tools": tools, **body}
    reply = default_reply(request, thinking=False, seed=seed)
    return [(name, args if isinstance(args, dict) else json.loads(args)) for name, args in reply.tool_calls]


def test_time_in_tokyo_and_a_power_of_two_with_the_ready_tools() -> None:
    assert calls("What time is it in Tokyo and what is 2**10?", READY) == [
        ("now", {"timezone": "Asia/Tokyo"}),
        ("calculate", {"expression": "2**10"}),
    ]


def test_the_answer_names_the_results() -> None:
    question = "What time is it in Tokyo and what is 2**10?"
    first = default_reply({"messages": [user(question)], "tools": READY}, thinking=False, seed=0)
    assistant = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, (n, a) in enumerate(first.tool_calls)
        ],
    }
    results = ["2026-05-01T21:00:00+09:00 (Friday, Asia/Tokyo, JST, UTC+09:00)", "1024"]
    tools = [{"role": "tool", "tool_call_id": f"call_{i}", "content": r} for i, r in enumerate(results)]
    request = {"messages": [user(question), assistant, *tools], "tools": READY}
    answer = default_reply(request, thinking=False, seed=0)
    assert answer.tool_calls == ()
    assert answer.content == f"In Tokyo it is {results[0]}; 2**10 = 1024."


def test_the_agent_runs_the_ready_tools_on_the_simulator() -> None:
    sim = Simulator()
    agent = Agent(
        model="deepseek-chat",
        tools=[clock.toolset(), math.toolset()],
        http_client=sim.http_client(),
        base_url="http://sim",
        api_key=SIM_API_KEY,
    )
    result = agent.run_sync("What time is it in Tokyo and what is 2**10?")
    assert "Error" not in result.output
    assert result.output.startswith("In Tokyo it is ") and "Asia/Tokyo" in result.output
    assert result.output.endswith("; 2**10 = 1024.")


def test_one_call_per_city_and_the_optional_unit_left_out() -> None:
    assert calls("Weather in Hangzhou and Beijing?", [get_weather.schema, *READY]) == [
        ("get_weather", {"city": "Hangzhou"}),
        ("get_weather", {"city": "Beijing"}),
    ]


def test_each_thing_goes_to_the_tool_named_before_it() -> None:
    assert calls("Weather in Paris and the time in New York?", [WEATHER, CLOCK]) == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {"timezone": "America/New_York"}),
    ]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Compute (3+4)*5 please", [("calculate", {"expression": "(3+4)*5"})]),
        ("What is sqrt(16)?", [("calculate", {"expression": "sqrt(16)"})]),
        ("What is 12 times 7?", [("calculate", {"expression": "12 * 7"})]),
        (
            "What is 3+4, and 2^8?",
            [("calculate", {"expression": "3+4"}), ("calculate", {"expression": "2**8"})],
        ),
        ("What time is it?", [("now", {})]),
        ("Current time in São Paulo", [("now", {"timezone": "America/Sao_Paulo"})]),
        ("What time is it in Atlantis?", [("now", {})]),
        (
            "Time in London and Berlin?",
            [("now", {"timezone": "Europe/London"}), ("now", {"timezone": "Europe/Berlin"})],
        ),
        (
            "How many days between 2025-01-01 and 2025-03-01?",
            [("date_difference", {"start": "2025-01-01", "end": "2025-03-01"})],
        ),
        (
            "Convert 2025-03-14T09:30 from Tokyo to Paris time",
            [
                (
                    "convert_time",
                    {
                        "time": "2025-03-14T09:30",
                        "from_timezone": "Asia/Tokyo",
                        "to_timezone": "Europe/Paris",
                    },
                )
            ],
        ),
    ],
)
def test_math_spans_and_time_zones(question: str, expected: list[Any]) -> None:
    assert calls(question, READY) == expected


def test_urls_paths_and_commands() -> None:
    tools = [*web.toolset().schemas, *files.toolset(root=".").schemas, *shell.toolset().schemas]
    assert calls("Fetch https://example.com/docs.", tools) == [
        ("fetch_url", {"url": "https://example.com/docs"})
    ]
    assert calls("Read the file notes/todo.txt", tools) == [("read_file", {"path": "notes/todo.txt"})]
    assert calls("Run `ls -la` for me", tools) == [("run_command", {"command": "ls -la"})]


def test_an_optional_enum_is_sent_when_the_request_names_it() -> None:
    schema = {
        "type": "function",
        "function": {
            "name": "get_forecast",
            "description": "Get the weather forecast for a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "days": {"type": "integer", "minimum": 1, "maximum": 7, "default": 1},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
                },
                "required": ["city"],
            },
        },
    }
    assert calls("Forecast for Oslo, 3 days, in fahrenheit", [schema]) == [
        ("get_forecast", {"city": "Oslo", "days": 3, "unit": "fahrenheit"})
    ]
    assert calls("Forecast for Oslo", [schema]) == [("get_forecast", {"city": "Oslo"})]


def test_a_later_step_comes_after_the_results() -> None:
    lookup = {
        "type": "function",
        "function": {
            "name": "lookup_customer",
            "description": "Look up a customer by email address.",
            "parameters": {
                "type": "object",
                "properties": {"email": {"type": "string"}},
                "required": ["email"],
            },
        },
    }
    final = {
        "type": "function",
        "function": {
            "name": "final_result",
            "description": "Give your final answer by calling this tool.",
            "parameters": {
                "type": "object",
                "properties": {"urgency": {"enum": ["low", "normal", "urgent"], "type": "string"}},
                "required": ["urgency"],
            },
        },
    }
    question = "Look up ops@shipfast.example, then give your final answer. This is urgent!"
    assert calls(question, [lookup, final]) == [("lookup_customer", {"email": "ops@shipfast.example"})]
    call = {"id": "c", "type": "function", "function": {"name": "lookup_customer", "arguments": "{}"}}
    messages = [
        user(question),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c", "content": '{"plan": "pro"}'},
    ]
    reply = default_reply({"messages": messages, "tools": [lookup, final]}, thinking=False, seed=0)
    assert list(reply.tool_calls) == [("final_result", {"urgency": "urgent"})]


SCHEMAS = [
    *READY,
    *web.toolset().schemas,
    *files.toolset(root=".").schemas,
    *shell.toolset().schemas,
    get_weather.schema,
    WEATHER,
    CLOCK,
]
WORDS = [
    "Tokyo", "New York", "Paris", "2**10", "(1+2)/3", "sqrt(2)", "https://example.com/a", "src/main.py",
    "2025-03-14", "2025-03-14T09:30", "3", "-7", "4.5", "days", "pages", "'quoted text'", "weather", "time",
    "in", "and", "what", "is", "?", ",", "UTC", "Europe/Berlin", "user@example.com", "run", "`echo hi`",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=12), st.integers(0, 2**32))
def test_arguments_always_validate_against_the_schema(words: list[str], seed: int) -> None:
    text = " ".join(words)
    vocabulary = frozenset({"weather", "time"})
    for schema in SCHEMAS:
        function = schema["function"]
        filled = plan(function, Reading(text, vocabulary), random.Random(seed))
        for arguments in filled.calls(lambda thing: True):
            jsonschema.validate(arguments, function["parameters"], format_checker=jsonschema.FormatChecker())


def test_deterministic_per_seed() -> None:
    search = {
        "type": "function",
        "function": {
            "name": "book",
            "description": "Book a trip to a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "id": {"type": "string", "format": "uuid"}},
                "required": ["city", "id"],
            },
        },
    }
    first = calls("Book a trip to Lisbon and Oslo", [search], seed=7)
    assert first == calls("Book a trip to Lisbon and Oslo", [search], seed=7)
    assert [a["city"] for _, a in first] == ["Lisbon", "Oslo"]
    other = calls("Book a trip to Lisbon and Oslo", [search], seed=8)
    assert [a["city"] for _, a in other] == ["Lisbon", "Oslo"] and other != first


def test_every_tool_the_request_names_is_called() -> None:
    local_time = {
        "type": "function",
        "function": {
            "name": "get_local_time",
            "description": "Get the current local time in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    assert calls("What is the weather and the local time in Hangzhou?", [get_weather.schema, local_time]) == [
        ("get_weather", {"city": "Hangzhou"}),
        ("get_local_time", {"city": "Hangzhou"}),
    ]

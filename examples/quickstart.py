"""Quick start: an agent with a few tools that the model calls in parallel.

    python examples/quickstart.py

Runs on DeepSeek when DEEPSEEK_API_KEY is set, otherwise on the bundled simulator (first line says which).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from _backend import backend

from agentkit import Agent, tool

FORECASTS = {"hangzhou": "light rain, 18 °C", "beijing": "sunny, 11 °C", "shanghai": "cloudy, 16 °C"}
CHINA = timezone(timedelta(hours=8), "CST")


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    Args:
        city: City name, e.g. "Hangzhou".
    """
    return FORECASTS.get(city.lower(), "no forecast for that city")


@tool
def get_local_time(city: str) -> str:
    """Get the current local time in a city.

    Args:
        city: City name, e.g. "Beijing".
    """
    zone = CHINA if city.lower() in FORECASTS else timezone.utc
    return datetime.now(zone).strftime("%H:%M %Z")


def main() -> None:
    with backend():
        agent = Agent(
            model="deepseek-chat",
            tools=[get_weather, get_local_time],
            instructions="You are a concise assistant. Use the tools; call them in parallel when you can.",
        )
        result = agent.run_sync("What is the weather and the local time in Hangzhou?")

        for message in result.messages:
            calls = message.get("tool_calls") or []
            if calls:
                print(f"{len(calls)} tool call(s) in one model response, run concurrently:")
            for call in calls:
                print(f"  tool call: {call['function']['name']}({call['function']['arguments']})")
        print(f"answer: {result.output}")
        usage = result.usage
        print(
            f"usage: {usage.requests} requests, {usage.prompt_tokens} prompt tokens "
            f"({usage.cache_hit_ratio:.0%} from cache), {usage.completion_tokens} completion tokens, "
            f"cost ${usage.cost:.6f}"
        )


if __name__ == "__main__":
    main()

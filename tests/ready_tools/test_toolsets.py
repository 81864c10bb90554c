"""What the CLI's ``--tools web,files,shell,math,clock`` relies on: ``agentkit.tools.<name>.toolset()``."""

from __future__ import annotations

import importlib

import pytest
from inline_snapshot import snapshot

NAMES = ["web", "files", "shell", "math", "clock"]


def test_every_toolset_builds_with_safe_defaults() -> None:
    tools = {}
    for name in NAMES:
        toolset = importlib.import_module(f"agentkit.tools.{name}").toolset()
        tools[name] = {tool.name: tool.requires_approval for tool in toolset}
    assert tools == snapshot(
        {
            "web": {"fetch_url": False, "crawl_site": False, "summarize_url": False},
            "files": {
                "list_files": False,
                "read_file": False,
                "search_files": False,
                "write_file": True,
                "delete_file": True,
            },
            "shell": {"run_command": True},
            "math": {"calculate": False},
            "clock": {"now": False, "convert_time": False, "add_to_date": False, "date_difference": False},
        }
    )


@pytest.mark.parametrize("name", NAMES)
def test_every_tool_and_parameter_is_described_for_the_model(name: str) -> None:
    for tool in importlib.import_module(f"agentkit.tools.{name}").toolset():
        function = tool.schema["function"]
        assert len(function.get("description", "")) > 30, tool.name
        for parameter, schema in function["parameters"]["properties"].items():
            assert schema.get("description"), f"{tool.name}.{parameter}"


def test_no_generic_top_level_tools_module_is_needed() -> None:
    import agentkit.tools.math as math_tool

    assert math_tool.__name__ == "agentkit.tools.math"
    assert importlib.import_module("math").__name__ == "math"  # the stdlib is not shadowed

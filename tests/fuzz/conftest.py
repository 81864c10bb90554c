"""The fuzz tests check the message invariant of the fault suite (``tests/faults/fault_rig.py``)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Invariant = Callable[[list[dict[str, Any]]], None]


@pytest.fixture(scope="session")
def assert_consistent() -> Invariant:
    """``assert_consistent(messages)``: every tool call answered once, in order; no half message."""
    module = sys.modules.get("fault_rig")
    if module is None:
        path = Path(__file__).resolve().parent.parent / "faults" / "fault_rig.py"
        spec = importlib.util.spec_from_file_location("fault_rig", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["fault_rig"] = module
        spec.loader.exec_module(module)
    check: Invariant = module.assert_consistent
    return check

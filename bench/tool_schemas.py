"""How long building the schemas of 128 distinct tools with nested models takes (target: well under 100 ms).

Each tool is its own function (name, Google docstring, a nested-model parameter, a Literal, defaults).
Timed: decorating all 128 (signature, docstring, JSON Schema, normalisation), non-strict and strict,
plus the Toolset and the bytes the client would send. Two cases, both printed:
- shared: the tools' nested models come from a pool of 16 model pairs (how applications look): about
  30 ms non-strict, 40 ms strict;
- worst: every tool has its own pair of nested models (256 new model classes), so nothing can be reused:
  about 53 ms non-strict, 66 ms strict. Most of it is describing models never seen before; our
  ``_jsonschema.SchemaGenerator`` (a subclass of pydantic's public generator that names definitions
  directly and skips pydantic's de-duplication pass, checked byte for byte against pydantic's output)
  makes that about 3.5x cheaper per model. The rest is docstrings, signatures, normalisation and the
  strict transform.
Creating the user's model classes is the user's import cost and is reported apart; argument validators
are built on first use. Wall time and CPU time (CPU time is steadier on a busy machine).
Run: .venv/bin/python bench/tool_schemas.py
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any, Literal

from pydantic import BaseModel, create_model

from agentkit import Toolset, tool

N = 128
ROUNDS = 5

SOURCE = '''
def search_{i}(query: str, filters: Outer, limit: int = 10, mode: Literal["fast", "exact"] = "fast") -> str:
    """Search collection {i}.

    Looks through every record of collection {i}.

    Args:
        query: Words to look for.
        filters: What the records must match.
        limit: Most results to return.
        mode: Trade recall for speed.
    """
    return query
'''


def make_functions(round_no: int, pool: int = N) -> tuple[list[Any], float]:
    started = time.perf_counter()
    namespaces = []
    for i in range(pool):
        inner = create_model(
            f"Inner{round_no}_{i}", name=(str, ...), weight=(float, 1.0), tags=(list[str], [])
        )
        outer = create_model(
            f"Outer{round_no}_{i}", inner=(inner, ...), items=(list[inner], []), note=(str | None, None)
        )
        namespaces.append({"Outer": outer, "Literal": Literal, "BaseModel": BaseModel})
    models_ms = (time.perf_counter() - started) * 1000
    functions = []
    for i in range(N):
        namespace = dict(namespaces[i % pool])
        exec(SOURCE.format(i=i), namespace)
        functions.append(namespace[f"search_{i}"])
    return functions, models_ms


def build(functions: list[Any], *, strict: bool) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    toolset = Toolset(*[tool(strict=strict)(f) for f in functions])
    wire = json.dumps(toolset.schemas, ensure_ascii=False, separators=(",", ":"))
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, len(wire)


def main() -> None:
    print(
        f"{N} distinct tools with nested models, median of {ROUNDS} rounds (fresh functions and models each)"
    )
    round_no = 0
    for case, pool in (("shared", 16), ("worst", N)):
        for strict in (False, True):
            walls, cpus, model_times = [], [], []
            size = 0
            for _ in range(ROUNDS):
                round_no += 1
                functions, models_ms = make_functions(round_no, pool)
                wall, cpu, size = build(functions, strict=strict)
                walls.append(wall)
                cpus.append(cpu)
                model_times.append(models_ms)
            label = f"{case}, {'strict' if strict else 'non-strict'}"
            wall, cpu = statistics.median(walls), statistics.median(cpus)
            print(
                f"  {label:>18}: {wall:6.1f} ms wall, {cpu:6.1f} ms CPU "
                f"({wall / N * 1000:5.0f} us per tool); 'tools' = {size:,} bytes; "
                f"user's {2 * pool} model classes: {statistics.median(model_times):.0f} ms; "
                f"target < 100 ms {'met' if cpu < 100 else 'NOT met'}"
            )


if __name__ == "__main__":
    main()

"""Hostile input to the ready tools (issue 11, round 2 of the adversarial review): arguments a model, or a
file, page or command it controls, could use to freeze the process, burn CPU after a timeout, leak a
secret or crash a listing. Each test fails without its fix; what could freeze runs in a child process
with a deadline, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import pytest
from agentkit.tools.math import MathError, evaluate  # type: ignore[import-not-found]
from fault_rig import in_child

pytestmark = pytest.mark.anyio

# --------------------------------------------------------------------------- item 7: math CPU


def test_an_expression_cannot_buy_a_minute_of_cpu_within_its_length_limit() -> None:
    """37 modular powers of 10,000 bits fit in 1,000 characters, ~2.2 s each: the whole expression's
    work is now estimated before each operation runs, and refused past the budget."""
    printed = in_child(
        """
        from agentkit.tools.math import MathError, evaluate
        expensive = [
            "pow(3, 2**9999-1, 2**9999-1)",  # the review's: ~2.2 s each
            "pow(2**9999-1, -1, 3**6300)",  # a modular inverse of 10,000 bits: ~15 ms each
            "comb(5000, 2500)",  # ~1.5 ms each
            "round(2**9999, -9999)",
            "(2**9999-1) % 3**6000",
            "gcd(3**6300, 2**9999-1)",
        ]
        for term in expensive:
            expression = "+".join([term] * (1000 // (len(term) + 1)))
            try:
                evaluate(expression)
                print("computed")
            except MathError as exc:
                print(exc)
        """,
        timeout=20,
    )
    outcomes = printed.splitlines()
    assert outcomes[0].startswith("the expression needs too much computation (over 50,000,000 steps, at pow)")
    assert len(outcomes) == 6


def test_one_affordable_modular_power_still_computes() -> None:
    assert evaluate("pow(3, 2**2047 - 1, 2**2048 - 1)") == pow(3, 2**2047 - 1, 2**2048 - 1)


@pytest.mark.parametrize("expression", ["2(3)", "(2+3)(4)", "2.5(1)", "(1)(2)(3)", "-2(3)"])
def test_calling_a_number_is_an_error_not_a_silent_wrong_answer(expression: str) -> None:
    """``2(3)`` gave 2 and ``(2+3)(4)`` gave 5: the call was dropped."""
    with pytest.raises(MathError, match=r"a number cannot be called: write 2\*\(3\)"):
        evaluate(expression)

"""The math tool: exact arithmetic by walking the AST, everything else refused, sizes bounded."""

from __future__ import annotations

import pytest

from agentkit.tools import math as mathtool
from agentkit.tools.math import MathError, calculate, evaluate


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("2**10", "1024"),
        ("1 + 2 * 3 - 4 / 2", "5.0"),
        ("7 // 2", "3"),
        ("-7 % 3", "2"),
        ("(1 + 0.05)**2 * 1000", "1102.5"),
        ("sqrt(16) + abs(-2)", "6.0"),
        ("factorial(20)", "2432902008176640000"),
        ("round(pi, 3)", "3.142"),
        ("max(1, 5, 3) - min(4, 2)", "3"),
        ("2**-2", "0.25"),
        ("pow(3, 200, 7)", "2"),
        ("log(e**2)", "2.0"),
        ("comb(10, 3)", "120"),
        ("2**9999", repr(2**9999)),
    ],
)
def test_values(expression: str, result: str) -> None:
    assert calculate(expression) == result


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("(1).__class__", "attribute access (a.b) is not allowed"),
        ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
        ("__import__('os').system('echo pwned')", "attribute access"),
        ("open('/etc/passwd')", "open() is not an allowed function"),
        ("eval('1')", "eval() is not an allowed function"),
        ("__import__('os')", "__import__() is not an allowed function"),
        ("(lambda: 1)()", "Lambda is not allowed"),
        ("x + 1", "unknown name 'x'"),
        ("[1, 2][0]", "indexing (a[b]) is not allowed"),
        ("'a' * 3", "only numbers are allowed, not 'a'"),
        ("True + 1", "only numbers are allowed, not True"),
        ("2 ^ 10", "^ is not a power here; write ** (2**10)"),
        ("1 < 2", "Compare is not allowed"),
        ("[x for x in (1, 2)]", "ListComp is not allowed"),
        ("sqrt(x=4)", "plain positional arguments only"),
        ("1j * 2", "only numbers are allowed"),
    ],
)
def test_refusals(expression: str, message: str) -> None:
    with pytest.raises(MathError) as caught:
        evaluate(expression)
    assert message in str(caught.value)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("9**9**9", "9**387420489 is too large"),
        ("10**10**6", "10**1000000 is too large"),
        ("(-3)**(2**40)", "is too large"),
        ("pow(7, 10**9)", "7**1000000000 is too large"),
        ("factorial(10**6)", "factorial() is limited to arguments up to 1000"),
        ("comb(10**7, 5 * 10**6)", "comb() is limited"),
        ("2**9999 * 2**9999", "the result is too large (more than 10000 bits)"),
        ("round(5, -10**9)", "round() takes at most 10000 digits"),
    ],
)
def test_cpu_and_memory_bombs_are_refused_before_computing(expression: str, message: str) -> None:
    with pytest.raises(MathError) as caught:
        evaluate(expression)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1 / 0", "division by zero"),
        ("10.0**400", "too large for a floating-point number"),
        ("exp(1000)", "too large for a floating-point number"),
        ("1e308 * 10", "too large for a floating-point number"),
        ("1e999", "too large for a floating-point number"),  # the literal itself is infinite
        ("-1e999", "too large for a floating-point number"),
        ("sqrt(-1)", "a function got a value outside its domain"),
        ("log(0)", "such as sqrt of a negative number, or log of 0 or less"),
        ("(-8)**0.5", "(-8)**0.5 is not a real number"),  # not -8**0.5, which is -(8**0.5)
        ("1 +", "not a valid expression"),
        ("1" + "+1" * 600, "too long"),
    ],
)
def test_errors_are_readable(expression: str, message: str) -> None:
    with pytest.raises(MathError) as caught:
        evaluate(expression)
    assert message in str(caught.value)


@pytest.mark.parametrize("expression", ["-" * 999 + "1", "(" * 300 + "1" + ")" * 300])
def test_deep_nesting_is_refused_or_evaluated_never_a_crash(expression: str) -> None:
    try:
        assert evaluate(expression) in (1, -1)
    except MathError as exc:
        assert "nested too deeply" in str(exc) or "not a valid expression" in str(exc)


def test_toolset() -> None:
    assert [t.name for t in mathtool.toolset()] == ["calculate"]
    assert not calculate.requires_approval

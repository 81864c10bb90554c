"""Safe arithmetic for agents: an expression is parsed with ``ast`` and walked node by node.

Nothing is ever passed to ``eval``: only numbers, the operators + - * / // % **, unary signs, a few
constants and a whitelist of functions are understood; anything else (names, attributes, subscripts,
lambdas, strings) is refused with a message the model can act on. Sizes are bounded before computing, so
``9**9**9`` or ``factorial(10**6)`` is refused at once instead of eating the CPU and memory, and so is
the total work of one expression: each operation's cost is estimated from its operands' sizes before it
runs (``pow(3, 2**9999-1, 2**9999-1)`` alone would take seconds), against a budget of ``MAX_STEPS``.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from agentkit._tool import tool
from agentkit._toolset import Toolset

__all__ = ["MAX_INT_BITS", "MAX_STEPS", "MathError", "calculate", "evaluate", "toolset"]

Number = int | float

MAX_INT_BITS = 10_000
"""Integers larger than this many bits (about 3,000 digits) are refused."""
MAX_EXPRESSION_CHARS = 1_000
MAX_STEPS = 50_000_000
"""The work one expression may do, in products of 30-bit machine words (about 0.1 s of CPU)."""
_MAX_FACTORIAL = 1_000
_MAX_COMB = 5_000


class MathError(ValueError):
    """The expression cannot be evaluated; the message says why, for the model."""


def _check_int(value: int) -> int:
    if value.bit_length() > MAX_INT_BITS:
        raise MathError(f"the result is too large (more than {MAX_INT_BITS} bits)")
    return value


def _power(base: Number, exponent: Number) -> Number:
    # The result has about bit_length(base) * exponent bits: refuse before computing it.
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS
    ):
        raise MathError(f"{base}**{exponent} is too large (more than {MAX_INT_BITS} bits)")
    result = base**exponent
    if isinstance(result, complex):
        raise MathError(f"({base})**{exponent} is not a real number")  # the base is negative
    return result


def _bounded(limit: int, function: Callable[..., int]) -> Callable[..., int]:
    def call(*args: int) -> int:
        for arg in args:
            if not isinstance(arg, int):
                raise MathError(f"{function.__name__}() takes whole numbers")
            if arg > limit:
                raise MathError(f"{function.__name__}() is limited to arguments up to {limit}")
        return function(*args)

    call.__name__ = function.__name__
    return call


def _pow3(base: Number, exponent: Number, modulus: Number | None = None) -> Number:
    if modulus is None:
        return _power(base, exponent)
    if not all(isinstance(x, int) for x in (base, exponent, modulus)):
        raise MathError("pow() with a modulus takes whole numbers")
    return pow(int(base), int(exponent), int(modulus))


def _round(value: Number, ndigits: Any = None) -> Number:
    # round(5, -10**9) computes 10**(10**9) before answering 0: refuse digit counts no bounded number needs.
    if isinstance(ndigits, int) and abs(ndigits) > MAX_INT_BITS:
        raise MathError(f"round() takes at most {MAX_INT_BITS} digits")
    return round(value, ndigits)


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _power,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Number]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_CONSTANTS: dict[str, Number] = {"pi": math.pi, "e": math.e, "tau": math.tau}
_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
    "pow": _pow3,
    "sqrt": math.sqrt,
    "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x),
    "exp": math.exp,
    "log": math.log,
    "log2": math.log2,
    "log10": math.log10,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "degrees": math.degrees,
    "radians": math.radians,
    "hypot": math.hypot,
    "floor": math.floor,
    "ceil": math.ceil,
    "trunc": math.trunc,
    "gcd": math.gcd,
    "lcm": math.lcm,
    "isqrt": math.isqrt,
    "factorial": _bounded(_MAX_FACTORIAL, math.factorial),
    "comb": _bounded(_MAX_COMB, math.comb),
    "perm": _bounded(_MAX_COMB, math.perm),
}
_HINTS: dict[type[ast.AST], str] = {
    ast.BitXor: "^ is not a power here; write ** (2**10)",
    ast.Attribute: "attribute access (a.b) is not allowed",
    ast.Subscript: "indexing (a[b]) is not allowed",
}


class _Budget:
    """What is left of ``MAX_STEPS`` for one expression; every operation is charged before it runs."""

    def __init__(self) -> None:
        self.left = MAX_STEPS

    def charge(self, name: str, args: list[Number]) -> None:
        self.left -= _cost(name, args)
        if self.left < 0:
            raise MathError(
                f"the expression needs too much computation (over {MAX_STEPS:,} steps, at {name}); "
                "split it into smaller calculations or use smaller numbers"
            )


def _words(bits: int) -> int:
    """Size in 30-bit words (CPython's digits): what the cost of big-integer arithmetic grows with."""
    return bits // 30 + 1


_LINEAR = frozenset({"Add", "Sub", "abs", "min", "max", "floor", "ceil", "trunc"})


def _cost(name: str, args: list[Number]) -> int:
    """An upper estimate of an operation's work in word products, measured against CPython (3.11): e.g.
    a modular inverse costs ~50 squarings of its modulus, ``comb`` ~20 of its result."""
    if not all(isinstance(a, int) for a in args):
        return len(args)  # floats: constant time (an int is converted in time linear in its size)
    ints = [abs(int(a)) for a in args]
    sizes = [_words(a.bit_length()) for a in ints]
    if name == "pow" and len(args) == 3:  # one square-and-multiply per exponent bit (+ inverse if < 0)
        inverse = 64 * sizes[2] ** 2 if args[1] < 0 else 0
        return max(ints[1].bit_length(), 1) * sizes[2] ** 2 + inverse
    if name in ("**", "pow"):  # repeated squaring: the last, full-size square dominates
        if args[1] <= 0:
            return sizes[0]
        result_bits = min(max(ints[0].bit_length() - 1, 1) * ints[1], MAX_INT_BITS + 30)
        return 2 * _words(result_bits) ** 2
    if name in ("factorial", "comb", "perm"):  # past its argument limit, the call is refused anyway
        n = min(ints[0], (_MAX_FACTORIAL if name == "factorial" else _MAX_COMB) + 1)
        k = min(ints[1], n) if len(ints) > 1 else n
        result_bits = min(n, k * n.bit_length()) if name == "comb" else k * n.bit_length()
        return 20 * _words(result_bits) ** 2
    if name == "round":  # 10**digits is built
        digits = min(ints[1], MAX_INT_BITS + 1) if len(ints) > 1 else 0
        return sizes[0] ** 2 + _words(4 * digits) ** 2
    if name in _LINEAR:
        return sum(sizes)
    largest = sorted(sizes, reverse=True)[:2]
    return 2 * largest[0] * largest[-1]  # products, quotients, gcd, isqrt, logs


def _eval(node: ast.AST, budget: _Budget) -> Number:
    if isinstance(node, ast.Expression):
        return _eval(node.body, budget)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return _finish(node.value)  # 1e999 is a float literal, and infinite
        raise MathError(f"only numbers are allowed, not {node.value!r}")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, budget), _eval(node.right, budget)
        budget.charge("**" if isinstance(node.op, ast.Pow) else type(node.op).__name__, [left, right])
        return _finish(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, budget))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise MathError(f"unknown name {node.id!r}; the constants are {', '.join(_CONSTANTS)}")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _eval(node.func, budget)  # an attribute, a lambda...: refused with its own reason below
            raise MathError("a number cannot be called: write 2*(3), not 2(3), to multiply")
        name = node.func.id
        if name not in _FUNCTIONS:
            raise MathError(f"{name}() is not an allowed function; allowed: {', '.join(_FUNCTIONS)}")
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise MathError(f"{name}() takes plain positional arguments only")
        args = [_eval(arg, budget) for arg in node.args]
        budget.charge(name, args)
        try:
            return _finish(_FUNCTIONS[name](*args))
        except TypeError as exc:
            raise MathError(f"{name}(): {exc}") from None
    kind = type(node.op) if isinstance(node, (ast.BinOp, ast.UnaryOp)) else type(node)
    raise MathError(_HINTS.get(kind, f"{kind.__name__} is not allowed in an arithmetic expression"))


def _finish(value: Number) -> Number:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return _check_int(value)
    if isinstance(value, float) and math.isinf(value):
        raise MathError("the result is too large for a floating-point number (overflow)")
    if isinstance(value, float) and math.isnan(value):
        raise MathError("the result is not a number (NaN)")
    return value


def evaluate(expression: str) -> Number:
    """The value of an arithmetic expression; raises ``MathError`` with a readable reason."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise MathError(f"the expression is too long (more than {MAX_EXPRESSION_CHARS} characters)")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise MathError(f"not a valid expression: {exc.msg}") from None
    try:
        return _eval(tree, _Budget())
    except ZeroDivisionError:
        raise MathError("division by zero") from None
    except OverflowError:
        raise MathError("the result is too large for a floating-point number (overflow)") from None
    except RecursionError:
        raise MathError("the expression is nested too deeply") from None
    except ValueError as exc:
        if isinstance(exc, MathError):
            raise
        if str(exc) == "math domain error":  # Python's one text for every function
            raise MathError(
                "a function got a value outside its domain (such as sqrt of a negative number, or log of "
                "0 or less)"
            ) from None
        raise MathError(f"invalid value: {exc}") from None


@tool
def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression such as 2**10 or sqrt(2) * 3; never do arithmetic in your head.

    Whole numbers are exact (up to about 3,000 digits); decimals are floating point. Supported: + - * /
    // (floor division) % (remainder) ** (power), parentheses, the constants pi, e, tau, and the functions
    abs round min max pow sqrt cbrt exp log log2 log10 sin cos tan asin acos atan atan2 sinh cosh tanh
    degrees radians hypot floor ceil trunc gcd lcm isqrt factorial comb perm (angles in radians).

    Args:
        expression: The expression, e.g. "2**10", "sqrt(2) * 3" or "(1 + 0.05)**10 * 1000".
    """
    return repr(evaluate(expression))


def toolset() -> Toolset:
    """The math tools (calculate)."""
    return Toolset(calculate, name="math")

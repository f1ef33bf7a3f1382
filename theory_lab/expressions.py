"""A safe expression language for parameters given as text (``lr="1/L"``).

Parameter strings come from users (CLI ``-o``, sweep JSON, config files sent to workers),
so they are **never** handed to ``eval`` or ``sympy.sympify``.  They are parsed with
Python's :mod:`ast` and checked against a small allow-list grammar, then evaluated
numerically over the validated tree:

* numbers (``2``, ``0.5``, ``1e-3``), the given symbols (the problem's constants, ``T``,
  ``M``, ...) and ``pi``;
* ``+ - * / **``, unary ``-``/``+``, parentheses;
* the functions :data:`FUNCTIONS`: ``sqrt log exp min max abs log2 log10 ceil floor``
  (``log(x, b)`` takes a base) and the sympy spellings ``Min Max Abs ceiling``.

Anything else (attribute access, calls of other names, subscripts, strings, lambdas,
comprehensions, comparisons, ``//``, ``%``, ``^``, keyword arguments, unknown names) raises
:class:`~theory_lab.errors.ExpressionError` naming the offending token.  Nothing can hang:
the text is at most :data:`MAX_LENGTH` characters and :data:`MAX_NODES` syntax nodes;
integer and rational arithmetic is exact while it stays below :data:`MAX_EXACT_BITS` bits
and switches to floats beyond; a float result that overflows, a division by zero, a
logarithm or root of a negative number (anything complex) or a NaN is an error.
"""

from __future__ import annotations

import ast
import math
import numbers
from fractions import Fraction

from .errors import ExpressionError

__all__ = ["FUNCTIONS", "MAX_EXACT_BITS", "MAX_LENGTH", "MAX_NODES", "evaluate", "parse", "symbol_table"]

MAX_LENGTH = 1000
MAX_NODES = 300
MAX_EXACT_BITS = 4096
CONSTANTS = {"pi": math.pi}


def _log(x, base=None):
    if base is None:
        return math.log(_positive("log", x))
    return math.log(_positive("log", x)) / math.log(_positive("log base", base))


def _positive(fname, x):
    if x <= 0:
        raise _EvalError(f"{fname} of non-positive number {_show(x)} (result would be complex or -inf)")
    return x


def _sqrt(x):
    if x < 0:
        raise _EvalError(f"sqrt of negative number {_show(x)} (result would be complex)")
    return math.sqrt(x)


def _min(*args):
    if not args:
        raise _EvalError("min() needs at least one argument")
    return min(args)


def _max(*args):
    if not args:
        raise _EvalError("max() needs at least one argument")
    return max(args)


#: name -> (function, allowed argument counts)
FUNCTIONS = {
    "sqrt": (_sqrt, (1,)),
    "log": (_log, (1, 2)),
    "log2": (lambda x: math.log2(_positive("log2", x)), (1,)),
    "log10": (lambda x: math.log10(_positive("log10", x)), (1,)),
    "exp": (lambda x: math.exp(x), (1,)),
    "min": (_min, None),
    "max": (_max, None),
    "abs": (abs, (1,)),
    "ceil": (math.ceil, (1,)),
    "floor": (math.floor, (1,)),
}
FUNCTIONS.update({"Min": FUNCTIONS["min"], "Max": FUNCTIONS["max"], "Abs": FUNCTIONS["abs"],
                  "ceiling": FUNCTIONS["ceil"]})

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED = {  # node type -> how the token is named in the error
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Lambda: "lambda",
    ast.ListComp: "comprehension", ast.SetComp: "comprehension", ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension", ast.Compare: "comparison", ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression", ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict",
    ast.Set: "set", ast.JoinedStr: "f-string", ast.NamedExpr: "assignment expression",
    ast.Starred: "starred argument", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Slice: "slice",
}
_OP_TOKENS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
              ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^ (use ** for powers)",
              ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not"}


class _EvalError(Exception):
    """Internal: an evaluation failure, re-raised with the expression as context."""


def _show(x) -> str:
    return f"{float(x):.6g}" if isinstance(x, Fraction) else f"{x!r}"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def symbol_table(symbols: dict) -> dict:
    """The numeric entries of ``symbols`` (real numbers, not booleans), as Python numbers."""
    out = {}
    for k, v in symbols.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            continue
        out[k] = int(v) if isinstance(v, numbers.Integral) else float(v)
    return out


def _where(text: str, context: str | None) -> str:
    shown = _short(text if text.isprintable() else repr(text)[1:-1], 60)
    return f"'{context}={shown}'" if context else f"'{shown}'"


def parse(text: str, names, *, context: str | None = None) -> ast.Expression:
    """Parse ``text`` and check it against the grammar; ``names`` are the allowed symbols.

    Raises
    ------
    ExpressionError
        Naming the offending token, e.g. ``call of '__import__' is not allowed``.
    """
    where = _where(text, context)
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression {where} is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        msg = getattr(exc, "msg", None) or type(exc).__name__
        raise ExpressionError(f"cannot parse expression {where}: {msg}") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"expression {where} has more than {MAX_NODES} terms")
    names = set(names)
    called = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
    for node in nodes:
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and node.id not in names \
                and id(node) not in called:
            raise ExpressionError(f"function name {node.id!r} without a call is not allowed in "
                                  f"expression {where}")
        bad = _refusal(node, names, text)
        if bad:
            raise ExpressionError(f"{bad} is not allowed in expression {where}{_hint(bad, names)}")
    return tree


def _hint(bad: str, names: set) -> str:
    if bad.startswith("call") or bad.startswith("function"):
        return f"; functions: {', '.join(sorted(set(FUNCTIONS)))}"
    if bad.startswith("name"):
        return f"; symbols: {', '.join(sorted(names | set(CONSTANTS))) or 'none'}"
    return ""


def _refusal(node, names: set, text: str) -> str | None:
    """Why ``node`` is refused (a phrase naming the token), or None when it is allowed."""
    if isinstance(node, (ast.Expression, ast.Load)) or type(node) in _BINOPS:
        return None
    if isinstance(node, (ast.UAdd, ast.USub)):
        return None
    if isinstance(node, ast.BinOp):
        return None if type(node.op) in _BINOPS else f"operator {_OP_TOKENS.get(type(node.op), '?')!r}"
    if isinstance(node, ast.UnaryOp):
        return None if isinstance(node.op, (ast.UAdd, ast.USub)) else \
            f"operator {_OP_TOKENS.get(type(node.op), '?')!r}"
    if type(node) in _OP_TOKENS:
        return None  # reported by its BinOp / UnaryOp
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return f"literal {_short(repr(v))}"
        return None
    if isinstance(node, ast.Name):
        if node.id in names or node.id in CONSTANTS or node.id in FUNCTIONS:
            return None  # a function name is checked as a call
        return f"name {node.id!r}"
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name):
            seg = ast.get_source_segment(text.strip(), func) or type(func).__name__
            return f"call of {_short(seg)!r}"
        if func.id not in FUNCTIONS:
            return f"call of {func.id!r}"
        if node.keywords:
            return f"keyword argument {node.keywords[0].arg or '**'!r} of {func.id}()"
        counts = FUNCTIONS[func.id][1]
        if counts is not None and len(node.args) not in counts:
            return f"function {func.id}() with {len(node.args)} argument(s)"
        return None
    if type(node) in _REFUSED:
        seg = ast.get_source_segment(text.strip(), node) if hasattr(node, "lineno") else None
        return f"{_REFUSED[type(node)]} {_short(seg)!r}" if seg else _REFUSED[type(node)]
    seg = ast.get_source_segment(text.strip(), node) if hasattr(node, "lineno") else None
    return f"{type(node).__name__.lower()} {_short(seg)!r}" if seg else type(node).__name__.lower()


# -- evaluation ----------------------------------------------------------------------------
def _exact(x) -> bool:
    return isinstance(x, (int, Fraction)) and not isinstance(x, bool)


def _bits(x) -> int:
    if isinstance(x, int):
        return x.bit_length()
    return max(x.numerator.bit_length(), x.denominator.bit_length())


def _norm(x):
    """Keep exact numbers small and floats finite."""
    if _exact(x):
        if _bits(x) > MAX_EXACT_BITS:
            return _finite(float(x))
        if isinstance(x, Fraction) and x.denominator == 1:
            return int(x)
        return x
    return _finite(x)


def _finite(x: float) -> float:
    if math.isnan(x):
        raise _EvalError("result is not a number (nan)")
    if math.isinf(x):
        raise _EvalError("overflow (result is infinite)")
    return x


def _pow(base, exp):
    if base == 0 and exp < 0:
        raise ZeroDivisionError
    if _exact(base) and isinstance(exp, int):
        if abs(exp) * max(_bits(base), 1) <= MAX_EXACT_BITS:
            return Fraction(base) ** exp
    b, e = float(base), float(exp)
    if b < 0 and not e.is_integer():
        raise _EvalError(f"negative base {_show(base)} to a fractional power (result would be complex)")
    return math.pow(b, e)


def _binop(op, a, b):
    if op is ast.Pow:
        return _pow(a, b)
    if not (_exact(a) and _exact(b)):
        a, b = float(a), float(b)
    if op is ast.Add:
        return a + b
    if op is ast.Sub:
        return a - b
    if op is ast.Mult:
        return a * b
    if _exact(a):
        return Fraction(a) / b  # ZeroDivisionError when b == 0
    return a / b


def _eval(node, env):
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant):
        return _norm(node.value)
    if isinstance(node, ast.Name):
        return env[node.id] if node.id in env else _norm(CONSTANTS[node.id])
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        return _norm(_binop(type(node.op), _eval(node.left, env), _eval(node.right, env)))
    if isinstance(node, ast.Call):
        args = [_eval(a, env) for a in node.args]
        fn = FUNCTIONS[node.func.id][0]  # parse() admitted only these names as calls
        out = fn(*args)
        return _norm(out) if _exact(out) else _norm(float(out))
    raise _EvalError(f"unsupported syntax {type(node).__name__}")  # unreachable after parse()


def evaluate(text: str, symbols: dict, *, context: str | None = None) -> float:
    """Value of the expression ``text`` with the numeric entries of ``symbols``, as a float.

    Parameters
    ----------
    text : str
        E.g. ``"1/L"``, ``"(1 - 1/sqrt(kappa))**2"``, ``"Max(1, ceiling(L_max/L))"``.
    symbols : dict
        Name -> number (non-numeric entries are ignored).
    context : str, optional
        The parameter's name, used in error messages (``"division by zero in 'lr=1/0'"``).

    Raises
    ------
    ExpressionError
        Outside the grammar (naming the token), or the value is not a finite real number.
    """
    env = symbol_table(symbols)
    tree = parse(text, env, context=context)
    where = _where(text, context)
    try:
        value = _eval(tree, env)
        return _finite(float(value))
    except ZeroDivisionError:
        raise ExpressionError(f"division by zero in {where}") from None
    except OverflowError:
        raise ExpressionError(f"overflow in {where} (result exceeds the float range)") from None
    except _EvalError as exc:
        raise ExpressionError(f"{exc} in {where}") from None
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot evaluate {where}: {type(exc).__name__}: {exc}") from None

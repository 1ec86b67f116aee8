"""Boolean rules over named criteria, in three-valued (Kleene) logic, with the criteria that decided.

A policy's decision rule, its exemptions and its wordings are written as small expressions::

    editorial_control
    state_funding or editorial_control
    public_funding and not editorial_control

Grammar: identifiers (criterion names), ``true``/``false``, ``not``, ``and``, ``or`` and
parentheses; ``not`` binds tighter than ``and``, ``and`` tighter than ``or``. Nothing else
is accepted, so a policy file can never run code.

Why three values: the evidence rarely settles every criterion. The State Media Matrix, for
one, leaves state funding open for captured private media ("yes/no"). A criterion with no
evidence is *unknown* (``None``); ``x and unknown`` is unknown unless ``x`` is false, ``x or
unknown`` unknown unless ``x`` is true (Kleene's strong logic). A decision is then never
guessed: an unknown rule gives the decision "undetermined" and names the unknown criteria.

Each evaluation returns the *witnesses*: the criteria whose values decided the result (for
``a or b`` true, the true operands; for ``a and b`` false, the false operands; for an unknown
result, the unknown operands). That is the "which criterion fired" of a decision trace.

>>> rule = parse("state_funding or editorial_control")
>>> evaluate(rule, {"state_funding": False, "editorial_control": True})
(True, ('editorial_control',))
>>> evaluate(parse("a and not b"), {"a": True})
(None, ('b',))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Expr", "ExprError", "evaluate", "parse"]

Truth = bool | None


class ExprError(ValueError):
    """A rule that does not parse; the message says where."""


@dataclass(frozen=True)
class Expr:
    """A parsed rule: ``op`` is 'name', 'const', 'not', 'and' or 'or'."""

    op: str
    args: tuple[Expr, ...] = ()
    name: str = ""
    value: bool = False
    text: str = ""

    def names(self) -> tuple[str, ...]:
        """The criterion names the rule reads, in first-use order."""
        if self.op == "name":
            return (self.name,)
        seen: dict[str, None] = {}
        for a in self.args:
            for n in a.names():
                seen.setdefault(n, None)
        return tuple(seen)


_TOKEN = re.compile(r"\s*(?:(\()|(\))|([A-Za-z_][A-Za-z0-9_]*)|(\S))")
_KEYWORDS = {"and", "or", "not", "true", "false"}


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # only trailing blanks are left
            break
        if m.group(4):
            raise ExprError(f"unexpected character {m.group(4)!r} at position {m.start(4) + 1} in {text!r}")
        out.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
    return out


def parse(text: str) -> Expr:
    """Parse a rule; :class:`ExprError` says what is wrong and where."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty rule")
    toks = _tokens(text)
    expr, i = _parse_or(toks, 0, text)
    if i != len(toks):
        raise ExprError(f"unexpected {toks[i]!r} in {text!r}")
    return Expr(expr.op, expr.args, expr.name, expr.value, text.strip())


def _parse_or(toks: list[str], i: int, text: str) -> tuple[Expr, int]:
    left, i = _parse_and(toks, i, text)
    args = [left]
    while i < len(toks) and toks[i].lower() == "or":
        right, i = _parse_and(toks, i + 1, text)
        args.append(right)
    return (left if len(args) == 1 else Expr("or", tuple(args))), i


def _parse_and(toks: list[str], i: int, text: str) -> tuple[Expr, int]:
    left, i = _parse_not(toks, i, text)
    args = [left]
    while i < len(toks) and toks[i].lower() == "and":
        right, i = _parse_not(toks, i + 1, text)
        args.append(right)
    return (left if len(args) == 1 else Expr("and", tuple(args))), i


def _parse_not(toks: list[str], i: int, text: str) -> tuple[Expr, int]:
    if i >= len(toks):
        raise ExprError(f"rule ends too early: {text!r}")
    t = toks[i]
    low = t.lower()
    if low == "not":
        inner, j = _parse_not(toks, i + 1, text)
        return Expr("not", (inner,)), j
    if t == "(":
        inner, j = _parse_or(toks, i + 1, text)
        if j >= len(toks) or toks[j] != ")":
            raise ExprError(f"missing ')' in {text!r}")
        return inner, j + 1
    if low in ("true", "false"):
        return Expr("const", value=low == "true"), i + 1
    if t == ")" or low in _KEYWORDS:
        raise ExprError(f"unexpected {t!r} in {text!r}")
    return Expr("name", name=t), i + 1


def evaluate(expr: Expr, values: Mapping[str, Truth]) -> tuple[Truth, tuple[str, ...]]:
    """The rule's value under ``values`` (missing names are unknown) and its witnesses."""
    if expr.op == "const":
        return expr.value, ()
    if expr.op == "name":
        return values.get(expr.name), (expr.name,)
    if expr.op == "not":
        v, w = evaluate(expr.args[0], values)
        return (None if v is None else not v), w
    results = [evaluate(a, values) for a in expr.args]
    decisive = expr.op == "or"  # the operand value that decides: True for or, False for and
    hits = [w for v, w in results if v is decisive]
    if hits:
        return decisive, _union(hits)
    unknown = [w for v, w in results if v is None]
    if unknown:
        return None, _union(unknown)
    return (not decisive), _union([w for _, w in results])


def _union(parts: list[tuple[str, ...]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for p in parts:
        for n in p:
            seen.setdefault(n, None)
    return tuple(seen)

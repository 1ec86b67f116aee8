"""Parameter constraints declared as data, validated with one message format (after scikit-learn).

>>> validate("CoRetweet", {"window": Interval(int, 1, None)}, {"window": 0})
Traceback (most recent call last):
...
cibscope.errors.ParameterError: The 'window' parameter of CoRetweet must be an int in [1, inf). Got 0 instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ParameterError


@dataclass(frozen=True)
class Interval:
    type: type
    low: float | None
    high: float | None
    closed: str = "both"  # "both", "left", "right", "neither"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.type is int and not isinstance(value, int):
            return False
        if self.type is float and not isinstance(value, (int, float)):
            return False
        lo_ok = self.low is None or (value >= self.low if self.closed in ("both", "left") else value > self.low)
        hi_ok = self.high is None or (value <= self.high if self.closed in ("both", "right") else value < self.high)
        return bool(lo_ok and hi_ok)

    def describe(self) -> str:
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        kind = "an int" if self.type is int else "a float"
        return f"{kind} in {left}{lo}, {hi}{right}"

    def invalid_examples(self) -> list[Any]:
        out: list[Any] = ["x", None]
        if self.low is not None:
            out.append(self.low - 1)
        if self.high is not None:
            out.append(self.high + 1)
        return out


@dataclass(frozen=True)
class Options:
    values: frozenset[Any]

    def __init__(self, values: Iterable[Any]) -> None:
        object.__setattr__(self, "values", frozenset(values))

    def accepts(self, value: Any) -> bool:
        try:
            return value in self.values
        except TypeError:
            return False

    def describe(self) -> str:
        return "one of {" + ", ".join(repr(v) for v in sorted(self.values, key=str)) + "}"

    def invalid_examples(self) -> list[Any]:
        return ["__not_an_option__", None]


@dataclass(frozen=True)
class IsBool:
    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)

    def describe(self) -> str:
        return "a bool"

    def invalid_examples(self) -> list[Any]:
        return ["yes", 2]


Constraint = Interval | Options | IsBool


def validate(owner: str, constraints: Mapping[str, Constraint], values: Mapping[str, Any]) -> None:
    """Raise ParameterError for the first value outside its constraint."""
    for name, constraint in constraints.items():
        if name not in values:
            continue
        value = values[name]
        if not constraint.accepts(value):
            raise ParameterError(
                f"The {name!r} parameter of {owner} must be {constraint.describe()}. Got {value!r} instead."
            )

"""Sums that do not depend on the order of their terms (SQL), so the same data gives the same bytes.

A sum of doubles depends on the order it adds them in, and DuckDB's parallel aggregation meets
the rows of a group in an order that changes from run to run: the last bit of a score changed
between two runs of the same data, and with it the bytes of every export. Kept apart from
:mod:`cibscope.sql` (which imports sqlglot) so that the network builder does not pay for it.
"""

from __future__ import annotations

__all__ = ["FIXED_POINT", "exact_sum"]

#: Float sums are taken in fixed point: multiples of 1/FIXED_POINT (2^-40, ~1e-12).
FIXED_POINT = float(2**40)


def exact_sum(expr: str) -> str:
    """SQL: the sum of the DOUBLE ``expr`` over a group, the same whatever order the rows come
    in: each value is rounded to a multiple of 2^-40 and the multiples are summed as integers
    (HUGEINT: exact, so in any order, and no overflow for any value a double sum would hold)."""
    return f"(CAST(sum(CAST(round(({expr}) * {FIXED_POINT!r}) AS HUGEINT)) AS DOUBLE) / {FIXED_POINT!r})"

"""Claimed vs control accounts: per signature an effect size and a test.

Why effect sizes first: with thousands of accounts every difference is "significant"; what an
auditor needs is how *large* it is. Numeric signatures get Cliff's delta (the probability that
a claimed account's value exceeds a control account's, minus the reverse; -1..1, robust to the
heavy tails of follower counts) with a two-sided Mann-Whitney U test. Yes/no signatures get
Cohen's h on the two shares (2 asin sqrt p1 - 2 asin sqrt p2) with Fisher's exact test.
Conventional magnitudes: |delta| 0.147 / 0.33 / 0.474 and |h| 0.2 / 0.5 / 0.8 for small /
medium / large.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from ..case import Case
from ._util import fetch_dicts
from .signatures import FLAG_COLUMNS

NUMERIC = (
    "n_posts",
    "political_share",
    "age_days_first_post",
    "age_days_at_reference",
    "creation_day_count",
    "office_hours_share",
    "weekend_share",
    "top_client_share",
    "n_clients",
    "top_lang_share",
    "n_langs",
    "follower_count",
    "following_count",
    "engagement_per_post",
    "max_gap_days",
)
BOOLEAN = FLAG_COLUMNS  # the yes/no signatures, declared once in signatures.py


def cliffs_delta(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(Cliff's delta of x over y, two-sided Mann-Whitney p). delta = 2U/(nx ny) - 1."""
    res = stats.mannwhitneyu(x, y, alternative="two-sided")
    delta = 2.0 * float(res.statistic) / (len(x) * len(y)) - 1.0
    return delta, float(res.pvalue)


def cohens_h(p1: float, p2: float) -> float:
    return 2.0 * math.asin(math.sqrt(p1)) - 2.0 * math.asin(math.sqrt(p2))


def magnitude(effect: str, value: float) -> str:
    a = abs(value)
    cuts = (0.147, 0.33, 0.474) if effect == "cliffs_delta" else (0.2, 0.5, 0.8)
    return "negligible" if a < cuts[0] else "small" if a < cuts[1] else "medium" if a < cuts[2] else "large"


def compare_groups(case: Case, claimed_table: str, control_table: str) -> list[dict[str, Any]]:
    """One row per signature: values for claimed and control, effect size, test, p-value.

    Accounts in both lists count as claimed only. A signature with fewer than two values on
    either side gets no test (``p_value`` None) and says so in ``note``.
    """
    cols = ", ".join(
        [*NUMERIC, *(f"({c} IS NOT NULL AND {c} <> '') AS {c}" if c == "engagement_mismatch" else c for c in BOOLEAN)]
    )
    names = [*NUMERIC, *BOOLEAN]
    rows = fetch_dicts(
        case.engine,
        f"""SELECT (s.account_id IN (SELECT account_id FROM {claimed_table})) AS is_claimed, {cols}
            FROM signatures s
            WHERE s.account_id IN (SELECT account_id FROM {claimed_table})
               OR s.account_id IN (SELECT account_id FROM {control_table})""",
    )
    out: list[dict[str, Any]] = []
    for name in names:
        a = [r[name] for r in rows if r["is_claimed"] and r[name] is not None]
        b = [r[name] for r in rows if not r["is_claimed"] and r[name] is not None]
        if name in NUMERIC:
            out.append(_numeric(name, np.asarray(a, dtype=float), np.asarray(b, dtype=float)))
        else:
            out.append(_boolean(name, [bool(v) for v in a], [bool(v) for v in b]))
    return out


def _numeric(name: str, a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    row: dict[str, Any] = {
        "signature": name, "type": "numeric", "n_claimed": len(a), "n_control": len(b),
        "claimed": float(np.median(a)) if len(a) else None, "control": float(np.median(b)) if len(b) else None,
        "summary": "median", "effect": "cliffs_delta", "effect_size": None, "magnitude": None,
        "test": "mann_whitney_u", "p_value": None, "note": "",
    }
    if len(a) < 2 or len(b) < 2:
        row["note"] = "too few values to test"
        return row
    if np.all(a == a[0]) and np.all(b == a[0]):
        row.update(effect_size=0.0, magnitude="negligible", p_value=1.0, note="identical constant values")
        return row
    d, pv = cliffs_delta(a, b)
    row.update(effect_size=d, magnitude=magnitude("cliffs_delta", d), p_value=pv)
    return row


def _boolean(name: str, a: list[bool], b: list[bool]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "signature": name, "type": "share", "n_claimed": len(a), "n_control": len(b),
        "claimed": (sum(a) / len(a)) if a else None, "control": (sum(b) / len(b)) if b else None,
        "summary": "share true", "effect": "cohens_h", "effect_size": None, "magnitude": None,
        "test": "fisher_exact", "p_value": None, "note": "",
    }
    if not a or not b:
        row["note"] = "no values on one side"
        return row
    h = cohens_h(row["claimed"], row["control"])
    table = [[sum(a), len(a) - sum(a)], [sum(b), len(b) - sum(b)]]
    _, pv = stats.fisher_exact(table)
    row.update(effect_size=h, magnitude=magnitude("cohens_h", h), p_value=float(pv))
    return row

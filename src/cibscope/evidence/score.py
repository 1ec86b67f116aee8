"""Account scores that explain themselves: a sum of named contributions, squashed into [0, 1].

The design is splink's match weight: every source of evidence contributes its own named term,
the terms are *kept* (table ``score_contributions``), and the score is a fixed function of
their sum, so a reader can see exactly how much each trace moved it (a waterfall), and the
report, the audit and ``cibscope explain`` all read the same numbers.

Terms for an account ``i``
--------------------------
* one term per trace layer ``l`` (named after the layer, e.g. ``co_retweet``)::

      S_l(i) = sum over the significant edges of i in layer l of  w_l * min(-log10 p, cap)
      c_l(i) = 1 - exp(-S_l(i) / saturation)

  ``S_l`` is the account's evidence in layer ``l`` in orders of magnitude against chance
  (the same strengths the fused network uses). The saturating transform caps each layer at
  1, so one layer, however loud, cannot outvote agreement across layers: an account that
  co-retweets *and* posts near-duplicate text *and* was created in a batch with its partners
  scores higher than one that only co-retweets a lot. Account-level traces (creation
  batches, templated profiles) are layers too, so they are terms of the same kind.
* ``group`` -- the group-level term: ``group_weight * d / (size - 1)`` where ``d`` is the
  number of fellow members the account is significantly linked to. It rewards accounts
  embedded in a cohesive group (many independent partners), not merely attached to one.

Score and flag
--------------
``score = 1 - exp(-sum of terms)``: 0 without evidence, 0.63 for one fully evidenced layer,
0.86 for two, 0.95 for three. ``flagged`` is the documented rule::

    flagged = member of a group (size >= min_size, built only from FDR-controlled edges)
              and score >= threshold
              and linked to at least min_partners fellow members

All three parts are data-driven: groups come from edges that beat a null model at a
controlled false discovery rate; the threshold is on a scale whose meaning is fixed above.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from ..networks.multiplex import FusedNetwork
from ..params import Interval, validate

__all__ = ["ScoreParams", "ScoreResult", "compute_scores", "write_scores", "squash", "GROUP_TERM"]

GROUP_TERM = "group"

PARAMETER_CONSTRAINTS = {
    "saturation": Interval(float, 0.0, None, closed="neither"),
    "group_weight": Interval(float, 0.0, None),
    "threshold": Interval(float, 0.0, 1.0),
    "min_partners": Interval(int, 1, None),
    "top_reasons": Interval(int, 1, None),
}


@dataclass(frozen=True)
class ScoreParams:
    """Scoring parameters.

    saturation : per-layer evidence (sum of -log10 p) at which a layer's term reaches 1 - 1/e.
    group_weight : weight of the group-level term.
    threshold : minimum score of a flagged account.
    min_partners : minimum number of fellow group members a flagged account is linked to.
    top_reasons : how many terms to list in ``top_reasons``.
    """

    saturation: float = 10.0
    group_weight: float = 1.0
    threshold: float = 0.5
    min_partners: int = 2
    top_reasons: int = 3

    def validate(self) -> None:
        validate("score", PARAMETER_CONSTRAINTS, self.__dict__)


@dataclass
class ScoreResult:
    """``scores`` and ``contributions`` with the columns of the case tables of the same names."""

    scores: pa.Table
    contributions: pa.Table


def squash(total: np.ndarray | float) -> np.ndarray | float:
    """The fixed map from summed terms to a score in [0, 1)."""
    return 1.0 - np.exp(-np.asarray(total, dtype=float)) if isinstance(total, np.ndarray) else 1.0 - float(np.exp(-total))


def _fmt_p(p: float) -> str:
    return f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


def compute_scores(
    con: duckdb.DuckDBPyConnection,
    net: FusedNetwork,
    membership: dict[str, int],
    params: ScoreParams | None = None,
    *,
    with_evidence_counts: bool = True,
) -> ScoreResult:
    """Score every account of the case (and any account in the edges) from the fused network.

    ``membership`` maps account -> group id (from :func:`cibscope.groups.find_groups`).
    ``with_evidence_counts=False`` skips counting evidence rows (the ablation does not need them).
    """
    p = params or ScoreParams()
    p.validate()
    mem = pa.table({"account_id": pa.array(list(membership), pa.string()), "group_id": pa.array(list(membership.values()), pa.int32())})
    con.register("_cib_le", net.layer_edges)
    con.register("_cib_mem", mem)
    try:
        # Per account and layer: evidence strength, partners, strongest edge.
        per_layer = con.execute(
            """
            WITH ends AS (
                SELECT layer, account_a AS account_id, account_b AS other, layer_weight * strength AS s, p_value, n_shared FROM _cib_le
                UNION ALL
                SELECT layer, account_b, account_a, layer_weight * strength, p_value, n_shared FROM _cib_le
            )
            SELECT account_id, layer, sum(s) AS s, count(*) AS k, sum(n_shared) AS shared,
                   arg_min(other, p_value) AS best_other, min(p_value) AS best_p
            FROM ends GROUP BY 1, 2 ORDER BY 1, 2
            """
        ).fetchall()
        n_ev: dict[tuple[str, str], int] = {}
        if with_evidence_counts and per_layer:
            for acc, layer, n in con.execute(
                """
                WITH ev AS (
                    SELECT e.layer, e.account_a, e.account_b FROM evidence e
                    SEMI JOIN _cib_le k ON k.layer = e.layer AND k.account_a = e.account_a AND k.account_b = e.account_b
                )
                SELECT account_id, layer, count(*) FROM (
                    SELECT layer, account_a AS account_id FROM ev UNION ALL SELECT layer, account_b FROM ev
                ) GROUP BY 1, 2
                """
            ).fetchall():
                n_ev[(acc, layer)] = int(n)
        # Group term: fellow members each account is significantly linked to (any layer).
        partners = dict(
            con.execute(
                """
                WITH pairs AS (SELECT DISTINCT account_a, account_b FROM _cib_le),
                ends AS (SELECT account_a AS x, account_b AS y FROM pairs UNION ALL SELECT account_b, account_a FROM pairs)
                SELECT ends.x, count(*) FROM ends
                JOIN _cib_mem mx ON mx.account_id = ends.x JOIN _cib_mem my ON my.account_id = ends.y AND my.group_id = mx.group_id
                GROUP BY 1
                """
            ).fetchall()
        )
        sizes = dict(con.execute("SELECT group_id, count(*) FROM _cib_mem GROUP BY 1").fetchall())
        accounts = [
            r[0]
            for r in con.execute(
                """
                SELECT account_id FROM accounts WHERE account_id IS NOT NULL
                UNION SELECT account_a FROM _cib_le UNION SELECT account_b FROM _cib_le
                UNION SELECT account_id FROM _cib_mem
                ORDER BY 1
                """
            ).fetchall()
        ]
    finally:
        con.unregister("_cib_le")
        con.unregister("_cib_mem")

    c_acc: list[str] = []
    c_name: list[str] = []
    c_val: list[float] = []
    c_n: list[int] = []
    c_det: list[str] = []
    for acc, layer, s, k, shared, other, best_p in per_layer:
        val = float(1.0 - np.exp(-float(s) / p.saturation))
        c_acc.append(acc)
        c_name.append(layer)
        c_val.append(val)
        c_n.append(n_ev.get((acc, layer), 0) if with_evidence_counts else int(k))
        c_det.append(
            f"{int(k)} significant {layer} link(s), {int(shared or 0)} shared item(s), "
            f"evidence {float(s):.1f} (-log10 p); strongest p={_fmt_p(float(best_p))} with {other}"
        )
    for acc, g in membership.items():
        size = int(sizes[g])
        d = int(partners.get(acc, 0))
        val = p.group_weight * d / (size - 1) if size > 1 else 0.0
        c_acc.append(acc)
        c_name.append(GROUP_TERM)
        c_val.append(float(val))
        c_n.append(d)
        c_det.append(f"member of group {g} ({size} accounts), significantly linked to {d} of the {size - 1} other members")
    contributions = pa.table(
        {
            "account_id": pa.array(c_acc, pa.string()),
            "contribution": pa.array(c_name, pa.string()),
            "value": pa.array(c_val, pa.float64()),
            "n_evidence": pa.array(c_n, pa.int64()),
            "detail": pa.array(c_det, pa.string()),
        }
    ).sort_by([("account_id", "ascending"), ("value", "descending"), ("contribution", "ascending")])

    total: dict[str, float] = {}
    terms: dict[str, list[tuple[float, str]]] = {}
    for acc, name, val in zip(c_acc, c_name, c_val):
        total[acc] = total.get(acc, 0.0) + val
        terms.setdefault(acc, []).append((val, name))
    s_score: list[float] = []
    s_flag: list[bool] = []
    s_group: list[int | None] = []
    s_reasons: list[str] = []
    for acc in accounts:
        t = total.get(acc, 0.0)
        score = float(squash(t))
        g = membership.get(acc)
        flag = g is not None and score >= p.threshold and int(partners.get(acc, 0)) >= p.min_partners
        top = sorted(terms.get(acc, []), key=lambda x: (-x[0], x[1]))[: p.top_reasons]
        s_score.append(score)
        s_flag.append(bool(flag))
        s_group.append(g)
        s_reasons.append("; ".join(f"{name} {val:.2f}" for val, name in top if val > 0))
    scores = pa.table(
        {
            "account_id": pa.array(accounts, pa.string()),
            "score": pa.array(s_score, pa.float64()),
            "flagged": pa.array(s_flag, pa.bool_()),
            "group_id": pa.array(s_group, pa.int32()),
            "top_reasons": pa.array(s_reasons, pa.string()),
        }
    )
    return ScoreResult(scores=scores, contributions=contributions)


def write_scores(con: duckdb.DuckDBPyConnection, result: ScoreResult) -> None:
    """Replace the case's ``scores`` and ``score_contributions`` tables."""
    con.execute("DELETE FROM scores")
    con.execute("DELETE FROM score_contributions")
    con.register("_cib_s", result.scores)
    con.register("_cib_c", result.contributions)
    try:
        con.execute("INSERT INTO scores SELECT account_id, score, flagged, group_id, top_reasons FROM _cib_s")
        con.execute("INSERT INTO score_contributions SELECT account_id, contribution, value, n_evidence, detail FROM _cib_c")
    finally:
        con.unregister("_cib_s")
        con.unregister("_cib_c")

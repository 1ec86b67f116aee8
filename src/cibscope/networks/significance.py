"""Significance against chance: popularity is not coordination.

Two accounts that both retweeted a celebrity within a minute have shown nothing: hundreds did.
Two accounts that, again and again, share items almost nobody else shares have. This module
turns the builder's per-(pair, key) co-occurrences into one scored edge per pair.

Rarity weight
    A key shared by ``m_k`` distinct accounts weighs ``w_k = 1 / log2(max(m_k, 2))``: 1 for an
    item only the pair shares, 0.5 for 4 accounts, 0.11 for 500. An edge's ``weight`` is the
    sum of ``w_k`` over the keys the pair shares within the window (an IDF-like score).

Null model (label shuffling, degree preserving)
    Keep every action's key and time, and so which action *slots* co-occur; shuffle which
    account holds each slot, keeping how many distinct keys each account touched (``d_a``, its
    degree in the account-key bipartite graph; ``L = sum_a d_a``). Under this configuration
    null an ordered co-occurring slot pair belongs to (a, b) with probability
    ``d_a d_b / (L (L - 1))``, so the expected rarity-weighted co-occurrence of a pair is::

        expected_ab = d_a * d_b * M1 / (L * (L - 1)),   M1 = sum_k P_k w_k = 2 * sum_pairs weight

    where ``P_k`` is the number of ordered account pairs co-occurring on key k within the
    window. Time enters through ``P_k``: a key whose actions are spread over months contributes
    few in-window pairs, a burst contributes many. Activity enters through ``d_a d_b``: two
    very active accounts are expected to meet more often.

P-value (compound Poisson, scaled-Poisson approximation)
    Under the null the weighted count ``T = sum w_k X_k`` is a compound Poisson sum with mean
    ``mu = expected`` and variance ``sum lambda_k w_k^2``; with ``c = M2 / M1``
    (``M2 = sum_k P_k w_k^2``) it is approximated by ``c * Poisson(mu / c)`` and::

        p = P(Poisson(mu / c) >= T / c) = gammainc(T / c, mu / c)

    (the regularised lower incomplete gamma function; exact Poisson tail when all w_k = 1).
    Because ``c`` is the weight of a typical co-occurrence, sharing popular items (w << c)
    scores far below sharing rare ones (w ~ 1) for the same count.

Multiplicity
    Every account pair with at least one co-occurrence is a test (their number is the layer's
    ``pairs_considered``). An edge is kept when its adjusted p-value is ``<= alpha`` and
    ``n_shared >= min_shared``: ``correction='bh'`` (default) adjusts by Benjamini-Hochberg
    (q-values, false discovery rate), ``'bonferroni'`` multiplies by the number of tests,
    ``'none'`` uses the raw p-value. ``edges.p_value`` stores the *raw* p-value, so a later stage
    can re-apply a correction with ``pairs_considered`` tests (BH over the kept edges' raw
    p-values with that m reproduces the builder's q-values, up to pairs removed by min_shared).

Several platforms
    On a case of several platforms the shuffle stays within each platform: an account's
    actions are exchangeable only with accounts of its own platform, and the null's totals are
    kept per pair of platforms (P, Q): ``expected_ab = d_a d_b W_PQ / (L_P L_Q)`` for accounts
    of different platforms, ``d_a d_b 2 W_PP / (L_P (L_P - 1))`` for two of P (``W`` the
    observed weights of the block's pairs, ``L_P`` the incidences of P), with the dispersion
    ``c`` of the block. A platform with ten times the other's volume thus has its own
    expectations and does not make cross-platform links by volume (docs/cross-platform.md).

Assumptions (also in docs/traces.md): actions are exchangeable between accounts given their
degrees (communities of interest, e.g. fans of one account, violate this and can still pass:
their rarity weight is low, which is what groups and scores should use); keys are treated as
independent; the Poisson approximation needs small per-key probabilities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from ..case import engine_or_connection
from ..exact import FIXED_POINT

if TYPE_CHECKING:
    from ..case import Case
    from ..engine import Engine

__all__ = ["SignificanceResult", "score_pairs", "adjust_pvalues", "rarity_weight_sql", "rarity_weights", "pvalues"]


@dataclass
class SignificanceResult:
    pairs_considered: int
    pairs_kept: int
    accounts: int
    incidences: int  # L
    m1: float
    m2: float


#: Weights are summed in fixed point, as integer multiples of 1/_FIXED (see score_pairs).
_FIXED = FIXED_POINT


def rarity_weight_sql(m: str) -> str:
    """SQL for the rarity weight of a key shared by ``m`` distinct accounts."""
    return f"(1.0 / log2(greatest({m}, 2)))"


def rarity_weights(sizes: np.ndarray) -> pa.Table:
    """``(m, wq, w2q)`` for each key size ``m``: the rarity weight :func:`rarity_weight_sql` and
    its square in fixed point (multiples of 1/FIXED_POINT, rounded half away from zero, as SQL's
    ``round``), computed with C's ``log2`` (``math.log2``, the function DuckDB's ``log2`` calls):
    the same values DuckDB's SQL gave, on every engine (a test compares them)."""
    ms = sorted({int(m) for m in np.asarray(sizes).tolist()})
    wq, w2q = [], []
    for m in ms:
        w = 1.0 / math.log2(max(m, 2))
        wq.append(_round_half_away(w * _FIXED))
        w2q.append(_round_half_away(w * w * _FIXED))
    return pa.table({"m": pa.array(ms, pa.int64()), "wq": pa.array(wq, pa.int64()), "w2q": pa.array(w2q, pa.int64())})


def _round_half_away(x: float) -> int:
    # x >= 0 and below 2^52: x + 0.5 is exact, so floor(x + 0.5) is round half away from zero
    return int(math.floor(x + 0.5))


def pvalues(weight: np.ndarray, expected: np.ndarray, c: float | np.ndarray) -> np.ndarray:
    """Upper-tail p-values of the scaled Poisson approximation (vectorised); ``c`` is one
    dispersion for all tests or one per test (a non-positive ``c`` counts as 1)."""
    if weight.size == 0:
        return np.zeros(0)
    c = np.where(np.asarray(c, dtype=float) > 0, c, 1.0)
    a = np.maximum(weight / c, 1e-12)
    x = np.maximum(expected / c, 0.0)
    from scipy.special import gammainc  # here, not at import: `cibscope network --counts` tests nothing

    return np.clip(gammainc(a, x), 0.0, 1.0)


def adjust_pvalues(p: np.ndarray, method: str) -> np.ndarray:
    """Multiplicity adjustment: 'bh' (Benjamini-Hochberg q-values), 'bonferroni' or 'none'."""
    m = p.size
    if m == 0 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(p)
    out[order] = np.minimum(q, 1.0)
    return out


#: Seconds: the evidence of an edge is chosen among its action pairs at most the smallest of
#: these apart under which it shares ``evidence_per_edge`` keys (see ``evidence_sql``), for a
#: layer without a window; a windowed layer uses ``window`` times ``EVIDENCE_CUTOFF_FRACTIONS``
#: (a 60-s window: 1, 5, 10, 30 and 60 s; near_duplicate's hour: 1, 5, 10, 30 and 60 minutes).
#: More cutoffs rank fewer pairs (near_duplicate at 10M tweets: 14.8M pairs with 1/60, 1/6
#: and 1 of the window, 10.8M with these five) at the cost of one filtered count each.
EVIDENCE_CUTOFFS: tuple[float, ...] = (1.0, 5.0, 10.0, 30.0, 60.0)
EVIDENCE_CUTOFF_FRACTIONS: tuple[float, ...] = (1 / 60, 1 / 12, 1 / 6, 1 / 2, 1.0)


def evidence_cutoffs(window: float | None) -> tuple[float, ...]:
    """The evidence cutoffs (seconds) of a layer with this window."""
    if window is None:
        return EVIDENCE_CUTOFFS
    return tuple(float(window) * f for f in EVIDENCE_CUTOFF_FRACTIONS)


def _ev_tau_sql(n_evidence: int, cutoffs: tuple[float, ...]) -> str:
    if n_evidence <= 0 or not cutoffs:
        return "CAST(NULL AS DOUBLE)"
    whens = " ".join(
        f"WHEN count(*) FILTER (WHERE pk.min_dt <= {c!r}) >= {int(n_evidence)} THEN {c!r}" for c in cutoffs
    )
    return f"CASE {whens} ELSE CAST(NULL AS DOUBLE) END"


def score_pairs(
    db: Case | Engine,
    *,
    min_shared: int,
    alpha: float,
    correction: str,
    evidence_per_edge: int = 0,
    evidence_cutoffs: tuple[float, ...] = EVIDENCE_CUTOFFS,
    all_pairs: bool = False,
) -> SignificanceResult:
    """Create temp table ``_cib_edges``: the kept pairs, scored (``kept`` true), or with
    ``all_pairs`` every candidate pair (``kept`` says which). Every stage reads only the kept
    ones; joining the account ids to millions of untested-looking pairs (sync_activity tests 6M
    at 10M tweets) cost more than the test.

    ``evidence_per_edge`` and ``evidence_cutoffs`` set ``_cib_edges.ev_tau``, the evidence
    cutoff of :func:`cibscope.networks.cooccurrence.evidence_sql` (NULL: rank every action pair).

    Needs ``_cib_acti``, ``_cib_pairkey`` and ``_cib_accmap`` from
    :func:`cibscope.networks.cooccurrence.run_cooccurrence`. Works on integer ids; the account
    ids are joined back only for the output.
    """
    eng = engine_or_connection(db)
    # Weights are summed as integers (multiples of 2^-40): a sum of doubles depends on the order
    # DuckDB's parallel aggregation happens to add them in, and the last bit of a pair's weight,
    # its expectation and its p-value then changed from run to run. Integer sums do not.
    # The weight of each key size is computed here, not by the engine's log2 (Spark's is
    # log(x) / log(2), a last bit away from C's log2 for some sizes): the same on every engine.
    eng.execute(
        "CREATE OR REPLACE TEMP TABLE _cib_keym AS SELECT a.key_i, count(DISTINCT a.acc_i) AS m "
        "FROM _cib_acti AS a GROUP BY a.key_i"
    )
    sizes = eng.fetch_numpy("SELECT DISTINCT m FROM _cib_keym")["m"]
    eng.register_arrow("_cib_mw_arrow", rarity_weights(sizes))
    try:
        eng.execute(
            "CREATE OR REPLACE TEMP TABLE _cib_keyw AS SELECT k.key_i, k.m, w.wq, w.w2q "
            "FROM _cib_keym AS k JOIN _cib_mw_arrow AS w ON w.m = k.m"
        )
    finally:
        eng.unregister("_cib_mw_arrow")
    eng.drop("_cib_keym")
    eng.execute(
        "CREATE OR REPLACE TEMP TABLE _cib_deg AS SELECT a.acc_i, count(DISTINCT a.key_i) AS d "
        "FROM _cib_acti AS a GROUP BY a.acc_i"
    )
    eng.execute(
        "CREATE OR REPLACE TEMP TABLE _cib_pairs AS "
        "SELECT p.*, da.d AS d_a, db.d AS d_b "
        f"FROM (SELECT pk.a_i, pk.b_i, count(*) AS n_shared, CAST(sum(kw.wq) AS DOUBLE) / {_FIXED!r} AS weight, "
        f"CAST(sum(kw.w2q) AS DOUBLE) / {_FIXED!r} AS w2, min(pk.first_at) AS first_at, max(pk.last_at) AS last_at, "
        f"{_ev_tau_sql(int(evidence_per_edge), tuple(evidence_cutoffs))} AS ev_tau "
        "FROM _cib_pairkey AS pk JOIN _cib_keyw AS kw ON kw.key_i = pk.key_i "
        "GROUP BY pk.a_i, pk.b_i) AS p "
        "JOIN _cib_deg AS da ON da.acc_i = p.a_i JOIN _cib_deg AS db ON db.acc_i = p.b_i"
    )
    tot = eng.execute(
        "SELECT (SELECT coalesce(sum(d), 0) FROM _cib_deg), (SELECT count(*) FROM _cib_deg), "
        f"coalesce(2 * CAST(sum(CAST(round(weight * {_FIXED!r}) AS HUGEINT)) AS DOUBLE) / {_FIXED!r}, 0), "
        f"coalesce(2 * CAST(sum(CAST(round(w2 * {_FIXED!r}) AS HUGEINT)) AS DOUBLE) / {_FIXED!r}, 0), count(*) FROM _cib_pairs"
    ).fetchall()[0]
    big_l, n_acc, m1, m2, n_pairs = int(tot[0]), int(tot[1]), float(tot[2]), float(tot[3]), int(tot[4])
    arr = eng.fetch_numpy("SELECT a_i, b_i, n_shared, weight, w2, d_a, d_b FROM _cib_pairs")
    a_i = np.asarray(arr["a_i"], dtype=np.int32)
    b_i = np.asarray(arr["b_i"], dtype=np.int32)
    weight = np.asarray(arr["weight"], dtype=np.float64)
    d_a = np.asarray(arr["d_a"], dtype=np.float64)
    d_b = np.asarray(arr["d_b"], dtype=np.float64)
    n_shared = np.asarray(arr["n_shared"], dtype=np.int64)
    platforms = _platforms(eng)
    if platforms is None:
        denom = float(big_l) * float(max(big_l - 1, 1))
        expected = d_a * d_b * m1 / denom
        c: float | np.ndarray = m2 / m1 if m1 > 0 else 1.0
    else:
        expected, c = _expected_per_platform(eng, platforms, a_i, b_i, weight, np.asarray(arr["w2"], dtype=np.float64), d_a, d_b)
    p_raw = pvalues(weight, expected, c)
    p_adj = adjust_pvalues(p_raw, correction)
    kept = (n_shared >= min_shared) & (p_adj <= alpha)
    rows = slice(None) if all_pairs else kept
    scored = pa.table(
        {
            "a_i": pa.array(a_i[rows], pa.int32()),
            "b_i": pa.array(b_i[rows], pa.int32()),
            "expected": pa.array(expected[rows], pa.float64()),
            "p_value": pa.array(p_raw[rows], pa.float64()),
            "q_value": pa.array(p_adj[rows], pa.float64()),
            "kept": pa.array(kept[rows], pa.bool_()),
        }
    )
    eng.register_arrow("_cib_scored_arrow", scored)
    try:
        eng.execute(
            "CREATE OR REPLACE TEMP TABLE _cib_edges AS SELECT p.a_i, p.b_i, ma.account_id AS account_a, "
            "mb.account_id AS account_b, p.n_shared, p.weight, s.expected, s.p_value, s.q_value, p.first_at, p.last_at, s.kept, p.ev_tau "
            "FROM _cib_pairs AS p JOIN _cib_scored_arrow AS s ON s.a_i = p.a_i AND s.b_i = p.b_i "
            "JOIN _cib_accmap AS ma ON ma.acc_i = p.a_i JOIN _cib_accmap AS mb ON mb.acc_i = p.b_i"
        )
    finally:
        eng.unregister("_cib_scored_arrow")
    return SignificanceResult(
        pairs_considered=n_pairs,
        pairs_kept=int(kept.sum()),
        accounts=n_acc,
        incidences=big_l,
        m1=m1,
        m2=m2,
    )


def _platforms(eng: Engine) -> np.ndarray | None:
    """``plat_i`` of every account (indexed by ``acc_i``) when the builder mapped accounts to
    platforms (``_cib_accplat``) and the layer's accounts are on at least two; else None."""
    if not eng.exists("_cib_accplat"):
        return None
    got = eng.fetch_numpy("SELECT acc_i, plat_i FROM _cib_accplat")
    acc = np.asarray(got["acc_i"], dtype=np.int64)
    plat = np.asarray(got["plat_i"], dtype=np.int64)
    if acc.size == 0 or np.unique(plat).size < 2:
        return None
    out = np.zeros(int(acc.max()) + 1, dtype=np.int64)
    out[acc] = plat
    return out


def _expected_per_platform(
    eng: Engine,
    platforms: np.ndarray,
    a_i: np.ndarray,
    b_i: np.ndarray,
    weight: np.ndarray,
    w2: np.ndarray,
    d_a: np.ndarray,
    d_b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected weights and dispersions under the null kept per platform.

    Each account's actions are shuffled among accounts **of its own platform** only (the
    configuration null above, stratified). The weight that falls on pairs of platforms
    (P, Q) is then fixed by the data, ``W_PQ`` (the observed weights of such pairs, summed),
    and spread over the pairs of the block by their degrees::

        expected_ab = d_a d_b * 2 W_PP / (L_P (L_P - 1))   a, b on P
        expected_ab = d_a d_b * W_PQ / (L_P L_Q)            a on P, b on Q != P

    with ``L_P`` the incidences (sum of degrees) of platform P. The expectations of a block
    add up to its observed weight, so a platform's own volume (large ``L_P``, many
    co-occurrences among its own accounts) changes neither the other blocks' expectations nor
    their dispersion ``c_PQ = W2_PQ / W_PQ``. With one platform this is the formula above.
    """
    deg = eng.fetch_numpy("SELECT acc_i, d FROM _cib_deg")
    acc = np.asarray(deg["acc_i"], dtype=np.int64)
    d = np.asarray(deg["d"], dtype=np.float64)
    n_plat = int(platforms.max()) + 1
    big_l = np.bincount(platforms[acc], weights=d, minlength=n_plat).astype(np.float64)
    pa = platforms[a_i.astype(np.int64)]
    pb = platforms[b_i.astype(np.int64)]
    lo, hi = np.minimum(pa, pb), np.maximum(pa, pb)
    block = lo * n_plat + hi
    # (float: bincount of no pairs at all gives integers)
    w_block = np.bincount(block, weights=weight, minlength=n_plat * n_plat).astype(np.float64)
    w2_block = np.bincount(block, weights=w2, minlength=n_plat * n_plat).astype(np.float64)
    same = lo == hi
    l_lo, l_hi = big_l[lo], big_l[hi]
    denom = np.where(same, l_lo * np.maximum(l_lo - 1.0, 1.0), l_lo * l_hi)
    total = np.where(same, 2.0 * w_block[block], w_block[block])
    expected = d_a * d_b * total / np.maximum(denom, 1.0)
    wb = w_block[block]
    c = np.divide(w2_block[block], wb, out=np.ones_like(wb), where=wb > 0)
    return expected, c


SIGNIFICANCE_TEMP_TABLES = ("_cib_keym", "_cib_keyw", "_cib_deg", "_cib_pairs", "_cib_edges")

"""Is a group more coordinated than chance allows *in this case*? A null built from the case itself.

Every edge of the network already beat a pairwise null (:mod:`cibscope.networks.significance`),
but groups are *selected*: Leiden gathers the accounts whose edges happen to cluster, and when
hundreds of thousands of pairs are tested some clusters of chance edges appear. How strong such
a chance group can get depends on the case (its size, how bursty its items are, how many pairs
each layer tests), so no constant threshold on a group statistic holds across cases -- one tuned
on one synthetic world failed on another generator and on the IRA's #KochFarms hoax.

So the case is copied ``replicates`` times with the coordination broken and everything else
kept, the same pipeline (the same traces, builder, significance test, fusion and Leiden, with
the same parameters) runs on each copy, and every real group is compared with the groups the
copies produce.

What a null copy keeps and what it breaks
-----------------------------------------
* **Kept**: every account's actions (which posts it retweeted, which links, hashtags and texts
  it posted, how many), every account's rhythm (hour of day, day of week) and burstiness, the
  items and their popularity, the case's time span.
* **Broken**: *when accounts act relative to each other*. Each account's whole timeline moves
  by its own random shift, circularly within the case's span: a whole number of **weeks** when
  the case spans at least 8 weeks (hour-of-week rhythm kept exactly), else of days (time of
  day kept), else of hours. Account-level attributes (creation day and handle shape, profile
  templates) are permuted among the accounts. Two accounts keep acting together only if they
  drew the same shift (one chance in the number of possible shifts).

What the null does *not* break: shared interest. Members of a fan club still retweet the same
star and activists still post the same hashtags in the copies -- only not at the same moments.
A community that acts together at the same moments (a fan club reacting within seconds to its
star) therefore *is* coordinated in this sense; telling organic from inauthentic coordination is
the job of the group's inauthenticity signals (:mod:`cibscope.evidence.signals`), not of this
test.

The statistic and the decision
------------------------------
A group's statistic is its **internal evidence**: the sum over its internal significant pairs
of ``min(1, fused weight / cap)`` -- how many fully convincing links it holds (a pair that only
survives the multiple-testing cut counts ~0, one beyond any doubt counts 1). For a real group
with statistic ``t``::

    E(t) = (groups with statistic >= t in the null copies) / replicates

is the number of groups at least this strong that chance gives per case (an E-value), and the
false discovery rate among the real groups at least this strong is estimated as
``E(t) / #(real groups >= t)`` (the permutation estimate of Tusher, Tibshirani & Chu 2001, SAM);
q-values are its running minimum. A group is *coordinated* when ``q <= fdr``. With ``R``
replicates the smallest non-zero ``E`` is ``1 / R``; ``E = 0`` means no copy produced a group
this strong (the largest null group is reported beside it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..case import engine_or_connection
from ..engine import Engine
from ..networks.multiplex import FusedNetwork, MultiplexParams, fuse_layers
from ..params import Interval, validate
from ..progress import Progress, step
from ..traces.base import NULL_PERM_TABLE, NULL_SHIFT_TABLE, Trace

if TYPE_CHECKING:
    from ..case import Case

__all__ = [
    "NullParams",
    "GroupStat",
    "NullResult",
    "Calibration",
    "group_statistics",
    "null_copies",
    "null_groups",
    "calibrate",
    "NULL_GROUP_COLUMNS",
    "NULL_EDGE_COLUMNS",
]

PARAMETER_CONSTRAINTS = {
    "replicates": Interval(int, 0, None),
    "fdr": Interval(float, 0.0, 1.0, closed="neither"),
    "seed": Interval(int, 0, None),
}

_WEEK_US = 7 * 86_400_000_000
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
#: the shift unit is the largest of these that gives at least this many distinct positions
MIN_POSITIONS = 8


@dataclass(frozen=True)
class NullParams:
    """Null copies of the case.

    replicates : number of null copies (0 switches the test off: every group counts as
        coordinated, as before this test existed).
    fdr : false discovery rate at which a group is called coordinated.
    seed : seed of the shifts and permutations (the same seed gives the same copies).
    """

    replicates: int = 2
    fdr: float = 0.05
    seed: int = 1

    def validate(self) -> None:
        validate("null", PARAMETER_CONSTRAINTS, self.__dict__)


@dataclass(frozen=True)
class GroupStat:
    """One group's size and internal links (``pairs``: significant internal fused pairs;
    ``evidence``: their summed ``min(1, weight / cap)``; ``layers``: internal pairs per layer)."""

    size: int
    pairs: int
    evidence: float
    layers: Mapping[str, int] = field(default_factory=dict)


NULL_GROUP_COLUMNS = ("replicate", "size", "pairs", "evidence", "layers")


NULL_EDGE_COLUMNS = ("replicate", "layer", "account_a", "account_b", "n_shared", "p_value")


@dataclass
class NullResult:
    """The null copies: their significant edges (``edges``, columns :data:`NULL_EDGE_COLUMNS`;
    kept in the case table ``null_edges`` so re-scoring with other group parameters or without
    a layer regroups them without rebuilding anything), the pairs each layer tested per copy
    (``tests``: replicate -> layer -> pairs), the groups they give (``groups``, columns
    :data:`NULL_GROUP_COLUMNS`) and per-copy counters (``copies``)."""

    replicates: int
    edges: pa.Table
    tests: dict[int, dict[str, int]]
    groups: pa.Table
    copies: list[dict[str, Any]]
    unit: str


@dataclass(frozen=True)
class Calibration:
    """A real group against the null: ``n_null`` null groups at least as strong in all copies,
    ``e_value`` = n_null / replicates, ``q_value`` (estimated false discovery rate), and the
    decision ``coordinated`` (q <= fdr; True for every group when there are no copies)."""

    statistic: float
    n_null: int
    e_value: float
    q_value: float
    coordinated: bool


def group_statistics(net: FusedNetwork, membership: Mapping[str, int], *, cap: float = 20.0) -> dict[int, GroupStat]:
    """Size, internal significant pairs, internal evidence and per-layer pairs of every group."""
    sizes: dict[int, int] = {}
    for g in membership.values():
        sizes[g] = sizes.get(g, 0) + 1
    if not sizes:
        return {}
    mem = pa.table({"account": pa.array(list(membership), pa.string()), "g": pa.array(list(membership.values()), pa.int64())})
    pairs: dict[int, int] = {}
    evidence: dict[int, float] = {}
    layers: dict[int, dict[str, int]] = {}
    fused = net.fused
    if fused.num_rows:
        inside = _internal(fused.select(["account_a", "account_b", "weight"]), mem)
        if inside.num_rows:
            ev = pc.min_element_wise(pc.divide(inside.column("weight"), float(cap)), 1.0)
            agg = pa.table({"g": inside.column("g"), "ev": ev}).group_by("g").aggregate([("ev", "sum"), ("ev", "count")])
            for g, s, n in zip(agg.column("g").to_pylist(), agg.column("ev_sum").to_pylist(), agg.column("ev_count").to_pylist()):
                pairs[int(g)] = int(n)
                evidence[int(g)] = float(s)
    le = net.layer_edges
    if le.num_rows:
        inside = _internal(le.select(["account_a", "account_b", "layer"]), mem)
        if inside.num_rows:
            agg = inside.group_by(["g", "layer"]).aggregate([("layer", "count")])
            for g, layer, n in zip(agg.column("g").to_pylist(), agg.column("layer").to_pylist(), agg.column("layer_count").to_pylist()):
                layers.setdefault(int(g), {})[str(layer)] = int(n)
    return {
        g: GroupStat(
            size=n, pairs=pairs.get(g, 0), evidence=round(evidence.get(g, 0.0), 9),
            layers=dict(sorted(layers.get(g, {}).items())),
        )
        for g, n in sorted(sizes.items())
    }


def _internal(edges: pa.Table, mem: pa.Table) -> pa.Table:
    """The rows of ``edges`` whose two accounts are in the same group, with that group as ``g``."""
    a = edges.join(mem.rename_columns(["account_a", "g"]), keys="account_a", join_type="inner")
    b = a.join(mem.rename_columns(["account_b", "g_b"]), keys="account_b", join_type="inner")
    return b.filter(pc.equal(b.column("g"), b.column("g_b")))


def _frame(eng: Engine) -> tuple[int, int, int, str]:
    """(origin, period, unit) in microseconds and the unit's name, from the case's post times."""
    row = eng.execute("SELECT epoch_us(min(created_at)), epoch_us(max(created_at)) FROM posts").fetchall()[0]
    if row[0] is None:
        return 0, _DAY_US, _DAY_US, "day"
    lo, hi = int(row[0]), int(row[1])
    span = hi - lo
    for unit, name in ((_WEEK_US, "week"), (_DAY_US, "day"), (_HOUR_US, "hour")):
        n = span // unit + 1
        if n >= MIN_POSITIONS:
            return lo, n * unit, unit, name
    n = max(2, span // _HOUR_US + 1)
    return lo, n * _HOUR_US, _HOUR_US, "hour"


def _accounts(eng: Engine) -> list[str]:
    rows = eng.execute(
        "SELECT account_id FROM (SELECT account_id FROM posts UNION SELECT account_id FROM accounts) "
        "WHERE account_id IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _install_shift(eng: Engine, accounts: list[str], rng: np.random.Generator, n_units: int, unit: int) -> None:
    """The copy's tables: every account's shift (1 .. n_units - 1 units) and a permutation of the ids."""
    n = len(accounts)
    k = rng.integers(1, n_units, size=n) if n_units >= 2 else np.zeros(n, dtype=np.int64)
    perm = rng.permutation(n)
    ids = pa.array(accounts, pa.string())
    shift = pa.table({"account_id": ids, "shift_us": pa.array(k.astype(np.int64) * int(unit), pa.int64())})
    pm = pa.table({"account_id": ids, "null_id": ids.take(pa.array(perm))})
    for name, table in ((NULL_SHIFT_TABLE, shift), (NULL_PERM_TABLE, pm)):
        eng.register_arrow("_cib_null_arrow", table)
        try:
            eng.materialise(name, "SELECT * FROM _cib_null_arrow")
        finally:
            eng.unregister("_cib_null_arrow")


def _empty_groups() -> pa.Table:
    return pa.table({
        "replicate": pa.array([], pa.int32()), "size": pa.array([], pa.int32()), "pairs": pa.array([], pa.int64()),
        "evidence": pa.array([], pa.float64()), "layers": pa.array([], pa.string()),
    })


def _empty_edges() -> pa.Table:
    return pa.table({
        "replicate": pa.array([], pa.int32()), "layer": pa.array([], pa.string()), "account_a": pa.array([], pa.string()),
        "account_b": pa.array([], pa.string()), "n_shared": pa.array([], pa.int64()), "p_value": pa.array([], pa.float64()),
    })


def null_copies(
    db: Case | Engine,
    traces: Sequence[Trace],
    multiplex: MultiplexParams,
    groups: Any,
    params: NullParams,
    *,
    cap: float | None = None,
    progress: Progress | None = None,
) -> NullResult:
    """Run the traces, builder, fusion and Leiden on ``params.replicates`` null copies of the case.

    ``traces``: the trace objects (with their parameters) of the real run; their rows are read
    from the kept trace tables (:func:`cibscope.networks.kept_trace_table`), which are made here
    for any layer that has none. ``groups``: the :class:`~cibscope.groups.GroupParams` of the
    real run. Writes nothing to the case.
    """
    eng = engine_or_connection(db)
    from ..networks import keep_traces, kept_trace_table, traces_on_case
    from ..networks.cooccurrence import drop_temp, run_cooccurrence
    from ..networks.significance import SIGNIFICANCE_TEMP_TABLES, score_pairs

    params.validate()
    traces = traces_on_case(eng, traces)
    origin, period, unit, unit_name = _frame(eng)
    if params.replicates == 0 or not traces:
        return NullResult(replicates=params.replicates, edges=_empty_edges(), tests={}, groups=_empty_groups(), copies=[], unit=unit_name)
    for t in traces:
        if kept_trace_table(eng, t.layer, t.get_params()) is None:
            keep_traces(eng, [t.name], {t.name: t.get_params()})
    accounts = _accounts(eng)
    n_units = period // unit
    parts: list[pa.Table] = []
    tests: dict[int, dict[str, int]] = {}
    copies: list[dict[str, Any]] = []
    try:
        for r in range(params.replicates):
            t0 = time.perf_counter()
            rng = np.random.default_rng([int(params.seed), r])
            _install_shift(eng, accounts, rng, n_units, unit)
            tested: dict[str, int] = {}
            kept: dict[str, int] = {}
            with step(progress, f"null copy {r + 1} of {params.replicates}", len(traces)) as task:
                for t in traces:
                    rows = kept_trace_table(eng, t.layer, t.get_params())
                    assert rows is not None
                    try:
                        run_cooccurrence(eng, t, trace_sql=t.null_sql(rows, origin, period), times=False)
                        sig = score_pairs(
                            eng,
                            min_shared=int(t.params["min_shared"]),
                            alpha=float(t.params["alpha"]),
                            correction=str(t.params["correction"]),
                            evidence_per_edge=0,
                        )
                        tested[t.layer] = int(sig.pairs_considered)
                        kept[t.layer] = int(sig.pairs_kept)
                        parts.append(
                            eng.fetch_arrow(
                                "SELECT CAST(? AS INTEGER) AS replicate, CAST(? AS VARCHAR) AS layer, account_a, account_b, "
                                "CAST(n_shared AS BIGINT) AS n_shared, p_value FROM _cib_edges WHERE kept ORDER BY account_a, account_b",
                                [r, t.layer],
                            )
                        )
                    finally:
                        drop_temp(eng)
                        for name in SIGNIFICANCE_TEMP_TABLES:
                            eng.drop(name)
                    task.advance(1)
            tests[r] = tested
            copies.append({
                "replicate": r, "unit": unit_name, "pairs_tested": tested, "edges_kept": kept,
                "seconds": round(time.perf_counter() - t0, 3),
            })
    finally:
        for name in (NULL_SHIFT_TABLE, NULL_PERM_TABLE):
            eng.drop(name)
    edges = pa.concat_tables(parts) if parts else _empty_edges()
    grouped = null_groups(eng, edges, tests, multiplex, groups, replicates=params.replicates, cap=cap)
    for c in copies:
        c["groups"] = int(pc.sum(pc.equal(grouped.column("replicate"), c["replicate"])).as_py() or 0) if grouped.num_rows else 0
    return NullResult(replicates=params.replicates, edges=edges, tests=tests, groups=grouped, copies=copies, unit=unit_name)


def null_groups(
    db: Case | Engine,
    edges: pa.Table,
    tests: Mapping[int, Mapping[str, int]],
    multiplex: MultiplexParams,
    groups: Any,
    *,
    replicates: int,
    exclude_layers: Sequence[str] = (),
    cap: float | None = None,
) -> pa.Table:
    """The groups (columns :data:`NULL_GROUP_COLUMNS`) of each null copy's edges: fused and
    grouped with the real run's parameters, ``exclude_layers`` left out (the ablation)."""
    eng = engine_or_connection(db)
    from . import find_groups

    cap = float(multiplex.cap if cap is None else cap)
    tables: list[pa.Table] = []
    for r in range(replicates):
        mine = edges.filter(pc.equal(edges.column("replicate"), r)) if edges.num_rows else edges
        if not mine.num_rows:
            continue
        view = mine.drop(["replicate"]).append_column("first_at", pa.nulls(mine.num_rows, pa.timestamp("us"))).append_column(
            "last_at", pa.nulls(mine.num_rows, pa.timestamp("us")))
        eng.register_arrow("_cib_null_edges", view)
        try:
            net = fuse_layers(
                eng, multiplex, n_tests=dict(tests.get(r, {})), table="_cib_null_edges", exclude_layers=tuple(exclude_layers)
            )
        finally:
            eng.unregister("_cib_null_edges")
        membership = find_groups(net, groups, cap=cap)
        stats = group_statistics(net, membership, cap=cap)
        if stats:
            tables.append(pa.table({
                "replicate": pa.array([r] * len(stats), pa.int32()),
                "size": pa.array([s.size for s in stats.values()], pa.int32()),
                "pairs": pa.array([s.pairs for s in stats.values()], pa.int64()),
                "evidence": pa.array([s.evidence for s in stats.values()], pa.float64()),
                "layers": pa.array([json.dumps(dict(s.layers), sort_keys=True) for s in stats.values()], pa.string()),
            }))
    out = pa.concat_tables(tables) if tables else _empty_groups()
    if out.num_rows:
        out = out.sort_by([("replicate", "ascending"), ("evidence", "descending"), ("size", "descending"), ("pairs", "descending")])
    return out


def calibrate(real: Mapping[int, GroupStat], null_groups: pa.Table, replicates: int, fdr: float) -> dict[int, Calibration]:
    """Each real group's E-value and q-value against the null copies' groups (see the module docstring)."""
    if not real:
        return {}
    ids = sorted(real)
    t = np.array([real[g].evidence for g in ids], dtype=float)
    if replicates <= 0:
        return {g: Calibration(statistic=float(v), n_null=0, e_value=0.0, q_value=0.0, coordinated=True) for g, v in zip(ids, t)}
    nv = np.sort(np.asarray(null_groups.column("evidence").to_numpy(zero_copy_only=False), dtype=float))
    # null groups at least as strong as each real group; real groups at least as strong
    n_null = nv.size - np.searchsorted(nv, t, side="left")
    rv = np.sort(t)
    n_real = rv.size - np.searchsorted(rv, t, side="left")
    e = n_null / float(replicates)
    fdr_hat = np.minimum(1.0, e / np.maximum(n_real, 1))
    # q-value: the smallest estimated FDR over thresholds at or below this group's statistic
    order = np.argsort(-t, kind="stable")
    q = np.empty_like(fdr_hat)
    run = 1.0
    for i in order[::-1]:  # weakest first: a threshold below t admits this group too
        run = min(run, float(fdr_hat[i]))
        q[i] = run
    return {
        g: Calibration(statistic=float(t[i]), n_null=int(n_null[i]), e_value=float(e[i]), q_value=float(q[i]),
                       coordinated=bool(q[i] <= fdr))
        for i, g in enumerate(ids)
    }

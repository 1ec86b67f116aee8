"""Similarity networks: every trace -> one layer of scored account pairs, with evidence.

>>> stats = build_networks(case)                          # doctest: +SKIP
>>> stats.layers["co_retweet"].pairs_kept                  # doctest: +SKIP

For each trace (:mod:`cibscope.traces`) the one builder (:mod:`.cooccurrence`) finds account
pairs acting on the same key within the trace's window, :mod:`.significance` weights shared
keys by rarity and tests each pair against chance, and the kept pairs go to the case table
``edges`` (one row per layer and pair, ``account_a < account_b``). For every kept edge up to
``evidence_per_edge`` concrete post pairs (closest in time first) go to ``evidence``, with the
shared item, the seconds apart and both sources as ``file:line``. On a case of several
platforms the significance test keeps its null per platform, and the cross-platform layers
(``xp_*``, :mod:`cibscope.traces.cross_platform`) pair only accounts of different platforms;
on a case of one platform those layers are skipped (empty). Traces that compute their
keys (``stores_keys``: near_duplicate's text clusters) also leave each post's key in
``post_keys``. ``keep`` leaves a layer's trace rows in a temp table for the scorer
(:func:`kept_trace_table`), so the group-membership test does not run the trace again.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Collection, Sequence

from ..case import engine_or_connection
from ..engine import Engine
from ..errors import CaseStateError, ParameterError
from ..progress import Progress, step
from ..traces import get_trace, trace_names
from ..traces.base import Trace
from .cooccurrence import CooccurrenceResult, drop_temp, evidence_sql, full_trace_sql, run_cooccurrence, trace_table_sql
from .significance import SIGNIFICANCE_TEMP_TABLES, evidence_cutoffs, score_pairs

if TYPE_CHECKING:
    from ..case import Case

__all__ = [
    "LayerStats", "NetworkStats", "build_networks", "build_layer", "keep_traces", "kept_trace_table", "drop_kept_traces",
    "traces_on_case", "engine_tables",
]

#: ``build_networks(keep=...)`` leaves a layer's trace rows in the temp table with this prefix
KEPT_PREFIX = "_cib_keep_"
#: (layer, parameters as JSON) of each kept table: a table kept with other parameters is not used
_KEPT_PARAMS = "_cib_kept_params"


@dataclass
class LayerStats:
    layer: str
    params: dict[str, Any]
    rows: int = 0  # distinct trace actions
    keys: int = 0
    action_pairs: int = 0  # co-occurring action pairs of different accounts
    pairs_considered: int = 0  # candidate account pairs (>= 1 shared key): the number of tests
    pairs_kept: int = 0  # edges written
    bounded_action_pairs: int = 0  # in-window action pairs left out on hot keys (max_neighbors)
    bounded_keys: int = 0
    evidence_rows: int = 0
    seconds: float = 0.0


@dataclass
class NetworkStats:
    layers: dict[str, LayerStats] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (for detect_runs.stats)."""
        return {"seconds": self.seconds, "layers": {k: asdict(v) for k, v in self.layers.items()}}

    @property
    def bounded_action_pairs(self) -> int:
        return sum(s.bounded_action_pairs for s in self.layers.values())


def _make(name: str, params: dict[str, Any] | None) -> Trace:
    cls = get_trace(name)
    return cls(**(params or {}))


def build_layer(db: Case | Engine, trace: Trace, *, all_pairs: bool = False) -> tuple[LayerStats, CooccurrenceResult]:
    """Build one layer into temp table ``_cib_edges`` (the kept pairs; every candidate with
    ``all_pairs``) and ``_cib_raw``, on ``db`` (the case's own engine, or another
    :class:`~cibscope.engine.Engine`).

    Does not write the case tables; :func:`build_networks` does.
    """
    eng = engine_or_connection(db)
    t0 = time.perf_counter()
    trace.prepare(eng)
    try:
        co = run_cooccurrence(eng, trace)
    finally:
        trace.cleanup(eng)
    sig = score_pairs(
        eng,
        min_shared=int(trace.params["min_shared"]),
        alpha=float(trace.params["alpha"]),
        correction=str(trace.params["correction"]),
        evidence_per_edge=int(trace.params["evidence_per_edge"]),
        evidence_cutoffs=evidence_cutoffs(trace.window),
        all_pairs=all_pairs,
    )
    st = LayerStats(
        layer=trace.layer,
        params=trace.get_params(),
        rows=co.rows,
        keys=co.keys,
        action_pairs=co.action_pairs,
        pairs_considered=sig.pairs_considered,
        pairs_kept=sig.pairs_kept,
        bounded_action_pairs=co.bounded_action_pairs,
        bounded_keys=co.bounded_keys,
        seconds=time.perf_counter() - t0,
    )
    return st, co


def _write_layer(case: Engine, layer: str, n_evidence: int, *, stores_keys: bool = False, engine: Engine | None = None) -> int:
    """Write the layer's kept edges, evidence and (``stores_keys``) post keys into the case
    (``case``: the case's engine; ``engine``: where the layer was built, default the case's).

    On the case's own engine the rows go straight from the temp tables; from another engine
    (Spark) they come back as Arrow, in the same order, and are inserted from there."""
    eng = case if engine is None else engine
    if eng.capabilities.shares_case:
        src = _direct_insert(case)
    else:
        src = _arrow_insert(case, eng)
    if stores_keys:
        src(
            "INSERT INTO post_keys (layer, post_id, account_id, key) SELECT ?, g.post_id, g.account_id, g.key "
            "FROM ({q}) AS g ORDER BY g.post_id",
            "SELECT g.post_id, g.account_id, g.key FROM _cib_trace AS g JOIN _cib_keymap AS km ON km.key = g.key WHERE km.m >= 2",
            [layer],
        )
    src(
        "INSERT INTO edges (layer, account_a, account_b, n_shared, weight, expected, p_value, first_at, last_at) "
        "SELECT ?, e.account_a, e.account_b, e.n_shared, e.weight, e.expected, e.p_value, e.first_at, e.last_at "
        "FROM ({q}) AS e ORDER BY e.a_i, e.b_i",
        "SELECT a_i, b_i, account_a, account_b, n_shared, weight, expected, p_value, first_at, last_at FROM _cib_edges WHERE kept",
        [layer],
    )
    if n_evidence <= 0:
        return 0
    row = case.execute("SELECT coalesce(max(evidence_id), 0) FROM evidence").fetchall()[0]
    offset = int(row[0])
    before = case.execute("SELECT count(*) FROM evidence").fetchall()[0]
    src(
        "INSERT INTO evidence (evidence_id, layer, account_a, account_b, post_a, post_b, at_a, at_b, "
        "seconds_apart, shared_item, source_a, source_b, key_layer, key, precision) "
        "SELECT ? + v.eid, ?, v.account_a, v.account_b, v.post_a, v.post_b, "
        "v.at_a, v.at_b, v.seconds_apart, v.item, v.source_a, v.source_b, ?, v.key, v.precision FROM ({q}) AS v",
        evidence_sql(n_evidence),
        [offset, layer, layer],
    )
    after = case.execute("SELECT count(*) FROM evidence").fetchall()[0]
    return int(after[0]) - int(before[0])


def _direct_insert(case: Engine) -> Any:
    def run(insert: str, select: str, params: list[Any]) -> None:
        case.execute(insert.format(q=select), params)

    return run


def _arrow_insert(case: Engine, eng: Engine) -> Any:
    def run(insert: str, select: str, params: list[Any]) -> None:
        rows = eng.fetch_arrow(select)
        case.register_arrow("_cib_engine_rows", rows)
        try:
            case.execute(insert.format(q="SELECT * FROM _cib_engine_rows"), params)
        finally:
            case.unregister("_cib_engine_rows")

    return run


def build_networks(
    db: Case | Engine,
    *,
    traces: list[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    progress: Progress | None = None,
    keep: Collection[str] = (),
    keep_lean: Collection[str] = (),
    engine: Engine | None = None,
) -> NetworkStats:
    """Build every (or the named) trace's layer into the case tables ``edges`` and ``evidence``.

    Parameters
    ----------
    db : the case (or its engine, ``case.engine``): where the edges, evidence and post keys go.
    traces : trace names (see :func:`cibscope.traces.trace_names`); None = all registered.
    params : per trace name, parameter overrides, e.g. ``{"co_retweet": {"window": 30}}``.
        Validated before anything is written (ParameterError names trace and parameter).
    progress : progress sink (one step per layer).
    keep : layers whose trace rows stay in a temp table (:func:`kept_trace_table`) until
        :func:`drop_kept_traces`; the caller drops them.
    keep_lean : of those, layers kept without their evidence strings (``item`` and ``source``
        NULL): enough for the null copies of the case, and at 10M tweets 2 GB less than
        near_duplicate's text snippets and sync_activity's ten million sources.
    engine : where the traces, the builder and the significance test run (default: the case's
        own DuckDB connection). Another engine (:class:`~cibscope.engine.spark.SparkEngine`) is
        given the case tables the traces read and sends the edges, evidence and post keys back
        into the case; ``keep`` needs the case's own engine.

    Rows of the rebuilt layers are replaced (all rows when ``traces`` is None). Returns
    per-layer counters, including what was bounded on hot keys.
    """
    names = list(trace_names()) if traces is None else list(traces)
    params = dict(params or {})
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ParameterError(f"parameters given for trace(s) not being built: {', '.join(unknown)}")
    objs = [_make(n, params.get(n)) for n in names]  # validate everything first
    case = engine_or_connection(db)
    _check_lean_case(case, objs)
    eng = case if engine is None else engine
    if not eng.capabilities.shares_case and keep:
        raise ParameterError(f"keeping trace rows needs the case's own engine, not {eng.name}")
    stats = NetworkStats()
    t_all = time.perf_counter()
    if traces is None:
        for table in ("edges", "evidence", "post_keys"):
            case.execute(f"DELETE FROM {table}")
    else:
        for t in objs:
            for table in ("edges", "evidence", "post_keys"):
                case.execute(f"DELETE FROM {table} WHERE layer = ?", [t.layer])
    on_case = traces_on_case(case, objs)
    runs = {t.layer for t in on_case}
    if not eng.capabilities.shares_case:
        # the case tables as Parquet, written by the case's engine (load_case runs its COPY)
        eng.load_case(case, engine_tables(on_case))  # type: ignore[attr-defined]
    for t in objs:
        if t.layer not in runs:
            stats.layers[t.layer] = LayerStats(layer=t.layer, params=t.get_params())
            continue
        with step(progress, f"network: {t.layer}", None):
            try:
                st, _ = build_layer(eng, t)
                t1 = time.perf_counter()
                st.evidence_rows = _write_layer(
                    case, t.layer, int(t.params["evidence_per_edge"]), stores_keys=bool(t.stores_keys), engine=eng
                )
                if t.layer in keep:
                    _keep_trace_table(case, t, lean=t.layer in keep_lean)
                st.seconds += time.perf_counter() - t1
            finally:
                _drop_all(eng)
        stats.layers[t.layer] = st
    stats.seconds = time.perf_counter() - t_all
    return stats


def traces_on_case(db: Case | Engine, traces: Sequence[Trace]) -> list[Trace]:
    """The traces that can have rows on this case: the cross-platform layers need two
    platforms; on a case of one they are empty, not built (nor run on the null copies)."""
    if any(t.cross_platform for t in traces) and _n_platforms(engine_or_connection(db)) < 2:
        return [t for t in traces if not t.cross_platform]
    return list(traces)


def _n_platforms(eng: Engine) -> int:
    """Distinct platforms of the case's posts (0, 1 or 2: the count stops at two)."""
    row = eng.execute(
        "SELECT count(*) FROM (SELECT DISTINCT p.platform FROM posts AS p WHERE p.platform IS NOT NULL AND p.platform <> '' LIMIT 2)"
    ).fetchall()[0]
    return int(row[0]) if row else 0


def _check_lean_case(eng: Engine, objs: list[Trace]) -> None:
    """Refuse traces that need post fields a lean read of the case left out."""
    from ..case import FULL_READ_HINT
    from ..ingest.base import case_lean_fields, stage_fields

    have = case_lean_fields(eng)
    if have is None:
        return
    missing = {t.name: sorted(stage_fields(t.case_columns()) - have) for t in objs}
    missing = {n: m for n, m in missing.items() if m}
    if missing:
        detail = "; ".join(f"{n} needs {', '.join(m)}" for n, m in missing.items())
        raise CaseStateError(
            f"the case was read lean (only {', '.join(sorted(have))}): {detail}",
            hint=FULL_READ_HINT,
        )


def keep_traces(db: Case | Engine, traces: list[str], params: dict[str, dict[str, Any]] | None = None) -> None:
    """Store these traces' rows as :func:`kept_trace_table` tables without building any edges.

    The same rows ``build_networks(keep=...)`` leaves (identical rows collapsed; only the
    ``rid`` numbering may differ), for work that re-scores stored edges several times -- the
    ablation of :func:`cibscope.evaluate.evaluate` -- so the traces run once, not once per
    re-score. ``params`` as for :func:`build_networks`. A kept table of the same layer is
    replaced. The caller drops them (:func:`drop_kept_traces`).
    """
    eng = engine_or_connection(db)
    params = dict(params or {})
    for name in traces:
        t = _make(name, params.get(name))
        t.prepare(eng)
        try:
            for stmt in trace_table_sql(full_trace_sql(eng, t)):
                eng.execute(stmt)
            for stmt in trace_table_sql(None):  # collapse identical rows (always: the check costs as much)
                eng.execute(stmt)
            _keep_trace_table(eng, t)
        finally:
            t.cleanup(eng)
            drop_temp(eng)


def _keep_trace_table(eng: Engine, t: Trace, *, lean: bool = False) -> None:
    """Store ``_cib_trace`` (a view) as the layer's kept table and record the parameters it was
    made with (in ``_cib_kept_params``: also the list of kept tables); ``lean``: without the
    evidence strings (``item``, ``source`` NULL)."""
    cols = "* REPLACE (CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS item)" if lean else "*"
    eng.materialise(f"{KEPT_PREFIX}{t.layer}", f"SELECT {cols} FROM _cib_trace")
    eng.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_KEPT_PARAMS} (layer VARCHAR, params VARCHAR)")
    eng.execute(f"DELETE FROM {_KEPT_PARAMS} WHERE layer = ?", [t.layer])
    eng.execute(f"INSERT INTO {_KEPT_PARAMS} VALUES (?, ?)", [t.layer, _params_key(t.get_params())])


def _params_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def kept_trace_table(db: Case | Engine, layer: str, params: dict[str, Any] | None = None) -> str | None:
    """Name of the temp table holding ``layer``'s trace rows from ``build_networks(keep=...)`` or
    :func:`keep_traces`, or None (also when ``params``, the trace's full parameters as
    ``Trace.get_params()`` gives them, differ from those the rows were made with).

    Columns: ``rid, account_id, key, at, post_id, source, item, tolerance`` -- the trace's
    distinct actions as the builder used them (identical rows collapsed).
    """
    eng = engine_or_connection(db)
    name = f"{KEPT_PREFIX}{layer}"
    if not eng.exists(name):
        return None
    if params is not None:
        made = eng.execute(f"SELECT params FROM {_KEPT_PARAMS} WHERE layer = ?", [layer]).fetchall()
        if not made or made[0][0] != _params_key(params):
            return None
    return name


def drop_kept_traces(db: Case | Engine, layers: Collection[str] | None = None) -> None:
    """Drop the trace tables ``build_networks(keep=...)`` or :func:`keep_traces` left behind
    (every one, or those of ``layers``)."""
    eng = engine_or_connection(db)
    recorded = eng.exists(_KEPT_PARAMS)
    if layers is None:
        # every kept table is recorded with its parameters when it is made (_keep_trace_table)
        made = [r[0] for r in eng.execute(f"SELECT layer FROM {_KEPT_PARAMS}").fetchall()] if recorded else []
        for n in [*(f"{KEPT_PREFIX}{layer}" for layer in made), _KEPT_PARAMS]:
            eng.drop(n)
        return
    for layer in layers:
        eng.drop(f"{KEPT_PREFIX}{layer}")
        if recorded:
            eng.execute(f"DELETE FROM {_KEPT_PARAMS} WHERE layer = ?", [layer])


def _drop_all(eng: Engine) -> None:
    drop_temp(eng)
    for t in SIGNIFICANCE_TEMP_TABLES:
        eng.drop(t)


def engine_tables(traces: Sequence[Trace]) -> dict[str, list[str]]:
    """The case tables and columns another engine needs to run ``traces`` (what their SQL
    reads, :meth:`Trace.case_columns`, plus the accounts' and posts' platforms the builder
    reads on a case of several platforms)."""
    need: dict[str, set[str]] = {"accounts": {"account_id", "platform"}, "posts": {"account_id", "platform"}}
    for t in traces:
        for table, cols in t.case_columns().items():
            need.setdefault(table, set()).update(cols)
    from ..schema import ALL_TABLES

    order = {t.name: [c for c, _ in t.columns] for t in ALL_TABLES}
    return {table: [c for c in order[table] if c in cols] for table, cols in sorted(need.items())}



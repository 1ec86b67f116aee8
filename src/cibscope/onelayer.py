"""One trace's network straight from data files, without a case on disk (``cibscope network``).

>>> res = network_from_files(["tweets.csv"], "co_retweet", params={"window": 60})   # doctest: +SKIP
>>> write_network(res, "out/")                                                      # doctest: +SKIP

For a question that needs one layer (who co-retweets whom within 60 s?) a full case is more
than the job: it normalises text, explodes URLs, hashtags and mentions, and stores every
column. Here the files are read *lean* (:func:`cibscope.ingest.ingest` with ``fields``: only the
post fields the trace's SQL reads, found by :meth:`cibscope.traces.Trace.case_columns`) into an
in-memory case; rows are still validated, counted and quarantined as in a full read. Then:

* default: the pipeline's first two stages for this one trace
  (:func:`cibscope.pipeline.layer_network`): the trace's layer exactly as ``detect`` builds it
  (the same builder, significance test against chance and evidence rows, with file:line of both
  posts), and its significant edges after the Benjamini-Hochberg correction of the layer
  (``alpha``);
* ``counts=True``: every co-occurring pair's directed count, untested -- the weight of the QUT
  coordination-network-toolkit (``weight(u1 -> u2)`` = posts of ``u1`` with a post of ``u2`` on
  the same key within the window). Hot keys are bounded as in the builder (``max_neighbors``;
  what was left out is counted in ``stats.bounded_action_pairs``); raise ``max_neighbors`` for
  exact counts on them.

Nothing is kept after the call: for groups, scores and audits, ingest into a case and run
``detect``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from .case import Case, engine_of, insertion_order_off, open_case
from .engine import Engine
from .errors import ParameterError
from .export import Graph, out_dir, write_arrow_csv, write_gexf
from .ingest import IngestReport, ingest
from .ingest.base import ACCOUNT_FIELD_PREFIX, stage_fields
from .networks import LayerStats
from .networks.cooccurrence import directed_counts_sql, drop_temp, full_trace_sql, run_cooccurrence
from .progress import Progress, step
from .traces import get_trace, trace_names
from .traces.base import Trace

# Not imported here: the pipeline (the tested mode's layer_network; it imports the groups, the
# evidence stages and scipy) and the multiplex parameters -- `cibscope network --counts` needs
# neither, and importing them cost ~0.7 s of a ~3 s process at 1M tweets.

__all__ = ["LayerNetwork", "directed_counts", "network_from_files", "write_network"]


@dataclass
class LayerNetwork:
    """One layer's network read from files.

    edges : the significant pairs (tested mode): account_a, account_b, n_shared, p_value,
        q_value, strength, first_at, last_at; empty in counts mode.
    evidence : the evidence rows of those pairs (post ids, times, seconds apart, shared item,
        file:line of both posts).
    counts : counts mode only: user_1, user_2, weight (directed, every co-occurring pair),
        ordered by (user_1, user_2) as text (the ids' byte order, as DuckDB's ``ORDER BY``);
        the account columns dictionary-encoded over the sorted account ids.
    labels : account_id -> screen name, where the data has one.
    quarantine : the rows the read could not keep: source_file, source_line, reason, raw (in
        file and line order); nothing of the in-memory case outlives the call but this.
    """

    trace: str
    params: dict[str, Any]
    ingest: IngestReport
    stats: LayerStats
    edges: pa.Table
    evidence: pa.Table
    counts: pa.Table | None = None
    labels: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    quarantine: pa.Table | None = None


def network_from_files(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    trace: str = "co_retweet",
    *,
    params: Mapping[str, Any] | None = None,
    counts: bool = False,
    alpha: float | None = None,
    format: str | None = None,
    mapping: str | os.PathLike[str] | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> LayerNetwork:
    """Read ``paths`` lean and build ``trace``'s network (see the module docstring).

    ``params`` are the trace's parameters (``window``, ``max_neighbors``, ...; see
    ``docs/traces.md``); ``alpha`` is the false discovery rate for the significant edges
    (default 0.01, as ``detect``'s ``multiplex.alpha``). ``format``/``mapping``/``strict`` as
    for ingest. ``engine``: where the trace, the builder and the significance test run (default
    the in-memory case's DuckDB; a :class:`~cibscope.engine.spark.SparkEngine` gets the lean
    case's tables and sends the edges and evidence back; the caller closes it).
    """
    if trace not in trace_names():
        raise ParameterError(f"unknown trace {trace!r}; expected one of {', '.join(trace_names())}")
    if counts and engine is not None:
        raise ParameterError("--counts runs on DuckDB only (the Spark engine builds the tested network)")
    t = get_trace(trace)(**dict(params or {}))
    mp = None
    if not counts or alpha is not None:  # (counts test nothing: the defaults need no check, nor the import)
        from .networks.multiplex import MultiplexParams

        # the layer's significant edges as detect's fusion picks them (BH per layer at alpha)
        mp = MultiplexParams(layer_weights={t.layer: 1.0}) if alpha is None else MultiplexParams(alpha=alpha, layer_weights={t.layer: 1.0})
        mp.validate()
    secs: dict[str, float] = {}
    t0 = time.perf_counter()
    case = open_case(":memory:")
    try:
        eng = case.engine
        fields = stage_fields(t.case_columns())
        if not counts:
            fields |= {ACCOUNT_FIELD_PREFIX + "screen_name"}  # the graph's node labels
        report = ingest(
            paths, case, format=format, mapping=mapping, strict=strict, progress=progress, fields=fields,
            content_hash=False,  # the case ends with this call
            lines=not counts,  # counts show no post's line (quarantined rows still get theirs)
        )
        secs["ingest"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        labels: dict[str, str] = {}
        if not counts:
            labels = dict(
                eng.execute(
                    "SELECT account_id, any_value(screen_name) FROM accounts WHERE screen_name IS NOT NULL GROUP BY 1"
                ).fetchall()
            )
        if counts:
            with step(progress, f"{trace}: co-occurrence counts", None):
                table, st = directed_counts(case, t)
            empty = pa.table({})
            res = LayerNetwork(trace, t.get_params(), report, st, empty, eng.fetch_arrow("SELECT * FROM evidence WHERE false"), table, labels)
        else:
            from .pipeline import layer_network

            assert mp is not None
            st, net = layer_network(case, t, mp, engine=engine, progress=progress)
            le = net.layer_edges
            edges = le.select(["account_a", "account_b", "n_shared", "p_value", "q_value", "strength", "first_at", "last_at"])
            eng.register_arrow("_cib_sig", edges.select(["account_a", "account_b"]))
            try:
                evidence = eng.fetch_arrow(
                    "SELECT e.* FROM evidence e SEMI JOIN _cib_sig s ON s.account_a = e.account_a AND s.account_b = e.account_b "
                    "ORDER BY e.account_a, e.account_b, e.evidence_id",
                )
            finally:
                eng.unregister("_cib_sig")
            res = LayerNetwork(trace, t.get_params(), report, st, edges, evidence, None, labels)
        secs["network"] = time.perf_counter() - t1
        if any(f.rows_quarantined for f in report.files):
            res.quarantine = eng.fetch_arrow(
                "SELECT source_file, source_line, reason, raw FROM quarantine ORDER BY source_file, source_line NULLS LAST, reason, raw"
            )
    finally:
        case.close()
    res.seconds = secs
    return res


def _codes(col: pa.DictionaryArray) -> Any:
    """The codes of a dictionary-encoded column without nulls as int64 numpy, from the buffer
    (``np.asarray`` of an Arrow array imports pandas, ~0.5 s of the process)."""
    import numpy as np

    idx, t = col.indices, col.type.index_type
    dt = np.dtype(f"{'i' if pa.types.is_signed_integer(t) else 'u'}{t.bit_width // 8}")
    return np.frombuffer(idx.buffers()[1], dtype=dt)[idx.offset : idx.offset + len(idx)].astype(np.int64)


def _sorted_counts(counts: pa.Table) -> pa.Table:
    """``counts`` ordered by (user_1, user_2) as text, as ``ORDER BY user_1, user_2`` would
    order it (Python orders str by code point, which is UTF-8's byte order, DuckDB's).

    The account columns of :func:`directed_counts` are dictionary-encoded over one dictionary
    that is sorted, with the rows already in code order: that is checked (O(rows) integer
    comparisons, no sort) and the table returned as it is. Other dictionary-encoded columns are
    sorted by the ranks of their codes in the sorted dictionary (integers, not strings); any
    other table by its values."""
    import numpy as np

    cols = [counts.column(c).combine_chunks() for c in ("user_1", "user_2")]
    if (
        counts.num_rows == 0
        or not all(pa.types.is_dictionary(c.type) and c.null_count == 0 for c in cols)
        or not cols[0].dictionary.equals(cols[1].dictionary)
        or cols[0].dictionary.null_count
    ):
        return counts.sort_by([("user_1", "ascending"), ("user_2", "ascending")])
    words = cols[0].dictionary.to_pylist()
    i1, i2 = (_codes(c) for c in cols)
    if all(a < b for a, b in zip(words, words[1:])):  # a sorted dictionary: codes in text order
        d1, d2 = i1[1:] - i1[:-1], i2[1:] - i2[:-1]
        if bool(np.all((d1 > 0) | ((d1 == 0) & (d2 >= 0)))):
            return counts
        r1, r2 = i1, i2
    else:
        rank = np.empty(len(words), dtype=np.int64)
        rank[sorted(range(len(words)), key=words.__getitem__)] = np.arange(len(words))
        r1, r2 = rank[i1], rank[i2]
    return counts.take(pa.array(np.lexsort((r2, r1))))


def directed_counts(db: Case | Engine, t: Trace) -> tuple[pa.Table, LayerStats]:
    """Every co-occurring pair's directed count on the case ``db`` (or an engine over it: the trace's actions,
    nothing tested; no evidence, so the trace rows carry no source or item strings):
    ``(user_1, user_2, weight)`` ordered by (user_1, user_2) as text, and the layer's counters."""
    t0 = time.perf_counter()
    # the counts are a set: no statement here needs rows kept in insertion order
    eng = engine_of(db)
    with insertion_order_off(eng):
        table, co = _counts(eng, t)
    st = LayerStats(
        layer=t.layer, params=t.get_params(), rows=co.rows, keys=co.keys, action_pairs=co.action_pairs,
        bounded_action_pairs=co.bounded_action_pairs, bounded_keys=co.bounded_keys, seconds=time.perf_counter() - t0,
    )
    return table, st


def _counts(eng: Engine, t: Trace) -> tuple[pa.Table, Any]:
    t.prepare(eng)
    try:
        # no evidence here: the trace rows without their source (file:line) and item strings
        sql = full_trace_sql(eng, t)
        co = run_cooccurrence(
            eng, t,
            trace_sql="SELECT q.account_id, q.key, q.at, q.post_id, CAST(NULL AS VARCHAR) AS source, "
            f"CAST(NULL AS VARCHAR) AS item, q.tolerance FROM ({sql}) AS q",
            weights_only=True,
        )
    finally:
        t.cleanup(eng)
    try:
        # integer accounts, labelled by a dictionary of the account ids (acc_i - 1 indexes it):
        # the same values as directed_counts_sql() with ids, without a string per row. acc_i
        # numbers the accounts in account_id order (byte order), so ordering the integers
        # orders the text: sorted here by the engine's threads (write_network only checks it)
        ints = eng.fetch_arrow(
            "SELECT CAST(c.user_1 AS INTEGER) AS user_1, CAST(c.user_2 AS INTEGER) AS user_2, "
            f"CAST(c.weight AS BIGINT) AS weight FROM ({directed_counts_sql(account_ids=False, weights=True)}) AS c "
            "ORDER BY c.user_1, c.user_2"
        )
        ids = eng.fetch_arrow("SELECT account_id FROM _cib_accmap ORDER BY acc_i").column(0).combine_chunks()
        table = pa.table({
            c: pa.DictionaryArray.from_arrays(ints.column(c).combine_chunks(), ids) for c in ("user_1", "user_2")
        } | {"weight": ints.column("weight").combine_chunks()})
    finally:
        drop_temp(eng)
    return table, co


def write_network(res: LayerNetwork, out: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``res`` into the folder ``out``: ``counts.csv`` (counts mode), or ``edges.csv``,
    ``evidence.csv`` and ``network.gexf`` (Gephi; node label = screen name where known); and
    ``quarantine.csv`` (file, line, reason, record) when the read quarantined rows."""
    o = out_dir(out)
    if res.counts is not None:
        written = {"counts": write_arrow_csv(_sorted_counts(res.counts), o / "counts.csv")}
    else:
        written = _write_tested(res, o)
    if res.quarantine is not None and res.quarantine.num_rows:
        written["quarantine"] = write_arrow_csv(res.quarantine, o / "quarantine.csv")
    return written


def _write_tested(res: LayerNetwork, o: Path) -> dict[str, Path]:
    """edges.csv, evidence.csv and network.gexf of the significant edges."""
    written: dict[str, Path] = {}
    written["edges"] = write_arrow_csv(res.edges, o / "edges.csv")
    written["evidence"] = write_arrow_csv(res.evidence, o / "evidence.csv")
    e = res.edges.to_pylist()
    ends = sorted({r["account_a"] for r in e} | {r["account_b"] for r in e})
    nodes = [{"id": a, "label": res.labels.get(a, a)} for a in ends]
    edges = [
        {
            "source": r["account_a"], "target": r["account_b"], "weight": max(float(r["strength"]), 0.1),
            "n_shared": int(r["n_shared"]), "p_value": float(r["p_value"]), "q_value": float(r["q_value"]),
            "strength": float(r["strength"]),
        }
        for r in e
    ]
    attrs = [("n_shared", "long"), ("p_value", "double"), ("q_value", "double"), ("strength", "double")]
    graph = Graph(nodes, edges, [], attrs, f"cibscope network: significant {res.trace} edges")
    written["network"] = write_gexf(o / "network.gexf", graph)  # type: ignore[assignment]
    return written

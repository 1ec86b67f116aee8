"""The one co-occurrence builder: any trace table -> account pairs acting on the same key together.

Input: a trace's rows ``(account_id, key, at, post_id, source, item, tolerance)`` (see
:mod:`cibscope.traces.base`). Output (temp tables in the case connection):

``_cib_accmap``   account_id -> acc_i (numbered in account_id order), ``_cib_keymap`` key -> key_i.
``_cib_act``      the distinct actions, ranked per key by time (``rn``), with ``c_upto``: how
                   many actions of the key happen no later than this one's time + window.
``_cib_raw``      co-occurring action pairs of two different accounts, oriented so that
                   ``a_i < b_i`` (hence ``account_a < account_b``), pointing at both actions
                   (``key_i``, ``rn_a``, ``rn_b``), with the seconds apart (``dt``).
``_cib_pairkey``  one row per (a_i, b_i, key_i): the keys a pair shares within the window.

How the self-join stays linear on hot keys
------------------------------------------
A naive self-join on the key is quadratic in the number of actions on that key: one celebrity
tweet retweeted by 100,000 accounts is 5 billion pairs. Instead, actions of a key are sorted
by time and numbered (``rn``); a frame count gives ``c_upto`` (actions with time <= t + window),
so ``nf = c_upto - rn`` later actions fall inside this action's window. Each action is paired
with its ``min(nf, max_neighbors)`` *nearest later* actions by an equi-join on
``(key, rn + d)``, which produces exactly the in-window pairs when no action has more than
``max_neighbors`` later neighbours, and at most ``max_neighbors`` pairs per action otherwise.
The pairs left out, ``sum(max(nf - max_neighbors, 0))``, are counted (``bounded_action_pairs``)
and reported, never dropped silently. Closest-in-time neighbours are kept because they are the
strongest evidence of acting together.

Imprecise times: an action whose time has a tolerance (minute precision: the true time is up
to 60 s later) matches when ``|dt| <= window + tol_a + tol_b``, so a minute-precision post
never misses a pair it could be part of (it may over-match; docs/traces.md says so). The
frame uses the widest tolerance present, then the exact condition filters.

All SQL is DuckDB SQL that :func:`cibscope.sql.transpile` turns into Spark SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..traces.base import OPTIONAL_COLUMNS, TRACE_COLUMNS, Trace

__all__ = ["CooccurrenceResult", "full_trace_sql", "cooccurrence_sql", "run_cooccurrence", "drop_temp", "evidence_sql", "directed_counts_sql", "TEMP_TABLES"]

TEMP_TABLES = ("_cib_trace", "_cib_accmap", "_cib_keymap", "_cib_act", "_cib_raw", "_cib_pairkey")


@dataclass
class CooccurrenceResult:
    rows: int  # distinct actions in the trace
    keys: int  # distinct keys
    action_pairs: int  # co-occurring action pairs kept (two different accounts)
    bounded_action_pairs: int  # in-window action pairs left out by max_neighbors
    bounded_keys: int  # keys where something was left out
    window: float | None


def cooccurrence_sql(*, window: float | None, max_neighbors: int, max_tolerance: float) -> list[str]:
    """The builder's statements (after ``_cib_trace`` exists), in order.

    ``window`` None means any time: the key itself fixes the span (a day, a bin, an account
    attribute). Accounts and keys are mapped to integers first (``_cib_accmap`` numbers
    accounts in ``account_id`` order, so ``acc_i`` order is ``account_id`` order and pairs can be
    oriented on integers); joins and aggregations then run on integers, not strings.
    """
    k = int(max_neighbors)
    if window is None:
        c_upto = "count(*) OVER (PARTITION BY d.key_i)"
        in_window = "TRUE"
    else:
        # times are integer microseconds: exact comparisons, no floating-point edge cases at
        # |dt| == window (the peer benchmark checks equality with another tool)
        w_us = int(round(float(window) * 1e6))
        frame = w_us + 2 * int(round(float(max_tolerance) * 1e6))
        c_upto = (
            "count(*) OVER (PARTITION BY d.key_i ORDER BY d.t "
            f"RANGE BETWEEN UNBOUNDED PRECEDING AND {frame} FOLLOWING)"
        )
        in_window = f"abs(o.t - s.t) <= {w_us} + CAST(round((s.tolerance + o.tolerance) * 1000000) AS BIGINT)"

    def pick(col: str) -> str:
        return f"CASE WHEN s.acc_i < o.acc_i THEN s.{col} ELSE o.{col} END"

    def other(col: str) -> str:
        return f"CASE WHEN s.acc_i < o.acc_i THEN o.{col} ELSE s.{col} END"

    accmap = (
        "CREATE OR REPLACE TEMP TABLE _cib_accmap AS SELECT u.account_id, "
        "CAST(row_number() OVER (ORDER BY u.account_id) AS INTEGER) AS acc_i "
        "FROM (SELECT DISTINCT x.account_id FROM _cib_trace AS x) AS u"
    )
    keymap = (
        "CREATE OR REPLACE TEMP TABLE _cib_keymap AS SELECT u.key, "
        "CAST(row_number() OVER (ORDER BY u.key) AS INTEGER) AS key_i "
        "FROM (SELECT DISTINCT x.key FROM _cib_trace AS x) AS u"
    )
    act = (
        "CREATE OR REPLACE TEMP TABLE _cib_act AS "
        "SELECT d.key_i, d.acc_i, d.t, d.account_id, d.key, d.at, d.post_id, d.source, d.item, d.tolerance, "
        "row_number() OVER (PARTITION BY d.key_i ORDER BY d.t, d.acc_i, d.post_id, d.source) AS rn, "
        f"{c_upto} AS c_upto "
        "FROM (SELECT km.key_i, am.acc_i, coalesce(date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', g.at), 0) AS t, g.* FROM "
        "(SELECT x.account_id, x.key, x.at, x.post_id, x.source, min(x.item) AS item, max(x.tolerance) AS tolerance "
        "FROM _cib_trace AS x GROUP BY x.account_id, x.key, x.at, x.post_id, x.source) AS g "
        "JOIN _cib_accmap AS am ON am.account_id = g.account_id JOIN _cib_keymap AS km ON km.key = g.key) AS d"
    )
    raw = (
        "CREATE OR REPLACE TEMP TABLE _cib_raw AS "
        "SELECT s.key_i, least(s.acc_i, o.acc_i) AS a_i, greatest(s.acc_i, o.acc_i) AS b_i, "
        f"{pick('rn')} AS rn_a, {other('rn')} AS rn_b, "
        "least(s.at, o.at) AS lo_at, greatest(s.at, o.at) AS hi_at, abs(o.t - s.t) / 1000000.0 AS dt "
        "FROM (SELECT a.key_i, a.rn, a.acc_i, a.t, a.at, a.tolerance, "
        f"unnest(range(1, least(a.c_upto - a.rn, {k}) + 1)) AS d "
        "FROM _cib_act AS a WHERE a.c_upto > a.rn) AS s "
        "JOIN _cib_act AS o ON o.key_i = s.key_i AND o.rn = s.rn + s.d "
        f"WHERE o.acc_i <> s.acc_i AND {in_window}"
    )
    pairkey = (
        "CREATE OR REPLACE TEMP TABLE _cib_pairkey AS "
        "SELECT r.a_i, r.b_i, r.key_i, min(r.lo_at) AS first_at, max(r.hi_at) AS last_at "
        "FROM _cib_raw AS r GROUP BY r.a_i, r.b_i, r.key_i"
    )
    return [accmap, keymap, act, raw, pairkey]


def evidence_sql(n_evidence: int) -> str:
    """SELECT of up to ``n_evidence`` action pairs per kept edge, closest in time first.

    Needs ``_cib_edges`` (with ``kept``) from :mod:`.significance`.
    """
    return (
        "SELECT x.a_i, x.b_i, x.rk, ma.account_id AS account_a, mb.account_id AS account_b, "
        "pa.post_id AS post_a, pb.post_id AS post_b, pa.at AS at_a, pb.at AS at_b, x.dt AS seconds_apart, "
        "coalesce(pa.item, pb.item, pa.key) AS item, pa.source AS source_a, pb.source AS source_b FROM ("
        "SELECT r.*, row_number() OVER (PARTITION BY r.a_i, r.b_i ORDER BY r.dt, r.lo_at, r.key_i, r.rn_a, r.rn_b) AS rk "
        "FROM _cib_raw AS r SEMI JOIN (SELECT e.a_i, e.b_i FROM _cib_edges AS e WHERE e.kept) AS k "
        f"ON k.a_i = r.a_i AND k.b_i = r.b_i) AS x "
        "JOIN _cib_act AS pa ON pa.key_i = x.key_i AND pa.rn = x.rn_a "
        "JOIN _cib_act AS pb ON pb.key_i = x.key_i AND pb.rn = x.rn_b "
        "JOIN _cib_accmap AS ma ON ma.acc_i = x.a_i JOIN _cib_accmap AS mb ON mb.acc_i = x.b_i "
        f"WHERE x.rk <= {int(n_evidence)}"
    )


def bounded_sql(max_neighbors: int) -> str:
    k = int(max_neighbors)
    return (
        f"SELECT coalesce(sum(greatest(c_upto - rn - {k}, 0)), 0) AS bounded, "
        f"count(DISTINCT CASE WHEN c_upto - rn > {k} THEN key_i END) AS bounded_keys, "
        "count(*) AS n_rows, count(DISTINCT key_i) AS n_keys FROM _cib_act"
    )


def _columns_of(con: Any, sql: str) -> list[str]:
    cur = con.execute(f"SELECT * FROM ({sql}) AS q LIMIT 0")
    names = [d[0] for d in cur.description]
    cur.fetchall()  # DuckDB refuses further work on a connection with an unfinished result
    return names


def full_trace_sql(con: Any, trace: Trace) -> str:
    """The trace's SELECT with ``item``/``tolerance`` added when the trace leaves them out."""
    sql = trace.sql()
    cols = _columns_of(con, sql)
    missing = [n for n, _ in TRACE_COLUMNS if n not in cols]
    if missing:
        from ..errors import CibscopeError

        raise CibscopeError(f"trace {trace.name!r} does not produce column(s): {', '.join(missing)}")
    extra = []
    if "item" not in cols:
        extra.append("CAST(NULL AS VARCHAR) AS item")
    if "tolerance" not in cols:
        extra.append("0.0 AS tolerance")
    inner = sql if not extra else f"SELECT q.*, {', '.join(extra)} FROM ({sql}) AS q"
    names = [n for n, _ in TRACE_COLUMNS + OPTIONAL_COLUMNS]
    types = dict(TRACE_COLUMNS + OPTIONAL_COLUMNS)
    sel = ", ".join(f'CAST(tr."{n}" AS {types[n]}) AS "{n}"' for n in names)
    cond = "tr.account_id IS NOT NULL AND tr.key IS NOT NULL" + (' AND tr."at" IS NOT NULL' if trace.windowed else "")
    return f"SELECT {sel} FROM ({inner}) AS tr WHERE {cond}"


def run_cooccurrence(con: Any, trace: Trace, *, trace_sql: str | None = None) -> CooccurrenceResult:
    """Materialise the trace and its co-occurring pairs as the temp tables above.

    ``trace.prepare(con)`` must have run. ``trace_sql`` overrides the trace's SELECT (tests).
    """
    sql = trace_sql if trace_sql is not None else full_trace_sql(con, trace)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _cib_trace AS {sql}")
    window = trace.window
    max_tol = 0.0
    if window is not None:
        row = con.execute("SELECT coalesce(max(tolerance), 0) FROM _cib_trace").fetchall()[0]
        max_tol = float(row[0]) if row else 0.0
    k = int(trace.params["max_neighbors"])
    for stmt in cooccurrence_sql(window=window, max_neighbors=k, max_tolerance=max_tol):
        con.execute(stmt)
    b = con.execute(bounded_sql(k)).fetchall()[0]
    n_pairs = con.execute("SELECT count(*) FROM _cib_raw").fetchall()[0]
    assert b is not None and n_pairs is not None
    return CooccurrenceResult(
        rows=int(b[2]),
        keys=int(b[3]),
        action_pairs=int(n_pairs[0]),
        bounded_action_pairs=int(b[0]),
        bounded_keys=int(b[1]),
        window=window,
    )


def drop_temp(con: Any) -> None:
    for t in TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {t}")


def directed_counts_sql() -> str:
    """SELECT (user_1, user_2, weight): the QUT coordination-network-toolkit's directed weight.

    The peer counts, for each ordered pair of different accounts, the distinct posts of
    ``user_1`` that have at least one post of ``user_2`` on the same key within the window
    (``count(distinct e_1.message_id)`` in its co-retweet query). Computed from ``_cib_raw``; equal
    to the peer's network when nothing was bounded (``max_neighbors`` large enough).
    """
    return (
        "SELECT m1.account_id AS user_1, m2.account_id AS user_2, c.weight FROM ("
        "SELECT u1, u2, count(*) AS weight FROM ("
        "SELECT DISTINCT r.a_i AS u1, r.b_i AS u2, r.key_i, r.rn_a AS rn FROM _cib_raw AS r "
        "UNION ALL SELECT DISTINCT r.b_i AS u1, r.a_i AS u2, r.key_i, r.rn_b AS rn FROM _cib_raw AS r) AS x "
        "GROUP BY u1, u2) AS c JOIN _cib_accmap AS m1 ON m1.acc_i = c.u1 JOIN _cib_accmap AS m2 ON m2.acc_i = c.u2"
    )

"""The one co-occurrence builder: any trace table -> account pairs acting on the same key together.

Input: a trace's rows ``(account_id, key, at, post_id, source, item, tolerance)`` (see
:mod:`cibscope.traces.base`). Output (temp tables and views in the case connection):

``_cib_trace``    view: the trace's rows (identical rows collapsed, see *Duplicates*), each with an
                   id ``rid``, the stored row id of the table holding them (``_cib_trace0``, or
                   ``_cib_trace1`` once collapsed; :func:`trace_table_sql`).
``_cib_accmap``   account_id -> acc_i (numbered in account_id order), ``_cib_keymap`` key -> key_i.
``_cib_acti``     the actions on integers: ``rn`` (= the row's ``rid``: a unique action id, not a
                   rank), ``key_i``, ``acc_i``, ``at``, ``t`` (integer microseconds), ``tolerance``,
                   ``m_k`` (actions on the key) and ``m_ka`` (actions of this account on the key).
``_cib_act``      view: ``_cib_acti`` with the trace's strings (account_id, key, post_id, source, item).
``_cib_big``      the actions of *big* keys only (below), ranked per key by time (``r``), with
                   ``c_upto``: how many actions of the key happen no later than this one's time + window.
``_cib_raw``      co-occurring action pairs of two different accounts, oriented so that
                   ``a_i < b_i`` (hence ``account_a < account_b``), pointing at both actions
                   (``key_i``, ``rn_a``, ``rn_b``), with the seconds apart (``dt``) and ``single``:
                   true when both accounts act only once on the key (the pair is then the only
                   one of its (a, b, key)).
``_cib_pairkey``  view: one row per (a_i, b_i, key_i): the keys a pair shares within the window,
                   with ``n_a``/``n_b``, the distinct actions of each side in those pairs, and
                   ``min_dt``, the seconds between the pair's closest two actions on the key.
``_cib_pairw``    weights only (``run_cooccurrence(weights_only=True)``, for directed counts):
                   one row per (a_i, b_i) with ``n``, the pair's *single* action pairs of the
                   direct join (below), which ``_cib_raw`` and ``_cib_pairkey`` then leave out;
                   ``_cib_pairwk``: ``_cib_pairkey``'s (the other pairs') sums per (a_i, b_i),
                   ``w_ab``/``w_ba``.

Weights only: most action pairs are *single* (both accounts act once on the key), so their
(a, b, key) has one pair and ``n_a = n_b = 1``: a pair's weight both ways is the number of
such keys. Those of the direct join are counted per (a, b) as the join produces them, never
stored (at 5M tweets, 12.7M pairs: ~0.2 s less than storing them in ``_cib_raw`` and grouping
them again); ``_cib_raw`` keeps the direct pairs with an account acting more than once on the
key (joined apart, each from its few such actions) and the big keys' pairs.
:func:`directed_counts_sql` ``(weights=True)`` adds the two.

How the self-join stays linear on hot keys
------------------------------------------
A naive self-join on the key is quadratic in the number of actions on that key: one celebrity
tweet retweeted by 100,000 accounts is 5 billion pairs. Keys are therefore split by their
action count ``m_k``:

* a **small** key (``m_k <= min(max_neighbors + 1, DIRECT_MAX)``) cannot give any action more than
  ``max_neighbors`` later neighbours, so nothing on it can be bounded: its pairs come from a
  plain band join on ``(key, time)``, at most ``DIRECT_MAX^2 / 2`` comparisons per key. Most keys
  are small, and this join needs no sort and no window frame.
* a **big** key's actions are sorted by time and numbered (``r``); a frame count gives ``c_upto``
  (actions with time <= t + window), so ``nf = c_upto - r`` later actions fall inside this
  action's window. Each action is paired with its ``min(nf, max_neighbors)`` *nearest later*
  actions by an equi-join on ``(key, r + d)``, which produces exactly the in-window pairs when no
  action has more than ``max_neighbors`` later neighbours, and at most ``max_neighbors`` pairs
  per action otherwise. The pairs left out, ``sum(max(nf - max_neighbors, 0))``, are counted
  (``bounded_action_pairs``) and reported, never dropped silently. Closest-in-time neighbours
  are kept because they are the strongest evidence of acting together; ties in time are broken
  by account, post id and source, so what is kept does not depend on input order.

Both paths give every in-window pair once when nothing is bounded (the tests compare them).

Platforms: on a case whose accounts are on several platforms (``accounts.platform``), each
account gets its platform (``_cib_accplat``, :func:`platform_map_sql`) and a trace pairs only
accounts of one platform -- or, a cross-platform trace (``Trace.cross_platform``: the ``xp_*``
layers), only accounts of different platforms. Each pair of accounts is then in exactly one
kind of layer, and the significance test keeps its null per platform. On a case of one
platform nothing changes (no map, no condition).

Imprecise times: an action whose time has a tolerance (minute precision: the true time is up
to 60 s later) matches when ``|dt| <= window + tol_a + tol_b``, so a minute-precision post
never misses a pair it could be part of (it may over-match; docs/traces.md says so). The
join and the frame use the widest tolerance present, then the exact condition filters (left
out when no action has a tolerance).

Duplicates: identical trace rows (same account, key, time, post and source; e.g. a hashtag
written twice in one post) are one action, with the smallest ``item`` and the largest
``tolerance``. Collapsing them costs a string GROUP BY over the whole trace, so it only runs
when a check finds any: among the rows of one account on one key at the same microsecond (an
integer GROUP BY), two with the same post and source. (Two *different* posts of an account in
one second are common -- a scheduler's burst in one ``sync_activity`` bin -- and need nothing.)

All SQL is DuckDB SQL, run through an engine (:mod:`cibscope.engine`): as it is on DuckDB,
transpiled per statement on Spark. Functions take the case (its own engine) or an
:class:`~cibscope.engine.Engine` (:func:`cibscope.case.engine_or_connection`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..case import engine_or_connection
from ..traces.base import OPTIONAL_COLUMNS, TRACE_COLUMNS, Trace

if TYPE_CHECKING:
    from ..case import Case
    from ..engine import Engine

__all__ = [
    "CooccurrenceResult",
    "full_trace_sql",
    "trace_table_sql",
    "cooccurrence_sql",
    "platform_map_sql",
    "run_cooccurrence",
    "drop_temp",
    "evidence_sql",
    "directed_counts_sql",
    "TEMP_TABLES",
    "TEMP_VIEWS",
    "DIRECT_MAX",
]

TEMP_VIEWS = ("_cib_act", "_cib_pairkey", "_cib_trace")
TEMP_TABLES = (
    "_cib_trace0", "_cib_trace1", "_cib_accmap", "_cib_accplat", "_cib_keymap", "_cib_acti", "_cib_big", "_cib_raw", "_cib_pairw",
    "_cib_pairwk",
)

#: Largest key (in actions) whose pairs come from the direct band join (see the module docstring).
DIRECT_MAX = 1000

_EPOCH_US = "coalesce(date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', {x}), 0)"


@dataclass
class CooccurrenceResult:
    rows: int  # distinct actions in the trace
    keys: int  # distinct keys
    action_pairs: int  # co-occurring action pairs kept (two different accounts)
    bounded_action_pairs: int  # in-window action pairs left out by max_neighbors
    bounded_keys: int  # keys where something was left out
    window: float | None


def trace_table_sql(sql: str | None) -> list[str]:
    """Statements that make ``_cib_trace``: the trace rows (``sql``, already typed) with a row id ``rid``.

    The rows are stored in ``_cib_trace0``; ``_cib_trace`` is a view of them that adds ``rid``,
    the engine's id of a stored row (DuckDB ``rowid``; :func:`cibscope.sql.transpile` makes it
    Spark's ``monotonically_increasing_id()``, the same on every scan of a cached table). ``rid``
    only has to be unique and stable: nothing the builder outputs depends on which row got which
    number. Not ``row_number() OVER ()`` over the trace's SELECT: that would make DuckDB run the
    whole trace (joins, string expressions) on one thread -- at 10M tweets, 34 s instead of 16 s
    for sync_activity's trace; and not a copy of the rows with the id as a column: 0.07 s of
    the 0.7 s of co-retweet counts at 1M tweets.

    ``sql`` None collapses identical actions of the ``_cib_trace`` already there (see the module
    docstring) into ``_cib_trace1`` and points the view at it, instead of running the trace again.
    """
    if sql is None:
        sql = (
            "SELECT x.account_id, x.key, x.at, x.post_id, x.source, min(x.item) AS item, max(x.tolerance) AS tolerance "
            "FROM _cib_trace AS x GROUP BY x.account_id, x.key, x.at, x.post_id, x.source"
        )
        rows = "_cib_trace1"
    else:
        rows = "_cib_trace0"
    return [
        f"CREATE OR REPLACE TEMP TABLE {rows} AS SELECT q.* FROM ({sql}) AS q",
        f"CREATE OR REPLACE TEMP VIEW _cib_trace AS SELECT CAST(q.rowid AS BIGINT) AS rid, q.* FROM {rows} AS q",
    ]


def _maps_sql() -> list[str]:
    accmap = (
        "CREATE OR REPLACE TEMP TABLE _cib_accmap AS SELECT u.account_id, "
        "CAST(row_number() OVER (ORDER BY u.account_id) AS INTEGER) AS acc_i "
        "FROM (SELECT DISTINCT x.account_id FROM _cib_trace AS x) AS u"
    )
    keymap = (
        "CREATE OR REPLACE TEMP TABLE _cib_keymap AS SELECT u.key, u.m, "
        "CAST(row_number() OVER (ORDER BY u.key) AS INTEGER) AS key_i "
        "FROM (SELECT x.key, count(*) AS m FROM _cib_trace AS x GROUP BY x.key) AS u"
    )
    return [accmap, keymap]


def platform_map_sql() -> list[str]:
    """Statements making ``_cib_accplat (acc_i, platform, plat_i)``: each account's platform.

    From ``accounts.platform`` (the first in order when an id has several rows), else, for an
    account without one, the platform of its posts; '' when neither says. ``plat_i`` numbers
    the platforms in name order. Read by cross-platform traces (pairs of different platforms
    only) and by the significance test (the null kept per platform, see
    :func:`cibscope.networks.significance.score_pairs`). Needs ``_cib_accmap``.
    """
    return [
        "CREATE OR REPLACE TEMP TABLE _cib_accplat AS SELECT m.acc_i, m.account_id, a.platform "
        "FROM _cib_accmap AS m LEFT JOIN (SELECT x.account_id, min(x.platform) AS platform FROM accounts AS x "
        "WHERE x.platform IS NOT NULL AND x.platform <> '' GROUP BY x.account_id) AS a ON a.account_id = m.account_id",
        "CREATE OR REPLACE TEMP TABLE _cib_accplat AS SELECT q.acc_i, q.platform, "
        "CAST(dense_rank() OVER (ORDER BY q.platform) AS INTEGER) AS plat_i FROM ("
        "SELECT c.acc_i, coalesce(c.platform, f.platform, '') AS platform FROM _cib_accplat AS c "
        "LEFT JOIN (SELECT p.account_id, min(p.platform) AS platform FROM posts AS p "
        "WHERE p.account_id IN (SELECT u.account_id FROM _cib_accplat AS u WHERE u.platform IS NULL) "
        "GROUP BY p.account_id) AS f ON f.account_id = c.account_id) AS q",
    ]


def _acti_sql(cross: bool = False) -> str:
    # m_ka by a GROUP BY joined back, not count(*) OVER (PARTITION BY key_i, acc_i): the window
    # sorts every action and, at 1M tweets, made this statement and the pair join after it
    # (which scans its output) ~0.1 s slower in all
    plat = ", ap.plat_i" if cross else ""
    plat_join = " JOIN _cib_accplat AS ap ON ap.acc_i = am.acc_i" if cross else ""
    return (
        "CREATE OR REPLACE TEMP TABLE _cib_acti AS WITH b AS MATERIALIZED ("
        "SELECT g.rid AS rn, km.key_i, am.acc_i, g.at, " + _EPOCH_US.format(x="g.at") + f" AS t, g.tolerance, km.m AS m_k{plat} "
        f"FROM _cib_trace AS g JOIN _cib_accmap AS am ON am.account_id = g.account_id{plat_join} "
        "JOIN _cib_keymap AS km ON km.key = g.key) "
        f"SELECT b.rn, b.key_i, b.acc_i, b.at, b.t, b.tolerance, b.m_k, k.m_ka{plat.replace('ap.', 'b.')} FROM b JOIN ("
        "SELECT c.key_i, c.acc_i, count(*) AS m_ka FROM b AS c GROUP BY c.key_i, c.acc_i) AS k "
        "ON k.key_i = b.key_i AND k.acc_i = b.acc_i"
    )


# identical rows: same account, key and microsecond (integers; only possible where m_ka > 1),
# then, among those few, same post and source
DUPLICATE_CHECK_SQL = (
    "SELECT count(*) FROM (SELECT a.key_i, a.acc_i, a.t, g.post_id, g.source FROM _cib_acti AS a "
    "JOIN (SELECT c.key_i, c.acc_i, c.t FROM _cib_acti AS c WHERE c.m_ka > 1 "
    "GROUP BY c.key_i, c.acc_i, c.t HAVING count(*) > 1) AS d ON d.key_i = a.key_i AND d.acc_i = a.acc_i AND d.t = a.t "
    "JOIN _cib_trace AS g ON g.rid = a.rn "
    "GROUP BY a.key_i, a.acc_i, a.t, g.post_id, g.source HAVING count(*) > 1) AS x"
)


def cooccurrence_sql(
    *,
    window: float | None,
    max_neighbors: int,
    max_tolerance: float,
    times: bool = True,
    platforms: str | None = None,
    weights_only: bool = False,
) -> list[str]:
    """The builder's statements after ``_cib_trace`` exists (:func:`trace_table_sql`), in order.

    ``platforms`` ``"cross"`` (a cross-platform trace) keeps only pairs of accounts on
    different platforms, ``"same"`` (any other trace on a case of several platforms) only
    pairs on one platform, None every pair. With a value ``_cib_acti`` and ``_cib_big`` carry
    ``plat_i`` from ``_cib_accplat`` (:func:`platform_map_sql`, run between the maps and
    ``_cib_acti``) and both joins of ``_cib_raw`` compare it. On a big key the
    ``max_neighbors`` nearest later actions are taken among all platforms' actions, then the
    pairs of the other kind dropped.

    ``times=False`` leaves the action pairs' times out of ``_cib_raw`` (no ``lo_at``, ``hi_at``,
    ``dt`` columns; ``_cib_pairkey`` gives NULL times): enough for counts
    (:func:`directed_counts_sql`), not for the significance test or evidence, which need them.
    ``weights_only`` (implies ``times=False``) counts the direct join's single pairs in
    ``_cib_pairw``, left out of ``_cib_raw`` and ``_cib_pairkey`` (see the module docstring):
    for :func:`directed_counts_sql` ``(weights=True)`` only.

    ``window`` None means any time: the key itself fixes the span (a day, a bin, an account
    attribute). Accounts and keys are mapped to integers first (``_cib_accmap`` numbers
    accounts in ``account_id`` order, so ``acc_i`` order is ``account_id`` order and pairs can be
    oriented on integers); joins and aggregations then run on integers, not strings.
    """
    k = int(max_neighbors)
    small = min(k + 1, DIRECT_MAX)
    times = times and not weights_only
    if window is None:
        c_upto = "count(*) OVER (PARTITION BY j.key_i)"
        band = ""
        in_window = ""
    else:
        # times are integer microseconds: exact comparisons, no floating-point edge cases at
        # |dt| == window (the peer benchmark checks equality with another tool)
        w_us = int(round(float(window) * 1e6))
        frame = w_us + 2 * int(round(float(max_tolerance) * 1e6))
        c_upto = (
            "count(*) OVER (PARTITION BY j.key_i ORDER BY j.t "
            f"RANGE BETWEEN UNBOUNDED PRECEDING AND {frame} FOLLOWING)"
        )
        band = f" AND o.t >= s.t - {frame} AND o.t <= s.t + {frame}"
        in_window = (
            f" AND abs(o.t - s.t) <= {w_us} + CAST(round((s.tolerance + o.tolerance) * 1000000) AS BIGINT)"
            if max_tolerance > 0
            else ""
        )

    cross = platforms is not None
    if platforms is not None:
        in_window += f" AND s.plat_i {'<>' if platforms == 'cross' else '='} o.plat_i"

    def pick(col: str) -> str:
        return f"CASE WHEN s.acc_i < o.acc_i THEN s.{col} ELSE o.{col} END"

    def other(col: str) -> str:
        return f"CASE WHEN s.acc_i < o.acc_i THEN o.{col} ELSE s.{col} END"

    # without times the pairs are stored without the three columns (writing 1.4M rows of NULLs
    # cost ~0.05 s at 1M tweets); _cib_pairkey gives them as NULLs
    pair_times = (
        "least(s.at, o.at) AS lo_at, greatest(s.at, o.at) AS hi_at, abs(o.t - s.t) / 1000000.0 AS dt, " if times else ""
    )
    pair_cols = (
        "s.key_i, least(s.acc_i, o.acc_i) AS a_i, greatest(s.acc_i, o.acc_i) AS b_i, "
        f"{pick('rn')} AS rn_a, {other('rn')} AS rn_b, {pair_times}"
        "s.m_ka = 1 AND o.m_ka = 1 AS single"
    )
    # the direct join takes each unordered pair once, as (s, o) with s.acc_i < o.acc_i: already oriented
    direct_cols = (
        f"s.key_i, s.acc_i AS a_i, o.acc_i AS b_i, s.rn AS rn_a, o.rn AS rn_b, {pair_times}"
        "s.m_ka = 1 AND o.m_ka = 1 AS single"
    )
    act = (
        "CREATE OR REPLACE TEMP VIEW _cib_act AS SELECT a.key_i, a.acc_i, a.t, a.rn, a.m_k, a.m_ka, "
        "g.account_id, g.key, g.at, g.post_id, g.source, g.item, g.tolerance "
        "FROM _cib_acti AS a JOIN _cib_trace AS g ON g.rid = a.rn"
    )
    big = (
        "CREATE OR REPLACE TEMP TABLE _cib_big AS SELECT j.rn, j.key_i, j.acc_i, j.at, j.t, j.tolerance, j.m_ka, "
        + ("j.plat_i, " if cross else "")
        + "row_number() OVER (PARTITION BY j.key_i ORDER BY j.t, j.acc_i, j.post_id, j.source) AS r, "
        f"{c_upto} AS c_upto "
        "FROM (SELECT a.*, g.post_id, g.source FROM _cib_acti AS a JOIN _cib_trace AS g ON g.rid = a.rn "
        f"WHERE a.m_k > {small}) AS j"
    )
    direct_join = f"FROM _cib_acti AS s JOIN _cib_acti AS o ON o.key_i = s.key_i AND o.acc_i > s.acc_i{band} WHERE s.m_k <= {small}"
    if weights_only:
        # the pairs with an account acting more than once on the key; each of the two joins
        # has a side filtered to those few actions (an OR of both sides would join all again)
        direct = (
            f"SELECT {direct_cols} {direct_join} AND s.m_ka > 1{in_window} "
            f"UNION ALL SELECT {direct_cols} {direct_join} AND s.m_ka = 1 AND o.m_ka > 1{in_window}"
        )
    else:
        direct = f"SELECT {direct_cols} {direct_join}{in_window}"
    raw = (
        f"CREATE OR REPLACE TEMP TABLE _cib_raw AS {direct} "
        f"UNION ALL SELECT {pair_cols} "
        "FROM (SELECT a.key_i, a.r, a.rn, a.acc_i, a.t, a.at, a.tolerance, a.m_ka, "
        + ("a.plat_i, " if cross else "")
        + f"unnest(range(1, least(a.c_upto - a.r, {k}) + 1)) AS d "
        "FROM _cib_big AS a WHERE a.c_upto > a.r) AS s "
        "JOIN _cib_big AS o ON o.key_i = s.key_i AND o.r = s.r + s.d "
        f"WHERE o.acc_i <> s.acc_i{in_window}"
    )
    if times:
        single_t = "r.lo_at AS first_at, r.hi_at AS last_at"
        group_t = "min(r.lo_at) AS first_at, max(r.hi_at) AS last_at"
        single_dt, group_dt = "r.dt", "min(r.dt)"
    else:
        single_t = group_t = "CAST(NULL AS TIMESTAMP) AS first_at, CAST(NULL AS TIMESTAMP) AS last_at"
        single_dt = group_dt = "CAST(NULL AS DOUBLE)"
    pairkey = (
        "CREATE OR REPLACE TEMP VIEW _cib_pairkey AS "
        f"SELECT r.a_i, r.b_i, r.key_i, {single_t}, 1 AS n_a, 1 AS n_b, {single_dt} AS min_dt "
        "FROM _cib_raw AS r WHERE r.single "
        f"UNION ALL SELECT r.a_i, r.b_i, r.key_i, {group_t}, "
        f"count(DISTINCT r.rn_a) AS n_a, count(DISTINCT r.rn_b) AS n_b, {group_dt} AS min_dt "
        "FROM _cib_raw AS r WHERE NOT r.single GROUP BY r.a_i, r.b_i, r.key_i"
    )
    if weights_only:
        # the single pairs of the direct join, counted per pair as the join makes them (one
        # count(*): a wider aggregate, or the other pairs in it, made this ~2x slower at 5M)
        pairw = (
            "CREATE OR REPLACE TEMP TABLE _cib_pairw AS SELECT s.acc_i AS a_i, o.acc_i AS b_i, count(*) AS n "
            f"{direct_join} AND s.m_ka = 1 AND o.m_ka = 1{in_window} GROUP BY s.acc_i, o.acc_i"
        )
        # the other pairs' sums stored apart (a few rows): joined to _cib_pairw as a table, the
        # engine builds its hash table on them, not on the 3M rows of _cib_pairw (~0.2 s at 5M)
        pairwk = f"CREATE OR REPLACE TEMP TABLE _cib_pairwk AS {_PAIR_SUMS_SQL}"
        return [*_maps_sql(), _acti_sql(cross), act, big, raw, pairkey, pairw, pairwk]
    return [*_maps_sql(), _acti_sql(cross), act, big, raw, pairkey]


def evidence_sql(n_evidence: int) -> str:
    """SELECT of up to ``n_evidence`` action pairs per kept edge, closest in time first.

    Ties are broken by the earlier time, the key, then the posts' ids and sources, never by
    the internal action ids. The strings are joined only to the pairs that can make the cut (a
    ``rank()`` on the integer columns first), not to every pair of a kept edge, and sorted only
    where they break a tie: ``rk0`` is the first position of the row's group of equal (seconds,
    time, key), and a group is tied when a row of it has ``row_number() <> rk0``; a row alone in
    its group is at ``rk0``, a tied group is ordered by the strings among itself. (Sorting every
    row on the strings cost more than all the rest.) Needs ``_cib_edges`` (with ``kept``) from
    :mod:`.significance`.

    Only action pairs at most ``ev_tau`` seconds apart are ranked (``_cib_edges.ev_tau``, from
    :func:`.significance.score_pairs` with the same ``n_evidence``: the smallest of
    :func:`.significance.evidence_cutoffs` under which the pair shares at least ``n_evidence``
    keys, NULL if none). That is exact: ``n`` keys with a
    closest pair within ``ev_tau`` are ``n`` action pairs within it, so the ``n`` closest all
    are; the rest, often most of a busy pair's actions, are never sorted.

    ``eid`` numbers the rows ``(edge - 1) * n_evidence + rk``, with ``edge`` the kept edge's
    ordinal in ``(a_i, b_i)`` order: unique and in (edge, closeness) order, but with gaps. A
    dense ``row_number()`` over every evidence row would be one global sort of rows carrying
    all their strings: at 10M tweets it cost as much as choosing the rows.
    """
    n = int(n_evidence)
    cands = (
        # rank = first position of the row's tie group; row_number differs from it on the
        # group's later rows (one sort for both; a frame count would cost as much again)
        "SELECT r.a_i, r.b_i, k.o, r.dt, r.lo_at, r.key_i, r.rn_a, r.rn_b, rank() OVER w AS rk0, row_number() OVER w AS rn0 "
        "FROM _cib_raw AS r JOIN (SELECT e.a_i, e.b_i, e.ev_tau, row_number() OVER (ORDER BY e.a_i, e.b_i) AS o "
        "FROM _cib_edges AS e WHERE e.kept) AS k ON k.a_i = r.a_i AND k.b_i = r.b_i "
        "WHERE k.ev_tau IS NULL OR r.dt <= k.ev_tau "
        "WINDOW w AS (PARTITION BY r.a_i, r.b_i ORDER BY r.dt, r.lo_at, r.key_i)"
    )
    strs = (
        "SELECT y.a_i, y.b_i, y.o, y.dt, y.rk0, y.rn0, pa.post_id AS post_a, pb.post_id AS post_b, pa.at AS at_a, "
        "pb.at AS at_b, coalesce(pa.item, pb.item, pa.key) AS item, pa.source AS source_a, pb.source AS source_b, "
        "pa.key AS key, greatest(pa.tolerance, pb.tolerance) AS tol "
        f"FROM ({cands}) AS y JOIN _cib_trace AS pa ON pa.rid = y.rn_a JOIN _cib_trace AS pb ON pb.rid = y.rn_b "
        f"WHERE y.rk0 <= {n}"
    )
    cols = "s.a_i, s.b_i, s.o, s.dt, s.post_a, s.post_b, s.at_a, s.at_b, s.item, s.source_a, s.source_b, s.key, s.tol"
    tied = "(SELECT t.a_i, t.b_i, t.rk0 FROM s AS t WHERE t.rn0 <> t.rk0 GROUP BY t.a_i, t.b_i, t.rk0) AS g"
    return (
        f"WITH s AS MATERIALIZED ({strs}) "
        f"SELECT x.a_i, x.b_i, x.rk, (x.o - 1) * {n} + x.rk AS eid, ma.account_id AS account_a, mb.account_id AS account_b, "
        "x.post_a, x.post_b, x.at_a, x.at_b, x.dt AS seconds_apart, x.item, x.source_a, x.source_b, x.key, "
        f"{precision_sql('x.tol')} AS precision FROM ("
        f"SELECT {cols}, s.rk0 AS rk FROM s ANTI JOIN {tied} ON g.a_i = s.a_i AND g.b_i = s.b_i AND g.rk0 = s.rk0 UNION ALL "
        f"SELECT {cols}, s.rk0 - 1 + row_number() OVER (PARTITION BY s.a_i, s.b_i, s.rk0 "
        f"ORDER BY s.post_a, s.post_b, s.source_a, s.source_b) AS rk FROM s SEMI JOIN {tied} "
        "ON g.a_i = s.a_i AND g.b_i = s.b_i AND g.rk0 = s.rk0) AS x "
        "JOIN _cib_accmap AS ma ON ma.acc_i = x.a_i JOIN _cib_accmap AS mb ON mb.acc_i = x.b_i "
        f"WHERE x.rk <= {n}"
    )


def precision_sql(tolerance: str) -> str:
    """SQL: the time precision (``second``, ``minute``, ``day``) of a tolerance in seconds (the
    coarser of two posts' when given their greatest tolerance; see traces.base.tolerance_expr)."""
    return f"(CASE WHEN {tolerance} >= 86400 THEN 'day' WHEN {tolerance} >= 60 THEN 'minute' ELSE 'second' END)"


def bounded_sql(max_neighbors: int, *, weights_only: bool = False) -> str:
    """Pairs left out on big keys, keys where that happened, actions and keys in all, action
    pairs (``weights_only``: those in ``_cib_raw`` and those counted in ``_cib_pairw``)."""
    k = int(max_neighbors)
    single = " + (SELECT coalesce(sum(w.n), 0) FROM _cib_pairw AS w)" if weights_only else ""
    return (
        f"SELECT (SELECT coalesce(sum(greatest(b.c_upto - b.r - {k}, 0)), 0) FROM _cib_big AS b) AS bounded, "
        f"(SELECT count(DISTINCT b.key_i) FROM _cib_big AS b WHERE b.c_upto - b.r > {k}) AS bounded_keys, "
        "(SELECT count(*) FROM _cib_acti) AS n_rows, (SELECT count(*) FROM _cib_keymap) AS n_keys, "
        f"(SELECT count(*) FROM _cib_raw){single} AS n_pairs"
    )


def full_trace_sql(db: Case | Engine, trace: Trace) -> str:
    """The trace's SELECT with ``item``/``tolerance`` added when the trace leaves them out
    (``db``: where it runs, for its output columns)."""
    sql = trace.sql()
    cols = engine_or_connection(db).columns(sql)
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


def run_cooccurrence(
    db: Case | Engine, trace: Trace, *, trace_sql: str | None = None, times: bool = True, weights_only: bool = False
) -> CooccurrenceResult:
    """Materialise the trace and its co-occurring pairs as the temp tables above, on ``db``
    (the case's engine, or another :class:`~cibscope.engine.Engine`).

    ``trace.prepare(db)`` must have run. ``trace_sql`` overrides the trace's SELECT (tests,
    counts without evidence). ``times=False``: pairs without their times, for counts only;
    ``weights_only``: the direct join's single pairs counted per pair in ``_cib_pairw`` and
    left out of ``_cib_raw`` and ``_cib_pairkey``, for :func:`directed_counts_sql`
    ``(weights=True)`` only (see :func:`cooccurrence_sql`).
    """
    eng = engine_or_connection(db)
    sql = trace_sql if trace_sql is not None else full_trace_sql(eng, trace)
    drop_temp(eng)
    for stmt in trace_table_sql(sql):
        eng.execute(stmt)
    window = trace.window
    max_tol = 0.0
    if window is not None:
        row = eng.execute("SELECT coalesce(max(tolerance), 0) FROM _cib_trace").fetchall()[0]
        max_tol = float(row[0]) if row else 0.0
    k = int(trace.params["max_neighbors"])
    platforms = "cross" if getattr(trace, "cross_platform", False) else ("same" if several_platforms(eng) else None)
    stmts = cooccurrence_sql(
        window=window, max_neighbors=k, max_tolerance=max_tol, times=times, platforms=platforms, weights_only=weights_only
    )

    def maps() -> None:  # the two maps, the accounts' platforms (when needed) and _cib_acti
        for stmt in stmts[:2]:
            eng.execute(stmt)
        if platforms is not None:
            for stmt in platform_map_sql():
                eng.execute(stmt)
        eng.execute(stmts[2])

    maps()
    dup = eng.execute(DUPLICATE_CHECK_SQL).fetchall()[0]
    if dup is not None and int(dup[0]) > 0:
        # some account acts twice on one key at one instant: collapse identical rows, renumber
        for stmt in trace_table_sql(None):
            eng.execute(stmt)
        maps()
    for stmt in stmts[3:]:
        eng.execute(stmt)
    b = eng.execute(bounded_sql(k, weights_only=weights_only)).fetchall()[0]
    assert b is not None
    return CooccurrenceResult(
        rows=int(b[2]),
        keys=int(b[3]),
        action_pairs=int(b[4]),
        bounded_action_pairs=int(b[0]),
        bounded_keys=int(b[1]),
        window=window,
    )


def several_platforms(db: Case | Engine) -> bool:
    """Does the case's ``accounts`` table name at least two platforms? (Then the builder maps
    accounts to platforms, pairs accounts of one platform only -- the ``xp_*`` traces pair the
    others -- and the significance test keeps its null per platform.) One cheap query over the
    accounts, not the posts."""
    row = engine_or_connection(db).execute(
        "SELECT count(*) FROM (SELECT DISTINCT a.platform FROM accounts AS a WHERE a.platform IS NOT NULL AND a.platform <> '' LIMIT 2)"
    ).fetchall()[0]
    return bool(row and int(row[0]) >= 2)


def drop_temp(db: Case | Engine) -> None:
    """Drop the builder's temp tables and views (:data:`TEMP_TABLES`, :data:`TEMP_VIEWS`)."""
    eng = engine_or_connection(db)
    for v in TEMP_VIEWS:
        eng.drop(v)
    for t in TEMP_TABLES:
        eng.drop(t)


# each account pair's weights both ways: _cib_pairkey's n_a / n_b summed over its keys
_PAIR_SUMS_SQL = "SELECT p.a_i, p.b_i, sum(p.n_a) AS w_ab, sum(p.n_b) AS w_ba FROM _cib_pairkey AS p GROUP BY p.a_i, p.b_i"


def directed_counts_sql(*, account_ids: bool = True, weights: bool = False) -> str:
    """SELECT (user_1, user_2, weight): the QUT coordination-network-toolkit's directed weight.

    The peer counts, for each ordered pair of different accounts, the distinct posts of
    ``user_1`` that have at least one post of ``user_2`` on the same key within the window
    (``count(distinct e_1.message_id)`` in its co-retweet query). An action belongs to one key,
    so that is the sum over keys of ``_cib_pairkey.n_a`` (``n_b`` the other way round). Equal to
    the peer's network when nothing was bounded (``max_neighbors`` large enough).

    ``weights``: after ``run_cooccurrence(weights_only=True)``, ``_cib_pairw``'s single
    pairs added to ``_cib_pairkey``'s sums (``_cib_pairwk``).

    ``account_ids=False`` gives the accounts as ``_cib_accmap.acc_i - 1`` (0-based, in
    ``account_id`` order) instead of their ids: integer columns, for a caller that labels them
    itself (a dictionary-encoded Arrow column, see :func:`cibscope.onelayer.directed_counts`).
    """
    if weights:
        w = (
            "SELECT coalesce(s.a_i, k.a_i) AS a_i, coalesce(s.b_i, k.b_i) AS b_i, "
            "coalesce(s.n, 0) + coalesce(k.w_ab, 0) AS w_ab, coalesce(s.n, 0) + coalesce(k.w_ba, 0) AS w_ba "
            "FROM _cib_pairw AS s FULL JOIN _cib_pairwk AS k ON k.a_i = s.a_i AND k.b_i = s.b_i"
        )
    else:
        w = _PAIR_SUMS_SQL
    if account_ids:
        c = (
            f"SELECT m1.account_id AS user_a, m2.account_id AS user_b, w.w_ab, w.w_ba FROM ({w}) AS w "
            "JOIN _cib_accmap AS m1 ON m1.acc_i = w.a_i JOIN _cib_accmap AS m2 ON m2.acc_i = w.b_i"
        )
    else:
        c = f"SELECT w.a_i - 1 AS user_a, w.b_i - 1 AS user_b, w.w_ab, w.w_ba FROM ({w}) AS w"
    # integer weights from the stored tables: joining them twice costs less than storing the join
    mat = "NOT MATERIALIZED" if weights and not account_ids else "MATERIALIZED"
    return (
        f"WITH c AS {mat} ({c}) SELECT c.user_a AS user_1, c.user_b AS user_2, c.w_ab AS weight FROM c UNION ALL "
        "SELECT c.user_b AS user_1, c.user_a AS user_2, c.w_ba AS weight FROM c"
    )

"""Group-membership test: does an account act together with a *group*, beyond chance?

Why a second test
-----------------
The network builder tests account *pairs*. An operation's quiet member who joins only 3 of
its group's 100 events shares 3 items with each of 20 members: no single pair beats chance
after testing hundreds of thousands of pairs, so the member has no significant edge and, in
a pairwise world, no evidence. Seen from the group it is obvious: 3 of the account's 5
actions landed, within seconds, on items the group was pushing at that moment -- something a
random account's actions almost never do. This module tests each account against each
*flagged* group (an operation: coordinated beyond the case's null and inauthentic, not a fan
club; see :mod:`cibscope.evidence.decision`) once the groups and their decisions exist.

The statistic
-------------
Actions are the rows of the trace layers in ``layers`` (the builder's trace rows, kept by
detect or from the same trace SQL; near_duplicate's text clusters from ``post_keys``: key,
time, post). An action ``s`` of account ``a`` on key ``k`` at time ``t`` *hits* group
``G`` when a member of ``G`` other than ``a`` acted on ``k`` within the trace's window of
``t``. A hit weighs the **group's share** of the key at that moment::

    share(s, G) = (members of G acting on k within the window of t) / (accounts acting on k within it)

(distinct accounts, ``a`` excluded). A weak member retweeting, 20 s after 40 group members,
an original nobody else retweeted has share 1; a fan retweeting a celebrity's post along
with 1,000 other fans, two of them in ``G``, has share 0.002. Popularity is thus discounted
per key, like the builder's rarity weight, but measured against the group.

Null model: an account's actions are ``n_a`` slots drawn at random from the layer's actions
of non-members (the builder's label-shuffling null, seen from one side). For each layer
``l`` and group ``G``, ``r1 = sum(share) / N`` and ``r2 = sum(share^2) / N`` over the ``N``
non-member actions of the layer, so the account's summed share ``T`` has mean
``mu = sum_l n_al r1_l`` and variance ``v = sum_l n_al r2_l``; with ``c = v / mu``,
``p = P(Poisson(mu / c) >= T / c)`` (the builder's scaled-Poisson approximation,
:func:`cibscope.networks.significance.pvalues`). Every (account, flagged group) is a test;
the evidence of the best group is ``s = min(cap, -log10(p * m))`` with ``m`` the number of
tests (the E-value, as for edges: how many accounts this strongly tied to some group chance
alone would give).

Benign causes: an ordinary account that happens to follow an operation's favourite
accounts and retweets them within a minute, repeatedly (it then *is* amplifying the
operation's content, knowingly or not); hashtag lists copied from a campaign by real
supporters. The hard negatives of the generator (fans, news-hashtag crowds, popular links)
score ~0: their hits are on keys where the group is a tiny share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pyarrow as pa

from ..case import engine_or_connection
from ..engine import Engine
from ..exact import exact_sum
from ..traces.base import source_expr, tolerance_expr
from ..traces.near_duplicate import NearDuplicate

if TYPE_CHECKING:
    from ..case import Case

__all__ = ["DEFAULT_LAYERS", "TRACE_LAYERS", "MEMBERSHIP_LAYER", "MembershipResult", "group_membership"]

#: Evidence rows of this test carry this ``layer`` value (and the score term this name).
MEMBERSHIP_LAYER = "group_membership"
#: Post-level traces whose actions are tested (cheap SQL traces; see docs/detection.md).
DEFAULT_LAYERS: tuple[str, ...] = (
    "co_retweet",
    "co_quote",
    "co_reply",
    "co_link",
    "co_hashtag",
    "hashtag_sequence",
    "co_mention",
    "near_duplicate",
)
#: The layers whose trace rows the test reads (detect keeps the builder's tables of these);
#: near_duplicate's clusters come from ``post_keys`` instead.
TRACE_LAYERS: tuple[str, ...] = tuple(l for l in DEFAULT_LAYERS if l != "near_duplicate")


@dataclass
class MembershipResult:
    """``tests``: one row per (account, group) with at least one hit; ``evidence``: rows for the
    ``evidence`` table (layer ``group_membership``) behind each account's best group.

    tests columns: account_id, group_id, n_actions, n_hits, observed (summed share),
    expected, p_value, strength (``min(cap, -log10(p * n_tests))``, 0 if not beyond chance).
    """

    tests: pa.Table
    evidence: pa.Table
    n_tests: int

    def best(self) -> dict[str, tuple[int, float, float, int, int, float, float]]:
        """account -> (group, strength, p, n_hits, n_actions, observed, expected) of its strongest test."""
        out: dict[str, tuple[int, float, float, int, int, float, float]] = {}
        t = self.tests.to_pydict()
        for acc, g, na, nh, obs, exp, p, s in zip(
            t["account_id"], t["group_id"], t["n_actions"], t["n_hits"], t["observed"], t["expected"], t["p_value"], t["strength"]
        ):
            cur = out.get(acc)
            if cur is None or (s, -p) > (cur[1], -cur[2]):
                out[acc] = (int(g), float(s), float(p), int(nh), int(na), float(obs), float(exp))
        return out


_EVIDENCE_COLUMNS = (
    ("account_a", pa.string()),
    ("account_b", pa.string()),
    ("post_a", pa.string()),
    ("post_b", pa.string()),
    ("at_a", pa.timestamp("us")),
    ("at_b", pa.timestamp("us")),
    ("seconds_apart", pa.float64()),
    ("shared_item", pa.string()),
    ("source_a", pa.string()),
    ("source_b", pa.string()),
    ("key_layer", pa.string()),
    ("key", pa.string()),
    ("precision", pa.string()),
)


def _empty(n_tests: int = 0) -> MembershipResult:
    tests = pa.table(
        {
            "account_id": pa.array([], pa.string()),
            "group_id": pa.array([], pa.int32()),
            "n_actions": pa.array([], pa.int64()),
            "n_hits": pa.array([], pa.int64()),
            "observed": pa.array([], pa.float64()),
            "expected": pa.array([], pa.float64()),
            "p_value": pa.array([], pa.float64()),
            "strength": pa.array([], pa.float64()),
        }
    )
    ev = pa.table({n: pa.array([], t) for n, t in _EVIDENCE_COLUMNS})
    return MembershipResult(tests=tests, evidence=ev, n_tests=n_tests)


#: The membership test's own action key (no trace of its own): one post's hashtag *set* on one
#: UTC day. A campaign posts the day's tag list at any hour, so co_hashtag's 60-second window
#: misses a quiet member; the day fixes the span instead. Tested as action layer ``hashtag_day``
#: whenever ``co_hashtag`` is tested. The tag set is built per post id first (one grouping on
#: one column, then one join to ``posts``), not per joined post row.
HASHTAG_SET_DAY_SQL = (
    "WITH t AS (SELECT h.post_id, list_sort(list_distinct(list(h.hashtag))) AS tags FROM post_hashtags AS h "
    "WHERE h.hashtag IS NOT NULL AND h.hashtag <> '' GROUP BY h.post_id) "
    "SELECT p.account_id, CAST(CAST(p.created_at AS DATE) AS VARCHAR) || '|' || list_aggregate(t.tags, 'string_agg', ' ') AS key, "
    f"p.post_id, {source_expr('p')} AS source, "
    "CAST(CAST(p.created_at AS DATE) AS VARCHAR) || ' #' || list_aggregate(t.tags, 'string_agg', ' #') AS item, p.created_at AS at, "
    f"{tolerance_expr('p')} AS tolerance "
    "FROM t JOIN posts AS p ON p.post_id = t.post_id "
    "WHERE len(t.tags) >= {min_tags} AND p.repost_of IS NULL AND p.created_at IS NOT NULL AND p.time_precision <> 'day'"
)


def _source_sql(name: str, sql: str, window: float | None, tolerance: str = "tr.tolerance") -> str:
    w = -1 if window is None else int(round(window * 1e6))
    return (
        f"SELECT '{name}' AS layer, tr.account_id, tr.key, tr.post_id, tr.source, tr.item, tr.at, "
        "coalesce(date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', tr.at), 0) AS t, "
        f"CAST(round({tolerance} * 1000000) AS BIGINT) AS tol, CAST({w} AS BIGINT) AS w "
        f"FROM ({sql}) AS tr"
    )


def _make_trace(name: str, trace_params: Mapping[str, Mapping[str, Any]] | None) -> Any:
    from ..traces import get_trace

    return get_trace(name)(**dict((trace_params or {}).get(name, {})))


def _trace_sources(
    eng: Engine,
    layers: tuple[str, ...],
    trace_params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    untimed: bool = False,
) -> tuple[list[tuple[str, str]], list[str]]:
    """(layer, SELECT over the layer's actions: layer, account, key, t (microseconds), window,
    ...) for every trace layer tested, and the layers whose trace tables this call made.

    A layer's actions are its trace's rows as the builder used them (identical rows collapsed),
    with the parameters the edges were built with (``trace_params``): the trace table detect
    kept (:func:`cibscope.networks.kept_trace_table`), or, when there is none for these
    parameters (re-scoring stored edges), one made now by :func:`cibscope.networks.keep_traces`
    (the caller drops those).
    """
    from ..networks import keep_traces, kept_trace_table

    cols = "x.account_id, x.key, x.post_id, x.source, x.item, x.at, x.tolerance"
    parts: list[tuple[str, str]] = []
    made: list[str] = []
    for name in layers:
        if name == "near_duplicate":
            continue  # see _near_duplicate_rows
        trace = _make_trace(name, trace_params)
        if trace.level != "post" or name in ("fast_retweet", "sync_activity"):
            continue  # fast_retweet repeats co_retweet's keys; sync_activity's keys are time bins
        kept = kept_trace_table(eng, trace.layer, trace.get_params())  # only if made with these parameters
        if kept is None:
            keep_traces(eng, [name], {name: trace.get_params()})
            made.append(trace.layer)
            kept = kept_trace_table(eng, trace.layer)
        parts.append((name, _source_sql(name, f"SELECT {cols} FROM {kept} AS x", None if untimed else trace.window)))
    return parts, made


#: The near_duplicate layer's actions: every non-retweet post with a text (one action each).
_ND_POSTS_WHERE = NearDuplicate.POSTS_WHERE + " AND p.created_at IS NOT NULL AND p.account_id IS NOT NULL"


def _near_duplicate_rows(eng: Engine, window: float | None) -> tuple[str, str] | None:
    """Near-duplicate actions for the test: (SELECT of the rows that can share a key with a
    member, SELECT of every action's account), or None when no member's post is in a cluster.

    The builder stored the cluster of every clustered post (``post_keys``, layer
    near_duplicate, clusters of at least two posts); every other non-retweet post is an action
    on a key of its own (it counts towards the account's activity, and cannot hit). Rows are
    kept (temp table ``_cib_gm_nd``) only for the posts of clusters holding a member's post:
    no other action shares a key with a member.
    """
    stored = eng.execute("SELECT count(*) FROM post_keys WHERE layer = 'near_duplicate'").fetchall()[0][0]
    built = eng.execute("SELECT count(*) FROM edges WHERE layer = 'near_duplicate'").fetchall()[0][0]
    if not stored and built:
        from ..errors import CaseStateError

        raise CaseStateError(
            "the case has near_duplicate edges but no stored text clusters (post_keys): its edges were "
            "built by an older cibscope",
            hint="rebuild the edges: cibscope detect without --reuse-edges",
        )
    eng.materialise(
        "_cib_gm_ndk", "WITH mc AS (SELECT DISTINCT k.key FROM post_keys AS k SEMI JOIN _cib_gm_mem AS m ON m.account_id = k.account_id "
        "WHERE k.layer = 'near_duplicate') "
        "SELECT k.post_id, k.key FROM post_keys AS k SEMI JOIN mc ON mc.key = k.key WHERE k.layer = 'near_duplicate'"
    )
    if not eng.execute("SELECT count(*) FROM _cib_gm_ndk").fetchall()[0][0]:
        return None
    # (an IN filter on the posts scan: the text is read for the kept posts only)
    eng.materialise(
        "_cib_gm_nd", f"WITH x AS (SELECT p.account_id, p.post_id, {source_expr('p')} AS source, "
        "substr(p.text, 1, 140) AS item, p.created_at AS at, "
        f"{tolerance_expr('p')} AS tolerance "
        "FROM posts p WHERE p.post_id IN (SELECT post_id FROM _cib_gm_ndk) AND " + _ND_POSTS_WHERE + ") "
        "SELECT x.account_id, 'c' || k.key AS key, x.post_id, x.source, x.item, x.at, x.tolerance "
        "FROM x JOIN _cib_gm_ndk k ON k.post_id = x.post_id"
    )
    return (
        _source_sql("near_duplicate", "SELECT * FROM _cib_gm_nd", window),
        "SELECT 'near_duplicate' AS layer, p.account_id FROM posts p WHERE " + _ND_POSTS_WHERE,
    )


_TEMP_TABLES = (
    "_cib_gm_cnt", "_cib_gm_mk", "_cib_gm_ks", "_cib_gm_k2", "_cib_gm_kid", "_cib_gm_kg", "_cib_gm_act", "_cib_gm_isl", "_cib_gm_q", "_cib_gm_share",
    "_cib_gm_ndk", "_cib_gm_nd",
)


def group_membership(
    db: Case | Engine,
    strong: dict[int, list[str]],
    *,
    layers: tuple[str, ...] = DEFAULT_LAYERS,
    cap: float = 20.0,
    evidence_per_account: int = 10,
    max_key_actions: int = 5000,
    min_members: int = 2,
    trace_params: Mapping[str, Mapping[str, Any]] | None = None,
    item_ranks: pa.Table | None = None,
    untimed: bool = False,
) -> MembershipResult:
    """Test every account that acted in ``layers`` against every group of ``strong`` (group -> members).

    Members of a tested group are not tested (their group was found from their own links;
    testing them against it would be circular); ``n_tests`` = tested accounts x groups.

    ``min_members``: an action hits a group only when at least this many distinct members
    acted on its key within the window -- the *group* acting, not one member (co-acting with a
    single account is the pairwise test's business, and one stray member of a group must not
    pull in its own contacts).
    ``max_key_actions``: keys with more actions than this in a layer (a celebrity's post
    retweeted by 100,000) are left out of the test: a group's share of such a key is
    negligible, and pairing them would be quadratic.
    ``trace_params``: per trace, the parameters the edges were built with (as for
    :func:`cibscope.networks.build_networks`): the same actions and windows.
    ``item_ranks``: (group_id, layer, key, rank) of each group's defining items
    (:func:`cibscope.groups.items.defining_items`): an account's evidence rows on them come first.
    ``untimed``: no window -- an action hits a group when ``min_members`` of its members acted on
    the key at any time in the case (the group's *items*, not its moments); the share is the
    group's share of every account on the key. Same null model and E-value. Detect uses it only
    to rank (score term ``group_items``), never to flag: acting on an operation's items without
    its timing is interest in them, not coordination.

    How it stays cheap on millions of actions: the actions are read from the builder's kept
    trace tables (detect keeps them for this test; otherwise each trace runs once, into a temp
    table) and near_duplicate's clusters from ``post_keys``. Passes over them keep only (1) the
    action count per account and layer, (2) the members' (key, account) pairs, (3) the size
    and largest time tolerance of each key a member acted on, and (4) the full rows of the
    keys that can hold a hit: at least ``min_members`` members of one group and one other
    account on it, at most ``max_key_actions`` actions. Counts within the window then run on
    those rows only, one sweep per (key, group acting on it) instead of one window column per
    group.
    """
    eng = engine_or_connection(db)
    strong = {int(g): sorted(set(m)) for g, m in strong.items() if m}
    layers = tuple(l for l in layers if l)
    if not strong or not layers:
        return _empty()
    mem = pa.table(
        {
            "account_id": pa.array([a for g, m in strong.items() for a in m], pa.string()),
            "group_id": pa.array([g for g, m in strong.items() for _ in m], pa.int32()),
        }
    )
    eng.register_arrow("_cib_gm_mem", mem)
    made: list[str] = []
    try:
        # every action of the tested layers, as (layer, SELECT of rows, SELECT of layer+account of every action)
        sources, made = _trace_sources(eng, layers, trace_params, untimed=untimed)
        layer_sql = [(name, sql, "") for name, sql in sources]
        if any(name == "co_hashtag" for name, _ in sources):  # the test's own hashtag_day key, run once
            eng.materialise("_cib_gm_hday", HASHTAG_SET_DAY_SQL.format(min_tags=2))
            layer_sql.append(("hashtag_day", _source_sql("hashtag_day", "SELECT * FROM _cib_gm_hday", None), ""))
        if "near_duplicate" in layers:
            nd = _near_duplicate_rows(eng, None if untimed else _make_trace("near_duplicate", trace_params).window)
            if nd is not None:
                layer_sql.append(("near_duplicate", nd[0], nd[1]))
        if not layer_sql:
            return _empty()
        eng.execute(
            "CREATE OR REPLACE TEMP VIEW _cib_gm_all AS " + " UNION ALL ".join(f"({sql})" for _, sql, _ in layer_sql)
        )
        # (1) actions per account and layer (the null model's counts); near_duplicate's rows above
        # are only those that can share a key with a member, its counts come from every post
        counts = ["SELECT layer, account_id FROM _cib_gm_all WHERE layer <> 'near_duplicate'"]
        counts += [c for name, _, c in layer_sql if name == "near_duplicate"]
        eng.materialise(
            "_cib_gm_cnt", "SELECT layer, account_id, count(*) AS n FROM ("
            + " UNION ALL ".join(f"({c})" for c in counts) + ") GROUP BY 1, 2"
        )
        # (2) members' actions per (layer, key, member)
        eng.materialise(
            "_cib_gm_mk", "SELECT x.layer, x.key, x.account_id, count(*) AS n "
            "FROM _cib_gm_all AS x SEMI JOIN _cib_gm_mem AS m ON m.account_id = x.account_id GROUP BY 1, 2, 3"
        )
        # (3) size and largest tolerance of every key a member acted on
        eng.materialise(
            "_cib_gm_ks", "SELECT x.layer, x.key, count(*) AS n, max(x.tol) AS tol, max(x.w) AS w "
            "FROM _cib_gm_all AS x "
            "SEMI JOIN (SELECT DISTINCT layer, key FROM _cib_gm_mk) AS k ON k.layer = x.layer AND k.key = x.key GROUP BY 1, 2"
        )
        # Imprecise times widen the frame by twice the largest tolerance of the layer's tested keys.
        frames = eng.execute(
            f"SELECT layer, max(w), max(tol) FROM _cib_gm_ks WHERE n <= {int(max_key_actions)} GROUP BY 1 ORDER BY 1"
        ).fetchall()
        if not frames:  # no member acted on any key in these layers: nothing can hit
            return _empty()
        # keys where a group can act (min_members of its members) next to someone else; per (key, group)
        eng.materialise(
            "_cib_gm_k2",
            f"""
            WITH kg AS (
                SELECT k.layer, k.key, m.group_id, count(DISTINCT k.account_id) AS g FROM _cib_gm_mk k
                JOIN _cib_gm_mem m ON m.account_id = k.account_id GROUP BY 1, 2, 3
            ), km AS (SELECT layer, key, sum(n) AS n FROM _cib_gm_mk GROUP BY 1, 2)
            SELECT kg.layer, kg.key, kg.group_id FROM kg
            JOIN _cib_gm_ks ks ON ks.layer = kg.layer AND ks.key = kg.key
            JOIN km ON km.layer = kg.layer AND km.key = kg.key
            WHERE kg.g >= {int(min_members)} AND ks.n <= {int(max_key_actions)} AND ks.n > km.n
            """
        )
        eng.materialise(
            "_cib_gm_kid", "SELECT layer, key, CAST(row_number() OVER () AS BIGINT) AS kid FROM (SELECT DISTINCT layer, key FROM _cib_gm_k2)"
        )
        # (4) the full rows of those keys
        # (a unique id from the stored rows: a row_number() over the join would run it on one thread)
        eng.materialise(
            "_cib_gm_act0", "SELECT k.kid, a.* FROM _cib_gm_all AS a JOIN _cib_gm_kid AS k ON k.layer = a.layer AND k.key = a.key"
        )
        eng.materialise("_cib_gm_act", "SELECT CAST(a.rowid AS BIGINT) AS aid, a.* FROM _cib_gm_act0 AS a")
        eng.drop("_cib_gm_act0")
        # Per action of a tested account (not in a tested group) and group acting on its key: the
        # distinct accounts on the key within the window, itself excluded (n), and how many of
        # them are the group's (g) -- what a window frame of +-W around the action would count
        # (W = the layer's window widened by twice its largest tolerance), computed by a sweep
        # so a hot hashtag's thousands of actions stay O(n log n): an account is within W of
        # time t iff t lies in one of its *islands* [first - W, last + W] (its actions on the key
        # chained by gaps <= 2W; one account's islands are disjoint), so the count at t is the
        # islands opened at or before t minus those closed before t: a running sum over the
        # islands' ends and the actions sorted by (time, open < action < close).
        eng.register_arrow(
            "_cib_gm_fr",
            pa.table({
                "layer": pa.array([l for l, _, _ in frames], pa.string()),
                "fw": pa.array([int(w) + 2 * int(tol) if int(w) >= 0 else -1 for _, w, tol in frames], pa.int64()),
            }),
        )
        try:
            eng.materialise(
                "_cib_gm_isl",
                """
                WITH a AS (
                    SELECT a.kid, a.account_id, a.t, f.fw,
                           CASE WHEN a.t - lag(a.t) OVER (PARTITION BY a.kid, a.account_id ORDER BY a.t) <= 2 * f.fw
                                THEN 0 ELSE 1 END AS new
                    FROM _cib_gm_act a JOIN _cib_gm_fr f ON f.layer = a.layer WHERE a.account_id IS NOT NULL AND f.fw >= 0
                ), b AS (
                    SELECT *, sum(new) OVER (PARTITION BY kid, account_id ORDER BY t, new DESC ROWS UNBOUNDED PRECEDING) AS isl FROM a
                )
                SELECT kid, account_id, min(t) - fw AS lo, max(t) + fw AS hi FROM b GROUP BY kid, account_id, isl, fw
                """
            )
            # the tested actions (not by a member) on these keys, and the groups acting on each key
            eng.materialise(
                "_cib_gm_q", "SELECT a.aid, a.kid, a.t, f.fw FROM _cib_gm_act a "
                "JOIN _cib_gm_fr f ON f.layer = a.layer ANTI JOIN _cib_gm_mem m ON m.account_id = a.account_id"
            )
            eng.materialise(
                "_cib_gm_kg", "SELECT k.kid, k2.group_id FROM _cib_gm_k2 k2 "
                "JOIN _cib_gm_kid k ON k.layer = k2.layer AND k.key = k2.key"
            )
            # Running sums over one global order (key, [group,] time, kind): every partition's
            # opens and closes cancel, so no PARTITION BY is needed.
            eng.materialise(
                "_cib_gm_share",
                f"""
                WITH ev_n AS (
                    SELECT kid, lo AS pos, 0 AS typ, 1 AS d, CAST(NULL AS BIGINT) AS aid FROM _cib_gm_isl
                    UNION ALL SELECT kid, hi, 2, -1, NULL FROM _cib_gm_isl
                    UNION ALL SELECT kid, t, 1, 0, aid FROM _cib_gm_q WHERE fw >= 0
                ), n_w AS (
                    SELECT aid, n FROM (
                        SELECT aid, sum(d) OVER (ORDER BY kid, pos, typ ROWS UNBOUNDED PRECEDING) - 1 AS n FROM ev_n
                    ) WHERE aid IS NOT NULL
                ), n_all AS (
                    SELECT q.aid, k.n FROM _cib_gm_q q JOIN (
                        SELECT a.kid, count(DISTINCT a.account_id) - 1 AS n FROM _cib_gm_act a
                        JOIN _cib_gm_fr f ON f.layer = a.layer WHERE f.fw < 0 GROUP BY 1
                    ) k ON k.kid = q.kid WHERE q.fw < 0
                ), gi AS (
                    SELECT i.kid, m.group_id, i.lo, i.hi FROM _cib_gm_isl i JOIN _cib_gm_mem m ON m.account_id = i.account_id
                    SEMI JOIN _cib_gm_kg k ON k.kid = i.kid AND k.group_id = m.group_id
                ), ev_g AS (
                    SELECT kid, group_id, lo AS pos, 0 AS typ, 1 AS d, CAST(NULL AS BIGINT) AS aid FROM gi
                    UNION ALL SELECT kid, group_id, hi, 2, -1, NULL FROM gi
                    UNION ALL SELECT q.kid, k.group_id, q.t, 1, 0, q.aid FROM _cib_gm_q q JOIN _cib_gm_kg k ON k.kid = q.kid WHERE q.fw >= 0
                ), g_w AS (
                    SELECT aid, group_id, g FROM (
                        SELECT aid, group_id, sum(d) OVER (ORDER BY kid, group_id, pos, typ ROWS UNBOUNDED PRECEDING) AS g FROM ev_g
                    ) WHERE aid IS NOT NULL AND g >= {int(min_members)}
                ), g_all AS (
                    SELECT q.aid, k.group_id, k.g FROM _cib_gm_q q JOIN (
                        SELECT a.kid, m.group_id, count(DISTINCT a.account_id) AS g FROM _cib_gm_act a
                        JOIN _cib_gm_mem m ON m.account_id = a.account_id GROUP BY 1, 2
                    ) k ON k.kid = q.kid
                    WHERE q.fw < 0 AND k.g >= {int(min_members)}
                ), c AS (
                    SELECT g.aid, g.group_id, g.g, n.n FROM g_w g JOIN n_w n ON n.aid = g.aid
                    UNION ALL
                    SELECT g.aid, g.group_id, g.g, n.n FROM g_all g JOIN n_all n ON n.aid = g.aid
                )
                SELECT aid, group_id, g, n, least(1.0, g / greatest(n, 1)) AS share FROM c
                """
            )
        finally:
            eng.unregister("_cib_gm_fr")
        # null rates per layer and group, over the tested accounts' actions
        rates = eng.execute(
            f"""
            WITH nonmem AS (
                SELECT c.layer, sum(c.n) AS n_act FROM _cib_gm_cnt AS c
                WHERE c.account_id NOT IN (SELECT account_id FROM _cib_gm_mem) GROUP BY 1
            ), sums AS (
                SELECT a.layer, s.group_id, {exact_sum("s.share")} AS s1, {exact_sum("s.share * s.share")} AS s2
                FROM _cib_gm_share AS s JOIN _cib_gm_act AS a ON a.aid = s.aid GROUP BY 1, 2
            )
            SELECT s.layer, s.group_id, s.s1 / n.n_act, s.s2 / n.n_act FROM sums s JOIN nonmem n ON n.layer = s.layer
            """
        ).fetchall()
        n_accounts = int(
            eng.execute(
                "SELECT count(DISTINCT account_id) FROM _cib_gm_cnt WHERE account_id NOT IN (SELECT account_id FROM _cib_gm_mem)"
            ).fetchall()[0][0]
        )
        per_acc = eng.execute(
            f"""
            WITH obs AS (
                SELECT a.account_id, s.group_id, count(*) AS n_hits, {exact_sum("s.share")} AS observed
                FROM _cib_gm_share s JOIN _cib_gm_act a ON a.aid = s.aid GROUP BY 1, 2
            )
            SELECT o.account_id, o.group_id, o.n_hits, o.observed, n.layer, n.n
            FROM obs o JOIN _cib_gm_cnt n ON n.account_id = o.account_id
            WHERE o.account_id NOT IN (SELECT account_id FROM _cib_gm_mem)
            ORDER BY 1, 2, 5
            """
        ).fetchall()
        r1 = {(l, int(g)): float(a) for l, g, a, _ in rates}
        r2 = {(l, int(g)): float(b) for l, g, _, b in rates}
        acc_l: list[str] = []
        grp_l: list[int] = []
        nact_l: list[int] = []
        hits_l: list[int] = []
        obs_l: list[float] = []
        mu_l: list[float] = []
        var_l: list[float] = []
        cur: tuple[str, int] | None = None
        for acc, g, nh, obs, layer, n in per_acc:
            key = (acc, int(g))
            if key != cur:
                cur = key
                acc_l.append(acc)
                grp_l.append(int(g))
                nact_l.append(0)
                hits_l.append(int(nh))
                obs_l.append(float(obs))
                mu_l.append(0.0)
                var_l.append(0.0)
            nact_l[-1] += int(n)
            mu_l[-1] += int(n) * r1.get((layer, int(g)), 0.0)
            var_l[-1] += int(n) * r2.get((layer, int(g)), 0.0)
        n_tests = max(1, n_accounts * len(strong))
        obs = np.asarray(obs_l, dtype=float)
        mu = np.asarray(mu_l, dtype=float)
        var = np.asarray(var_l, dtype=float)
        pv = _pvalues(obs, mu, var)
        strength = np.clip(-np.log10(np.maximum(pv * n_tests, 1e-300)), 0.0, float(cap))
        tests = pa.table(
            {
                "account_id": pa.array(acc_l, pa.string()),
                "group_id": pa.array(grp_l, pa.int32()),
                "n_actions": pa.array(nact_l, pa.int64()),
                "n_hits": pa.array(hits_l, pa.int64()),
                "observed": pa.array(obs, pa.float64()),
                "expected": pa.array(mu, pa.float64()),
                "p_value": pa.array(pv, pa.float64()),
                "strength": pa.array(strength, pa.float64()),
            }
        )
        result = MembershipResult(tests=tests, evidence=_empty().evidence, n_tests=n_tests)
        best = {a: v for a, v in result.best().items() if v[1] > 0}
        if best and evidence_per_account > 0:
            result.evidence = _evidence(eng, best, evidence_per_account, item_ranks)
        return result
    finally:
        eng.unregister("_cib_gm_mem")
        eng.drop("_cib_gm_all")
        for t in (*_TEMP_TABLES, "_cib_gm_act0", "_cib_gm_hday"):
            eng.drop(t)
        if made:
            from ..networks import drop_kept_traces

            drop_kept_traces(eng, made)


def _pvalues(obs: np.ndarray, mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """``P(Poisson(mu / c) >= obs / c)``, ``c = var / mu`` per test: the builder's scaled
    Poisson (:func:`cibscope.networks.significance.pvalues`); no hit gives p = 1."""
    from ..networks.significance import pvalues

    out = np.ones(obs.size)
    pos = obs > 0
    out[pos & (mu <= 0)] = 0.0  # a hit where the null gives none (cannot happen with rates from the same data)
    ok = pos & (mu > 0)
    out[ok] = pvalues(obs[ok], mu[ok], var[ok] / mu[ok])
    return out


def _evidence(eng: Engine, best: dict[str, tuple], k: int, item_ranks: pa.Table | None = None) -> pa.Table:
    """The hits behind each account's best group: its post and the closest member post; hits on
    the group's defining items first (``item_ranks``), then by the group's share of the key."""
    sel = pa.table(
        {
            "account_id": pa.array(list(best), pa.string()),
            "group_id": pa.array([v[0] for v in best.values()], pa.int32()),
        }
    )
    ranks = item_ranks if item_ranks is not None and item_ranks.num_rows else pa.table({
        "group_id": pa.array([], pa.int32()), "layer": pa.array([], pa.string()), "key": pa.array([], pa.string()),
        "rank": pa.array([], pa.int64()),
    })
    eng.register_arrow("_cib_gm_best", sel)
    eng.register_arrow("_cib_gm_rank", ranks)
    try:
        rows = eng.execute(
            f"""
            WITH hits AS (
                SELECT a.*, s.share, b.group_id FROM _cib_gm_best b
                JOIN _cib_gm_act a ON a.account_id = b.account_id
                JOIN _cib_gm_share s ON s.aid = a.aid AND s.group_id = b.group_id
            ), closest AS (
                SELECT h.aid, arg_min(m.aid, (abs(m.t - h.t), m.post_id)) AS maid FROM hits h
                JOIN _cib_gm_mem gm ON gm.group_id = h.group_id
                JOIN _cib_gm_act m ON m.account_id = gm.account_id AND m.layer = h.layer AND m.key = h.key
                 AND (h.w < 0 OR abs(m.t - h.t) <= h.w + h.tol + m.tol)
                GROUP BY 1
            )
            SELECT * FROM (
                SELECT h.account_id AS acc, m.account_id AS member, h.post_id AS post, m.post_id AS mpost, h.at AS at, m.at AS mat,
                       abs(m.t - h.t) / 1000000.0 AS dt, h.layer, coalesce(h.item, h.key) AS item, h.source AS src, m.source AS msrc,
                       h.share, h.key_, greatest(h.tol, m.tol) AS tol,
                       row_number() OVER (PARTITION BY h.account_id ORDER BY coalesce(r.rank, 9223372036854775807), h.share DESC,
                                          abs(m.t - h.t), h.post_id, h.layer, h.key) AS rk
                FROM (SELECT *, CASE WHEN layer = 'near_duplicate' THEN substr(key, 2) ELSE key END AS key_ FROM hits) h
                JOIN closest c ON c.aid = h.aid JOIN _cib_gm_act m ON m.aid = c.maid
                LEFT JOIN _cib_gm_rank r ON r.group_id = h.group_id AND r.layer = h.layer AND r.key = h.key_
            ) WHERE rk <= {int(k)} ORDER BY acc, rk
            """
        ).fetchall()
    finally:
        eng.unregister("_cib_gm_best")
        eng.unregister("_cib_gm_rank")
    cols: dict[str, list] = {n: [] for n, _ in _EVIDENCE_COLUMNS}
    for acc, member, post, mpost, at, mat, dt, layer, item, src, msrc, share, key, tol, _rk in rows:
        swap = member < acc  # stored as account_a < account_b, like edge evidence
        a, b = (member, acc) if swap else (acc, member)
        cols["account_a"].append(a)
        cols["account_b"].append(b)
        cols["post_a"].append(mpost if swap else post)
        cols["post_b"].append(post if swap else mpost)
        cols["at_a"].append(mat if swap else at)
        cols["at_b"].append(at if swap else mat)
        cols["seconds_apart"].append(float(dt))
        cols["shared_item"].append(f"[{layer}, group share {float(share):.2f}] {item}")
        cols["source_a"].append(msrc if swap else src)
        cols["source_b"].append(src if swap else msrc)
        cols["key_layer"].append(layer)
        cols["key"].append(key)
        cols["precision"].append("day" if tol >= 86_400_000_000 else "minute" if tol >= 60_000_000 else "second")
    return pa.table({n: pa.array(cols[n], t) for n, t in _EVIDENCE_COLUMNS})

"""The co-occurrence builder, hot-key bounding and the significance test, on hand-made cases."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import poisson

from cibscope.case import open_case
from cibscope.errors import ParameterError
from cibscope.networks import build_networks
from cibscope.networks.cooccurrence import cooccurrence_sql
from cibscope.networks.significance import adjust_pvalues, pvalues
from cibscope.sql import transpile
from cibscope.testing import T0, insert_rows, snowflake


def rt(pid: str, acc: str, seconds: float, orig: str, precision: str = "second") -> dict:
    return dict(post_id=pid, account_id=acc, created_at=T0 + timedelta(seconds=seconds), repost_of=orig, time_precision=precision)


@pytest.fixture
def case(case_path: Path):
    c = open_case(case_path)
    yield c
    c.close()


def edges(con, layer: str = "co_retweet") -> dict[tuple[str, str], tuple]:
    rows = con.execute(
        "SELECT account_a, account_b, n_shared, weight, expected, p_value FROM edges WHERE layer = ? ORDER BY 1, 2", [layer]
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_window_edges_and_minute_tolerance(case):
    # key X: a at 0 s, b at 60 s (exactly the window: in), c at 120.5 s (60.5 s after b: out),
    # d minute-precision at 180 s (true time in [180, 240)): pairs with c (59.5 <= 60 + 60) and
    # b (120 <= 60 + 60) but not a (180 > 120).
    # key Y: a at 1000 s, b at 1030 s -> pair a-b again.
    insert_rows(case, "posts", [
        rt("1", "a", 0, "X"), rt("2", "b", 60, "X"), rt("3", "c", 120.5, "X"), rt("4", "d", 180, "X", "minute"),
        rt("5", "a", 1000, "Y"), rt("6", "b", 1030, "Y"),
    ])
    stats = build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 1.0, "min_shared": 1}})
    e = edges(case.con)
    assert {k: v[0] for k, v in e.items()} == {("a", "b"): 2, ("b", "d"): 1, ("c", "d"): 1}
    st = stats.layers["co_retweet"]
    # 4 co-occurring action pairs: a-b on X, b-d, c-d, a-b on Y
    assert (st.rows, st.keys, st.action_pairs, st.pairs_considered, st.pairs_kept) == (6, 2, 4, 3, 3)
    assert st.bounded_action_pairs == 0
    ev = case.con.execute(
        "SELECT account_a, account_b, post_a, post_b, seconds_apart, shared_item, source_a, source_b FROM evidence "
        "WHERE account_a = 'a' ORDER BY evidence_id"
    ).fetchall()
    # closest in time first: Y (30 s) before X (60 s); sources are posts.csv:line (line = row + 1)
    assert ev == [
        ("a", "b", "5", "6", 30.0, "Y", "posts.csv:6", "posts.csv:7"),
        ("a", "b", "1", "2", 60.0, "X", "posts.csv:2", "posts.csv:3"),
    ]


def test_shorter_window_and_same_account_ignored(case):
    # a retweets X twice (0 s, 5 s); b at 20 s. With window 10: only a(5)-b(20)? 15 s > 10: no pair.
    # a-a is never a pair. With window 15: a(5)-b(20) is a pair (a(0)-b(20) is 20 s: out).
    insert_rows(case, "posts", [rt("1", "a", 0, "X"), rt("2", "a", 5, "X"), rt("3", "b", 20, "X")])
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 1.0, "min_shared": 1, "window": 10}})
    assert edges(case.con) == {}
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 1.0, "min_shared": 1, "window": 15}})
    assert list(edges(case.con)) == [("a", "b")]
    assert case.con.execute("SELECT post_a, post_b, seconds_apart FROM evidence").fetchall() == [("2", "3", 15.0)]


def test_significance_hand_computed(case):
    # X: a(0) b(10) c(30), all within 60 s -> pairs ab, ac, bc.  Y: a(1000) b(1005) -> ab; c(2000) out.
    # m_X = m_Y = 3 accounts -> w = 1/log2(3) = 0.63093 each.  d_a = d_b = d_c = 2, L = 6.
    # weight: ab = 2w, ac = bc = w.  M1 = 2*(2w + w + w) = 8w, M2 = 2*(2w^2 + w^2 + w^2) = 8w^2, c = w.
    # expected_ab = d_a d_b M1 / (L (L-1)) = 4 * 8w / 30.
    # p_ab = P(Poisson(expected/c = 32/30) >= 2w/w = 2); p_ac = P(Poisson(32/30) >= 1).
    # BH over 3 tests: sorted p (p_ab, p_ac, p_bc) -> q = min over tail of p * 3 / rank.
    insert_rows(case, "posts", [
        rt("1", "a", 0, "X"), rt("2", "b", 10, "X"), rt("3", "c", 30, "X"),
        rt("4", "a", 1000, "Y"), rt("5", "b", 1005, "Y"), rt("6", "c", 2000, "Y"),
    ])
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 1.0, "min_shared": 1}})
    w = 1 / math.log2(3)
    lam = 32 / 30
    p_ab = poisson.sf(1, lam)  # P(X >= 2)
    p_ac = poisson.sf(0, lam)  # P(X >= 1)
    q = min(p_ab * 3, p_ac * 3 / 2, p_ac)
    e = edges(case.con)
    assert e[("a", "b")][0] == 2
    assert e[("a", "b")][1] == pytest.approx(2 * w)
    assert e[("a", "b")][2] == pytest.approx(4 * 8 * w / 30)
    assert e[("a", "b")][3] == pytest.approx(p_ab)  # edges.p_value is the raw p-value
    assert e[("a", "c")][1] == pytest.approx(w)
    assert e[("a", "c")][3] == pytest.approx(p_ac)
    # the default min_shared = 2 keeps only a-b (when significant enough: alpha = 1 here)
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 1.0}})
    assert list(edges(case.con)) == [("a", "b")]
    # kept when the BH q-value <= alpha: q = 0.6559 (all three q's equal p_ac) keeps all at
    # alpha = 0.66 and none at 0.65; without correction a-b (p = 0.289) passes at 0.3
    assert q == pytest.approx(p_ac) and 0.65 < q < 0.66
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 0.66, "min_shared": 1}})
    assert len(edges(case.con)) == 3
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 0.65, "min_shared": 1}})
    assert len(edges(case.con)) == 0
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 0.3, "min_shared": 1, "correction": "none"}})
    assert list(edges(case.con)) == [("a", "b")]


def test_pvalue_function_matches_poisson_when_unweighted():
    # all weights 1 -> c = 1: exact Poisson upper tail P(X >= n)
    n = np.array([1.0, 2.0, 5.0])
    lam = np.array([0.5, 0.5, 2.0])
    assert pvalues(n, lam, 1.0) == pytest.approx(poisson.sf(n - 1, lam))


def test_adjust_pvalues():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    # BH: sorted 0.01, 0.03, 0.04, 0.5 -> *4/rank: 0.04, 0.06, 0.0533, 0.5 -> running min from the end
    assert adjust_pvalues(p, "bh") == pytest.approx([0.04, 0.05333333, 0.05333333, 0.5])
    assert adjust_pvalues(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 1.0])
    assert adjust_pvalues(p, "none") == pytest.approx(p)


def _celebrity_world(seed: int = 7) -> list[dict]:
    """300 fans + a 5-account group, each with 20 background retweets of 3,000 originals over a week.

    * C0: one celebrity tweet retweeted by all 300 fans within 30 s (0.1 s apart): a hot key.
    * C1..C3: three more celebrity tweets, each retweeted by a random 200 of the fans within 60 s.
    * R1..R6: six rare originals, each retweeted by exactly the 5 group members within 10 s.
    """
    rng = random.Random(seed)
    posts: list[dict] = []
    n = 0

    def add(acc: str, s: float, orig: str) -> None:
        nonlocal n
        n += 1
        posts.append(rt(str(n), acc, s, orig))

    fans = [f"f{i:03d}" for i in range(300)]
    group = [f"g{i}" for i in range(5)]
    for acc in fans + group:
        for _ in range(20):
            add(acc, rng.uniform(0, 7 * 86400), f"B{rng.randrange(3000)}")
    for i, acc in enumerate(fans):
        add(acc, 3600 + 0.1 * i, "C0")
    for k in (1, 2, 3):
        for acc in rng.sample(fans, 200):
            add(acc, 3600 * (10 * k) + rng.uniform(0, 59), f"C{k}")
    for k in range(1, 7):
        for acc in group:
            add(acc, 86400 * k + rng.uniform(0, 10), f"R{k}")
    return posts


def test_celebrity_is_not_coordination_but_a_rare_repeating_group_is(case):
    insert_rows(case, "posts", _celebrity_world())
    stats = build_networks(case, traces=["co_retweet"])
    e = edges(case.con)
    group = {(f"g{i}", f"g{j}") for i in range(5) for j in range(i + 1, 5)}
    # every pair of the group shares the six rare items: 10 significant edges ...
    assert group <= set(e)
    for pair in group:
        assert e[pair][0] == 6 and e[pair][3] <= 1e-6
    # ... and no fan pair is significant, although 300 fans retweeted C0 within 30 s and some
    # pairs of fans also share C1..C3 (n_shared up to 4)
    assert set(e) == group
    st = stats.layers["co_retweet"]
    # C0: 300 retweets within 30 s; action ranked r has 300 - r later neighbours, max_neighbors = 200
    # keeps 200: left out = sum_{r=1}^{99} (100 - r) = 4950, on one key. C1..C3 (200 each) fit.
    assert st.bounded_action_pairs == 4950
    assert st.bounded_keys == 1
    assert stats.to_dict()["layers"]["co_retweet"]["bounded_action_pairs"] == 4950


def test_fan_pairs_share_several_celebrity_items_yet_stay_out(case):
    # the same world, every candidate kept (alpha = 1): fans do share up to 4 celebrity items,
    # so it is the significance test, not min_shared, that keeps them out above.
    insert_rows(case, "posts", _celebrity_world())
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 1.0}})
    row = case.con.execute(
        "SELECT max(n_shared), min(p_value), count(*) FROM edges WHERE account_a LIKE 'f%' AND account_b LIKE 'f%'"
    ).fetchall()[0]
    assert row[0] == 4 and row[2] > 1000
    # the most surprising fan pair has a raw p-value of about 0.019 (fans are 300 of 305 accounts,
    # so sharing celebrity items is what the null expects); the group's pairs are below 1e-10
    assert row[1] > 0.01
    assert case.con.execute("SELECT max(p_value) FROM edges WHERE account_a LIKE 'g%'").fetchall()[0][0] < 1e-10


def test_unbounded_hot_key_pairs_all(case):
    # 30 accounts retweet one item within 3 s: 435 pairs; max_neighbors = 5 keeps, per action,
    # its 5 nearest later ones: 5*25 + (4+3+2+1) = 135, and counts the other 300 as bounded.
    insert_rows(case, "posts", [rt(str(i), f"a{i:02d}", 0.1 * i, "X") for i in range(30)])
    s = build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 1.0, "min_shared": 1, "max_neighbors": 5}})
    st = s.layers["co_retweet"]
    assert (st.action_pairs, st.bounded_action_pairs, st.bounded_keys) == (135, 300, 1)
    s = build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 1.0, "min_shared": 1}})
    assert (s.layers["co_retweet"].action_pairs, s.layers["co_retweet"].bounded_action_pairs) == (435, 0)


def test_evidence_limit_and_replace(case):
    # a and b co-retweet 5 items, 1..5 s apart; evidence_per_edge = 2 keeps the two closest.
    rows = []
    for k in range(5):
        rows += [rt(f"a{k}", "a", 1000 * k, f"X{k}"), rt(f"b{k}", "b", 1000 * k + k + 1, f"X{k}")]
    insert_rows(case, "posts", rows)
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 1.0, "evidence_per_edge": 2}})
    assert case.con.execute("SELECT post_a, post_b, seconds_apart FROM evidence ORDER BY evidence_id").fetchall() == [
        ("a0", "b0", 1.0), ("a1", "b1", 2.0),
    ]
    # rebuilding replaces, never duplicates
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {"alpha": 1.0, "evidence_per_edge": 2}})
    assert case.con.execute("SELECT count(*) FROM evidence").fetchall()[0][0] == 2
    assert case.con.execute("SELECT count(*) FROM edges").fetchall()[0][0] == 1


def test_all_layers_on_empty_case(case):
    s = build_networks(case)
    assert all(v.pairs_kept == 0 and v.rows == 0 for v in s.layers.values())
    assert len(s.layers) >= 13


def test_bad_parameters_are_rejected(case):
    with pytest.raises(ParameterError, match="'window' parameter of CoRetweet"):
        build_networks(case, traces=["co_retweet"], params={"co_retweet": {"window": -1}})
    with pytest.raises(ParameterError, match="unknown trace"):
        build_networks(case, traces=["no_such_trace"])
    with pytest.raises(ParameterError, match="not being built"):
        build_networks(case, traces=["co_retweet"], params={"co_quote": {"window": 5}})


@pytest.mark.parametrize("window", [60.0, None])
def test_builder_sql_transpiles_to_spark(window):
    from cibscope.networks.cooccurrence import directed_counts_sql, evidence_sql, trace_table_sql

    stmts = cooccurrence_sql(window=window, max_neighbors=50, max_tolerance=60.0)
    out = {s.split(" AS ", 1)[0].split()[-1]: transpile(s, to="spark") for s in stmts}
    assert list(out) == ["_cib_accmap", "_cib_keymap", "_cib_acti", "_cib_act", "_cib_big", "_cib_raw", "_cib_pairkey"]
    for extra in (*trace_table_sql("SELECT 1 AS x"), *trace_table_sql(None), directed_counts_sql(), evidence_sql(20)):
        transpile(extra, to="spark")
    # the row id of the materialised trace: DuckDB's rowid, Spark's monotonically_increasing_id()
    rid = transpile(trace_table_sql("SELECT 1 AS x")[1], to="spark")
    assert "MONOTONICALLY_INCREASING_ID()" in rid.upper() and "rowid" not in rid.lower()
    # the bounded neighbour expansion on big keys becomes Spark's EXPLODE(SEQUENCE(1, n)); small
    # keys (at most min(max_neighbors + 1, DIRECT_MAX) = 51 actions) take the direct join
    assert "EXPLODE(" in out["_cib_raw"] and "SEQUENCE(1" in out["_cib_raw"]
    assert "m_k <= 51" in out["_cib_raw"] and "m_k > 51" in out["_cib_big"]
    if window is not None:  # the frame is widened by twice the largest tolerance: 60 + 2 * 60
        assert "180000000 FOLLOWING" in out["_cib_big"].upper()
        assert "o.t <= s.t + 180000000" in out["_cib_raw"] and "o.t >= s.t - 180000000" in out["_cib_raw"]


def test_snowflake_fixture_roundtrip():
    # (id >> 22) + 1288834974657 ms = the time encoded
    sid = int(snowflake(T0, 5))
    assert ((sid >> 22) + 1288834974657) / 1000 == (T0 - T0.replace(year=1970, month=1, day=1, hour=0)).total_seconds()


def test_directed_counts_match_the_peer_definition(case):
    # The QUT toolkit's weight(u1 -> u2) = distinct posts of u1 with a post of u2 on the same key
    # within the window.  X: a retweets twice (0 s, 5 s), b once (20 s): a -> b = 2, b -> a = 1.
    # Y: a (100 s), c (500 s): 400 s apart, no pair.
    from cibscope.networks.cooccurrence import directed_counts_sql, drop_temp, run_cooccurrence
    from cibscope.traces import get_trace

    insert_rows(case, "posts", [rt("1", "a", 0, "X"), rt("2", "a", 5, "X"), rt("3", "b", 20, "X"), rt("4", "a", 100, "Y"), rt("5", "c", 500, "Y")])
    run_cooccurrence(case, get_trace("co_retweet")())
    got = sorted(case.con.execute(directed_counts_sql()).fetchall())
    drop_temp(case)
    assert got == [("a", "b", 2), ("b", "a", 1)]
    run_cooccurrence(case, get_trace("co_retweet")(), times=False, weights_only=True)
    assert sorted(case.con.execute(directed_counts_sql(weights=True)).fetchall()) == got
    drop_temp(case)


def _random_retweets(seed: int) -> list[dict]:
    """12 accounts, 6 originals of 1..40 retweets each, times on a 7 s grid (many exact ties and
    |dt| == window cases), a quarter of them minute precision, some accounts retweeting twice."""
    rng = random.Random(seed)
    rows = []
    n = 0
    for k, size in enumerate([1, 2, 5, 9, 25, 40]):
        for _ in range(size):
            n += 1
            rows.append(rt(f"p{n:03d}", f"u{rng.randrange(12):02d}", 7.0 * rng.randrange(40), f"K{k}",
                           "minute" if rng.random() < 0.25 else "second"))
    return rows


def _brute_force_pairs(rows: list[dict], window: float) -> set[tuple]:
    """Every pair of posts of two different accounts on one key with |dt| <= window + tolerances."""
    tol = {"second": 0.0, "minute": 60.0}
    out = set()
    for i, x in enumerate(rows):
        for y in rows[i + 1:]:
            if x["repost_of"] != y["repost_of"] or x["account_id"] == y["account_id"]:
                continue
            dt = abs((x["created_at"] - y["created_at"]).total_seconds())
            if dt <= window + tol[x["time_precision"]] + tol[y["time_precision"]]:
                a, b = sorted([x, y], key=lambda r: r["account_id"])
                out.add((a["account_id"], b["account_id"], a["post_id"], b["post_id"], dt))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_direct_and_ranked_paths_give_the_same_pairs(case, monkeypatch, seed):
    # Small keys take the direct band join, big keys the ranked frame expansion; with nothing
    # bounded both must give exactly the brute-force pairs (and the same directed counts).
    import cibscope.networks.cooccurrence as cooc
    from cibscope.traces import get_trace

    rows = _random_retweets(seed)
    insert_rows(case, "posts", rows)
    expected = _brute_force_pairs(rows, 14.0)
    assert len(expected) > 100
    q = (
        "SELECT ma.account_id, mb.account_id, pa.post_id, pb.post_id, r.dt FROM _cib_raw AS r "
        "JOIN _cib_act AS pa ON pa.rn = r.rn_a JOIN _cib_act AS pb ON pb.rn = r.rn_b "
        "JOIN _cib_accmap AS ma ON ma.acc_i = r.a_i JOIN _cib_accmap AS mb ON mb.acc_i = r.b_i"
    )
    got = {}
    for direct_max in (1000, 10, 1):  # all keys direct, the two biggest ranked, all ranked
        monkeypatch.setattr(cooc, "DIRECT_MAX", direct_max)
        co = cooc.run_cooccurrence(case, get_trace("co_retweet")(window=14.0, max_neighbors=100))
        pairs = case.con.execute(q).fetchall()
        assert len(pairs) == co.action_pairs == len(set(pairs))
        assert set(pairs) == expected and co.bounded_action_pairs == 0
        got[direct_max] = sorted(case.con.execute(cooc.directed_counts_sql()).fetchall())
        cooc.drop_temp(case)
        # weights only (network --counts): single pairs of the direct join counted, not stored;
        # accounts retweeting twice here make the other pairs of both joins and of the big keys
        wo = cooc.run_cooccurrence(case, get_trace("co_retweet")(window=14.0, max_neighbors=100), times=False, weights_only=True)
        assert (wo.action_pairs, wo.bounded_action_pairs) == (co.action_pairs, 0)
        n_single, n_raw = case.con.execute("SELECT (SELECT coalesce(sum(n), 0) FROM _cib_pairw), (SELECT count(*) FROM _cib_raw)").fetchone()
        assert n_single + n_raw == co.action_pairs and n_raw > 0
        if direct_max in (1000, 1):  # every key direct: some single pairs; every key ranked: none counted apart
            assert (n_single > 0) == (direct_max == 1000)
        assert sorted(case.con.execute(cooc.directed_counts_sql(weights=True)).fetchall()) == got[direct_max]
        cooc.drop_temp(case)
    assert got[1000] == got[10] == got[1]
    # directed weight(u -> v) = posts of u with a post of v within the window, from the brute force
    directed: dict[tuple[str, str], set[str]] = {}
    for a, b, pa, pb, _ in expected:
        directed.setdefault((a, b), set()).add(pa)
        directed.setdefault((b, a), set()).add(pb)
    assert got[1] == sorted((u, v, len(s)) for (u, v), s in directed.items())


def test_identical_trace_rows_are_one_action(case):
    # The same action twice (a hashtag written twice in one post, say) is one action: with item
    # 'x1' (the smallest) and tolerance 60 (the largest). a at 0 s, b at 90 s: 90 <= 60 + 60 + 0,
    # so one pair, not two; without the merged tolerance there would be none.
    from cibscope.networks.cooccurrence import drop_temp, run_cooccurrence
    from cibscope.traces import get_trace

    t0 = "TIMESTAMP '2020-01-01 00:00:00'"
    t90 = "TIMESTAMP '2020-01-01 00:01:30'"
    sql = (
        f"SELECT * FROM (VALUES ('a', 'X', {t0}, 'p1', 'f:1', 'x2', 0.0), ('a', 'X', {t0}, 'p1', 'f:1', 'x1', 60.0), "
        f"('b', 'X', {t90}, 'p2', 'f:2', 'x3', 0.0)) AS v(account_id, key, \"at\", post_id, source, item, tolerance)"
    )
    co = run_cooccurrence(case, get_trace("co_retweet")(), trace_sql=sql)
    assert (co.rows, co.action_pairs) == (2, 1)
    assert case.con.execute("SELECT item, tolerance FROM _cib_act WHERE post_id = 'p1'").fetchall() == [("x1", 60.0)]
    drop_temp(case)


def test_duplicate_check_fires_only_on_identical_rows(case):
    # a posts p1 and p2 in the same microsecond on key X (a burst): two different actions, so the
    # check finds nothing and the string GROUP BY over the trace is skipped; p1 written twice
    # (same post, same source) is one duplicate group. b's single row never counts.
    from cibscope.networks.cooccurrence import DUPLICATE_CHECK_SQL, drop_temp, run_cooccurrence
    from cibscope.traces import get_trace

    t0 = "TIMESTAMP '2020-01-01 00:00:00'"
    rows = "('a', 'X', {t}, 'p1', 'f:1'), ('a', 'X', {t}, 'p2', 'f:2'), ('b', 'X', {t}, 'p3', 'f:3')"
    burst = f"SELECT * FROM (VALUES {rows.format(t=t0)}) AS v(account_id, key, \"at\", post_id, source)"
    co = run_cooccurrence(
        case, get_trace("co_retweet")(), trace_sql=f"SELECT *, CAST(NULL AS VARCHAR) AS item, 0.0 AS tolerance FROM ({burst}) AS q"
    )
    assert case.con.execute(DUPLICATE_CHECK_SQL).fetchall() == [(0,)]
    assert (co.rows, co.action_pairs) == (3, 2)  # a-p1 with b, a-p2 with b
    twice = burst.replace("'p2', 'f:2'", "'p1', 'f:1'")
    from cibscope.networks.cooccurrence import cooccurrence_sql, trace_table_sql

    for stmt in trace_table_sql(f"SELECT q.*, CAST(NULL AS VARCHAR) AS item, 0.0 AS tolerance FROM ({twice}) AS q"):
        case.con.execute(stmt)
    for stmt in cooccurrence_sql(window=60.0, max_neighbors=200, max_tolerance=0.0)[:3]:
        case.con.execute(stmt)
    assert case.con.execute(DUPLICATE_CHECK_SQL).fetchall() == [(1,)]
    drop_temp(case)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("window", [14.0, 60.0])
def test_evidence_is_the_closest_pairs_of_every_edge(case, seed, window):
    # Every edge kept (alpha 1, min_shared 1); each edge's evidence must be its 2 action pairs
    # with the smallest (seconds apart, earlier time, key, post a, post b), from the brute force.
    # Times on a 7 s grid give many ties; pairs are 0, 7, 14, ... s apart, so the cutoff of the
    # evidence choice (ev_tau: 1/60, 1/12, 1/6, 1/2 or all of the window) varies by edge: over
    # seeds 1-3 it is 0.23, 7 or 14 s for the 14-s window and 1, 10, 30 or 60 s for 60 s, and
    # NULL (every pair ranked) for edges sharing too few keys: every path runs.
    rows = _random_retweets(seed)
    insert_rows(case, "posts", rows)
    by_post = {r["post_id"]: r for r in rows}
    per_edge: dict[tuple[str, str], list[tuple]] = {}
    for a, b, pa, pb, dt in _brute_force_pairs(rows, window):
        lo = min(by_post[pa]["created_at"], by_post[pb]["created_at"])
        per_edge.setdefault((a, b), []).append((dt, lo, by_post[pa]["repost_of"], pa, pb))
    expected = sorted((a, b, x[3], x[4], x[0]) for (a, b), xs in per_edge.items() for x in sorted(xs)[:2])
    build_networks(case, traces=["co_retweet"], params={"co_retweet": {
        "window": window, "alpha": 1.0, "min_shared": 1, "max_neighbors": 1000, "evidence_per_edge": 2}})
    got = case.con.execute("SELECT account_a, account_b, post_a, post_b, seconds_apart FROM evidence").fetchall()
    assert sorted(got) == expected
    # ids follow (edge, closeness) order
    ids = case.con.execute("SELECT account_a, account_b, seconds_apart FROM evidence ORDER BY evidence_id").fetchall()
    assert ids == sorted(ids, key=lambda r: (r[0], r[1]))


def test_exact_sum_does_not_depend_on_the_order_of_the_terms() -> None:
    import duckdb

    from cibscope.exact import exact_sum

    con = duckdb.connect()
    values = [0.1, 0.2, 0.3, 1e-9, 7.25, 1 / 3]
    orders = [values, values[::-1], sorted(values, key=lambda v: v % 0.07)]
    plain = {sum(o) for o in orders}
    assert len(plain) > 1  # a float sum does depend on the order: what exact_sum is for
    got = {con.execute(f"SELECT {exact_sum('x')} FROM (SELECT unnest(?::DOUBLE[]) AS x)", [o]).fetchone()[0] for o in orders}
    assert len(got) == 1 and abs(got.pop() - sum(values)) < 1e-11

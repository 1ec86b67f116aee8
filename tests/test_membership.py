"""The group-membership test (cibscope.evidence.membership) on a hand-made case.

Case (co_retweet actions only, window 60 s):

* strong group G = m01..m10. Five originals r1..r5 are each retweeted by all ten members,
  member j at T_i + j seconds (j = 0..9).
* w, a quiet member: retweets r1, r2, r3 at T_i + 20 s (each within 60 s of all ten members,
  no one else there: group share 10/10 = 1) and two originals nobody else retweets (x1, x2):
  5 actions, 3 hits, summed share T = 3.
* fans f0000..f0999: each retweets a star's posts s1, s2, s3 at S_k + (i mod 50) s; members m01
  and m02 retweet each at S_k + 25 s. Everyone on a star post is within 50 s of everyone
  else, so a fan's hit has 999 + 2 other accounts around it, 2 of them the group's:
  share 2/1001. Three hits, T = 6/1001.

Null rates over the 3,005 actions of tested accounts (w: 5, fans: 3,000):
  S1 = 3 + 3000 * 2/1001, S2 = 3 + 3000 * (2/1001)^2, r1 = S1/3005, r2 = S2/3005.
w: mu = 5 r1 = 0.0149651, v = 5 r2, c = v/mu = S2/S1 = 0.334888,
  p = P(Poisson(mu/c) >= T/c) = gammainc(3/c, mu/c) ~ 2.6e-13; tests m = 1001 accounts x 1 group,
  evidence s = -log10(p m) ~ 9.6.
A fan: T = 0.005994 < mu = 3 r1 = 0.0089791: p ~ 0.9, s = 0.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pyarrow as pa
import pytest
from scipy.special import gammainc

from cibscope.case import Case, open_case
from cibscope.detect import detect
from cibscope.evidence.explain import explain_account
from cibscope.evidence.membership import group_membership
from cibscope.networks import build_networks

MEMBERS = [f"m{j:02d}" for j in range(1, 11)]
FANS = [f"f{i:04d}" for i in range(1000)]
T = [f"2020-03-0{d} 10:00:00" for d in range(1, 6)]  # r1..r5 at 10:00:00 on days 1..5
S = ["2020-04-0{d} 12:00:00".format(d=d) for d in range(1, 4)]  # star posts s1..s3
S1 = 3 + 3000 * 2 / 1001
S2 = 3 + 3000 * (2 / 1001) ** 2
R1, R2 = S1 / 3005, S2 / 3005


def _at(base: str, plus: int) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(base) + timedelta(seconds=plus)).isoformat(sep=" ")


def build_membership_case(path: Path, *, group_edges: bool = True, late: bool = False) -> Case:
    c = open_case(path)
    rows: list[tuple[str, str, str, str]] = []  # post_id, account, created_at, repost_of
    for i, t in enumerate(T, start=1):
        for j, m in enumerate(MEMBERS):
            rows.append((f"r{i}-{m}", m, _at(t, j), f"r{i}"))
    for i, t in enumerate(T[:3], start=1):
        rows.append((f"r{i}-w", "w", _at(t, 20), f"r{i}"))
    rows.append(("x1-w", "w", "2020-05-01 08:00:00", "x1"))
    rows.append(("x2-w", "w", "2020-05-02 08:00:00", "x2"))
    if late:  # z: retweets r4 and r5 a day after the group, and three originals nobody else retweets
        for i in (4, 5):
            rows.append((f"r{i}-z", "z", _at(T[i - 1], 86400), f"r{i}"))
        for i in range(3):
            rows.append((f"y{i}-z", "z", f"2020-05-0{i + 3} 08:00:00", f"y{i}"))
    for k, s in enumerate(S, start=1):
        for i, f in enumerate(FANS):
            rows.append((f"s{k}-{f}", f, _at(s, i % 50), f"s{k}"))
        for m in MEMBERS[:2]:
            rows.append((f"s{k}-{m}", m, _at(s, 25), f"s{k}"))
    n = len(rows)
    posts = pa.table({
        "post_id": [r[0] for r in rows],
        "account_id": [r[1] for r in rows],
        "created_at": pa.array([r[2] for r in rows]).cast(pa.timestamp("us")),
        "repost_of": [r[3] for r in rows],
        "source_line": pa.array(range(2, n + 2), pa.int64()),
    })
    c.con.register("_t_posts", posts)
    c.con.execute(
        "INSERT INTO posts (post_id, account_id, platform, created_at, time_precision, kind, text, repost_of, source_file, source_line) "
        "SELECT post_id, account_id, 'twitter', created_at, 'second', 'repost', 'RT ' || repost_of, repost_of, 'tweets.csv', source_line FROM _t_posts"
    )
    c.con.unregister("_t_posts")
    accounts = MEMBERS + ["w"] + FANS + (["z"] if late else [])
    # the members were created in one batch (an inauthenticity trait, so their group is an
    # operation), everyone else on a day of their own
    c.con.register("_t_acc", pa.table({"account_id": accounts, "source_line": pa.array(range(2, len(accounts) + 2), pa.int64())}))
    c.con.execute(
        "INSERT INTO accounts (account_id, platform, screen_name, created_at, source_file, source_line) "
        "SELECT account_id, 'twitter', account_id, CASE WHEN account_id LIKE 'm%' THEN TIMESTAMP '2019-01-05' "
        "ELSE TIMESTAMP '2012-01-01' + to_days(CAST(source_line AS INTEGER)) END, 'users.csv', source_line FROM _t_acc"
    )
    c.con.unregister("_t_acc")
    if group_edges:
        # the group's own links: every member pair co-retweets, p = 1e-25 (strength capped at 20: G = 1)
        c.con.executemany(
            "INSERT INTO edges VALUES ('co_retweet', ?, ?, 5, 5.0, 0.01, 1e-25, '2020-03-01 10:00:00', '2020-03-05 10:00:09')",
            list(itertools.combinations(MEMBERS, 2)),
        )
    return c


def test_three_co_actions_with_a_ten_member_group_are_membership_a_fan_is_not(tmp_path: Path) -> None:
    with build_membership_case(tmp_path / "c.duckdb", group_edges=False) as c:
        res = group_membership(c, {1: MEMBERS}, layers=("co_retweet",))
        assert res.n_tests == 1001  # w and 1,000 fans (members are not tested), one group
        t = {a: r for a, r in zip(res.tests.column("account_id").to_pylist(), res.tests.to_pylist())}
        assert set(t) == {"w", *FANS}  # accounts with at least one hit
        w = t["w"]
        assert (w["n_actions"], w["n_hits"]) == (5, 3)
        assert w["observed"] == pytest.approx(3.0)
        assert w["expected"] == pytest.approx(5 * R1)  # 0.0149651
        c_w = S2 / S1
        p_w = gammainc(3 / c_w, 5 * R1 / c_w)
        assert w["p_value"] == pytest.approx(p_w, rel=1e-9)
        assert p_w < 1e-12
        assert w["strength"] == pytest.approx(-math.log10(p_w * 1001), rel=1e-9)
        f = t["f0000"]
        assert (f["n_actions"], f["n_hits"]) == (3, 3)
        assert f["observed"] == pytest.approx(3 * 2 / 1001)
        assert f["expected"] == pytest.approx(3 * R1)
        assert f["p_value"] > 0.5 and f["strength"] == 0.0
        assert max(r["strength"] for a, r in t.items() if a != "w") == 0.0
        assert res.best()["w"][:2] == (1, pytest.approx(w["strength"]))
        # evidence: w's three hits, each next to the closest member (m10, 11 s earlier), closest first
        ev = res.evidence.to_pylist()
        assert [(e["account_a"], e["account_b"], e["post_a"], e["post_b"], e["seconds_apart"]) for e in ev] == [
            ("m10", "w", f"r{i}-m10", f"r{i}-w", 11.0) for i in (1, 2, 3)
        ]
        assert ev[0]["shared_item"] == "[co_retweet, group share 1.00] r1"
        assert ev[0]["source_b"] == f"tweets.csv:{2 + 50}"  # w's r1 retweet is row 51 (after 5 x 10 member rows)


def test_single_member_co_actions_do_not_count_min_members(tmp_path: Path) -> None:
    with build_membership_case(tmp_path / "c.duckdb", group_edges=False) as c:
        # with min_members = 3, the star posts (2 members around) are no group action: fans have no hits
        res = group_membership(c, {1: MEMBERS}, layers=("co_retweet",), min_members=3)
        assert res.tests.column("account_id").to_pylist() == ["w"]
        # w's hits have all 10 members around; min_members = 11 removes them too
        res = group_membership(c, {1: MEMBERS}, layers=("co_retweet",), min_members=11)
        assert res.tests.num_rows == 0 and res.evidence.num_rows == 0


def test_no_strong_group_no_test(tmp_path: Path) -> None:
    with build_membership_case(tmp_path / "c.duckdb", group_edges=False) as c:
        res = group_membership(c, {}, layers=("co_retweet",))
        assert res.tests.num_rows == 0 and res.n_tests == 0
        # a layer where no member acted: no hits
        res = group_membership(c, {1: MEMBERS}, layers=("co_link",))
        assert res.tests.num_rows == 0


def test_membership_term_flags_the_quiet_member_and_explains_it(tmp_path: Path) -> None:
    with build_membership_case(tmp_path / "c.duckdb") as c:
        detect(c, build=False, params={"score.affinity_weight": 0, "score.items_weight": 0})
        terms = dict(c.con.execute("SELECT contribution, value FROM score_contributions WHERE account_id = 'w'").fetchall())
        # s ~ 9.6 >= membership_saturation 2: the term is 1
        assert terms == {"group_membership": pytest.approx(1.0)}
        score, flagged, group = c.con.execute("SELECT score, flagged, group_id FROM scores WHERE account_id = 'w'").fetchone()
        assert score == pytest.approx(1 - math.exp(-1.0))
        assert flagged and group == 1  # outside the Leiden group, tied to it by the test
        fans = c.con.execute(
            "SELECT count(*), max(score), bool_or(flagged) FROM scores WHERE account_id LIKE 'f%'"
        ).fetchone()
        assert fans == (1000, 0.0, False)
        assert c.con.execute("SELECT count(*) FROM evidence WHERE layer = 'group_membership'").fetchone()[0] == 3
        ex = explain_account(c.con, "w")
        assert [x.name for x in ex.contributions] == ["group_membership"]
        assert ex.contributions[0].n_evidence == 3
        assert [(e.layer, e.other_account, e.post, e.other_post, e.seconds_apart) for e in ex.evidence] == [
            ("group_membership", "m10", f"r{i}-w", f"r{i}-m10", 11.0) for i in (1, 2, 3)
        ]
        # re-scoring replaces the test's evidence instead of adding to it; weight 0 switches it off
        detect(c, build=False, params={"score.affinity_weight": 0, "score.items_weight": 0})
        assert c.con.execute("SELECT count(*) FROM evidence WHERE layer = 'group_membership'").fetchone()[0] == 3
        detect(c, build=False, params={"score.affinity_weight": 0, "score.membership_weight": 0, "score.items_weight": 0})
        assert c.con.execute("SELECT count(*) FROM evidence WHERE layer = 'group_membership'").fetchone()[0] == 0
        assert c.con.execute("SELECT score, flagged FROM scores WHERE account_id = 'w'").fetchone() == (0.0, False)


TEXT = "香港警察守护法治我们支持恢复秩序止暴制乱反对暴力和平理性繁荣稳定一国两制祖国强大未来美好"  # 46 CJK characters


def test_near_duplicate_and_hashtag_day_actions_hit_the_group(tmp_path: Path) -> None:
    """Members m1..m3 copy-paste TEXT at 09:00:00-02 (the near_duplicate trace clusters them) and post #alpha #beta during the day; w posts TEXT with its last character changed at
    09:00:30 (46 - 2 = 44 character 3-grams, 43 shared: Jaccard 43/45 = 0.96) and #beta #alpha
    in the evening (same tag set, same day); o posts an unrelated text at 09:00:30 and
    #alpha #gamma. w: 2 hits (near_duplicate share 3/3, hashtag_day share 3/3), o: none."""
    c = open_case(tmp_path / "c.duckdb")
    with c:
        posts = [
            ("t1", "m1", "2020-06-01 09:00:00", TEXT), ("t2", "m2", "2020-06-01 09:00:01", TEXT),
            ("t3", "m3", "2020-06-01 09:00:02", TEXT), ("tw", "w", "2020-06-01 09:00:30", TEXT[:-1] + "好"),
            ("to", "o", "2020-06-01 09:00:30", "今天天气很好我们一起去公园散步然后吃午饭晚上看电影"),
            ("h1", "m1", "2020-06-01 03:00:00", "#alpha #beta"), ("h2", "m2", "2020-06-01 11:00:00", "#beta #alpha"),
            ("h3", "m3", "2020-06-01 13:00:00", "#alpha #beta"), ("hw", "w", "2020-06-01 21:00:00", "#beta #alpha"),
            ("ho", "o", "2020-06-01 21:00:00", "#alpha #gamma"),
        ]
        for i, (pid, acc, at, text) in enumerate(posts):
            c.con.execute(
                "INSERT INTO posts (post_id, account_id, platform, created_at, time_precision, kind, text, source_file, source_line) "
                "VALUES (?, ?, 'twitter', ?, 'second', 'post', ?, 'tweets.csv', ?)",
                [pid, acc, at, text, i + 2],
            )
            for k, tag in enumerate(t[1:] for t in text.split() if t.startswith("#")):
                c.con.execute("INSERT INTO post_hashtags VALUES (?, ?, ?, ?, ?, ?)", [pid, acc, at, k, tag, tag])
        # the near_duplicate layer stores its text clusters (keys of >= 2 posts) in post_keys
        build_networks(c.con, traces=["near_duplicate"])
        build_networks(c.con, traces=["near_duplicate"])  # a rebuild replaces the layer's keys
        assert c.con.execute("SELECT count(*) FROM post_keys").fetchall()[0][0] == 4
        keys = dict(c.con.execute("SELECT post_id, key FROM post_keys WHERE layer = 'near_duplicate'").fetchall())
        assert set(keys) == {"t1", "t2", "t3", "tw"} and len(set(keys.values())) == 1
        res = group_membership(c, {1: ["m1", "m2", "m3"]}, layers=("co_hashtag", "near_duplicate"))
        t = {a: r for a, r in zip(res.tests.column("account_id").to_pylist(), res.tests.to_pylist())}
        assert set(t) == {"w"}
        # w's actions: 2 co_hashtag (one per tag of hw) + 1 hashtag_day (hw) + 2 near_duplicate (tw, hw) = 5
        assert (t["w"]["n_actions"], t["w"]["n_hits"], t["w"]["observed"]) == (5, 2, pytest.approx(2.0))
        items = sorted(res.evidence.column("shared_item").to_pylist())
        assert items == ["[hashtag_day, group share 1.00] 2020-06-01 #alpha #beta", f"[near_duplicate, group share 1.00] {TEXT[:-1]}好"]
        # closest member posts: t3 (28 s before tw) and h3 (13:00, 8 hours before hw)
        assert sorted(res.evidence.column("seconds_apart").to_pylist()) == [28.0, 8.0 * 3600]
        # detect building other layers only drops every stored layer, near_duplicate's keys too
        detect(c, traces=["co_hashtag"])
        assert c.con.execute("SELECT count(*) FROM post_keys").fetchall()[0][0] == 0


def test_kept_trace_tables_and_rerun_traces_give_the_same_test(tmp_path: Path) -> None:
    """detect keeps the builder's trace tables for this test; re-scoring stored edges runs the
    traces again. Both must give the same tests and evidence, with the parameters the edges were
    built with. Extra rows: members m01..m03 and w post #gov twice in one post each (a
    duplicated action the builder collapses) at 11:00:00 + 0/1/2/30 s on day 1.
    With co_retweet's window at 5 s, w's retweets (11 s after the closest member) no longer
    hit; its #gov post (28 s after m03) hits co_hashtag (60 s window) and hashtag_day is not
    reached (one tag per post)."""
    from datetime import datetime

    import cibscope.networks as networks_module
    from cibscope.networks import drop_kept_traces, keep_traces, kept_trace_table
    from cibscope.testing import insert_rows
    from cibscope.traces import get_trace

    def _refuse(*a: object, **k: object) -> str:
        raise AssertionError("trace SQL ran again")

    with build_membership_case(tmp_path / "c.duckdb", group_edges=False) as c:
        tagged = [("g1", "m01", 0), ("g2", "m02", 1), ("g3", "m03", 2), ("gw", "w", 30)]
        insert_rows(c.con, "posts", (
            dict(post_id=p, account_id=a, created_at=datetime.fromisoformat(_at("2020-03-01 11:00:00", s)), text="#gov #gov", source_file="tweets.csv")
            for p, a, s in tagged
        ))
        insert_rows(c.con, "post_hashtags", (
            dict(post_id=p, position=k, hashtag="gov", hashtag_raw="gov") for p, _, _ in tagged for k in (0, 1)
        ))
        layers = ("co_retweet", "co_hashtag")
        results = {}
        for params in (None, {"co_retweet": {"window": 5}}):
            rerun = group_membership(c, {1: MEMBERS}, layers=layers, trace_params=params)
            build_networks(c.con, traces=list(layers), params=params, keep=layers)
            assert kept_trace_table(c.con, "co_retweet") and kept_trace_table(c.con, "co_hashtag")
            # a kept table serves only the parameters it was made with (else the trace runs again)
            made = get_trace("co_retweet")(**(params or {}).get("co_retweet", {})).get_params()
            assert kept_trace_table(c.con, "co_retweet", made)
            assert kept_trace_table(c.con, "co_retweet", {**made, "window": 7.0}) is None
            # the kept table holds the collapsed actions: one #gov action per post
            assert c.con.execute(f"SELECT count(*) FROM {kept_trace_table(c.con, 'co_hashtag')}").fetchall()[0][0] == 4
            with pytest.MonkeyPatch.context() as m:  # the kept tables are read: no trace SQL runs
                m.setattr(networks_module, "full_trace_sql", _refuse)  # where the traces run
                kept = group_membership(c, {1: MEMBERS}, layers=layers, trace_params=params)
                with pytest.raises(AssertionError, match="trace SQL ran"):  # other parameters: it would run
                    group_membership(c, {1: MEMBERS}, layers=layers, trace_params={"co_retweet": {"window": 7}})
            # keep_traces (evaluate's ablation) stores the same rows without building edges
            cols = "account_id, key, \"at\", post_id, source, item, tolerance"
            snap = {l: sorted(c.con.execute(f"SELECT {cols} FROM {kept_trace_table(c.con, l)}").fetchall()) for l in layers}
            drop_kept_traces(c.con)
            keep_traces(c.con, list(layers), params)
            assert {l: sorted(c.con.execute(f"SELECT {cols} FROM {kept_trace_table(c.con, l)}").fetchall()) for l in layers} == snap
            drop_kept_traces(c.con)
            assert kept_trace_table(c.con, "co_retweet") is None
            # (floating-point sums may differ in the last bits: parallel sums add in any order)
            assert kept.tests.to_pylist() == [
                {k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v for k, v in r.items()}
                for r in rerun.tests.to_pylist()
            ]
            assert kept.evidence.to_pylist() == rerun.evidence.to_pylist()
            results[bool(params)] = {r["account_id"]: r for r in kept.tests.to_pylist()}
        # w's actions: 5 retweets + 1 #gov action (the tag written twice is one action)
        assert results[False]["w"]["n_actions"] == results[True]["w"]["n_actions"] == 6
        assert results[False]["w"]["n_hits"] == 4  # 3 retweets + #gov
        assert results[True]["w"]["n_hits"] == 1  # only #gov with a 5-s co_retweet window


def test_evidence_ties_on_one_post_are_ordered_by_key(tmp_path: Path) -> None:
    """w's one post carries #zeta and #alpha; members m01 and m02 post both tags 5 s earlier.
    Both hits have share 1 and are 5 s from the closest member: with one evidence row per
    account, the tie goes to the first key by name (#alpha), whatever the insertion order."""
    from datetime import datetime

    from cibscope.testing import insert_rows

    for tags in (("zeta", "alpha"), ("alpha", "zeta")):
        with open_case(tmp_path / f"c-{tags[0]}.duckdb") as c:
            posts = [("p1", "m01", 0), ("p2", "m02", 0), ("pw", "w", 5)]
            insert_rows(c.con, "posts", (
                dict(post_id=p, account_id=a, created_at=datetime(2020, 1, 1, 0, 0, s), text=" ".join("#" + t for t in tags))
                for p, a, s in posts
            ))
            insert_rows(c.con, "post_hashtags", (
                dict(post_id=p, position=k, hashtag=t, hashtag_raw=t) for p, _, _ in posts for k, t in enumerate(tags)
            ))
            res = group_membership(c, {1: ["m01", "m02"]}, layers=("co_hashtag",), evidence_per_account=1)
            assert res.evidence.column("shared_item").to_pylist() == ["[co_hashtag, group share 1.00] #alpha"]


def _membership_evidence(c: Case) -> list[tuple]:
    return c.con.execute(
        "SELECT account_a, account_b, post_a, post_b, seconds_apart FROM evidence WHERE layer = 'group_membership' ORDER BY ALL"
    ).fetchall()


def test_reused_edges_keep_the_parameters_they_were_built_with(tmp_path: Path) -> None:
    """w retweets 11 s after the closest member (m10). The edges are built with co_retweet.window
    = 5 s, then made strong by hand (every member pair at p = 1e-25, as in
    build_membership_case), so the members form a strong group when the stored edges are
    re-scored. Re-scoring must test w with the 5 s the edges were built with: no hit, no
    membership evidence (the 60-s default would give w 3 hits, shown at the end), and it
    records that window; trace parameters with reused edges are refused. detect leaves none of
    the builder's trace tables behind."""
    from cibscope.errors import ParameterError
    from cibscope.networks import kept_trace_table

    with build_membership_case(tmp_path / "c.duckdb", group_edges=False) as c:
        detect(c, params={"co_retweet.window": 5, "score.affinity_weight": 0}, traces=["co_retweet"])
        assert kept_trace_table(c.con, "co_retweet") is None
        c.con.execute("DELETE FROM edges")
        c.con.executemany(
            "INSERT INTO edges VALUES ('co_retweet', ?, ?, 5, 5.0, 0.01, 1e-25, '2020-03-01 10:00:00', '2020-03-05 10:00:09')",
            list(itertools.combinations(MEMBERS, 2)),
        )
        detect(c, build=False, params={"score.affinity_weight": 0})
        assert c.con.execute("SELECT bool_and(flagged) FROM scores WHERE account_id LIKE 'm%'").fetchone()[0]  # strong
        assert _membership_evidence(c) == []
        runs = [json.loads(p)["networks"] for (p,) in c.con.execute("SELECT params FROM detect_runs ORDER BY run_at").fetchall()]
        assert runs == [{"co_retweet.window": 5}, {"co_retweet.window": 5}]
        with pytest.raises(ParameterError, match="only apply when the edges are built"):
            detect(c, build=False, params={"co_retweet.window": 60})
        # with the default window the same group gives w its three hits
        res = group_membership(c, {1: MEMBERS}, layers=("co_retweet",))
        assert [(e["post_a"], e["post_b"], e["seconds_apart"]) for e in res.evidence.to_pylist()] == [
            (f"r{i}-m10", f"r{i}-w", 11.0) for i in (1, 2, 3)
        ]


def test_detect_drops_the_kept_trace_tables_when_scoring_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cibscope.pipeline as detect_module  # the pipeline runs the stages
    from cibscope.networks import kept_trace_table

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("scoring failed")

    with build_membership_case(tmp_path / "c.duckdb", group_edges=False) as c:
        monkeypatch.setattr(detect_module, "compute_scores", fail)
        with pytest.raises(RuntimeError, match="scoring failed"):
            detect(c, traces=["co_retweet", "co_hashtag"])
        assert kept_trace_table(c.con, "co_retweet") is None and kept_trace_table(c.con, "co_hashtag") is None


def test_edges_built_without_post_keys_are_refused_for_rescoring(tmp_path: Path) -> None:
    """An older case: near_duplicate edges but no stored clusters. Re-scoring would silently lose
    the test's near-duplicate actions; it stops and says to rebuild."""
    from cibscope.errors import CaseStateError

    with build_membership_case(tmp_path / "c.duckdb") as c:
        c.con.execute(
            "INSERT INTO edges VALUES ('near_duplicate', 'm01', 'm02', 2, 2.0, 0.1, 1e-9, '2020-03-01 10:00:00', '2020-03-01 10:00:01')"
        )
        with pytest.raises(CaseStateError, match="no stored text clusters"):
            group_membership(c, {1: MEMBERS}, layers=("co_retweet", "near_duplicate"))
        # a case without near_duplicate edges needs no clusters
        c.con.execute("DELETE FROM edges WHERE layer = 'near_duplicate'")
        assert group_membership(c, {1: MEMBERS}, layers=("co_retweet", "near_duplicate")).n_tests == 1001



def test_items_term_ranks_an_account_on_the_groups_items_at_any_time_and_never_flags(tmp_path: Path) -> None:
    with build_membership_case(tmp_path / "c.duckdb", late=True) as c:
        # z retweets r4 and r5 a day after the group: no hit within the 60 s window
        timed = group_membership(c, {1: MEMBERS}, layers=("co_retweet",))
        assert "z" not in timed.best()
        # without a window both are hits of share 10/10; the fans' star posts stay at 2/1001
        untimed = group_membership(c, {1: MEMBERS}, layers=("co_retweet",), untimed=True)
        best = untimed.best()
        g, s_z, _, hits, n_act, obs, _ = best["z"]
        assert (g, hits, n_act) == (1, 2, 5) and obs == pytest.approx(2.0) and s_z > 2
        assert max((v[1] for a, v in best.items() if a.startswith("f")), default=0.0) == 0.0
        detect(c, build=False, params={"score.affinity_weight": 0})
        terms = dict(c.con.execute("SELECT contribution, value FROM score_contributions WHERE account_id = 'z'").fetchall())
        assert terms == {"group_items": pytest.approx(1.0)}  # s_z >= membership_saturation 2
        score, flagged = c.con.execute("SELECT score, flagged FROM scores WHERE account_id = 'z'").fetchone()
        assert score == pytest.approx(1 - math.exp(-1.0)) and not flagged
        fans = c.con.execute("SELECT max(score), bool_or(flagged) FROM scores WHERE account_id LIKE 'f%'").fetchone()
        assert fans == (0.0, False)
        # switched off: z has no term and score 0
        detect(c, build=False, params={"score.affinity_weight": 0, "score.items_weight": 0})
        assert c.con.execute("SELECT score FROM scores WHERE account_id = 'z'").fetchone()[0] == 0.0

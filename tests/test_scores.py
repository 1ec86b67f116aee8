"""Account scores as sums of named contributions, and their explanation (hand-made case)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cibscope.detect import detect
from cibscope.errors import CaseStateError, ParameterError, UnknownAccountError
from cibscope.evidence.explain import explain_account
from detect_fixtures import build_case

# strength s = -log10(p * m) (m = pairs in the layer; detect_fixtures): co_retweet 15 - log10 8,
# co_url 13, co_hashtag 20 - log10 3. Structure (sigma) is 1 on every edge (two separate cliques).
S_RT, S_URL, S_HT = 15 - math.log10(8), 13.0, 20 - math.log10(3)
# Per-layer term: 1 - exp(-mean(sigma * s) * min(1, k / 5) / 10), k = the account's links in the layer.
CO_RT_A = 1 - math.exp(-S_RT * (3 / 5) / 10)  # 3 co_retweet partners -> 0.570792
CO_URL = 1 - math.exp(-S_URL * (1 / 5) / 10)  # one co_url partner -> 0.228948
CO_HT_B = 1 - math.exp(-S_HT * (2 / 5) / 10)  # 2 co_hashtag partners -> 0.542013
# Both groups are operations (detect_fixtures: coordinated, with creation_burst; A also
# shared_client). Group term: min(1, d / 5) for a member of a flagged group, d = its partners in it.
GROUP_A = 3 / 5
GROUP_B = 2 / 5
# Inauthenticity term: 0.5 * (traits the member shows / traits fired for its group): all of them here.
INAUTH = 0.5
NO_AFFINITY = {"score.affinity_weight": 0}  # every account posts on one hour-of-week: nothing to match


def contributions(c, acc: str) -> dict[str, tuple[float, int]]:
    return {n: (v, k) for n, v, k in c.con.execute(
        "SELECT contribution, value, n_evidence FROM score_contributions WHERE account_id = ?", [acc]).fetchall()}


def test_contributions_are_exact_and_add_up_to_the_score(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        detect(c, build=False, params=NO_AFFINITY)
        a1 = contributions(c, "a1")
        # n_evidence for a1 co_retweet: evidence rows 1 (a1-a2) and 3 (a1-a3) -> 2
        assert a1.keys() == {"co_retweet", "co_url", "group", "inauthenticity"}
        assert a1["co_retweet"] == (pytest.approx(CO_RT_A), 2)
        assert a1["co_url"] == (pytest.approx(CO_URL), 0)
        assert a1["group"] == (pytest.approx(GROUP_A), 3)
        assert a1["inauthenticity"] == (pytest.approx(INAUTH), 2)  # shows both of A's traits
        b3 = contributions(c, "b3")
        assert b3 == {"co_hashtag": (pytest.approx(CO_HT_B), 0), "group": (pytest.approx(GROUP_B), 2),
                      "inauthenticity": (pytest.approx(INAUTH), 1)}
        expected = {
            "a1": CO_RT_A + CO_URL + GROUP_A + INAUTH, "a2": CO_RT_A + CO_URL + GROUP_A + INAUTH,
            "a3": CO_RT_A + GROUP_A + INAUTH, "a4": CO_RT_A + GROUP_A + INAUTH,
            "b1": CO_HT_B + GROUP_B + INAUTH, "b2": CO_HT_B + GROUP_B + INAUTH, "b3": CO_HT_B + GROUP_B + INAUTH,
            "o1": 0.0, "o2": 0.0, "o3": 0.0,
        }
        rows = {a: (s, f, g) for a, s, f, g in c.con.execute("SELECT account_id, score, flagged, group_id FROM scores").fetchall()}
        assert rows.keys() == expected.keys()  # every account of the case is scored, with or without evidence
        for acc, total in expected.items():
            score, flagged, group = rows[acc]
            summed = c.con.execute("SELECT coalesce(sum(value), 0) FROM score_contributions WHERE account_id = ?", [acc]).fetchone()[0]
            assert summed == pytest.approx(total)
            assert score == pytest.approx(1 - math.exp(-total))
        assert rows["a1"][0] == pytest.approx(0.850393, abs=1e-6)  # 1 - exp(-1.899741)
        assert rows["a3"][0] == pytest.approx(0.811902, abs=1e-6)  # 1 - exp(-1.670792)
        assert rows["b1"][0] == pytest.approx(0.763549, abs=1e-6)  # 1 - exp(-1.442013)
        assert {a for a, r in rows.items() if r[1]} == {"a1", "a2", "a3", "a4", "b1", "b2", "b3"}
        assert rows["a3"][2] == 1 and rows["b2"][2] == 2 and rows["o1"][2] is None
        reasons = c.con.execute("SELECT top_reasons FROM scores WHERE account_id = 'a1'").fetchone()[0]
        assert reasons == "group 0.60; co_retweet 0.57; inauthenticity 0.50"


def test_only_operations_are_flagged(tmp_path: Path) -> None:
    """A group that is coordinated but shows no inauthenticity trait is listed, not flagged."""
    with build_case(tmp_path / "c.duckdb", trait_posts=False) as c:
        c.con.execute("UPDATE accounts SET created_at = NULL")
        c.con.execute("UPDATE posts SET client = NULL")
        detect(c, build=False, params=NO_AFFINITY)
        verdicts = dict(c.con.execute("SELECT group_id, verdict FROM groups").fetchall())
        assert verdicts == {1: "coordinated", 2: "coordinated"}
        assert c.con.execute("SELECT count(*) FROM scores WHERE flagged").fetchone()[0] == 0
        # members keep their group; links inside a group judged organic-looking are not evidence
        # of an operation: no term from them, score 0 (the group's card keeps them)
        assert contributions(c, "a3") == {}
        assert c.con.execute("SELECT score FROM scores WHERE account_id = 'a3'").fetchone()[0] == 0.0
        assert c.con.execute("SELECT count(*) FROM edges WHERE layer = 'co_retweet' AND 'a3' IN (account_a, account_b)").fetchone()[0] == 3
        assert c.con.execute("SELECT group_id FROM scores WHERE account_id = 'a3'").fetchone()[0] == 1


def test_threshold_and_min_partners_decide_the_flag(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        # B scores 0.7635 and A at least 0.8119: an optional threshold of 0.8 flags A only
        detect(c, build=False, params={"threshold": 0.8, **NO_AFFINITY})
        flagged = {a for (a,) in c.con.execute("SELECT account_id FROM scores WHERE flagged").fetchall()}
        assert flagged == {"a1", "a2", "a3", "a4"}
        # B members have 2 partners each, A members 3: min_partners 3 again flags A only
        detect(c, build=False, params={"score.min_partners": 3})
        flagged = {a for (a,) in c.con.execute("SELECT account_id FROM scores WHERE flagged").fetchall()}
        assert flagged == {"a1", "a2", "a3", "a4"}
        # A shows two traits, B one: requiring two makes B coordinated-only, not flagged
        detect(c, build=False, params={"signals.min_signals": 2})
        flagged = {a for (a,) in c.con.execute("SELECT account_id FROM scores WHERE flagged").fetchall()}
        assert flagged == {"a1", "a2", "a3", "a4"}
        assert dict(c.con.execute("SELECT group_id, verdict FROM groups").fetchall()) == {1: "operation", 2: "coordinated"}
        assert c.count("detect_runs") == 3


def test_unknown_score_parameter_is_rejected(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        with pytest.raises(ParameterError, match="Unknown parameter 'score.treshold'"):
            detect(c, build=False, params={"score.treshold": 0.4})
        with pytest.raises(ParameterError, match=r"The 'threshold' parameter of score must be a float in \[0, 1\]. Got 2 instead."):
            detect(c, build=False, params={"threshold": 2})


def test_explain_shows_breakdown_and_evidence_with_file_and_line(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        detect(c, build=False, params=NO_AFFINITY)
        ex = explain_account(c.con, "a1")
        assert ex.group_id == 1 and ex.flagged and ex.group_role == "core"
        assert ex.group_verdict.startswith("flagged: coordinated") and "shared_client, creation_burst" in ex.group_verdict
        assert [x.name for x in ex.contributions] == ["group", "co_retweet", "inauthenticity", "co_url"]  # largest first
        assert ex.score == pytest.approx(1 - math.exp(-ex.total))
        # a1 appears in evidence rows 1 (with a2, 4 s) and 3 (with a3, 30 s): closest first
        assert [(e.other_account, e.post, e.other_post, e.seconds_apart, e.shared_item, e.source, e.other_source) for e in ex.evidence] == [
            ("a2", "p1", "p2", 4.0, "rt:900", "tweets.csv:2", "tweets.csv:3"),
            ("a3", "p5", "p6", 30.0, "rt:901", "tweets.csv:6", "tweets.csv:7"),
        ]
        assert ex.evidence[0].text == "RT big news" and ex.evidence[0].same_group
        # a4 is account_b in row 2: the explanation turns it around to a4's point of view
        ex4 = explain_account(c.con, "a4")
        assert [(e.other_account, e.post, e.source) for e in ex4.evidence] == [("a3", "p4", "tweets.csv:5")]
        # screen names work too
        assert explain_account(c.con, "@alpha_two").account_id == "a2"
        assert explain_account(c.con, "o3").contributions == []
        assert ex.state_media == []  # no media-policy audit on this case
        # after `cibscope media-policy --case`: the account's outlet and each policy's decision
        from cibscope.audit._util import replace_rows
        from cibscope.schema import STATE_MEDIA_ACCOUNTS

        replace_rows(c.engine, STATE_MEDIA_ACCOUNTS, [
            {"account_id": "a1", "outlet_id": "x/y/z", "outlet": "Outlet Z", "country": "X", "matched_on": "twitter:alpha_one",
             "policy": "twitter-labels-2020", "as_of": "2021-03-01", "decision": "applies", "typology": "state-controlled"},
            {"account_id": "a1", "outlet_id": "x/y/z", "outlet": "Outlet Z", "country": "X", "matched_on": "twitter:alpha_one",
             "policy": "youtube-2018", "as_of": None, "decision": None},
        ])
        assert explain_account(c.con, "a1").state_media == [
            "account of Outlet Z (X; matched on twitter:alpha_one); policy twitter-labels-2020 as of 2021-03-01: applies (typology state-controlled)",
            "account of Outlet Z (X; matched on twitter:alpha_one); policy youtube-2018: no decision",
        ]
        assert explain_account(c.con, "a2").state_media == []


def test_explain_errors_are_typed(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        with pytest.raises(CaseStateError, match="not been through detection"):
            explain_account(c.con, "a1")
        detect(c, build=False)
        with pytest.raises(UnknownAccountError, match="no account 'zz9' in this case"):
            explain_account(c.con, "zz9")


def test_strongest_partner_is_smallest_p_then_strongest_then_by_name(tmp_path: Path) -> None:
    # a4's three co_retweet partners a1, a2, a3 tie at p = 1e-15. An extra co_url edge a1-o3
    # widens a1's neighbourhood, so the structure (sigma) of a1-a4 drops below 1 and a1 is the
    # weakest of the three; a2 and a3 still tie (sigma 1) and the name decides: a2, whatever
    # order the edges are stored in.
    with build_case(tmp_path / "c.duckdb") as c:
        c.con.execute("INSERT INTO edges VALUES ('co_url', 'a1', 'o3', 3, 3.0, 0.1, 1e-13, '2020-01-01', '2020-01-02')")
        detail = "SELECT detail FROM score_contributions WHERE account_id = 'a4' AND contribution = 'co_retweet'"
        for order in ("ASC", "DESC"):
            rows = c.con.execute(f"SELECT * FROM edges ORDER BY layer, account_a {order}, account_b {order}").fetchall()
            c.con.execute("DELETE FROM edges")
            c.con.executemany(f"INSERT INTO edges VALUES ({', '.join('?' * len(rows[0]))})", rows)
            detect(c, build=False)
            assert c.con.execute(detail).fetchone()[0].endswith("strongest p=1.0e-15 with a2")


def test_group_affinity_matches_hour_profile_and_client(tmp_path: Path) -> None:
    """Strong group {m1, m2} posts Mondays 03:00 UTC (hour-of-week 3) from client BotApp only;
    o1..o3 post Thursdays 04:00 (hour-of-week 76) from Web; x posts Mondays 03:00, 3 times from
    BotApp and twice from Web. Every account has 5 posts (min_posts 5).
    h_all = (15 at 3, 15 at 76) / 30; centred group profile (+0.5, -0.5); x's the same: cosine 1;
    o's (-0.5, +0.5): cosine -1, clipped to 0 (left out). Clients: Web 17 > BotApp 13, so the
    group's BotApp (100% of its posts, not the case's most common) is dominant: the client
    factor is an account's BotApp share: x 3/5 -> affinity 0.6; members 1.0."""
    from datetime import datetime, timedelta

    from cibscope.case import open_case
    from cibscope.evidence.score import group_affinity
    from cibscope.testing import insert_rows

    rows = []
    for acc in ("m1", "m2", "x", "o1", "o2", "o3"):
        base = datetime(2020, 1, 6, 3) if acc[0] in "mx" else datetime(2020, 1, 9, 4)
        for k in range(5):
            client = "Web" if acc[0] == "o" or (acc == "x" and k >= 3) else "BotApp"
            rows.append(dict(post_id=f"{acc}-{k}", account_id=acc, created_at=base + timedelta(minutes=k), client=client, text="x"))
    with open_case(tmp_path / "c.duckdb") as c:
        insert_rows(c.con, "posts", rows)
        out = group_affinity(c, {7: ["m1", "m2"]})
        assert set(out) == {"m1", "m2", "x"}
        assert out["x"][:2] == (pytest.approx(0.6), 7)
        assert out["x"][2] == "habits match flagged group 7: hour-of-week profile cosine 1.00, client 'BotApp' share 0.60"
        assert out["m1"][:2] == (pytest.approx(1.0), 7)
        assert group_affinity(c, {}) == {}  # no strong group, no term

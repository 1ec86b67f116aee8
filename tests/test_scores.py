"""Account scores as sums of named contributions, and their explanation (hand-made case)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from cibscope.detect import detect
from cibscope.errors import CaseStateError, ParameterError, UnknownAccountError
from cibscope.evidence.explain import explain_account
from detect_fixtures import build_case

# Per-layer term: 1 - exp(-S / 10) with S = sum of min(-log10 p, 20) over significant edges.
CO_RT_A = 1 - math.exp(-18 / 10)  # 3 co_retweet partners at p = 1e-6: S = 3 * 6 = 18 -> 0.834701
CO_URL = 1 - math.exp(-3 / 10)  # one co_url partner at p = 1e-3: S = 3 -> 0.259182
CO_HT_B = 1 - math.exp(-8 / 10)  # 2 co_hashtag partners at p = 1e-4: S = 2 * 4 = 8 -> 0.550671
GROUP = 1.0  # linked to all other members of the group: 1.0 * (size - 1) / (size - 1)


def contributions(c, acc: str) -> dict[str, tuple[float, int]]:
    return {n: (v, k) for n, v, k in c.con.execute(
        "SELECT contribution, value, n_evidence FROM score_contributions WHERE account_id = ?", [acc]).fetchall()}


def test_contributions_are_exact_and_add_up_to_the_score(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        detect(c, build=False)
        a1 = contributions(c, "a1")
        # n_evidence for a1 co_retweet: evidence rows 1 (a1-a2) and 3 (a1-a3) -> 2
        assert a1.keys() == {"co_retweet", "co_url", "group"}
        assert a1["co_retweet"] == (pytest.approx(CO_RT_A), 2)
        assert a1["co_url"] == (pytest.approx(CO_URL), 0)
        assert a1["group"] == (pytest.approx(GROUP), 3)
        b3 = contributions(c, "b3")
        assert b3 == {"co_hashtag": (pytest.approx(CO_HT_B), 0), "group": (pytest.approx(GROUP), 2)}
        expected = {
            "a1": CO_RT_A + CO_URL + GROUP, "a2": CO_RT_A + CO_URL + GROUP,
            "a3": CO_RT_A + GROUP, "a4": CO_RT_A + GROUP,
            "b1": CO_HT_B + GROUP, "b2": CO_HT_B + GROUP, "b3": CO_HT_B + GROUP,
            "o1": 0.0, "o2": 0.0, "o3": 0.0,
        }
        rows = {a: (s, f, g) for a, s, f, g in c.con.execute("SELECT account_id, score, flagged, group_id FROM scores").fetchall()}
        assert rows.keys() == expected.keys()  # every account of the case is scored, with or without evidence
        for acc, total in expected.items():
            score, flagged, group = rows[acc]
            summed = c.con.execute("SELECT coalesce(sum(value), 0) FROM score_contributions WHERE account_id = ?", [acc]).fetchone()[0]
            assert summed == pytest.approx(total)
            assert score == pytest.approx(1 - math.exp(-total))
        assert rows["a1"][0] == pytest.approx(0.876792, abs=1e-6)  # 1 - exp(-2.093883)
        assert rows["b1"][0] == pytest.approx(0.787894, abs=1e-6)
        assert {a for a, r in rows.items() if r[1]} == {"a1", "a2", "a3", "a4", "b1", "b2", "b3"}
        assert rows["a3"][2] == 1 and rows["b2"][2] == 2 and rows["o1"][2] is None
        reasons = c.con.execute("SELECT top_reasons FROM scores WHERE account_id = 'a1'").fetchone()[0]
        assert reasons == "group 1.00; co_retweet 0.83; co_url 0.26"


def test_threshold_and_min_partners_decide_the_flag(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        # B scores 0.7879 and A at least 0.8403: threshold 0.8 flags A only
        detect(c, build=False, params={"threshold": 0.8})
        flagged = {a for (a,) in c.con.execute("SELECT account_id FROM scores WHERE flagged").fetchall()}
        assert flagged == {"a1", "a2", "a3", "a4"}
        # B members have 2 partners each, A members 3: min_partners 3 again flags A only
        detect(c, build=False, params={"score.min_partners": 3})
        flagged = {a for (a,) in c.con.execute("SELECT account_id FROM scores WHERE flagged").fetchall()}
        assert flagged == {"a1", "a2", "a3", "a4"}
        assert c.count("detect_runs") == 2


def test_unknown_score_parameter_is_rejected(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        with pytest.raises(ParameterError, match="Unknown parameter 'score.treshold'"):
            detect(c, build=False, params={"score.treshold": 0.4})
        with pytest.raises(ParameterError, match=r"The 'threshold' parameter of score must be a float in \[0, 1\]. Got 2 instead."):
            detect(c, build=False, params={"threshold": 2})


def test_explain_shows_breakdown_and_evidence_with_file_and_line(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        detect(c, build=False)
        ex = explain_account(c.con, "a1")
        assert ex.group_id == 1 and ex.flagged
        assert [x.name for x in ex.contributions] == ["group", "co_retweet", "co_url"]  # largest first
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


def test_explain_errors_are_typed(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        with pytest.raises(CaseStateError, match="not been through detection"):
            explain_account(c.con, "a1")
        detect(c, build=False)
        with pytest.raises(UnknownAccountError, match="no account 'zz9' in this case"):
            explain_account(c.con, "zz9")

"""evaluate() on the hand-made case: every metric derived by hand below.

Truth (tests/detect_fixtures.write_truth): io = a1..a4, b1, b2, o1; organic = b3 (hn_activists|hn_fans),
o2 (hn_fans), o3 (plain). Detection flags a1..a4 and b1..b3 (see test_scores.py).

Scores (group_affinity switched off, see test_scores.py): a1, a2 = 0.8504; a3, a4 = 0.8119;
b1, b2, b3 = 0.7635; o1, o2, o3 = 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cibscope.detect import detect
from cibscope.errors import CaseStateError, InputError
from cibscope.evaluate import average_precision, evaluate, roc_auc
from detect_fixtures import build_case, write_truth


def test_metrics_match_the_hand_computed_example(tmp_path: Path) -> None:
    truth = write_truth(tmp_path / "truth.csv")
    with build_case(tmp_path / "c.duckdb") as c:
        detect(c, build=False, params={"score.affinity_weight": 0})
        r = evaluate(c, truth)
    # flagged 7, positives 7: tp = 6 (a1..a4, b1, b2), fp = 1 (b3), fn = 1 (o1)
    assert (r.n_accounts, r.n_positive, r.n_flagged, r.tp, r.fp, r.fn) == (10, 7, 7, 6, 1, 1)
    assert r.precision == pytest.approx(6 / 7) and r.recall == pytest.approx(6 / 7) and r.f1 == pytest.approx(6 / 7)
    # ROC-AUC over 7 x 3 pairs: a1, a2, a3, a4 beat all 3 negatives (12); b1, b2 tie b3 (0.5)
    # and beat o2, o3 (2.5 each = 5); o1 (0) ties o2, o3 (2 x 0.5 = 1): 18 / 21
    assert r.roc_auc == pytest.approx(18 / 21)
    # AP: thresholds .850 (P 1, R 2/7), .812 (P 1, R 4/7), .764 (P 6/7, R 6/7), 0 (P 7/10, R 1)
    assert r.pr_auc == pytest.approx(2 / 7 + 2 / 7 + (2 / 7) * (6 / 7) + (1 / 7) * 0.7)
    # hard negatives: b3 (flagged) and o2 (not): 1 / 2; all organic: 1 / 3
    assert r.n_hard_negatives == 2 and r.hard_negative_fpr == pytest.approx(0.5)
    assert r.organic_fpr == pytest.approx(1 / 3)
    per = {d["tactic"]: (d["label"], d["n"], d["flagged"]) for d in r.per_tactic}
    assert per == {
        "retweet_ring": ("io", 4, 4), "hashtag_push": ("io", 2, 2), "lone_wolf": ("io", 1, 0),
        # b3 has two tactics ("hn_activists|hn_fans") and counts in both
        "hn_activists": ("organic", 1, 1), "hn_fans": ("organic", 2, 1), "plain": ("organic", 1, 0),
    }
    abl = {a.layer: a for a in r.ablation}
    assert set(abl) == {"co_hashtag", "co_retweet", "co_url"}
    # without co_url: a1, a2 drop to 0.8119, same flags, same ranking of positives vs negatives
    assert abl["co_url"].f1 == pytest.approx(6 / 7) and abl["co_url"].roc_auc == pytest.approx(18 / 21)
    # without co_retweet: A keeps only a1-a2 (co_url), a group of 2 < min_size: flagged = b1, b2, b3
    # P = 2/3, R = 2/7, F1 = 2 * (4/21) / (20/21) = 0.4
    assert abl["co_retweet"].f1 == pytest.approx(0.4) and abl["co_retweet"].d_f1 == pytest.approx(0.4 - 6 / 7)
    # without co_hashtag: flagged = a1..a4: P = 1, R = 4/7, F1 = 8/11
    assert abl["co_hashtag"].f1 == pytest.approx(8 / 11)


def test_metric_helpers_on_textbook_cases() -> None:
    y = np.array([1, 0, 1, 0], dtype=bool)
    assert roc_auc(y, np.array([0.9, 0.1, 0.8, 0.2])) == 1.0
    assert roc_auc(y, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    # ranking 1,0,1,0 -> AP = 1/2 * 1 + 1/2 * 2/3
    assert average_precision(y, np.array([0.9, 0.8, 0.7, 0.1])) == pytest.approx(0.5 + 1 / 3)


def test_truth_accounts_missing_from_the_case_count_as_not_detected(tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    truth.write_text("userid,label,tactic\na1,io,x\nghost,io,x\no3,organic,plain\n")
    with build_case(tmp_path / "c.duckdb") as c:
        detect(c, build=False)
        r = evaluate(c, truth, ablation=False)
    assert r.missing_from_case == 1 and r.recall == pytest.approx(0.5) and r.precision == 1.0


def test_evaluate_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,kind\n1,io\n")
    with build_case(tmp_path / "c.duckdb") as c:
        with pytest.raises(InputError, match="needs columns userid"):
            evaluate(c, bad)
        with pytest.raises(CaseStateError):
            evaluate(c, write_truth(tmp_path / "truth.csv"))


def test_grouped_metrics_count_coordinated_groups_the_decision_did_not_flag(tmp_path: Path) -> None:
    truth = write_truth(tmp_path / "truth.csv")
    with build_case(tmp_path / "c.duckdb") as c:
        detect(c, build=False, params={"score.affinity_weight": 0})
        flagged = evaluate(c, truth, ablation=False)
        # every group the hand-made case forms is flagged: grouped = flagged
        assert (flagged.n_grouped, flagged.grouped_f1) == (flagged.n_flagged, pytest.approx(flagged.f1))
        # no trait can make a group an operation: the same groups, only coordinated
        detect(c, build=False, params={"score.affinity_weight": 0, "signals.min_signals": 99})
        verdicts = {v for (v,) in c.con.execute("SELECT DISTINCT verdict FROM groups").fetchall()}
        r = evaluate(c, truth, ablation=False)
    assert "operation" not in verdicts and "coordinated" in verdicts
    assert r.n_flagged == 0 and r.f1 == 0.0
    assert (r.n_grouped, r.grouped_precision, r.grouped_recall) == (
        flagged.n_grouped, pytest.approx(flagged.grouped_precision), pytest.approx(flagged.grouped_recall))

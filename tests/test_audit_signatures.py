"""Audit signatures on hand-built accounts: expected values derived in the comments."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from scipy import stats

from audit_fixtures import add_account, add_detection, add_post, bulk, signatures
from cibscope import open_case
from cibscope.audit import changepoint, topic
from cibscope.audit.signatures import SignatureParams, compute_signatures, infer_utc_offset
from cibscope.errors import ParameterError


@pytest.fixture
def case(tmp_path):
    with open_case(tmp_path / "c.duckdb") as c:
        yield c


# ---- office hours -------------------------------------------------------------------------


def _office_and_evening(case):
    with bulk(case):
        # "office": two working weeks (Mon 1 Jul 2019 .. Fri 12 Jul), one post at hh:30 local
        # (UTC+8) for hh in 9,10,11,13,14,15,16,17 -- none at 12 (lunch). 8 posts x 10 days = 80.
        # In UTC these are 01:30 .. 09:30, the same calendar day.
        add_account(case, "office", datetime(2019, 1, 1))
        day = date(2019, 7, 1)
        while day <= date(2019, 7, 12):
            if day.isoweekday() <= 5:
                for h in (9, 10, 11, 13, 14, 15, 16, 17):
                    add_post(case, "office", datetime(day.year, day.month, day.day, h - 8, 30))
            day += timedelta(days=1)
        # "evening": every day of the same two weeks (14 days), local 20:30 .. 23:30 -> UTC 12:30 .. 15:30.
        add_account(case, "evening", datetime(2019, 1, 1))
        for d in range(14):
            day = date(2019, 7, 1) + timedelta(days=d)
            for h in (20, 21, 22, 23):
                add_post(case, "evening", datetime(day.year, day.month, day.day, h - 8, 30))


def test_office_hours_account_is_flagged_and_evening_account_is_not(case):
    _office_and_evening(case)
    compute_signatures(case)
    s = signatures(case)
    o, e = s["office"], s["evening"]
    assert o["n_posts"] == 80 and e["n_posts"] == 56
    # every office post is on a weekday between 09:00 and 18:00 local; none on a weekend
    assert o["office_hours_share"] == 1.0
    assert o["weekend_share"] == 0.0
    # lunch dip: 0 posts at 12h vs (40 posts at 10,11,14,15h) / 4 hours = 10 per hour -> 0.0
    assert o["lunch_ratio"] == 0.0
    # dataset share of office-hour posts: 80 of 136 = 0.588; 1.0 >= 1.5 x 0.588 (0.882) -> flag
    assert o["office_hours_share_dataset"] == pytest.approx(80 / 136)
    assert o["office_hours"] is True
    assert "office_hours" in json.loads(o["flags"])
    ev = json.loads(o["evidence"])["office_hours"]
    assert ev["posts"] == 80 and ev["utc_offset_tested"] == 8
    # hour profile (UTC): 10 posts at each of hours 1,2,3,5,6,7,8,9
    assert json.loads(o["hour_profile"]) == [0, 10, 10, 10, 0, 10, 10, 10, 10, 10] + [0] * 14
    # the activity centre is near UTC 05:37 (arithmetic mean of the bin centres 45/8 = 5.625);
    # 13.5 - 5.6 rounds to +8: the work-day schedule gives its true offset
    assert o["inferred_utc_offset"] == 8
    # the evening account: no post inside office hours; 4 of 14 days are weekend days
    assert e["office_hours_share"] == 0.0
    assert e["weekend_share"] == pytest.approx(16 / 56)
    assert e["office_hours"] is False


def test_office_hours_needs_enough_posts(case):
    _office_and_evening(case)
    compute_signatures(case, SignatureParams(min_posts_rhythm=81))  # office has 80 timed posts
    assert signatures(case)["office"]["office_hours"] is False


def test_infer_utc_offset_recovers_a_workday():
    # a 09:00-18:00 day at UTC-5 (New York): local 9..17 -> UTC 14..22, one post per hour
    h = np.zeros(24)
    h[14:23] = 1
    assert infer_utc_offset(h) == -5
    assert infer_utc_offset(np.zeros(24)) is None


# ---- repurposed account ---------------------------------------------------------------------


def test_repurposed_account_found_by_change_point(case):
    with bulk(case):
        t0 = datetime(2016, 1, 1, 12)
        add_account(case, "repurposed", datetime(2015, 6, 1))
        # 40 non-political posts, one every 20 days (days 0 .. 780) ...
        for i in range(40):
            add_post(case, "repurposed", t0 + timedelta(days=20 * i), "Lovely sunset at the beach today")
        # ... then 30 political posts in Chinese, daily from day 800 (暴徒 and 警察 are lexicon terms)
        pivot = add_post(case, "repurposed", t0 + timedelta(days=800), "暴徒破坏香港, 支持警察")
        for i in range(1, 30):
            add_post(case, "repurposed", t0 + timedelta(days=800 + i), "暴徒破坏香港, 支持警察")
        # a control that mixes topics all along: alternate political / not, 70 posts
        add_account(case, "mixed", datetime(2015, 6, 1))
        for i in range(70):
            add_post(case, "mixed", t0 + timedelta(days=10 * i), "Vote in the election" if i % 2 else "my garden")
        # a quick pivot: 20 non-political posts then 20 political, all within 40 days
        add_account(case, "quick", datetime(2015, 6, 1))
        for i in range(40):
            add_post(case, "quick", t0 + timedelta(days=i), "protesters marched" if i >= 20 else "lunch")
    compute_signatures(case)
    s = signatures(case)
    r = s["repurposed"]
    assert r["n_posts"] == 70 and r["n_political"] == 30
    # best split: 40 zeros | 30 ones. LLR = -2 * log L(one rate 3/7) = -2 (30 ln 3/7 + 40 ln 4/7)
    assert r["changepoint_llr"] == pytest.approx(-2 * (30 * math.log(3 / 7) + 40 * math.log(4 / 7)))
    assert r["political_share_before"] == 0.0 and r["political_share_after"] == 1.0
    assert r["changepoint_at"] == t0 + timedelta(days=800)
    assert r["days_before_pivot"] == pytest.approx(800.0)
    assert r["first_political_at"] == t0 + timedelta(days=800)
    assert r["n_before_first_political"] == 40
    assert r["repurposed"] is True
    ev = json.loads(r["evidence"])["repurposed"]
    assert ev["pivot_post"]["post_id"] == pivot
    assert ev["pivot_post"]["source"].startswith("tweets.csv:")
    assert ev["posts_before"] == 40 and ev["posts_after"] == 30
    assert ev["first_political_post"]["post_id"] == pivot
    # alternating topics: no split has rates <= 0.2 before and >= 0.5 after
    assert s["mixed"]["repurposed"] is False
    # the quick pivot is a clean change (LLR 2*40 ln 2 = 55.5) but only 20 days of history (< 180)
    assert s["quick"]["changepoint_llr"] == pytest.approx(80 * math.log(2))
    assert s["quick"]["days_before_pivot"] == pytest.approx(20.0)
    assert s["quick"]["repurposed"] is False


# ---- creation burst (account metadata only, no posts) ---------------------------------------


def test_creation_burst_with_templated_handles(case):
    with bulk(case):
        burst_day = datetime(2017, 8, 30, 10)
        # six accounts the same day, handles = 4 letters + 8 digits -> shape 'a9/12'
        # (numeric ids as in the archive: an id equal to the handle and display name means "hashed")
        handles = ("ming12345678", "hong23456789", "ling34567890", "fang45678901", "jing56789012", "yang67890123")
        for i, h in enumerate(handles):
            add_account(case, f"90000000{i}", burst_day, screen_name=h)
        # four background accounts on other days, other shapes
        add_account(case, "bg1", datetime(2015, 1, 1), screen_name="alice_w")
        add_account(case, "bg2", datetime(2016, 3, 5), screen_name="bob")
        add_account(case, "bg3", datetime(2018, 6, 1), screen_name="carol99")
        add_account(case, "bg4", datetime(2019, 2, 2), screen_name="dave")
        # a hashed account (id = screen name = display name): its handle says nothing
        add_account(case, "vMm2zemFOF7kmXoDyX24Bo+TorqhNutpZlATYyxsE=", datetime(2019, 2, 2), hashed=True)
    compute_signatures(case)
    s = signatures(case)
    m = s["900000000"]
    # 11 dated accounts over 2015-01-01 .. 2019-02-02 = 1494 days; the other days hold 11 - 6 = 5
    span = (date(2019, 2, 2) - date(2015, 1, 1)).days + 1
    assert span == 1494
    lam = 5 / span
    assert m["creation_day_count"] == 6
    assert m["creation_day_expected"] == pytest.approx(lam)
    assert m["creation_day_p"] == pytest.approx(stats.poisson.sf(5, lam))  # P(X >= 6)
    assert m["handle_shape"] == "a9/12"
    assert m["creation_day_same_shape"] == 6
    assert m["creation_burst"] is True
    ev = json.loads(m["evidence"])["creation_burst"]
    assert ev["accounts_that_day"] == 6 and len(ev["examples"]) == 6
    # background: one account on its day -> never a burst (fewer than 5 that day)
    assert s["bg1"]["creation_day_count"] == 1 and s["bg1"]["creation_burst"] is False
    assert s["bg1"]["handle_shape"] == "a_a/7"  # 'alice_w': runs of letters -> a, '_' kept
    assert s["bg3"]["handle_shape"] == "a9/7"
    # bg4 and the hashed account share 2019-02-02; the hashed handle has no shape
    assert s["bg4"]["creation_day_count"] == 2
    assert s["vMm2zemFOF7kmXoDyX24Bo+TorqhNutpZlATYyxsE="]["handle_shape"] is None
    # no posts: post-based signatures are NULL, not False
    assert m["n_posts"] is None and m["office_hours"] is None and m["repurposed"] is None


def test_ages_at_first_and_last_post_and_reference(case):
    add_account(case, "a", datetime(2017, 1, 1))
    add_post(case, "a", datetime(2017, 1, 11))
    add_post(case, "a", datetime(2017, 3, 2))
    compute_signatures(case, SignatureParams(reference_date=datetime(2019, 8, 19)))
    a = signatures(case)["a"]
    assert a["age_days_first_post"] == 10.0
    assert a["age_days_last_post"] == 60.0  # Jan 31 + Feb 28 + 1
    assert a["age_days_at_reference"] == (date(2019, 8, 19) - date(2017, 1, 1)).days


# ---- dormancy, engagement, clients, languages -----------------------------------------------


def test_dormancy_and_reactivation(case):
    with bulk(case):
        add_account(case, "sleeper", datetime(2015, 1, 1))
        for i in range(10):
            add_post(case, "sleeper", datetime(2016, 1, 1 + i))
        last_before = datetime(2016, 1, 10)
        for i in range(6):
            add_post(case, "sleeper", datetime(2018, 1, 10 + i))
    compute_signatures(case)
    s = signatures(case)["sleeper"]
    assert s["max_gap_days"] == (date(2018, 1, 10) - date(2016, 1, 10)).days  # 731
    assert s["gap_start_at"] == last_before and s["gap_end_at"] == datetime(2018, 1, 10)
    assert s["posts_after_gap"] == 6
    assert s["reactivated"] is True  # 731 >= 180 days and 6 >= 5 posts after
    compute_signatures(case, SignatureParams(reactivation_min_posts=7))
    assert signatures(case)["sleeper"]["reactivated"] is False


def test_engagement_mismatch_both_ways(case):
    with bulk(case):
        add_account(case, "famous_silent", datetime(2015, 1, 1), followers=5000)
        add_account(case, "nobody_loud", datetime(2015, 1, 1), followers=2)
        add_account(case, "normal", datetime(2015, 1, 1), followers=300)
        for i in range(12):
            add_post(case, "famous_silent", datetime(2019, 1, 1 + i), likes=0)
            add_post(case, "nobody_loud", datetime(2019, 1, 1 + i), likes=8, reposts=2)
            add_post(case, "normal", datetime(2019, 1, 1 + i), likes=3)
            # reposts carry no engagement of their own in the archive: ignored
            add_post(case, "famous_silent", datetime(2019, 2, 1 + i), kind="repost", likes=0)
    compute_signatures(case)
    s = signatures(case)
    assert s["famous_silent"]["engagement_per_post"] == 0.0
    assert s["famous_silent"]["engagement_mismatch"] == "followers_without_engagement"
    assert s["nobody_loud"]["engagement_per_post"] == 10.0
    assert s["nobody_loud"]["engagement_mismatch"] == "engagement_without_followers"
    assert s["normal"]["engagement_mismatch"] is None


def test_client_homogeneity_within_a_group(case):
    with bulk(case):
        for acc in ("g1", "g2", "g3"):
            add_account(case, acc, datetime(2015, 1, 1))
            for i in range(5):
                add_post(case, acc, datetime(2019, 1, 1 + i), client="BotPoster 1.0")
        for acc in ("o1", "o2", "o3"):
            add_account(case, acc, datetime(2015, 1, 1))
            for i in range(5):
                add_post(case, acc, datetime(2019, 1, 1 + i), client="Twitter for iPhone" if i % 2 else "Twitter for Android")
        add_detection(case, members=[(1, "g1"), (1, "g2"), (1, "g3"), (2, "o1"), (2, "o2"), (2, "o3")])
    compute_signatures(case)
    s = signatures(case)
    # group 1: 15 of 15 posts from BotPoster; the dataset: 15 of 30 -> 1.0 >= 0.5 + 0.2
    assert s["g1"]["group_top_client"] == "BotPoster 1.0"
    assert s["g1"]["group_client_share"] == 1.0
    assert s["g1"]["group_client_share_dataset"] == 0.5
    assert s["g1"]["client_homogeneous"] is True
    # group 2: Android 9 of 15 (i = 0, 2, 4 per account) = 0.6 < 0.9
    assert s["o1"]["group_client_share"] == pytest.approx(0.6)
    assert s["o1"]["client_homogeneous"] is False
    assert s["o1"]["top_client"] == "Twitter for Android" and s["o1"]["top_client_share"] == pytest.approx(0.6)


def test_language_mix_and_shift(case):
    with bulk(case):
        add_account(case, "shifter", datetime(2015, 1, 1))
        for i in range(20):
            add_post(case, "shifter", datetime(2018, 1, 1) + timedelta(days=i), lang="es")
        shift = add_post(case, "shifter", datetime(2018, 3, 1), lang="zh")
        for i in range(1, 25):
            add_post(case, "shifter", datetime(2018, 3, 1) + timedelta(days=i), lang="zh")
        add_account(case, "steady", datetime(2015, 1, 1))
        for i in range(45):
            add_post(case, "steady", datetime(2018, 1, 1) + timedelta(days=i), lang="en" if i % 9 else "und")
    compute_signatures(case)
    s = signatures(case)
    sh = s["shifter"]
    assert sh["top_lang"] == "zh" and sh["top_lang_share"] == pytest.approx(25 / 45) and sh["n_langs"] == 2
    assert (sh["lang_before"], sh["lang_after"]) == ("es", "zh")
    assert sh["lang_shift_at"] == datetime(2018, 3, 1)
    assert sh["lang_shift"] is True
    assert json.loads(sh["evidence"])["lang_shift"]["shift_post"]["post_id"] == shift
    # 'und' every 9th post: top language en throughout, no shift
    assert s["steady"]["top_lang"] == "en" and s["steady"]["lang_shift"] is False


def test_signature_parameters_are_validated(case):
    with pytest.raises(ParameterError, match="The 'office_min_share' parameter of signatures must be"):
        compute_signatures(case, SignatureParams(office_min_share=1.5))


# ---- topic lexicon and change points ---------------------------------------------------------


def test_topic_lexicon_english_and_chinese():
    texts = [
        "Riot police fired tear gas",  # riot*, tear gas
        "The politician resigned",  # politic*
        "an apolitical cooking show",  # 'apolitical' is not a whole-word politic*
        "great birthday party tonight",  # 'party' is deliberately not a term
        "香港警察拘捕暴徒",  # 警察, 暴徒 (substring match: no spaces in Chinese)
        "今天的饺子很好吃",  # dumplings
        "立法會今日開會",  # traditional 立法會
        None,
    ]
    assert topic.is_political(texts) == [True, True, False, False, True, False, True, False]
    assert topic.matched_terms("Riot police fired tear gas at protesters, 暴徒") == ["riot", "tear gas", "protesters", "暴徒"]


def test_best_split_and_binary_segmentation():
    x = np.r_[np.zeros(40), np.ones(20)]
    cp = changepoint.best_split(x, min_size=5)
    # one rate 1/3 vs two clean segments: LLR = -2 (20 ln 1/3 + 40 ln 2/3)
    assert cp.index == 40 and cp.rate_before == 0.0 and cp.rate_after == 1.0
    assert cp.llr == pytest.approx(-2 * (20 * math.log(1 / 3) + 40 * math.log(2 / 3)))
    assert changepoint.best_split(np.ones(9), min_size=5) is None  # too short for two segments of 5
    cps = changepoint.binary_segmentation(np.r_[x, np.zeros(30)])
    assert [c.index for c in cps] == [40, 60]
    # a constant sequence has no change point
    assert changepoint.binary_segmentation(np.zeros(100)) == []

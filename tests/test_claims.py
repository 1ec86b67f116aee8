"""Claims files: round trip, validation messages, and every claim kind on a hand-built case."""

from __future__ import annotations

import tomllib
from pathlib import Path
from datetime import date, datetime, timedelta
from importlib import resources

import pytest

from audit_fixtures import add_account, add_detection, add_post, bulk
from cibscope import open_case
from cibscope.audit.claims import KINDS, dump_claims, evaluate_claims, load_claims, parse_claims
from cibscope.audit.signatures import SignatureParams, compute_signatures
from cibscope.audit.verdicts import compute_verdicts
from cibscope.errors import InputError

HK = resources.files("cibscope.audit").joinpath("claims").joinpath("hong-kong-2019.toml")


def test_shipped_hong_kong_claims_round_trip(tmp_path):
    cf = load_claims(str(HK))
    assert cf.reference_date == datetime(2019, 8, 19)
    kinds = {c.id: c.kind for c in cf.claims}
    assert kinds["account_count"] == "account_count" and cf.claims[0].params["equals"] == 936
    assert kinds["vpn_access"] == "used_vpn" and kinds["spam_network"] == "not_testable"
    assert kinds["big_accounts"] == "count_followers_above"
    text = dump_claims(cf)
    again = parse_claims(tomllib.loads(text))
    assert again == cf
    p = tmp_path / "again.toml"
    p.write_text(text, encoding="utf-8")
    assert load_claims(p) == cf


def test_round_trip_of_every_value_type():
    data = {
        "announcement": {"title": 'say "hi" \\ 香港', "date": date(2020, 6, 11)},
        "claim": [
            {"id": "a", "kind": "topic_terms", "terms": ["hong kong", "香港"], "min_posts": 2, "share_at_least": 0.25},
            {"id": "b", "kind": "not_testable", "reason": "no IPs", "statement": "line1\nline2"},
        ],
    }
    cf = parse_claims(data)
    assert parse_claims(tomllib.loads(dump_claims(cf))) == cf


@pytest.mark.parametrize(
    "claim,message",
    [
        ({"id": "x", "kind": "teleported"}, "unknown kind 'teleported'"),
        ({"id": "x", "kind": "count_followers_above", "at_least": 3}, "missing parameter(s) threshold"),
        ({"id": "x", "kind": "count_followers_above", "threshold": 3}, "no condition to test"),
        ({"id": "x", "kind": "spammy", "share_at_least": 0.5, "colour": "red"}, "unknown parameter(s) colour"),
        ({"id": "x", "kind": "used_vpn", "at_least": 3}, "unknown parameter(s) at_least"),
    ],
)
def test_bad_claims_are_refused_with_the_claim_named(claim, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        parse_claims({"claim": [claim]}, source="c.toml")
    assert str(e.value).startswith("c.toml: claim 'x'")


def test_a_stated_figure_is_tested_as_stated():
    # "236 accounts had more than 10,000 followers": stated 236, tested as 236 (± tolerance)
    cf = parse_claims({"claim": [{"id": "big", "kind": "count_followers_above", "threshold": 10000, "stated": 236, "tolerance": 0.05}]})
    assert cf.claims[0].stated == 236 and cf.claims[0].params["equals"] == 236
    assert parse_claims(tomllib.loads(dump_claims(cf))) == cf
    # ... never against a rounder figure
    with pytest.raises(InputError, match="the statement gives 236 but the claim tests at_least = 200") as e:
        parse_claims({"claim": [{"id": "big", "kind": "count_followers_above", "threshold": 10000, "stated": 236, "at_least": 200}]})
    assert "equals = 236" in (e.value.hint or "")
    # "more than 200 accounts" states 200 and may test at_least 200
    ok = parse_claims({"claim": [{"id": "k", "kind": "count_followers_above", "threshold": 1, "stated": 200, "at_least": 200}]})
    assert ok.claims[0].params == {"threshold": 1, "at_least": 200}
    with pytest.raises(InputError, match="stated must be a number"):
        parse_claims({"claim": [{"id": "k", "kind": "account_count", "stated": "many"}]})
    with pytest.raises(InputError, match="a stated figure needs a testable kind"):
        parse_claims({"claim": [{"id": "k", "kind": "used_vpn", "stated": 3}]})


def test_shipped_claims_test_the_figures_their_statements_give():
    import re

    for c in load_claims(str(HK)).claims:
        figures = [float(x.replace(",", "")) for x in re.findall(r"\b\d[\d,]*\b", c.statement)]
        counted = [f for f in figures if f not in (10000.0,)]  # a threshold in the statement, not a count
        if c.kind in ("account_count", "count_followers_above") and counted:
            assert c.params.get("equals") == counted[0], c.id


def test_bad_toml_names_file_and_line(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[[claim]]\nid = "a"\nkind = \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.toml:3: not valid TOML"):
        load_claims(p)
    with pytest.raises(InputError, match="no \\[\\[claim\\]\\] entries"):
        parse_claims({"announcement": {"title": "t"}})


@pytest.fixture
def case(tmp_path):
    with open_case(tmp_path / "c.duckdb") as c:
        yield c


def _case_with_posts(case):
    """Four claimed accounts c1..c4 and one unclaimed u1.

    c1: created 2019-07-01, 12000 followers, zh-cn, 20 posts: 10 copies of one slogan (also
        posted by c2 and c3 -> shared by 3 accounts) + 10 political posts mentioning 香港.
    c2: created 2019-07-01, 50 followers, zh-CN, 10 copies of the slogan.
    c3: created 2012-01-01, 20000 followers, en, 400 days of cooking posts (one per 20 days,
        21 posts) then 10 copies of the slogan.
    c4: created 2010-05-05, 0 followers, es, 1 post "hola".
    u1: unclaimed, created 2019-07-01, 30000 followers, no posts.
    """
    with bulk(case):
        add_account(case, "c1", datetime(2019, 7, 1), followers=12000, language="zh-cn")
        add_account(case, "c2", datetime(2019, 7, 1), followers=50, language="zh-CN")
        add_account(case, "c3", datetime(2012, 1, 1), followers=20000, language="en")
        add_account(case, "c4", datetime(2010, 5, 5), followers=0, language="es")
        add_account(case, "u1", datetime(2019, 7, 1), followers=30000, language="zh-cn")
        slogan = "支持香港警察 严惩暴徒"  # political (警察, 暴徒), mentions 香港
        t = datetime(2019, 8, 1, 2)
        for i in range(10):
            add_post(case, "c1", t + timedelta(hours=i), slogan, lang="zh")
            add_post(case, "c1", t + timedelta(days=1, hours=i), f"香港示威 第{i}天", lang="zh")
            add_post(case, "c2", t + timedelta(hours=i, minutes=1), slogan, lang="zh")
        for i in range(21):
            add_post(case, "c3", datetime(2017, 1, 1) + timedelta(days=20 * i), "my favourite noodle recipe")
        for i in range(10):
            add_post(case, "c3", t + timedelta(hours=i, minutes=2), slogan, lang="zh")
        add_post(case, "c4", datetime(2019, 8, 1), "hola", lang="es")
        case.con.execute("CREATE TEMP TABLE claimed AS SELECT * FROM (VALUES ('c1'), ('c2'), ('c3'), ('c4')) t(account_id)")


def _claims(*claims):
    return parse_claims({"announcement": {"date": date(2019, 8, 19)}, "claim": list(claims)})


def _by_id(results):
    return {r.claim_id: r for r in results}


def test_metadata_claim_kinds(case):
    _case_with_posts(case)
    compute_signatures(case, SignatureParams(reference_date=datetime(2019, 8, 19)))
    cf = _claims(
        {"id": "count", "kind": "account_count", "equals": 4},
        {"id": "count936", "kind": "account_count", "equals": 936, "tolerance": 0.01},
        # ages at 2019-08-19: c1, c2 49 days; c3 ~7.6 y; c4 ~9.3 y -> 2 of 4 within 90 days
        {"id": "recent", "kind": "accounts_recently_created", "within_days": 90, "reference": "announcement", "share_at_least": 0.5},
        {"id": "recent75", "kind": "accounts_recently_created", "within_days": 90, "reference": "announcement", "share_at_least": 0.75},
        {"id": "old", "kind": "account_age", "min_days": 365, "share_at_least": 0.5},
        # followers > 10,000 among claimed: c1 (12,000), c3 (20,000) -> 2; u1 is not claimed
        {"id": "followers", "kind": "count_followers_above", "threshold": 10000, "at_least": 2},
        {"id": "followers3", "kind": "count_followers_above", "threshold": 10000, "at_least": 3},
        # zh-cn and zh-CN both start with 'zh' -> 2 of 4
        {"id": "zh", "kind": "account_language", "languages": ["zh"], "share_at_least": 0.5},
        # c1, c2 and u1 share 2019-07-01 (3 accounts that day) -> fewer than 5: no burst
        {"id": "bursts", "kind": "creation_bursts", "at_least": 1},
        {"id": "vpn", "kind": "used_vpn"},
        {"id": "spam200k", "kind": "not_testable", "reason": "not in the archive"},
    )
    r = _by_id(evaluate_claims(case, cf, "claimed", verdicts_available=False))
    assert (r["count"].status, r["count"].measured, r["count"].n) == ("supported", 4.0, 4)
    # the stated figure, the test in words with its tolerance, and why the verdict follows
    c936 = r["count936"]
    assert (c936.status, c936.stated, c936.count, c936.n) == ("contradicted", 936.0, 4.0, 4)
    assert c936.test == "count = 936 ± 1% (927 to 945)"
    assert c936.reason == "fails: 4 is outside 927 to 945: 932 fewer than the 936 stated (-99.6%)"
    assert r["count"].reason == "holds: 4 is within 4 to 4: the same as the 4 stated"
    assert (r["recent"].status, r["recent"].measured, r["recent"].measured_text) == ("supported", 0.5, "2 of 4 accounts (50.0%)")
    assert r["recent75"].status == "contradicted"
    assert (r["old"].status, r["old"].measured) == ("supported", 0.5)
    assert (r["followers"].status, r["followers"].measured) == ("supported", 2.0)
    assert (r["followers"].stated, r["followers"].test, r["followers"].reason) == (None, "count ≥ 2", "holds: 2 ≥ 2")
    assert (r["followers3"].status, r["followers3"].reason) == ("contradicted", "fails: 2 < 3")
    assert (r["recent75"].test, r["recent75"].reason) == ("share ≥ 75.0%", "fails: 50.0% < 75.0%")
    # the rows behind each measure, one per account counted, with the value the measure read
    rows = case.con.execute("SELECT claim_id, account_id, value FROM claim_rows WHERE claim_id IN ('followers', 'zh', 'recent') ORDER BY ALL").fetchall()
    assert rows == [("followers", "c1", "12000"), ("followers", "c3", "20000"), ("recent", "c1", "49"), ("recent", "c2", "49"),
                    ("zh", "c1", "zh-cn"), ("zh", "c2", "zh-CN")]
    assert case.con.execute("SELECT count(*) FROM claim_rows WHERE claim_id = 'vpn'").fetchone() == (0,)
    assert (r["zh"].status, r["zh"].measured) == ("supported", 0.5)
    assert (r["bursts"].status, r["bursts"].measured) == ("contradicted", 0.0)
    assert r["vpn"].status == "not testable" and "no IP addresses" in r["vpn"].method
    assert r["spam200k"].status == "not testable" and r["spam200k"].method.endswith("not in the archive")
    stored = case.con.execute("SELECT claim_id, status FROM claim_results ORDER BY claim_id").fetchall()
    assert dict(stored)["followers"] == "supported" and len(stored) == 11


def test_post_claim_kinds(case):
    _case_with_posts(case)
    compute_signatures(case)
    cf = _claims(
        # claimed posts: c1 20, c2 10, c3 31, c4 1 = 62; political: c1 20 + c2 10 + c3 10 = 40
        {"id": "political", "kind": "political_share", "share_at_least": 0.6},
        # accounts with >= 1 post containing 香港: c1, c2, c3 -> 3 of 4
        {"id": "hk", "kind": "topic_terms", "terms": ["香港"], "share_at_least": 0.75},
        # the most such posts: c1 with 20 (10 slogans + 10 protest posts)
        {"id": "hk20", "kind": "topic_terms", "terms": ["香港"], "min_posts": 20, "at_least": 1},
        {"id": "hk21", "kind": "topic_terms", "terms": ["香港"], "min_posts": 21, "at_least": 1},
        # original posts 62; the slogan (30 posts) is posted by 3 accounts -> 30/62
        {"id": "spam", "kind": "spammy", "min_accounts": 3, "share_at_least": 0.45},
        {"id": "spam4", "kind": "spammy", "min_accounts": 4, "at_least": 1},
        # c3: 21 non-political posts over 400 days before its first political one -> 1 account;
        # c4 has 1 post only (< min_posts)
        {"id": "history", "kind": "nonpolitical_history", "min_days": 365, "min_posts": 10, "at_least": 1},
        {"id": "repurposed", "kind": "repurposed", "at_least": 1},
        {"id": "coordinated", "kind": "coordinated", "share_at_least": 0.5},
        {"id": "tz", "kind": "posting_timezone", "utc_offset": 8, "min_posts": 20, "share_at_least": 0.5},
        # office hours (UTC+8 weekdays 09-18): c1 posts Thu/Fri at local 10..19h -> 16 of 20 inside;
        # dataset: c1 16 + c2 8 + c3 8 (its old posts are at local 08h) = 32 of 62 = 0.516;
        # c1: 0.8 >= 0.7 and >= 1.5 x 0.516 = 0.774, 20 posts -> flagged; c2 has 10 posts (< 20)
        {"id": "office", "kind": "office_hours", "at_least": 1},
    )
    r = _by_id(evaluate_claims(case, cf, "claimed", verdicts_available=False))
    assert (r["political"].status, r["political"].measured_text) == ("supported", "40 of 62 posts (64.5%)")
    assert (r["hk"].status, r["hk"].measured) == ("supported", 0.75)
    assert (r["hk20"].status, r["hk20"].measured) == ("supported", 1.0)
    assert (r["hk21"].status, r["hk21"].measured) == ("contradicted", 0.0)
    assert r["spam"].measured == pytest.approx(30 / 62) and r["spam"].status == "supported"
    assert r["spam4"].status == "contradicted"
    assert (r["history"].status, r["history"].measured) == ("supported", 1.0)
    # c3 pivots (21 zeros | 10 ones, LLR 2 (21 ln 31/21 + 10 ln 31/10) = 39) after 400 days
    assert (r["repurposed"].status, r["repurposed"].measured) == ("supported", 1.0)
    assert r["coordinated"].status == "not testable" and "detect" in r["coordinated"].method
    # accounts with >= 20 posts: c1 (20, UTC 02-11h + 1 day), c3 (31): the timezone test has a denominator of 2
    assert r["tz"].n == 2
    assert (r["office"].status, r["office"].measured, r["office"].n) == ("supported", 1.0, 4)


def test_post_claims_are_not_testable_on_account_files(case):
    add_account(case, "a", datetime(2017, 8, 30), followers=20000)
    case.con.execute("CREATE TEMP TABLE claimed AS SELECT 'a' AS account_id")
    compute_signatures(case)
    cf = _claims(
        {"id": "pol", "kind": "political_share", "share_at_least": 0.5},
        {"id": "first", "kind": "accounts_recently_created", "within_days": 90, "reference": "first_post", "share_at_least": 0.5},
        {"id": "big", "kind": "count_followers_above", "threshold": 10000, "at_least": 1},
    )
    r = _by_id(evaluate_claims(case, cf, "claimed", verdicts_available=False))
    assert r["pol"].status == "not testable" and "without tweets" in r["pol"].method
    assert r["first"].status == "not testable" and "first post" in r["first"].method
    assert r["big"].status == "supported"


def test_coordinated_claim_reads_the_verdicts(case):
    _case_with_posts(case)
    add_detection(
        case,
        scores=[("c1", 0.9, True, 1), ("c2", 0.9, True, 1), ("c3", 0.2, False, None)],
        contributions=[("c1", "co_tweet", 0.8, 4), ("c1", "co_retweet", 0.5, 2), ("c2", "co_tweet", 0.8, 4), ("c2", "co_retweet", 0.5, 2)],
        members=[(1, "c1"), (1, "c2")],
        evidence=[("co_tweet", "c1", "c2")] * 3 + [("co_retweet", "c1", "c2")],
    )
    compute_signatures(case)
    compute_verdicts(case, "claimed")
    cf = _claims({"id": "co", "kind": "coordinated", "share_at_least": 0.5})
    (r,) = evaluate_claims(case, cf, "claimed", verdicts_available=True)
    # c1, c2 strong; c3 weak (score 0.2); c4 none -> 2 of 4
    assert (r.status, r.measured, r.measured_text) == ("supported", 0.5, "2 of 4 accounts (50.0%)")


def test_every_kind_is_documented():
    text = (Path(__file__).resolve().parents[1] / "docs" / "audit.md").read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"`{kind}`" in text, kind

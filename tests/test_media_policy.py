"""State-controlled-media policy audit: policies as data, decisions, observed treatment, inconsistencies.

Real-data tests read the State Media Matrix in ../shared (marker `real`); the rest build
small hand-checkable inputs in tmp_path.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cibscope import open_case
from cibscope.cli import app
from cibscope.errors import InputError
from cibscope.mediapolicy import read_observed, run_media_policy, shipped_observed
from cibscope.mediapolicy.consistency import scope_gaps, treatment_groups
from cibscope.mediapolicy.decide import apply_policy, decide
from cibscope.mediapolicy.expr import ExprError, evaluate, parse
from cibscope.mediapolicy.observed import classify_observed
from cibscope.mediapolicy.outlets import find_outlets, parse_handle, read_outlet_csv, read_outlets, read_smm, resolve
from cibscope.mediapolicy.policy import load_policy, parse_policy, shipped_policies
from cibscope.testing import insert_rows

P5 = {"China", "France", "Russia", "United Kingdom", "United States of America"}


@pytest.fixture(scope="module")
def smm_path() -> Path:
    from conftest import REAL

    p = REAL / "state-media-monitor-matrix" / "State_Media_Matrix.csv"
    if not p.is_file():
        pytest.skip(f"real data not available: {p}")
    return p


@pytest.fixture(scope="module")
def smm(smm_path):
    return read_smm(smm_path)


@pytest.fixture(scope="module")
def policies():
    return shipped_policies()


def one(outlets, name, country=None):
    hits = find_outlets(outlets, name, country)
    assert len(hits) == 1, f"{name}: {[o.outlet_id for o in hits]}"
    return hits[0]


# ---- the real State Media Matrix ------------------------------------------------------------

PINNED = {
    "SC": [("RT International", "Russia"), ("Xinhua", "China"), ("Al Jazeera", "Qatar"), ("TRT", "Turkey"), ("Doordarshan", "India")],
    "IP": [("BBC", "United Kingdom"), ("NPR", "US"), ("PBS", "US"), ("SVT", "Sweden")],
    "ISFM": [("CBC", "Canada"), ("RNZ", "New Zealand"), ("Voice of America", "US")],
    "ISF": [("DW", "Germany"), ("ABC", "Australia"), ("SBS", "Australia")],
    "CaPu": [("NHK", "Japan")],
}


@pytest.mark.real
def test_pinned_typologies_on_the_real_matrix(smm):
    assert len(smm) == 1111  # 1,156 usable rows, repeated assets merged
    for code, names in PINNED.items():
        for name, country in names:
            r = resolve(one(smm, name, country), date(2023, 8, 24))
            assert r.typology == code, (name, r.typology)
    # every RT asset is SC; the criteria decode per the typology table
    rt = find_outlets(smm, "RT", "Russia")
    assert len(rt) == 7 and {resolve(o, date(2023, 1, 1)).typology for o in rt} == {"SC"}
    assert resolve(one(smm, "BBC", "UK"), date(2023, 1, 1)).values == {
        "state_funding": False, "state_governance": False, "editorial_control": False, "public_funding": True,
    }
    # 'ISFM?' is read as ISFM with a lowered confidence and says so
    golos = resolve(one(smm, "Golos Ameriki (Voice of America in Russian)"), date(2023, 1, 1))
    assert golos.typology == "ISFM" and golos.used["state_funding"].confidence == "medium"
    assert "uncertain" in golos.used["state_funding"].note


@pytest.mark.real
def test_evidence_points_at_the_source_row(smm, smm_path):
    rt = one(smm, "RT International", "Russia")
    ev = resolve(rt, date(2020, 8, 6)).used["editorial_control"]
    line = int(ev.source.split(":")[1])
    with open(smm_path, encoding="utf-8") as f:
        text = f.read().splitlines()[line - 1]
    assert text.startswith("Eurasia,Russia,RT,RT International,") and ",SC," in text
    assert ev.source_url.endswith(f"#L{line}") and "d91150805c0dcd0262bf6d269b5ea8dc5d4a92cf" in ev.source_url
    assert ev.date == date(2023, 8, 24)
    # a 2023 rating used for a 2020 decision is flagged as such
    assert "editorial_control" in resolve(rt, date(2020, 8, 6)).after_as_of
    assert ("twitter", "rt") in {h.key for h in rt.handles}


@pytest.mark.real
def test_rows_are_accounted_for(smm, smm_path):
    with open(smm_path, encoding="utf-8") as f:
        n_rows = sum(1 for _ in csv.reader(f)) - 1
    skipped = [p for p in smm.problems if p.action == "row skipped"]
    merged_rows = sum(len(o.sources) for o in smm)
    assert merged_rows + len(skipped) == n_rows == 1157
    assert [p.reason for p in skipped] == ["empty row"]  # the spreadsheet's trailing empty row
    bad_handles = [p for p in smm.problems if p.reason.startswith("Twitter Link")]
    assert len(bad_handles) == 46 and all(p.action == "value ignored" and p.line for p in bad_handles)


# decisions for the pinned outlets: (policy, as_of) -> {outlet: (decision, wording or exemption)}
EXPECTED = {
    ("twitter-labels-2020", date(2020, 8, 6)): {
        ("RT International", "Russia"): ("applies", "state_affiliated"),
        ("Xinhua", "China"): ("applies", "state_affiliated"),
        ("BBC", "UK"): ("exempt", "state_financed_independent"),
        ("NPR", "US"): ("exempt", "state_financed_independent"),
        ("Voice of America", "US"): ("exempt", "state_financed_independent"),
        ("Al Jazeera", "Qatar"): ("out of scope", ""),
        ("TRT", "Turkey"): ("out of scope", ""),
        ("Doordarshan", "India"): ("out of scope", ""),
        ("NHK", "Japan"): ("out of scope", ""),
    },
    ("twitter-labels-2020", date(2021, 3, 1)): {
        ("TRT", "Turkey"): ("applies", "state_affiliated"),
        ("NHK", "Japan"): ("applies", "state_affiliated"),
        ("DW", "Germany"): ("exempt", "state_financed_independent"),
        ("CBC", "Canada"): ("exempt", "state_financed_independent"),
        ("Al Jazeera", "Qatar"): ("out of scope", ""),
        ("Doordarshan", "India"): ("out of scope", ""),
        ("SVT", "Sweden"): ("out of scope", ""),
    },
    ("youtube-2018", date(2018, 2, 2)): {
        ("RT International", "Russia"): ("applies", "government"),
        ("Al Jazeera", "Qatar"): ("applies", "government"),
        ("BBC", "UK"): ("applies", "public"),
        ("PBS", "US"): ("applies", "public"),
        ("SVT", "Sweden"): ("applies", "public"),
        ("Voice of America", "US"): ("applies", "government"),
        ("DW", "Germany"): ("applies", "government"),
        ("NHK", "Japan"): ("applies", "public"),
    },
    ("meta-2020", date(2020, 6, 4)): {
        ("RT International", "Russia"): ("applies", "state_controlled"),
        ("Al Jazeera", "Qatar"): ("applies", "state_controlled"),
        ("Doordarshan", "India"): ("applies", "state_controlled"),
        ("NHK", "Japan"): ("applies", "state_controlled"),
        ("BBC", "UK"): ("exempt", "public_media_independent"),
        ("Voice of America", "US"): ("exempt", "public_media_independent"),
        ("ABC", "Australia"): ("exempt", "public_media_independent"),
    },
    ("twitter-ads-2019", date(2019, 8, 19)): {
        ("RT International", "Russia"): ("applies", ""),
        ("TRT", "Turkey"): ("applies", ""),
        ("NHK", "Japan"): ("applies", ""),
        ("BBC", "UK"): ("exempt", "taxpayer_funded_independent"),
        ("SBS", "Australia"): ("exempt", "taxpayer_funded_independent"),
    },
}


@pytest.mark.real
@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda k: f"{k[0]}@{k[1]}" if isinstance(k, tuple) else str(k))
def test_each_policy_decides_as_its_published_rule(smm, policies, key):
    pid, when = key
    for (name, country), (decision, detail) in EXPECTED[key].items():
        d = decide(policies[pid], one(smm, name, country), when)
        assert d.decision == decision, (pid, name, d.trace())
        if decision == "applies":
            assert d.wording == detail, (pid, name, d.wording)
        elif decision == "exempt":
            assert d.exemption == detail, (pid, name)


@pytest.mark.real
def test_decision_traces_name_what_fired(smm, policies):
    ads = policies["twitter-ads-2019"]
    rt = decide(ads, one(smm, "RT International"), date(2019, 8, 19))
    assert rt.fired == ("state_funding", "editorial_control")
    assert rt.exemptions_untested == ("entertainment_sports_travel",)  # never assumed
    nhk = decide(ads, one(smm, "NHK"), date(2019, 8, 19))
    assert nhk.fired == ("editorial_control",) and dict(nhk.criteria)["state_funding"] is False
    assert "State_Media_Matrix.csv:" in nhk.evidence
    labels = policies["twitter-labels-2020"]
    assert decide(labels, one(smm, "RT International"), date(2020, 8, 5)).decision == "not in force"
    assert decide(labels, one(smm, "RT International"), date(2023, 4, 21)).decision == "not in force"
    # YouTube reads funding only: captured private media (funding 'yes/no') stay undetermined
    capr = [d for d in apply_policy(policies["youtube-2018"], smm) if d.typology == "CaPr"]
    assert capr and {d.decision for d in capr} == {"undetermined"}


@pytest.mark.real
def test_observed_table_classified(smm, policies):
    obs, problems = read_observed(shipped_observed())
    assert not problems and len(obs) == 40
    res = {(c.obs.policy, c.obs.outlet, c.obs.date_text): c for c in classify_observed(obs, smm, policies)}
    for c in res.values():  # every row cited and resolved to exactly the outlet meant
        assert c.obs.source_url.startswith(("http://", "https://")) and c.obs.source_title
        assert c.classification not in ("unmatched", "ambiguous", "policy not loaded"), c.reason
    t = "twitter-labels-2020"
    assert res[(t, "NPR", "2023-04-04")].classification == "over-applied"
    assert res[(t, "BBC", "2023-04-12")].classification == "over-applied"
    assert res[(t, "Al Jazeera", "2023-04-09")].classification == "applied as written"  # Qatar out of scope
    assert res[(t, "RT International", "2023-04-20")].classification == "applied as written"
    assert res[(t, "RT International", "2023-04-21")].classification == "not in force"
    assert res[("meta-2020", "Al Jazeera", "")].classification == "missed"
    assert res[("meta-2020", "Voice of America", "2020-06-04")].classification == "applied as written"
    assert res[("youtube-2018", "PBS", "2018-02-02")].observed_wording == "public"
    assert res[("youtube-2018", "Radio Free Asia", "2018-02-02")].classification == "applied as written"


def _sides(inc):
    return {s["treatment"]: {m["outlet"] for m in s["outlets"]} for s in inc.sides}


@pytest.mark.real
def test_inconsistency_report_finds_the_known_cases(smm, policies):
    obs, _ = read_observed(shipped_observed())
    classified = classify_observed(obs, smm, policies)
    groups = treatment_groups(classified, policies)
    # RT labelled vs Al Jazeera unlabelled, both SC, on Facebook and on Twitter
    for pid in ("meta-2020", "twitter-labels-2020"):
        hits = [
            g for g in groups if g.policy == pid and g.kind == "applied vs not applied" and g.typologies == ("SC",)
            and any("RT International" in o for t, o in _sides(g).items() if t.startswith("applied"))
            and _sides(g).get("not applied") == {"Al Jazeera"}
        ]
        assert hits, pid
    tw = [g for g in groups if g.policy == "twitter-labels-2020" and g.typologies == ("SC",)]
    assert tw[0].explained_by == "the policy's country scope"  # Qatar was never in scope
    # NPR 'government-funded' vs BBC 'publicly funded', both independent public media
    ip = [g for g in groups if g.kind == "wording differs" and g.typologies == ("IP",) and g.basis == "all criteria"]
    assert ip and ip[0].start == date(2023, 4, 12)
    sides = _sides(ip[0])
    assert "NPR" in sides["applied: 'Government-funded media'"] and sides["applied: 'Publicly funded media'"] == {"BBC"}
    # the ISFM example: RNZ 'government-funded' vs CBC '69%'
    isfm = [g for g in groups if g.kind == "wording differs" and g.typologies == ("ISFM",)]
    assert isfm and "CBC" in _sides(isfm[0])["applied: '69% Government-funded Media'"]
    # Twitter 2020 phase 1: only the five permanent Security Council members in scope
    gaps = scope_gaps(policies["twitter-labels-2020"], smm, examples=[o.outlet_id for c in classified for o in c.outlets])
    phase1 = [g for g in gaps if g.start == date(2020, 8, 6)]
    assert len(phase1) == 1 and phase1[0].end == date(2021, 2, 17)
    inside, outside = phase1[0].sides
    assert {m["country"] for m in inside["outlets"]} <= P5
    assert outside["outlets"][0]["outlet"] == "Al Jazeera"  # observed outlets shown first
    ds = apply_policy(policies["twitter-labels-2020"], smm, date(2020, 8, 6))
    left_out = {d.country for d in ds if d.decision == "out of scope" and d.rule_value}
    assert {"Qatar", "India", "Turkey", "Iran"} <= left_out and not (left_out & P5)


@pytest.mark.real
def test_cli_run_is_byte_identical_and_complete(smm_path, tmp_path):
    runner = CliRunner()
    outs = []
    for i in (1, 2):
        out = tmp_path / f"run{i}"
        res = runner.invoke(app, ["media-policy", "--outlets", str(smm_path), "--out", str(out)])
        assert res.exit_code == 0, res.output
        outs.append(out)
    names = sorted(p.relative_to(outs[0]).as_posix() for p in outs[0].rglob("*") if p.is_file())
    for want in ("decisions.csv", "observed.csv", "inconsistencies.csv", "compare.csv", "skew.csv", "index.html", "summary.json", "evidence.csv"):
        assert want in names
    for n in names:
        assert (outs[0] / n).read_bytes() == (outs[1] / n).read_bytes(), n
    summary = json.loads((outs[0] / "summary.json").read_text())
    assert summary["observed"]["over-applied"] >= 10 and summary["observed"]["missed"] >= 1
    with open(outs[0] / "decisions.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 1111
    html = (outs[0] / "index.html").read_text()
    assert 'id="inconsistencies"' in html and "Al Jazeera" in html and "Publicly funded media" in html


@pytest.mark.real
def test_case_accounts_marked_under_each_policy(smm_path, tmp_path):
    case = tmp_path / "case.duckdb"
    with open_case(case) as c:
        insert_rows(c.con, "accounts", [
            {"account_id": "1", "screen_name": "RT"}, {"account_id": "2", "screen_name": "npr"},
            {"account_id": "3", "screen_name": "someone"}, {"account_id": "4", "screen_name": "rt", "platform": "facebook"},
        ])
        c.con.execute("INSERT INTO scores VALUES ('1', 0.9, true, 3, '[]'), ('3', 0.8, true, 3, '[]')")
    r = run_media_policy([smm_path], policies=["twitter-labels-2020", "youtube-2018"], as_of=date(2021, 3, 1), case=case, observed=None)
    got = {(a["screen_name"], a["policy"]): a for a in r.case_accounts}
    assert not any(a["screen_name"] == "BBC" for a in r.case_accounts)  # the matrix has no BBC handle
    assert set(got) == {("RT", "twitter-labels-2020"), ("RT", "youtube-2018"), ("npr", "twitter-labels-2020"), ("npr", "youtube-2018")}
    assert got[("RT", "twitter-labels-2020")]["decision"] == "applies" and got[("RT", "twitter-labels-2020")]["flagged"] is True
    assert got[("npr", "twitter-labels-2020")]["decision"] == "exempt" and got[("npr", "youtube-2018")]["wording"] == "public"
    with open_case(case, create=False, read_only=True) as c:
        assert c.count("state_media_accounts") == 4
    # a handles-only row adds the BBC's account to the matrix outlet
    extra = tmp_path / "handles.csv"
    extra.write_text(
        "outlet_id,criterion,value,source,date,confidence,handles\n"
        "united-kingdom/british-broadcasting-corporation-bbc/bbc,,,,,,twitter:BBC\n",
        encoding="utf-8",
    )
    with open_case(case) as c:
        insert_rows(c.con, "accounts", [{"account_id": "5", "screen_name": "bbc"}])
    r = run_media_policy([smm_path, extra], policies=["twitter-labels-2020"], as_of=date(2021, 3, 1), case=case, observed=None)
    bbc = [a for a in r.case_accounts if a["screen_name"] == "bbc"]
    assert [(a["decision"], a["matched_on"]) for a in bbc] == [("exempt", "twitter:BBC")]
    assert not r.problems[48:]  # only the matrix's own 48


@pytest.mark.real
def test_ingest_points_the_matrix_to_media_policy(smm_path, tmp_path):
    from cibscope.errors import UnknownFormatError
    from cibscope.ingest import ingest

    with pytest.raises(UnknownFormatError) as e:
        ingest([smm_path], case=tmp_path / "c.duckdb")
    assert "State Media Matrix" in str(e.value) and "cibscope media-policy" in (e.value.hint or "")


# ---- rules, policies and inputs, by hand --------------------------------------------------------


def test_rules_are_three_valued_with_witnesses():
    r = parse("a or b and not c")  # and binds tighter than or
    assert evaluate(r, {"a": False, "b": True, "c": False}) == (True, ("b", "c"))
    assert evaluate(r, {"a": False, "b": True}) == (None, ("c",))
    assert evaluate(r, {"a": True}) == (True, ("a",))  # true or unknown = true
    assert evaluate(parse("a and b"), {"a": False}) == (False, ("a",))  # false and unknown = false
    assert evaluate(parse("not (a or b)"), {"a": False, "b": False}) == (True, ("a", "b"))
    assert evaluate(parse("true"), {}) == (True, ())
    for bad in ("a and", "a b", "(a", "a; import os", "", "and a", "a or )"):
        with pytest.raises(ExprError):
            parse(bad)


MINIMAL = """
schema = 1
[policy]
id = "my-policy"
version = "1"
platform = "Example"
title = "Labels"
action = "label"
in_force_from = 2020-01-01
test = "media under the editorial control of the state"
rule = "editorial_control and rsf_low"
[[criterion]]
name = "rsf_low"
description = "the country ranks in the bottom third of the RSF index"
[[source]]
title = "Our policy"
"""


def test_user_policy_loads_and_bad_ones_name_the_problem(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text(MINIMAL, encoding="utf-8")
    pol = load_policy(p)
    assert pol.id == "my-policy" and pol.criteria() == ("editorial_control", "rsf_low")
    cases = {
        "unknown key": MINIMAL.replace('action = "label"', 'action = "label"\nrul = "x"'),
        "unknown criterion": MINIMAL.replace("rsf_low\"\n[[criterion]]", "rsf_lo\"\n[[criterion]]"),
        "TOML date": MINIMAL.replace("in_force_from = 2020-01-01", 'in_force_from = "2020"'),
        "no [[source]]": MINIMAL.split("[[source]]")[0],
        "not valid TOML": MINIMAL.replace("schema = 1", "schema = = 1"),
    }
    for what, text in cases.items():
        bad = tmp_path / "bad.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as e:
            load_policy(bad)
        assert str(bad) in str(e.value) and what.split()[0].lower() in str(e.value).lower(), (what, str(e.value))


def test_every_shipped_policy_is_documented_and_cited(policies):
    assert set(policies) == {"twitter-ads-2019", "twitter-labels-2020", "meta-2020", "youtube-2018"}
    docs = (Path(__file__).resolve().parents[1] / "docs" / "media-policy.md").read_text(encoding="utf-8")
    for p in policies.values():
        assert p.sources and any(s.url.startswith("https://") for s in p.sources), p.id
        assert p.test and p.not_encoded and f"`{p.id}`" in docs
    tw = policies["twitter-labels-2020"]
    assert [s.id for s in tw.scopes] == ["phase-1", "phase-2"]
    assert tw.scope_at(date(2021, 3, 1)).covers("Türkiye") and not tw.scope_at(date(2020, 9, 1)).covers("Turkey")


OUTLETS_CSV = """outlet_id,name,country,criterion,value,source,date,confidence,source_url,handles
kbs,KBS,South Korea,typology,IP,MJRC 2023,2023-06-01,high,https://example.org/2023,twitter:kbsworldnews
kbs,KBS,South Korea,typology,CaPu,MJRC 2024,2024-06,high,https://example.org/2024,
kbs,KBS,South Korea,editorial_control,false,own review,,medium,,
x1,Bad,,state_funding,maybe,src,2020-01-01,high,,
x2,Bad,,state_funding,true,,2020-01-01,high,,
x3,Bad,,state_funding,true,src,2020-01-01,certain,,
x4,Bad,,typology,XX,src,2020-01-01,high,,
x5,Bad,,state_funding,true,src,01/02/2020,high,,
x6,Bad,,state_funding,true,src,2020,high,,https://twitter.com/not.valid
"""


def test_outlet_csv_as_of_and_problems(tmp_path):
    p = tmp_path / "outlets.csv"
    p.write_text(OUTLETS_CSV, encoding="utf-8")
    s = read_outlets(p)
    assert isinstance(s.get("kbs"), object) and s.inputs[0]["format"] == "outlet evidence CSV"
    kbs = s.get("kbs")
    # 2023 rating as of 2023-12-31; the 2024 re-rating (CaPu: editorial control) from June 2024
    r23 = resolve(kbs, date(2023, 12, 31))
    assert r23.typology == "IP" and r23.values["editorial_control"] is False and not r23.after_as_of
    r24 = resolve(kbs, date(2024, 7, 1))
    assert r24.typology == "CaPu" and r24.values["editorial_control"] is True and r24.used["typology"].date == date(2024, 6, 1)
    # before any dated rating: the undated review for editorial control, the earliest rating (flagged) for the rest
    r20 = resolve(kbs, date(2020, 1, 1))
    assert r20.values["editorial_control"] is False and r20.used["editorial_control"].source.startswith("own review")
    assert "state_funding" in r20.after_as_of and "editorial_control" not in r20.after_as_of
    assert [h.key for h in kbs.handles] == [("twitter", "kbsworldnews")]
    lines = {pr.line: pr for pr in s.problems}
    assert set(lines) == {5, 6, 7, 8, 9, 10}
    assert "true, false or unknown" in lines[5].reason and "source" in lines[6].reason
    assert "confidence" in lines[7].reason and "typology" in lines[8].reason and "date" in lines[9].reason
    assert lines[10].action == "value ignored" and s.get("x6") is not None  # bad handle dropped, row kept
    assert sum(len(o.sources) for o in s) + sum(pr.action == "row skipped" for pr in s.problems) == 9


SMM_HEADER = "Region,Country,Media company,Main assets,URL,Typology,Status,Notes,Instagram Link,Twitter Link,Facebook Link,Youtube Link,Telegram Link,VK Link,Linkedin link,Ok.ru link,Tiktok Link,Rutube Link,streaming media URL\n"


def test_smm_reader_merges_assets_and_reports_bad_rows(tmp_path):
    rows = [
        "Europe,Ruritania,State TV (STV),STV,https://stv.example,SC,,,,https://www.twitter.com/stv_news,,,,,,,,,",
        "Europe,Ruritania,State TV (STV),STV,https://stv2.example,SC,,,,https://www.twitter.com/stv.news,https://www.facebook.com/stvpage,,,,,,,,",
        "Europe,Ruritania,Free Radio,Radio: Free One,,IP,,,,,,,,,,,,,",
        "Europe,Ruritania,Odd,Odd TV,,ZZ,,,,,,,,,,,,,",
        "Europe,Ruritania,Short,Row",
        ",,,,,,,,,,,,,,,,,,",
    ]
    p = tmp_path / "matrix.csv"
    p.write_text(SMM_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    s = read_outlets(p, dated=date(2022, 1, 1))
    assert len(s) == 2
    stv = one(s, "STV")
    assert stv.sources == ["matrix.csv:2", "matrix.csv:3"] and stv.urls == ["https://stv.example", "https://stv2.example"]
    assert {h.key for h in stv.handles} == {("twitter", "stv_news"), ("facebook", "stvpage")}
    assert one(s, "Free One").name == "Radio: Free One"  # the 'Radio:' prefix is an alias
    assert one(s, "State TV").outlet_id == stv.outlet_id  # company name, and its acronym
    reasons = {pr.line: pr.reason for pr in s.problems}
    assert "not a valid twitter handle" in reasons[3] and "Typology" in reasons[5]
    assert "fields" in reasons[6] and reasons[7] == "empty row"
    assert resolve(stv, date(2022, 6, 1)).used["typology"].date == date(2022, 1, 1) and not resolve(stv, date(2022, 6, 1)).used["typology"].source_url


def test_handles():
    assert parse_handle("https://x.com/@Foo_1")[0].key == ("twitter", "foo_1")
    assert parse_handle("https://www.youtube.com/channel/UCabcDEF")[0].key == ("youtube", "UCabcDEF")
    assert parse_handle("telegram:rtnews")[0].key == ("telegram", "rtnews")
    assert parse_handle("https://example.com/rt")[0] is None
    assert parse_handle("https://twitter.com/")[0] is None


# ---- observed treatment and groups on a tiny world ------------------------------------------------

TOY_POLICY = {
    "policy": {
        "id": "toy", "version": "1", "platform": "Toy", "title": "Toy labels", "action": "label",
        "in_force_from": date(2021, 1, 1), "in_force_until": date(2022, 1, 1), "test": "editorial control",
        "rule": "editorial_control",
    },
    "exemption": [{"id": "independent", "text": "independent public media", "when": "public_funding and not editorial_control"}],
    "scope": [{"id": "p1", "from": date(2021, 1, 1), "countries": ["Alpha", "Beta"]}],
    "wording": [{"id": "state", "template": "[country] state media", "when": "true", "match": ["state media"]}],
    "source": [{"title": "toy"}],
}
TOY_OUTLETS = """outlet_id,name,country,criterion,value,source,date,confidence
a,A,Alpha,typology,SC,r,2020-01-01,high
b,B,Beta,typology,SC,r,2020-01-01,high
c,C,Gamma,typology,SC,r,2020-01-01,high
d,D,Alpha,typology,IP,r,2020-01-01,high
e,E,Beta,typology,IP,r,2020-01-01,high
"""
TOY_OBSERVED = """policy,outlet,country,date,treatment,label,source_url
toy,A,Alpha,2021-01-01,applied,Alpha state media,https://s/1
toy,B,Beta,2021-03-01,not applied,,https://s/2
toy,B,Beta,2021-06-01,applied,Beta state media,https://s/3
toy,C,Gamma,2021-02-01,not applied,,https://s/4
toy,D,Alpha,2021-04-01,applied,Publicly funded,https://s/5
toy,E,Beta,2021-05-01,applied,Government funded,https://s/6
toy,A,Alpha,2022-01-01,not applied,,https://s/7
toy,B,Beta,2021-07-01,applied,Beta official outlet,https://s/10
toy,Nobody,,2021-05-01,applied,x,https://s/8
toy,A,Alpha,2021-05,applied,A state media,
toy,A,Alpha,2021-05,maybe,,https://s/9
"""


def _toy(tmp_path):
    (tmp_path / "o.csv").write_text(TOY_OUTLETS, encoding="utf-8")
    (tmp_path / "obs.csv").write_text(TOY_OBSERVED, encoding="utf-8")
    pol = parse_policy(TOY_POLICY, source="toy.toml")
    outlets = read_outlet_csv(tmp_path / "o.csv")
    obs, problems = read_observed(tmp_path / "obs.csv")
    return pol, outlets, obs, problems


def test_observed_rows_classified_by_hand(tmp_path):
    pol, outlets, obs, problems = _toy(tmp_path)
    assert [(p.line, p.reason.split(":")[0]) for p in problems] == [(11, "no source_url"), (12, "treatment must be 'applied' or 'not applied', got 'maybe'")]
    got = {(c.obs.outlet, c.obs.date_text): (c.classification, c.observed_wording) for c in classify_observed(obs, outlets, {"toy": pol})}
    assert got == {
        ("A", "2021-01-01"): ("applied as written", "state"),
        ("B", "2021-03-01"): ("missed", ""),  # SC, in scope, not labelled
        ("B", "2021-06-01"): ("applied as written", "state"),
        ("C", "2021-02-01"): ("applied as written", ""),  # Gamma is out of scope
        ("D", "2021-04-01"): ("over-applied", "other"),  # IP: exempt
        ("E", "2021-05-01"): ("over-applied", "other"),
        ("A", "2022-01-01"): ("not in force", ""),
        ("B", "2021-07-01"): ("wording inconsistent", "other"),
        ("Nobody", "2021-05-01"): ("unmatched", "other"),
    }


def test_treatment_groups_by_hand(tmp_path):
    pol, outlets, obs, _ = _toy(tmp_path)
    groups = treatment_groups(classify_observed(obs, outlets, {"toy": pol}), {"toy": pol})
    sc = [(g.start, g.end, g.kind, _sides(g)) for g in groups if g.typologies == ("SC",)]
    # A labelled from 2021-01-01; C (out of scope) unlabelled from 02-01; B unlabelled 03-01..06-01, then labelled;
    # from 07-01 B carries another wording; the policy ends 2022-01-01 (A's 2022 row is after it)
    assert sc == [
        (date(2021, 2, 1), date(2021, 3, 1), "applied vs not applied", {"applied: 'Alpha state media'": {"A"}, "not applied": {"C"}}),
        (date(2021, 3, 1), date(2021, 6, 1), "applied vs not applied", {"applied: 'Alpha state media'": {"A"}, "not applied": {"B", "C"}}),
        (date(2021, 6, 1), date(2021, 7, 1), "applied vs not applied", {"applied: 'Alpha state media' / 'Beta state media'": {"A", "B"}, "not applied": {"C"}}),
        (date(2021, 7, 1), date(2022, 1, 1), "applied vs not applied", {"applied: 'Alpha state media'": {"A"}, "applied: 'Beta official outlet'": {"B"}, "not applied": {"C"}}),
    ]
    first = next(g for g in groups if g.typologies == ("SC",))
    assert first.explained_by == "the policy's country scope"
    ip = [g for g in groups if g.typologies == ("IP",)]
    assert [(g.start, g.end, g.kind) for g in ip] == [(date(2021, 5, 1), date(2022, 1, 1), "wording differs")]


def test_report_escapes_outlet_text_and_refuses_script_links(tmp_path):
    evil = "<script>alert(1)</script>"
    (tmp_path / "o.csv").write_text(f"outlet_id,name,country,criterion,value,source,date,confidence\nx,\"{evil}\",Alpha,typology,SC,r,2020,high\n", encoding="utf-8")
    (tmp_path / "obs.csv").write_text(f"policy,outlet,country,date,treatment,label,source_url,source_title\nmeta-2020,\"{evil}\",Alpha,2021-01-01,applied,\"{evil}\",javascript:alert(2),t\n", encoding="utf-8")
    r = run_media_policy([tmp_path / "o.csv"], policies=["meta-2020"], observed=tmp_path / "obs.csv", out=tmp_path / "out")
    html = (tmp_path / "out" / "index.html").read_text()
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html
    assert r.classified[0].classification == "wording inconsistent"  # not the policy's 'state-controlled' wording


def test_cli_errors_are_one_line(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["media-policy", "--out", str(tmp_path)])
    assert res.exit_code != 0
    (tmp_path / "o.csv").write_text("outlet_id,criterion,value,source,date,confidence\n", encoding="utf-8")
    res = runner.invoke(app, ["media-policy", "-i", str(tmp_path / "o.csv"), "--as-of", "2020-13-01", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "--as-of" in str(res.exception)
    res = runner.invoke(app, ["media-policy", "-i", str(tmp_path / "o.csv"), "--policy", "no-such-policy", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "unknown policy" in str(res.exception)
    res = runner.invoke(app, ["media-policy", "--list-policies"])
    assert res.exit_code == 0 and "twitter-labels-2020" in res.output


def test_own_policy_end_to_end_with_blocs(tmp_path):
    (tmp_path / "mine.toml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "o.csv").write_text(
        "outlet_id,name,country,criterion,value,source,date,confidence\n"
        "a,A,Alpha,typology,SC,r,2019,high\na,A,Alpha,rsf_low,true,RSF 2019,2019,high\n"
        "b,B,Beta,typology,SC,r,2019,high\nb,B,Beta,rsf_low,false,RSF 2019,2019,high\n"
        "c,C,Gamma,typology,SC,r,2019,high\n",
        encoding="utf-8",
    )
    (tmp_path / "blocs.csv").write_text("country,bloc\nAlpha,north\nBeta,north\n", encoding="utf-8")
    r = run_media_policy([tmp_path / "o.csv"], policies=[tmp_path / "mine.toml"], observed=None, blocs=tmp_path / "blocs.csv", out=tmp_path / "out", report=False)
    got = {d.outlet_id: (d.decision, d.fired) for d in r.decisions["my-policy"]}
    assert got == {"a": ("applies", ("editorial_control", "rsf_low")), "b": ("does not apply", ("rsf_low",)), "c": ("undetermined", ("rsf_low",))}
    bloc = {(x["group"], x["category"]): x["n"] for x in r.skew if x["level"] == "bloc"}
    assert bloc == {("north", "applies"): 1, ("north", "does not apply"): 1, ("unassigned", "undetermined"): 1}
    assert not (tmp_path / "out" / "index.html").exists() and (tmp_path / "out" / "skew.csv").is_file()


def _main(monkeypatch, capsys, *args: str) -> tuple[int, str]:  # noqa: ANN001
    from cibscope.cli import main

    monkeypatch.setattr("sys.argv", ["cibscope", *args])
    with pytest.raises(SystemExit) as e:
        main()
    return e.value.code, capsys.readouterr().err


def test_cli_errors_keep_brackets_and_path_problems_are_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "o.csv").write_text("outlet_id,criterion,value,source,date,confidence\na,typology,SC,r,2020,high\n", encoding="utf-8")
    (tmp_path / "p.toml").write_text("schema = 1\n", encoding="utf-8")
    # error texts are data, not Rich markup: "[policy]" used to vanish ("no  table")
    code, err = _main(monkeypatch, capsys, "media-policy", "-i", str(tmp_path / "o.csv"), "--policy", str(tmp_path / "p.toml"), "--out", str(tmp_path / "x"))
    assert code == 1 and "no [policy] table" in err
    # an output folder that is a file: one line, no traceback
    (tmp_path / "taken").write_text("", encoding="utf-8")
    code, err = _main(monkeypatch, capsys, "media-policy", "-i", str(tmp_path / "o.csv"), "--observed", "none", "--out", str(tmp_path / "taken"))
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 1 and "Traceback" not in err and len(errors) == 1 and errors[0].endswith("taken: exists and is not a folder (a folder is needed here)")


def test_outlet_files_that_give_nothing_are_errors(tmp_path):
    (tmp_path / "hdr.csv").write_text("outlet_id,criterion,value,source,date,confidence\n", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("outlet_id,criterion,value,source,date,confidence\nx,typology,SC,me,2020-13-45,high\n", encoding="utf-8")
    with pytest.raises(InputError, match="no outlet read: no data rows"):
        run_media_policy([tmp_path / "hdr.csv"], observed=None)
    with pytest.raises(InputError, match=r"1 row\(s\) refused, the first \(line 2\): not a date: '2020-13-45'"):
        run_media_policy([tmp_path / "bad.csv"], observed=None)
    (tmp_path / "folder").mkdir()
    with pytest.raises(InputError, match="is a folder, not an outlets file"):
        run_media_policy([tmp_path / "folder"], observed=None)
    (tmp_path / "ok.csv").write_text("outlet_id,criterion,value,source,date,confidence\nx,typology,SC,me,2020,high\n", encoding="utf-8")
    (tmp_path / "obs.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing required column") as e:  # the hint is this command's, not ingest's --format
        run_media_policy([tmp_path / "ok.csv"], observed=tmp_path / "obs.csv")
    assert "--format" not in (e.value.hint or "") and "docs/media-policy.md" in e.value.hint
    with pytest.raises(InputError, match="is a folder, not a blocs file"):
        run_media_policy([tmp_path / "ok.csv"], observed=None, blocs=tmp_path / "folder")


def test_cli_decision_table_fits_80_columns(tmp_path):
    (tmp_path / "o.csv").write_text(
        "outlet_id,country,criterion,value,source,date,confidence\n"
        "a,China,typology,SC,r,2020,high\nb,Qatar,typology,SC,r,2020,high\nc,Peru,typology,CaPr,r,2020,high\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["media-policy", "-i", str(tmp_path / "o.csv"), "--observed", "none", "--no-report", "--out", str(tmp_path / "x")],
                             env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    rows = [line for line in res.output.splitlines() if "twitter-labels-2020" in line]
    assert rows and "2023-04-20" in rows[0] and "…" not in rows[0]
    head = res.output.split("decisions", 1)[1].split("twitter-ads-2019", 1)[0]
    assert "undetermined" in head and "scope" in head and "force" not in head  # a decision no policy reached is left out

"""`cibscope referral-audit`: readers, data checks, change points, the calibrated effect, verdicts, claims, outputs.

Real data (../shared/data/real/wikimedia-search-referrals): Italian Wikipedia's daily pageviews by
referrer class around the July 2018 blackout, and Wikimedia's sameAs A/B test (a negative
control). Generated worlds (cibscope.referral.synthetic) give the ground truth for coverage.
"""

from __future__ import annotations

import csv
import json
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cibscope.cli import app
from cibscope.errors import InputError, ParameterError
from cibscope.referral import AuditParams, audit_referrals, read_series, run_referral_audit
from cibscope.referral.anomalies import find_spikes, find_tracking_changes
from cibscope.referral.changepoints import change_points
from cibscope.referral.claims import answer_claims, load_claims
from cibscope.referral.series import Panel, SeriesData
from cibscope.referral.synthetic import planted_world

runner = CliRunner()
CLAIMS_2017 = Path(__file__).resolve().parents[1] / "src" / "cibscope" / "referral" / "claims" / "google-2017-wsws.toml"
ITWIKI = "wikimedia-search-referrals/itwiki_daily_pageviews_by_referer_2016-01_2018-09.csv"
SAMEAS = "wikimedia-search-referrals/sameas_ab_test_search_referred_pageviews_2018-11_2019-01.csv"
SEARCH = "external (search engine)"


def _write(p: Path, text: str) -> Path:
    p.write_text(text, encoding="utf-8")
    return p


def _panel(cols: dict[str, np.ndarray], start: date = date(2020, 1, 6)) -> Panel:
    names = sorted(cols)
    return Panel(site="s", start=start, sources=names, values=np.column_stack([cols[n] for n in names]).astype(float))


# ---- readers ------------------------------------------------------------------------------------


def test_long_format_quarantines_bad_rows_and_accounts_for_every_row(tmp_path: Path) -> None:
    f = _write(tmp_path / "d.csv", (
        "date,source,value,device\n"
        "2020-01-01,search,100,desktop\n"
        "2020-01-01,search,50,mobile\n"       # a second part of the same day: summed
        "2020-01-02,search,1 234,desktop\n"   # thousands separator
        "2020-01-02,search,oops,mobile\n"     # line 5: not a count
        "2020-13-01,search,5,desktop\n"       # line 6: not a date
        "2020-01-03,search,-4,desktop\n"      # line 7: negative
        "2020-01-03,,4,desktop\n"             # line 8: empty source
        "2020-01-01,search,7,desktop\n"       # line 9: duplicate of line 2
        "2020-01-03,internal,9\n"             # line 10: too few fields
        "2020-01-03,internal,9,desktop\n"
    ))
    d = read_series([f])
    s = d.files[0]
    assert s.preset == "long" and s.columns["dim_names"] == ["device"]
    assert (s.rows_read, s.kept, s.filtered, s.quarantined) == (10, 4, 0, 6)
    assert s.rows_read == s.kept + s.filtered + s.quarantined
    assert d.values[("", "search")] == {date(2020, 1, 1): 150.0, date(2020, 1, 2): 1234.0}
    reasons = {q.line: q.reason for q in d.quarantine}
    assert set(reasons) == {5, 6, 7, 8, 9, 10}
    assert "not a non-negative count" in reasons[5] and "not a date" in reasons[6]
    assert "duplicate of" in reasons[9] and f"{f}:2" in reasons[9]
    assert "3 fields" in reasons[10]


def test_filter_counts_rows_and_unknown_filter_column_is_an_error(tmp_path: Path) -> None:
    f = _write(tmp_path / "d.csv", "date,access_method,referrer_type,pageviews\n2020-01-01,desktop,internal,5\n2020-01-01,mobile web,internal,7\n")
    d = read_series([f], filters=["access_method=desktop"])
    assert d.files[0].preset == "wikimedia-pageviews"
    assert (d.files[0].kept, d.files[0].filtered) == (1, 1)
    with pytest.raises(InputError, match="no column 'device' to filter on"):
        read_series([f], filters=["device=x"])
    with pytest.raises(InputError, match="bad filter") as e:
        read_series([f], filters=["access_method"])
    assert "column=value" in (e.value.hint or "")


def test_presets_search_console_ga4_and_ua_exports(tmp_path: Path) -> None:
    gsc = _write(tmp_path / "Dates.csv", "Date,Clicks,Impressions,CTR,Position\n2024-03-02,120,4000,3%,8.1\n2024-03-01,110,3900,2.8%,8.3\n")
    d = read_series([gsc])
    assert d.files[0].preset == "gsc" and d.sources("") == ["google search"]
    assert d.values[("", "google search")][date(2024, 3, 1)] == 110
    assert d.incomplete_last_days == {"": 3}  # the export's reporting lag
    imp = read_series([gsc], metric="Impressions")
    assert imp.values[("", "google search impressions")][date(2024, 3, 2)] == 4000
    ga4 = _write(tmp_path / "ga4.csv", (
        "# ----------------------------------------\n# Traffic acquisition: Session default channel group\n# Start date: 20240301\n"
        "Session default channel group,Date,Sessions,Engaged sessions\nOrganic Search,20240301,500,300\nDirect,20240301,200,90\n"
    ))
    d = read_series([ga4])
    assert d.files[0].preset == "ga4" and d.sources("") == ["Direct", "Organic Search"]
    assert d.values[("", "Organic Search")] == {date(2024, 3, 1): 500.0}
    assert "direct" in d.bot_classes
    ua = _write(tmp_path / "ua.csv", 'Default Channel Grouping,Date,Sessions\nOrganic Search,20190301,"12,345"\nReferral,20190301,"1,002"\n,,"13,347"\n')
    d = read_series([ua])
    assert d.files[0].preset == "ua" and d.values[("", "Organic Search")][date(2019, 3, 1)] == 12345
    assert [(q.line, "totals row" in q.reason) for q in d.quarantine] == [(4, True)]


def test_whole_file_problems_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_series([tmp_path / "missing.csv"])
    bad = _write(tmp_path / "x.csv", "when,what,howmuch\n2020-01-01,a,1\n")
    with pytest.raises(InputError, match="cannot tell the columns") as e:
        read_series([bad])
    assert e.value.file == str(bad) and e.value.hint
    empty = _write(tmp_path / "e.csv", "# only a comment\n\n")
    with pytest.raises(InputError, match="empty file"):
        read_series([empty])
    with pytest.raises(InputError, match="does not fit preset 'gsc'"):
        read_series([bad], preset="gsc")
    with pytest.raises(InputError, match="unknown preset"):
        read_series([bad], preset="nope")


# ---- data checks ---------------------------------------------------------------------------------


def test_a_class_starting_mid_series_is_a_tracking_change_with_the_reallocation() -> None:
    # 'external' holds search traffic until day 40, when a 'search' class appears and takes 90% of it.
    n = 80
    ext = np.where(np.arange(n) < 40, 1000.0, 100.0)
    search = np.where(np.arange(n) < 40, np.nan, 900.0)
    internal = np.full(n, 500.0)
    p = _panel({"external": ext, "search": search, "internal": internal})
    tc = find_tracking_changes(p)
    assert [(t.source, t.kind, t.start) for t in tc] == [("search", "starts", date(2020, 1, 6) + timedelta(days=40))]
    assert tc[0].shifts == {"external": -0.9, "internal": 0.0}


def test_parts_of_a_sum_that_start_mid_series_are_reported_with_their_share() -> None:
    start = date(2020, 1, 1)
    d = SeriesData()
    web = {start + timedelta(days=i): 1000.0 for i in range(60)}
    app_ = {start + timedelta(days=i): 250.0 for i in range(30, 60)}
    d.values[("", "internal")] = {k: web[k] + app_.get(k, 0.0) for k in web}
    d.components[("", "internal", ("web",))] = web
    d.components[("", "internal", ("app",))] = app_
    d.dim_names[""] = ["access_method"]
    tc = find_tracking_changes(d.panel(""))
    assert [(t.kind, t.part, t.start) for t in tc] == [("part starts", "app", start + timedelta(days=30))]
    assert tc[0].shifts == {"internal": 0.25, "part share": 0.2}


def test_spikes_are_flagged_and_bot_like_in_the_none_class() -> None:
    rng = np.random.default_rng(1)
    n = 120
    base = 1000 * np.exp(rng.normal(0, 0.03, n))
    none = base.copy()
    none[60:62] *= 3.0
    p = _panel({"none": none, "internal": base * 2})
    sp = find_spikes(p, {"none"})
    assert [(s.source, s.start, s.end, s.bot_like, s.direction) for s in sp] == [
        ("none", date(2020, 1, 6) + timedelta(days=60), date(2020, 1, 6) + timedelta(days=61), True, "spike")]
    assert 2.7 < sp[0].ratio < 3.3


def test_change_points_find_a_step_and_almost_never_find_one_in_ar1_noise() -> None:
    def ar1(seed: int, n: int = 500) -> np.ndarray:
        rng = np.random.default_rng(seed)
        u = np.zeros(n)
        for t in range(1, n):
            u[t] = 0.6 * u[t - 1] + rng.normal(0, 0.04)
        return u

    x = ar1(0) + np.where(np.arange(500) >= 300, np.log(0.8), 0.0)
    cp = change_points(x, date(2020, 1, 6), min_size=14)
    assert len(cp.breaks) == 1
    b = cp.breaks[0]
    assert abs((b.date - (date(2020, 1, 6) + timedelta(days=300))).days) <= 3 and -0.23 < b.change < -0.17
    # The penalty comes from AR(1) nulls fitted to the data (studentised, 97.5% quantile): about
    # one series in twenty breaks when nothing happened (8 of 100 would already be a warning sign).
    found = sum(bool(change_points(ar1(s), date(2020, 1, 6)).breaks) for s in range(1, 101))
    assert found <= 7, found


# ---- verdicts on generated worlds -----------------------------------------------------------------


def _audit(w, **kw):  # noqa: ANN001, ANN202
    kw.setdefault("event", w.event)
    return audit_referrals(w.data, target=w.target, controls=w.controls, site=w.site, **kw).audits[0]


def test_planted_source_specific_drop_is_found_and_its_interval_covers_the_truth() -> None:
    w = planted_world(2, -0.3)
    a = _audit(w)
    assert a.verdict.word == "source-specific drop"
    assert a.effect.method == "year-over-year UC" and a.effect.lo <= -0.3 <= a.effect.hi and a.effect.hi < 0
    assert a.did_yoy is not None and a.did_yoy.significant and a.did_yoy.estimate < 0
    assert len(a.placebos) == 12 and a.effect.widen >= 1


def test_a_drop_of_the_whole_site_is_site_wide_not_source_specific() -> None:
    w = planted_world(1, 0.0, site_wide=-0.25)
    a = _audit(w)
    assert a.verdict.word == "site-wide decline"
    spec = next(f for f in a.verdict.findings if f.word.startswith("source-specific"))
    assert not spec.holds and "does not" in spec.text  # the model alone would have said so; the DiD does not
    assert -0.3 < a.site_change.estimate < -0.2 and a.site_change.significant


def test_synthetic_control_with_peers_and_in_space_placebos() -> None:
    a = _audit(planted_world(2, -0.2, n_peers=5), peers="all")
    s = a.scm
    assert a.peers == ["peer1", "peer2", "peer3", "peer4", "peer5"]
    assert s is not None and -0.4 < s.effect < -0.1
    assert abs(sum(s.weights.values()) - 1) < 1e-6 and min(s.weights.values()) >= 0
    assert s.p_value == pytest.approx(1 / 6)  # the target's post/pre error ratio is the largest of the six sites
    assert all(abs(v) < abs(s.effect) for v in s.placebo_effects.values())


def test_without_an_event_the_strongest_downward_break_is_audited_with_wider_intervals() -> None:
    w = planted_world(2, -0.3)
    a = _audit(w, event=None)
    assert a.event_source == "change point" and abs((a.event - w.event).days) <= 3
    assert any("Bonferroni" in n for n in a.notes) and any("chosen from the data" in x for x in a.warnings)
    assert a.effect.widen > 1.5 and a.verdict.word == "source-specific drop"


@pytest.mark.slow
def test_seed_sweep_interval_coverage_and_null_false_drops() -> None:
    """The acceptance sweep, kept modest here (bench/bench_referral.py runs hundreds of seeds)."""
    seeds = range(100, 120)
    cover = found_null = 0
    for s in seeds:
        w = planted_world(s, -0.15)
        e = _audit(w, params=AuditParams(seed=s)).effect
        cover += e.lo <= -0.15 <= e.hi
        n = planted_world(s, 0.0)
        found_null += _audit(n, params=AuditParams(seed=s)).verdict.word == "source-specific drop"
    assert cover >= 0.9 * len(seeds), cover
    assert found_null <= 0.05 * len(seeds), found_null


def test_same_input_same_numbers() -> None:
    w = planted_world(5, -0.1)
    a, b = _audit(w).as_dict(), _audit(planted_world(5, -0.1)).as_dict()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_parameters_are_validated() -> None:
    with pytest.raises(ParameterError, match="'window' parameter of referral-audit"):
        AuditParams(window=3)
    with pytest.raises(ParameterError, match="'design'"):
        AuditParams(design="rct")


# ---- claims ---------------------------------------------------------------------------------------


def test_the_2017_claims_are_not_testable_without_first_party_data_and_panels_are_weak() -> None:
    doc, claims = load_claims(CLAIMS_2017)
    assert doc["by"].startswith("World Socialist Web Site")
    ans = {a.claim_id: a for a in answer_claims(claims, None)}
    sites = ("wsws", "alternet", "globalresearch", "consortiumnews", "socialistworker", "mediamatters", "commondreams",
             "internationalviewpoint", "democracynow", "wikileaks", "truthout", "counterpunch", "theintercept")
    assert set(sites) <= set(ans) and len(sites) == 13
    assert {a.status for a in ans.values()} == {"not testable"}
    assert ans["wsws-74"].stated_change == -0.74
    for k in (*sites, "wsws-74", "aggregate"):
        assert ans[k].evidence.startswith("weak: a third-party panel estimate"), k
        assert ans[k].measurement == "panel estimate"
    assert "without first-party data of wsws.org" in ans["wsws"].how
    assert ans["alternet-own"].evidence.startswith("strong")


def test_a_claim_is_supported_or_contradicted_by_first_party_data(tmp_path: Path) -> None:
    start = date(2017, 1, 1)
    rows = ["date,site,source,value"]
    for i in range(365):
        d = start + timedelta(days=i)
        rows.append(f"{d},wsws.org,google search,{1000 if d.month < 6 else 800}")
    data = read_series([_write(tmp_path / "w.csv", "\n".join(rows) + "\n")])
    claims = _write(tmp_path / "c.toml", (
        '[[claim]]\nid = "big"\nsite = "wsws.org"\nsources = ["google search"]\nbefore = [2017-04-01, 2017-04-30]\n'
        'after = [2017-07-01, 2017-07-31]\nstated_change = -0.67\nmeasurement = "panel estimate"\n'
        '[[claim]]\nid = "right"\nsite = "wsws.org"\nbefore = [2017-04-01, 2017-04-30]\nafter = [2017-07-01, 2017-07-31]\n'
        'stated_change = -0.2\nmeasurement = "first-party log"\n'
    ))
    _, cl = load_claims(claims)
    a = {x.claim_id: x for x in answer_claims(cl, data)}
    assert a["big"].status == "contradicted" and a["big"].measured_change == pytest.approx(-0.2)
    assert a["right"].status == "supported"
    bad = _write(tmp_path / "bad.toml", '[[claim]]\nid = "x"\nsite = "a"\nwhen = 1\n')
    with pytest.raises(InputError, match="unknown key"):
        load_claims(bad)
    half = _write(tmp_path / "half.toml", '[[claim]]\nid = "x"\nsite = "a"\n')
    with pytest.raises(InputError, match="needs site, before, after and stated_change"):
        load_claims(half)


# ---- the command ----------------------------------------------------------------------------------


def _world_csv(tmp_path: Path, seed: int = 2, effect: float = -0.3) -> tuple[Path, date]:
    w = planted_world(seed, effect)
    p = tmp_path / "world.csv"
    with open(p, "w", encoding="utf-8") as f:
        f.write("date,source,value\n")
        for (_, src), vals in sorted(w.data.values.items()):
            for d, v in sorted(vals.items()):
                f.write(f"{d},{src},{int(v)}\n")
    return p, w.event


def test_cli_writes_every_output_byte_identically(tmp_path: Path) -> None:
    csv_path, ev = _world_csv(tmp_path)
    outs = []
    for k in (1, 2):
        out = tmp_path / f"o{k}"
        res = runner.invoke(app, ["referral-audit", "-s", str(csv_path), "-t", "search", "--controls", "internal,external",
                                  "--event", ev.isoformat(), "--claimed-effect", "-30%", "--claims", str(CLAIMS_2017), "-o", str(out)])
        assert res.exit_code == 0, res.output
        outs.append(out)
    assert "verdict: source-specific drop" in res.output and "claimed effect -30.0%: supported" in res.output
    names = sorted(p.name for p in outs[0].iterdir() if p.is_file())
    assert names == ["anomalies.csv", "changepoints.csv", "claims.csv", "counterfactual.csv", "index.html", "placebos.csv",
                     "referral-audit.json", "series.csv", "summary.csv"]
    for n in names:
        assert (outs[0] / n).read_bytes() == (outs[1] / n).read_bytes(), n
    doc = json.loads((outs[0] / "referral-audit.json").read_text(encoding="utf-8"))
    a = doc["audits"][0]
    assert a["verdict"]["verdict"] == "source-specific drop" and a["event"]["date"] == ev.isoformat()
    assert doc["inputs"][0]["rows_read"] == doc["inputs"][0]["kept"]
    assert [c["claim"] for c in doc["claims"]][:2] == ["claimed_effect", "wsws"]
    with open(outs[0] / "summary.csv", newline="", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert row["verdict"] == "source-specific drop" and float(row["effect_lo"]) <= -0.3 <= float(row["effect_hi"])
    html = (outs[0] / "index.html").read_text(encoding="utf-8")
    assert 'data-verdict="source-specific drop"' in html and "<script>" not in html  # CSP: no inline script
    assert (outs[0] / "assets" / "plotly.min.js").exists()


def test_cli_claims_only_and_errors(tmp_path: Path) -> None:
    res = runner.invoke(app, ["referral-audit", "--claims", str(CLAIMS_2017), "-o", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    with open(tmp_path / "c" / "claims.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 20 and {r["status"] for r in rows} == {"not testable"}
    res = runner.invoke(app, ["referral-audit", "-s", str(tmp_path / "none.csv"), "-t", "x"])
    assert res.exit_code == 1 and "no such file" in str(res.exception)
    res = runner.invoke(app, ["referral-audit", "-s", "x.csv", "-t", "x", "--event", "July"])
    assert res.exit_code == 2 and "not a date" in res.output


def test_cli_error_is_one_line_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from cibscope.cli import main

    csv_path, _ = _world_csv(tmp_path)
    monkeypatch.setattr("sys.argv", ["cibscope", "referral-audit", "-s", str(csv_path), "-t", "google", "-o", str(tmp_path / "o")])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert "error: no source 'google'" in err and "hint: sources:" in err and "Traceback" not in err


# ---- real data: Italian Wikipedia around the July 2018 blackout --------------------------------------


@pytest.fixture(scope="module")
def itwiki(real_data: Path):  # noqa: ANN201
    return read_series([real_data / ITWIKI], filters=["access_method=desktop"])


@pytest.fixture(scope="module")
def blackout(itwiki):  # noqa: ANN001, ANN201
    # The windows of the Wikimedia check: 1 June - 2 July vs 6 July - 9 August 2018.
    return audit_referrals(itwiki, target=SEARCH, event=date(2018, 7, 3), event_end=date(2018, 7, 5),
                           pre=(date(2018, 6, 1), date(2018, 7, 2)), post=(date(2018, 7, 6), date(2018, 8, 9))).audits[0]


@pytest.mark.real
def test_itwiki_summer_drop_is_mostly_seasonal_with_a_small_adjusted_effect(blackout) -> None:  # noqa: ANN001
    a = blackout
    assert a.controls == ["external", "internal"]  # 'none' (bot-prone) left out by default
    assert -0.27 < a.naive.change < -0.23  # 2.66M -> 2.00M a day
    assert [w.shift for w in a.seasonal_years] == [364, 728]
    assert -0.22 < a.seasonal_years[0].change < -0.18  # the same weeks of 2017
    assert a.verdict.word == "seasonal" and a.verdict.mostly_seasonal and a.verdict.seasonal_share > 0.5
    e = a.effect
    assert e.method == "year-over-year UC"
    assert -0.11 < e.relative < -0.08  # near the -9 to -10% of the Wikimedia check
    assert e.lo < e.relative < e.hi and e.lo > -0.3 and e.hi < 0.05
    assert len(a.placebos) == 12 and e.widen > 1  # the placebo dates scatter more than the model says
    assert -0.11 < a.did_yoy.estimate < -0.06  # the year-over-year DiD against the controls
    assert "81.9% of it seasonal" in a.verdict.headline and "[-19.9%, +1.3%]" in a.verdict.headline


@pytest.mark.real
def test_itwiki_break_at_the_blackout_and_the_seasonality_trap(blackout) -> None:  # noqa: ANN001
    yoy, share, raw = blackout.changepoints
    assert yoy.transform == share.transform == "year-over-year" and raw.transform == "level"
    assert share.series == "share of all traffic (bot-prone classes left out)"
    # the search share of (human) traffic breaks on the blackout's first day; the search series
    # itself a few days earlier (its decline started in the last week of June)
    assert [(b.date, b.change < 0) for b in share.breaks if b.date.year == 2018 and b.date.month in (6, 7)] == [(date(2018, 7, 3), True)]
    near = [b for b in yoy.breaks if -7 <= (b.date - date(2018, 7, 3)).days <= 3]
    assert near and near[0].change < -0.05
    # the raw series breaks every summer; the year-over-year one does not
    assert sum(b.recurs for b in raw.breaks) >= 0.8 * len(raw.breaks)
    assert any(date(2017, 6, 15) <= b.date <= date(2017, 7, 15) for b in raw.breaks)
    assert not any(date(2017, 6, 15) <= b.date <= date(2017, 7, 15) for b in yoy.breaks)


@pytest.mark.real
def test_itwiki_blackout_spike_bot_spikes_and_the_2016_tracking_change(blackout) -> None:  # noqa: ANN001
    a = blackout
    internal = [s for s in a.spikes if s.source == "internal" and s.start <= date(2018, 7, 3) <= s.end]
    assert internal and internal[0].ratio > 2.5 and internal[0].peak == date(2018, 7, 3) and not internal[0].bot_like
    assert "none" in internal[0].coincident
    bots = [s for s in a.spikes if s.source == "none" and date(2018, 7, 7) <= s.peak <= date(2018, 7, 8)]
    assert bots and bots[0].bot_like
    starts = {(t.source, t.kind, t.start) for t in a.tracking}
    assert {(SEARCH, "starts", date(2016, 2, 3)), ("none", "starts", date(2016, 2, 3))} <= starts


@pytest.mark.real
def test_itwiki_the_external_class_losing_search_in_2016_is_a_tracking_change(itwiki) -> None:  # noqa: ANN001
    a = audit_referrals(itwiki, target="external", event=date(2016, 2, 3), params=AuditParams(placebos=0)).audits[0]
    assert a.naive.change < -0.9  # search engine traffic moved to its own class
    assert a.verdict.word == "tracking or data artefact"
    assert "'external (search engine)' starts 2016-02-03" in a.verdict.headline


# ---- real data: the sameAs A/B test, a negative control ---------------------------------------------


@pytest.mark.real
def test_sameas_ab_test_has_no_treatment_effect_and_pl_is_imbalanced(real_data: Path, tmp_path: Path) -> None:
    r = run_referral_audit([real_data / SAMEAS], target="treatment", controls=["control"], event=date(2018, 11, 14),
                           event_end=date(2018, 11, 19), params=AuditParams(design="ab", window=60), out=tmp_path / "ab")
    by = {a.site: a for a in r.audits}
    assert sorted(by) == ["bg.wikipedia", "en.wikipedia", "es.wikipedia", "pl.wikipedia"]
    for site, a in by.items():
        assert a.verdict.word == "no change", (site, a.verdict.headline)
        assert a.effect.lo < 0 < a.effect.hi, site
    assert by["pl.wikipedia"].balance["warn"] and 1.25 < by["pl.wikipedia"].balance["ratio"] < 1.3
    assert any("imbalanced before the event" in w for w in by["pl.wikipedia"].warnings)
    assert not by["en.wikipedia"].balance["warn"] and not by["bg.wikipedia"].balance["warn"]
    # the log DiD of the Wikimedia check: bg +1.1%, en -1.8%, es +1.7%, pl -6.6%
    for site, want in (("bg.wikipedia", 0.011), ("en.wikipedia", -0.018), ("es.wikipedia", 0.017), ("pl.wikipedia", -0.066)):
        assert math.isclose(by[site].did.estimate, want, abs_tol=0.003), site
    with open(tmp_path / "ab" / "summary.csv", newline="", encoding="utf-8") as f:
        assert [row["verdict"] for row in csv.DictReader(f)] == ["no change"] * 4


def test_own_export_without_site_column_with_a_peers_file_and_claims(tmp_path: Path) -> None:
    w = planted_world(2, -0.2, n_peers=3)
    own = tmp_path / "own.csv"
    peers = tmp_path / "peers.csv"
    with open(own, "w", encoding="utf-8") as f, open(peers, "w", encoding="utf-8") as g:
        f.write("date,source,value\n")
        g.write("date,site,source,value\n")
        for (site, src), vals in sorted(w.data.values.items()):
            for d, v in sorted(vals.items()):
                if site == "site":
                    f.write(f"{d},{src},{int(v)}\n")
                else:
                    g.write(f"{d},{site},{src},{int(v)}\n")
    claims = _write(tmp_path / "c.toml", (
        f'[[claim]]\nid = "mine"\nsite = "mysite.org"\nsources = ["search"]\nbefore = [{w.event - timedelta(days=28)}, {w.event - timedelta(days=1)}]\n'
        f'after = [{w.event}, {w.event + timedelta(days=27)}]\nstated_change = -0.74\nmeasurement = "panel estimate"\ntool = "SEMrush"\n'))
    r = run_referral_audit([own, peers], target="search", site="mysite.org", peers="all", event=w.event, claims=claims,
                           params=AuditParams(placebos=4))
    a = r.audits[0]
    assert a.site == "mysite.org" and a.peers == ["peer1", "peer2", "peer3"] and a.scm is not None
    assert a.controls == ["external", "internal"]  # 'none' is bot-prone
    c = r.claims[0]
    assert c.status == "contradicted" and -0.3 < c.measured_change < -0.1  # the planted -20%, not the claimed -74%
    assert c.evidence.startswith("weak")


def test_non_daily_input_and_an_empty_target_are_reported_not_crashed(tmp_path: Path) -> None:
    weekly = _write(tmp_path / "w.csv", "date,source,value\n" + "".join(
        f"{date(2020, 1, 1) + timedelta(days=7 * i)},{s},{100 + i}\n" for i in range(60) for s in ("search", "internal")))
    with pytest.raises(InputError, match="not daily"):
        run_referral_audit([weekly], target="search")
    zeros = _write(tmp_path / "z.csv", "date,source,value\n" + "".join(
        f"{date(2020, 1, 1) + timedelta(days=i)},{s},{0 if s == 'search' else 50}\n" for i in range(120) for s in ("search", "internal")))
    a = run_referral_audit([zeros], target="search", event=date(2020, 3, 1)).audits[0]
    assert a.effect is None and a.verdict.word == "no change"
    assert any("no traffic in the window before the event" in w for w in a.warnings)


# ---- bad input found in review ----------------------------------------------------------------------


def test_non_utf8_and_broken_gzip_files_are_input_errors_with_the_line(tmp_path: Path) -> None:
    rows = "".join(f"2020-01-{d:02d},google,{d}\n" for d in range(1, 21))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(("date,source,value\n" + rows).encode() + "2020-01-21,caf\xe9,3\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text") as e:
        read_series([latin])
    assert e.value.line == 22 and e.value.hint
    fake = _write(tmp_path / "plain.csv.gz", "date,source,value\n")
    with pytest.raises(InputError, match="not a readable gzip file"):
        read_series([fake])


def _days(n: int, drop_at: int) -> str:
    return "".join(f"{date(2020, 1, 1) + timedelta(days=i)},google,{100 if i < drop_at else 50}\n"
                    f"{date(2020, 1, 1) + timedelta(days=i)},direct,80\n" for i in range(n))


def test_too_short_to_search_without_an_event_is_inconclusive_not_no_change(tmp_path: Path) -> None:
    short = _write(tmp_path / "short.csv", "date,source,value\n" + _days(20, 10))
    a = audit_referrals(read_series([short]), target="google").audits[0]
    # a halving the change-point search cannot see (20 days < 3 x 14) is not "no change"
    assert a.verdict.word == "inconclusive" and "too short" in a.verdict.headline and "--event" in a.verdict.headline


def test_reversed_windows_are_refused_before_any_work(tmp_path: Path) -> None:
    csv_path, ev = _world_csv(tmp_path)
    data = read_series([csv_path])
    with pytest.raises(InputError, match="the pre window ends .* before it starts"):
        audit_referrals(data, target="google", event=ev, pre=(ev - timedelta(days=3), ev - timedelta(days=30)))


def test_cli_claims_are_one_line_each(tmp_path: Path) -> None:
    res = runner.invoke(app, ["referral-audit", "--claims", str(CLAIMS_2017), "-o", str(tmp_path / "c")], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    # a table's narrow "how" column used to take ~16 lines per claim in 80 columns
    lines = [line for line in res.output.splitlines() if line.startswith("  wsws: ")]
    assert len(lines) == 1 and "not testable (stated -67.0%; weak evidence): not testable without first-party data of wsws.org" in lines[0]
    assert sum(line.startswith("  ") and ": not testable (" in line for line in res.output.splitlines()) == 20

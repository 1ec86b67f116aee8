"""What a reader of the report sees, checked as data and HTML (no browser): the claims table
(stated, measured, test, verdict, the rows behind each measure), the account-metadata view of
an account-only case, names and languages of the accounts' texts, the audit reasons on an
account page, the network of all groups, and the exports' default format and stated sizes."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path

import pytest

from audit_fixtures import add_account, bulk
from cibscope import open_case
from cibscope.audit import run_audit
from cibscope.errors import ParameterError
from cibscope.report import data as D
from cibscope.report import figures as F
from cibscope.report import render_report
from cibscope.report.data import account_page_name
from cibscope.report.lang import language_tag, text_lang
from report_fixtures import build_case
from test_report import parse

CLAIMS = """
[announcement]
title = "t"
date = 2019-08-19

[[claim]]
id = "big"
statement = "3 accounts had more than 10,000 followers"
kind = "count_followers_above"
threshold = 10000
stated = 3
tolerance = 0.1

[[claim]]
id = "zh"
statement = "mostly Chinese interfaces"
kind = "account_language"
languages = ["zh"]
share_at_least = 0.5

[[claim]]
id = "vpn"
statement = "accessed through VPNs"
kind = "used_vpn"
"""


def _account_case(path: Path) -> Path:
    """Five accounts of an account file: two over 10,000 followers, two hashed (under 5,000),
    one in clear under 5,000 with no followers and no following; one Chinese display name."""
    with open_case(path) as case:
        with bulk(case):
            add_account(case, "100", datetime(2017, 8, 30), screen_name="big_one", followers=20000, language="zh-cn")
            add_account(case, "101", datetime(2017, 8, 30), screen_name="big_two", followers=15000, language="zh-tw")
            add_account(case, "h1=", datetime(2016, 6, 27), followers=3, language="zh-cn", hashed=True)
            add_account(case, "h2=", datetime(2017, 1, 5), followers=0, language="en", hashed=True)
            add_account(case, "102", datetime(2012, 3, 1), screen_name="quiet", followers=0, following=0, language="zh-cn")
            case.con.execute("UPDATE accounts SET display_name = '香港人' WHERE account_id = '101'")
    return path


@pytest.fixture(scope="module")
def account_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("account-report")
    case = _account_case(d / "c.duckdb")
    (d / "claims.toml").write_text(CLAIMS, encoding="utf-8")
    run_audit(case, claimed="all", claims=d / "claims.toml", out=d / "audit")
    return render_report(case, d / "report")


def _claim_row(html: str, claim_id: str) -> str:
    m = re.search(rf'<tr data-claim="{claim_id}">(.*?)</tr>', html, re.S)
    assert m, claim_id
    return m.group(1)


def _cell(row: str, col: str) -> str:
    m = re.search(rf'data-col="{col}">(.*?)</td>', row, re.S)
    assert m, col
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))).strip()


def test_a_claim_shows_stated_measured_test_and_why_with_its_rows_one_click_away(account_report: Path) -> None:
    html = account_report.read_text(encoding="utf-8")
    big = _claim_row(html, "big")
    assert _cell(big, "stated") == "3"
    assert _cell(big, "measured") == "2 of 5 accounts (40.0%)"
    assert _cell(big, "test") == "count = 3 ± 10% (3 to 3)"
    assert "contradicted" in _cell(big, "verdict")
    assert "fails: 2 is outside 3 to 3: 1 fewer than the 3 stated (-33.3%)" in _cell(big, "verdict")
    # numbers are never split across lines: each sits in a no-wrap element
    assert re.search(r'<b class="nowrap">2</b>', big) and '<span class="nowrap">of 5</span>' in big
    # one click: the measure links to the rows behind it, which open from the link
    link = re.search(r'<a href="#(claim-rows-\d+)" data-open="\1"', big)
    assert link
    assert f'<details class="card claim-rows" id="{link.group(1)}"' in html
    rows = json.loads(parse(account_report).json[f"tbl-{link.group(1)}"])["rows"]
    assert sorted((r["account_id"], r["value"]) for r in rows) == [("100", 20000), ("101", 15000)]
    assert all(r["source"].startswith("users.csv:") for r in rows)
    names = {r["account_id"]: (r["_label"], r["display_name"], r["_lang_name"]) for r in rows}
    assert names["101"] == ("big_two", "香港人", "zh-TW")
    zh = _claim_row(html, "zh")
    assert _cell(zh, "stated") == "–" and _cell(zh, "test") == "share ≥ 50.0%"
    assert "holds: 80.0% ≥ 50.0%" in _cell(zh, "verdict")  # zh-cn x3, zh-tw; en
    vpn = _claim_row(html, "vpn")
    assert "not testable" in _cell(vpn, "verdict") and "data-open" not in vpn


def test_an_account_only_case_gets_the_account_metadata_view_and_no_post_charts(account_report: Path) -> None:
    p = parse(account_report)
    html = account_report.read_text(encoding="utf-8")
    assert 'id="account-only"' in html and 'id="account-metadata"' in html
    assert not {"fig-activity", "fig-heatmap", "fig-net-1", "tbl-flagged"} & set(p.json)
    # creation years: a table and a plot with the same counts
    years = dict(re.findall(r'<tr data-year="(\d+)"><td>\d+</td><td class="r" data-col="accounts">(\d+)</td>', html))
    assert years == {"2012": "1", "2016": "1", "2017": "3"}
    fig = json.loads(p.json["fig-years"])
    assert fig["data"][0]["x"] == ["2012", "2016", "2017"] and fig["data"][0]["y"] == [1, 1, 3]
    assert sum(json.loads(p.json["fig-followers"])["data"][0]["y"]) == 5
    # every plot has data: no empty chart
    for name, spec in p.json.items():
        if name.startswith("fig-"):
            assert any(t.get("x") or t.get("z") for t in json.loads(spec)["data"]), name
    # the hashing rule: both hashed accounts under 5,000; one account in clear under 5,000 too
    table = re.search(r'<table id="hashing-table">(.*?)</table>', html, re.S).group(1)
    cells = {h: re.findall(r'<td class="r"[^>]*>([^<]*)</td>', row) for h, row in re.findall(r'<tr data-hashed="(\w+)">(.*?)</tr>', table)}
    assert cells == {"yes": ["2", "2", "0", "0"], "no": ["3", "1", "2", "1"]}
    assert "It holds in one direction only" in html
    # names in the verdict table, with the language of each
    rows = json.loads(p.json["tbl-verdicts"])["rows"]
    assert {r["account_id"]: r["_lang_name"] for r in rows}["101"] == "zh-TW"
    assert "Every account: not testable without tweets" in html


def test_an_account_page_lists_the_audit_reasons(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as case:
        case.con.execute(
            """INSERT INTO audit_verdicts (account_id, claimed, verdict, score, flagged, n_evidence, reasons) VALUES
               ('a01', true, 'strong', 0.9, true, 18, '["flagged by detection: score 0.90", "linked to 4 claimed account(s)"]')"""
        )
        case.con.execute(
            """INSERT INTO signatures (account_id, flags, created_at) VALUES ('a01', '["creation_burst", "office_hours"]', '2019-07-01')"""
        )
        index = render_report(case, tmp_path / "r", exports=False)
    page = (index.parent / "accounts" / account_page_name("a01")).read_text(encoding="utf-8")
    reasons = re.search(r'<ul class="reasons" id="verdict-reasons">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", reasons) == ["flagged by detection: score 0.90", "linked to 4 claimed account(s)"]
    assert '[&#34;' not in page and '["' not in page.split("<script")[0]  # no list shown as its JSON text
    flags = re.search(r'<div class="chips" id="signature-flags">(.*?)</div>', page, re.S).group(1)
    assert re.findall(r'<span class="chip">(.*?)</span>', flags) == ["creation burst", "office hours"]


def test_texts_from_the_data_carry_their_language(tmp_path: Path) -> None:
    assert (text_lang("剑鞘", "zh-tw"), text_lang("剑鞘", "en"), text_lang("ミク", None), text_lang("안녕", "ko")) == ("zh-TW", "zh", "ja", "ko")
    assert text_lang("alice", "zh-cn") == ""  # an interface language says nothing about a Latin name
    assert text_lang("hello world", "en", hint_is_the_texts=True) == "en"  # a post's own language does
    assert (language_tag("English"), language_tag("und"), language_tag("zh_hant_tw"), language_tag("<x>")) == ("en", "", "zh-Hant-TW", "")
    with build_case(tmp_path / "c.duckdb") as case:
        case.con.execute("UPDATE accounts SET display_name = '剑鞘', account_language = 'zh-cn' WHERE account_id = 'a03'")
        index = render_report(case, tmp_path / "r", exports=False)
    page = (index.parent / "accounts" / account_page_name("a03")).read_text(encoding="utf-8")
    assert '<div class="display" id="display-name" lang="zh-CN">剑鞘</div>' in page
    assert '<h1 id="handle" lang="">@user_a03</h1>' in page  # not English: unknown
    flagged = {r["account_id"]: r for r in json.loads(parse(index).json["tbl-flagged"])["rows"]}
    assert (flagged["a03"]["display_name"], flagged["a03"]["_lang_name"]) == ("剑鞘", "zh-CN")
    css = (index.parent / "assets" / "report.css").read_text(encoding="utf-8")
    assert '"Noto Sans CJK SC"' in css and ":lang(zh-TW)" in css and "font: 15px/1.55 var(--font)" in css
    assert "Noto Sans CJK SC" in F.FONT


# -- the network of all groups ------------------------------------------------------------------
def _groups_case(path: Path, sizes: tuple[int, ...] = (60, 30, 10, 4)) -> Path:
    """Groups of the given sizes (operation, coordinated, coordinated, chance); inside each group
    member i is linked to i+1..i+5 with i+j evidence rows...; group 1 and 2 share 3 pairs."""
    with open_case(path) as case, bulk(case):
        con = case.con
        ev = 0
        verdicts = ["operation", "coordinated", "coordinated", "chance"]
        for gi, size in enumerate(sizes, start=1):
            con.execute("INSERT INTO groups (group_id, size, verdict, flagged, layers) VALUES (?, ?, ?, ?, '[\"co_hashtag\"]')",
                        [gi, size, verdicts[gi - 1], verdicts[gi - 1] == "operation"])
            ids = [f"g{gi}_{i:03d}" for i in range(size)]
            for i, a in enumerate(ids):
                con.execute("INSERT INTO accounts (account_id, screen_name, display_name) VALUES (?, ?, ?)", [a, f"h_{a}", f"Name {a}"])
                con.execute("INSERT INTO group_members VALUES (?, ?, 'core', NULL)", [gi, a])
                con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, NULL)", [a, 0.9 if gi == 1 else 0.3, gi == 1, gi])
            for i in range(size):
                for j in range(1, 6):
                    if i + j < size:
                        a, b = sorted((ids[i], ids[i + j]))
                        con.execute("INSERT INTO edges (layer, account_a, account_b, n_shared, weight) VALUES ('co_hashtag', ?, ?, 2, ?)",
                                    [a, b, float(j)])
                        for _ in range((i * 7 + j * 3) % 5 + 1):  # 1..5 evidence rows, fixed by (i, j)
                            ev += 1
                            con.execute("INSERT INTO evidence (evidence_id, layer, account_a, account_b) VALUES (?, 'co_hashtag', ?, ?)", [ev, a, b])
        for k in range(3):
            a, b = sorted((f"g1_{k:03d}", f"g2_{k:03d}"))
            con.execute("INSERT INTO edges (layer, account_a, account_b, n_shared, weight) VALUES ('co_link', ?, ?, 1, 1.0)", [a, b])
        con.execute("INSERT INTO detect_runs (run_at) VALUES ('2020-01-01')")
    return path


def test_the_network_of_all_groups_is_laid_out_by_group_thinned_by_evidence_with_named_hubs(tmp_path: Path) -> None:
    with open_case(_groups_case(tmp_path / "c.duckdb"), create=False, read_only=True) as case:
        net = D.network_overview(case, per_node=2)
        again = D.network_overview(case, per_node=2)
        small = D.network_overview(case, max_nodes=50)
    assert net == again  # deterministic
    # groups beyond chance only (the chance group is in the table), in the cards' order
    assert [g["group_id"] for g in net["groups"]] == [1, 2, 3] and net["n_chance_groups"] == 1
    assert len(net["nodes"]) == 100 and len(small["nodes"]) == 50
    # layout by group: discs apart, every member inside its group's disc (a square of side 2r)
    groups = {g["group_id"]: g for g in net["groups"]}
    for a in net["groups"]:
        for b in net["groups"]:
            if a["group_id"] < b["group_id"]:
                assert math.hypot(a["cx"] - b["cx"], a["cy"] - b["cy"]) >= a["r"] + b["r"]
    for n in net["nodes"]:
        g = groups[n["group_id"]]
        assert abs(n["x"] - g["cx"]) <= g["r"] + 1e-3 and abs(n["y"] - g["cy"]) <= g["r"] + 1e-3  # rounded to 4 places
    # thinned: at most 2 lines per account, and every account keeps its pair with the most evidence
    assert len(net["edges"]) <= 2 * len(net["nodes"]) and net["n_pairs"] > 3 * len(net["edges"]) / 2
    with open_case(tmp_path / "c.duckdb", create=False, read_only=True) as case:
        best = dict(case.con.execute(
            """WITH p AS (SELECT account_a, account_b, count(*) AS n FROM evidence GROUP BY 1, 2)
               SELECT acc, max(n) FROM (SELECT account_a AS acc, n FROM p UNION ALL SELECT account_b, n FROM p) GROUP BY acc"""
        ).fetchall())
    for n in net["nodes"]:
        mine = [e["n_evidence"] for e in net["edges"] if n["account_id"] in (e["account_a"], e["account_b"])]
        assert mine and max(mine) == best[n["account_id"]], n["account_id"]
    # the pairs between groups 1 and 2: one summary line
    assert net["between"] == [{"group_a": 1, "group_b": 2, "n_pairs": 3, "n_evidence": 0}]
    fig = F.overview_network_figure(net)
    hubs = [t for t in fig["data"] if t.get("meta") == "hub-labels"][0]
    per_group: dict[str, int] = {}
    for label in hubs["text"]:
        g = label.split("_")[1][1]
        per_group[g] = per_group.get(g, 0) + 1
    assert per_group["1"] >= 2 and all(1 <= v <= 5 for v in per_group.values())
    assert fig["layout"]["legend"]["y"] < 0  # below the drawing, away from the mode bar
    nodes = [t for t in fig["data"] if t.get("meta") == "nodes"]
    assert sum(len(t["x"]) for t in nodes) == 100 and len(nodes) == 3


def test_group_cards_draw_each_members_strongest_links_and_name_hubs(tmp_path: Path) -> None:
    with open_case(_groups_case(tmp_path / "c.duckdb"), create=False, read_only=True) as case:
        cards = D.group_cards(case, top_groups=2)
    g1 = cards[0]
    assert g1["group_id"] == 1 and len(g1["edges"]) <= 3 * len(g1["members"]) < g1["n_edges_total"]
    fig = F.network_figure(g1, F.layer_colors(["co_hashtag"]))
    labels = [t for t in fig["data"] if t.get("meta") == "hub-labels"]
    assert labels and 1 <= len(labels[0]["text"]) <= 5
    assert fig["layout"]["legend"]["y"] < 0


# -- exports ---------------------------------------------------------------------------------------
def test_exports_are_parquet_by_default_and_the_report_states_their_sizes(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as case:
        index = render_report(case, tmp_path / "r", export_formats=("parquet", "csv", "json", "graphml"))
        assert (tmp_path / "r" / "exports" / "evidence.csv").exists()
        index = render_report(case, tmp_path / "r")  # again, with the default: the other formats' files go
        with pytest.raises(ParameterError, match="export_formats"):
            render_report(case, tmp_path / "x", export_formats=("xlsx",))
    ex = tmp_path / "r" / "exports"
    names = sorted(p.name for p in ex.iterdir())
    assert names == ["accounts.parquet", "evidence.parquet", "groups.parquet", "network_fused.gexf", "network_layers.gexf"]
    html = index.read_text(encoding="utf-8")
    sizes = {int(s) for s in re.findall(r'data-size="(\d+)"', html)}
    assert sizes == {(ex / n).stat().st_size for n in names}
    total = sum(p.stat().st_size for p in (tmp_path / "r").rglob("*") if p.is_file() and p.name != "index.html")
    n_files = sum(1 for p in (tmp_path / "r").rglob("*") if p.is_file() and p.name != "index.html")
    assert f"The whole report: {total / 1024 / 1024:,.1f} MB in {n_files} files besides this page" in html


def test_cli_export_formats_on_request_and_refused_when_unknown(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cibscope.cli import app

    with build_case(tmp_path / "c.duckdb"):
        pass
    ok = CliRunner().invoke(app, ["report", "--case", str(tmp_path / "c.duckdb"), "--out", str(tmp_path / "r"), "--export-formats", "csv, parquet"])
    assert ok.exit_code == 0, ok.output
    assert {p.name for p in (tmp_path / "r" / "exports").glob("evidence.*")} == {"evidence.csv", "evidence.parquet"}
    bad = CliRunner().invoke(app, ["report", "--case", str(tmp_path / "c.duckdb"), "--out", str(tmp_path / "s"), "--export-formats", "xlsx"])
    assert bad.exit_code == 1 and isinstance(bad.exception, (SystemExit, ParameterError))

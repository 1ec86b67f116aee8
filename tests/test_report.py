"""The HTML report and its exports, on the hand-made case of tests/report_fixtures.py.

Structure is checked by parsing the HTML (not by byte comparison): the overview numbers must
equal the case's, every attacker-controlled string must appear as text and never as markup,
and the exports must round-trip (CSV formula cells neutralised, Parquet/JSON/GEXF/GraphML
readable with the expected rows).
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from cibscope.errors import ParameterError
from cibscope.report import json_embed, render_report
from cibscope.report.data import account_page_name
from cibscope.report.figures import esc

from report_fixtures import (
    EXPECTED,
    FLAGGED,
    FORMULA_DESC,
    FORMULA_TEXT,
    IMG_XSS,
    JSON_BREAKOUT,
    SCRIPT_XSS,
    build_case,
)


class _Collect(HTMLParser):
    """Every start tag with its attributes, the JSON blocks and the text of [data-stat] elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.json: dict[str, str] = {}
        self.stats: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self._json_id: str | None = None
        self._stat: str | None = None
        self._id: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script" and a.get("type") == "application/json":
            self._json_id = a.get("id")
            self.json[self._json_id or ""] = ""
        if "data-stat" in a:
            self._stat = a["data-stat"]
        if a.get("id") and tag in ("h1", "div") and a["id"] in ("handle", "description", "display-name", "score"):
            self._id = a["id"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._json_id = None
        self._stat = None
        self._id = None

    def handle_data(self, data: str) -> None:
        if self._json_id is not None:
            self.json[self._json_id] += data
        elif self._stat is not None:
            self.stats[self._stat] = self.stats.get(self._stat, "") + data
        elif self._id is not None:
            self.ids[self._id] = self.ids.get(self._id, "") + data
        self.text.append(data)


def parse(path: Path) -> _Collect:
    p = _Collect()
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    return p


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("report")
    with build_case(d / "case.duckdb") as case:  # every export format, for the round trips below
        index = render_report(case, d / "out" / "report", export_formats=("parquet", "csv", "json", "graphml"))
    return index


def page_of(index: Path, account: str) -> Path:
    return index.parent / "accounts" / account_page_name(account)


# -- overview ---------------------------------------------------------------------------------------
def test_overview_numbers_equal_the_case(report: Path) -> None:
    p = parse(report)
    assert p.stats["accounts"].strip() == "12"
    assert p.stats["posts"].strip() == "40"
    assert p.stats["groups"].strip() == "2"
    assert p.stats["flagged"].strip() == "8"
    assert p.stats["evidence"].strip() == "53"
    # 2019-08-01 03:30:00 -> 2019-08-06 20:01:00 = 5 days 16 h 31 min = 5.69 days -> "5.7"
    assert p.stats["span"].strip() == "5.7"
    html = report.read_text(encoding="utf-8")
    assert f"posts from {EXPECTED['first_post']} to {EXPECTED['last_post']} UTC" in html


def test_each_trace_row_has_its_edges_accounts_and_evidence(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    for layer, (n_edges, n_accounts, n_evidence) in EXPECTED["layers"].items():
        row = re.search(rf'<tr data-layer="{layer}">(.*?)</tr>', html, re.S)
        assert row, layer
        nums = re.findall(r'<td class="r">([^<]*)</td>', row.group(1))
        assert nums[:3] == [str(n_edges), str(n_accounts), str(n_evidence)], layer


def test_thousands_separators_in_numbers(tmp_path: Path) -> None:
    # 1,234 extra accounts -> 1,246 accounts shown with a separator.
    with build_case(tmp_path / "c.duckdb") as case:
        case.con.execute(
            "INSERT INTO accounts (account_id, screen_name) SELECT 'x' || i::VARCHAR, 'x' FROM range(1234) t(i)"
        )
        index = render_report(case, tmp_path / "r", exports=False)
    assert parse(index).stats["accounts"].strip() == "1,246"


# -- pages and tables -------------------------------------------------------------------------------
def test_one_page_per_flagged_account_and_links_only_to_them(report: Path) -> None:
    pages = sorted(x.name for x in (report.parent / "accounts").glob("*.html"))
    assert pages == sorted(account_page_name(a) for a in FLAGGED)
    flagged = json.loads(parse(report).json["tbl-flagged"])
    assert [r["account_id"] for r in flagged["rows"]] == FLAGGED  # score order: 0.90 .. 0.86, 0.70, 0.65, 0.60
    assert all(r["page"] == account_page_name(r["account_id"]) for r in flagged["rows"])


def test_top_n_limits_the_account_pages(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as case:
        index = render_report(case, tmp_path / "r", top_n=3, exports=False)
    pages = sorted(x.name for x in (index.parent / "accounts").glob("*.html"))
    assert pages == sorted(account_page_name(a) for a in FLAGGED[:3])
    rows = json.loads(parse(index).json["tbl-flagged"])["rows"]
    assert len(rows) == 8  # every flagged account is still listed
    assert [r["page"] is not None for r in rows] == [True] * 3 + [False] * 5


def test_account_page_shows_score_contributions_and_evidence_pairs(report: Path) -> None:
    page = page_of(report, "a03")
    p = parse(page)
    assert p.ids["handle"] == "@user_a03"
    assert p.ids["score"].strip() == "0.88"  # 0.90 - 0.01 * 2
    wf = json.loads(p.json["fig-waterfall"])["data"][0]
    # contributions ordered by |value|: co_retweet 1.2, co_link 0.6, creation_batch 0.3; sum 2.1
    assert wf["x"] == ["co_retweet", "co_link", "creation_batch", "sum"]
    assert wf["y"][:3] == [1.2, 0.6, 0.3] and wf["y"][3] == pytest.approx(2.1)
    html = page.read_text(encoding="utf-8")
    # a03 is in 4 co_retweet pairs x 3 bursts + 4 co_link pairs = 16 evidence rows
    assert len(re.findall(r'<div class="evidence" data-evidence=', html)) == 16
    # closest first: a03 (member 2) and a02/a04 (members 1/3) are 7 s apart in a retweet burst
    first = html.index('data-evidence=')
    assert "7 s apart" in html[first : first + 1500]
    assert "tweets.csv:" in html and "2019-08-01 10:00:14 UTC" in html  # 10:00:00 + 7 s * 2


def test_group_cards_draw_members_and_layers_deterministically(report: Path, tmp_path: Path) -> None:
    blocks = parse(report).json
    net1 = json.loads(blocks["fig-net-1"])
    nodes = [t for t in net1["data"] if t.get("meta") == "nodes"][0]
    assert len(nodes["x"]) == 5
    legend = sorted(t["name"] for t in net1["data"] if t.get("mode") == "lines")
    assert legend == ["co_link", "co_retweet"]
    net2 = json.loads(blocks["fig-net-2"])
    assert len([t for t in net2["data"] if t.get("meta") == "nodes"][0]["x"]) == 4
    tl1 = json.loads(blocks["fig-tl-1"])
    assert sum(len(t["x"]) for t in tl1["data"]) == 40  # 30 co_retweet + 10 co_link pairs inside group 1
    with build_case(tmp_path / "c.duckdb") as case:
        again = render_report(case, tmp_path / "r", exports=False)
    assert json.loads(parse(again).json["fig-net-1"]) == net1


def test_heatmap_compares_flagged_with_others(report: Path) -> None:
    heat = json.loads(parse(report).json["fig-heatmap"])
    flagged, others = heat["data"]
    assert flagged["name"] == "flagged"
    # flagged posts: group 1's 20 + a06..a08's 6 = 26; others: a09's 2 + 12 organic = 14
    assert "26 posts" in heat["layout"]["annotations"][0]["text"]
    assert "14 posts" in heat["layout"]["annotations"][1]["text"]
    # group 1's 15 retweets are at 10:00 on Thu/Fri/Sat (Aug 1-3, 2019): 5/26 of flagged posts each
    assert flagged["z"][3][10] == pytest.approx(100 * 5 / 26, abs=1e-3)
    # organic posts are at 03:30 every day Aug 1-4 (Thu..Sun): 3 accounts -> 3/14 per day
    assert others["z"][6][3] == pytest.approx(100 * 3 / 14, abs=1e-3)


# -- safety -------------------------------------------------------------------------------------------
def _all_pages(report: Path) -> list[Path]:
    return [report, *sorted((report.parent / "accounts").glob("*.html"))]


def test_malicious_strings_are_text_never_markup(report: Path) -> None:
    for page in _all_pages(report):
        html = page.read_text(encoding="utf-8")
        assert IMG_XSS not in html and SCRIPT_XSS not in html and "</script><script>" not in html, page.name
        p = parse(page)
        for tag, attrs in p.tags:
            assert tag != "img", page.name
            assert not any(k.startswith("on") for k in attrs), (page.name, tag, attrs)
            if tag == "script":  # only our data blocks and our two shipped scripts
                assert attrs.get("type") == "application/json" or attrs.get("src") in (
                    "assets/plotly.min.js", "assets/report.js", "../assets/plotly.min.js", "../assets/report.js",
                ), (page.name, attrs)
            if tag == "a":
                href = attrs.get("href") or ""
                assert not href.lower().startswith(("javascript:", "data:", "http")), href
    a03 = parse(page_of(report, "a03"))
    assert a03.ids["description"] == IMG_XSS  # shown as the literal text
    a06 = page_of(report, "a06").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt; #freedom" in a06


def test_embedded_json_survives_a_closing_script_tag(report: Path) -> None:
    rows = json.loads(parse(report).json["tbl-flagged"])["rows"]
    assert rows[0]["screen_name"] == JSON_BREAKOUT  # round trip through the page, intact
    raw = json_embed({"s": "</script><!-- & -->"})
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert json.loads(str(raw)) == {"s": "</script><!-- & -->"}


def test_plotly_labels_escape_markup() -> None:
    assert esc('<a href="javascript:x">&') == '&lt;a href="javascript:x"&gt;&amp;'


def test_bad_parameters_are_refused(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as case:
        with pytest.raises(ParameterError, match="'top_n' parameter of render_report"):
            render_report(case, tmp_path / "r", top_n=-1)


def test_case_without_detection_still_renders(tmp_path: Path) -> None:
    from cibscope import open_case

    with open_case(tmp_path / "c.duckdb") as case:
        case.con.execute("INSERT INTO accounts (account_id, screen_name) VALUES ('u1', 'solo')")
        index = render_report(case, tmp_path / "r")
    p = parse(index)
    assert p.stats["accounts"].strip() == "1" and p.stats["groups"].strip() == "0"
    html = index.read_text(encoding="utf-8")
    # account files only: said once, and no empty section or chart for posts
    assert 'id="account-only"' in html and 'id="groups"' not in html and 'id="dataset"' not in html
    assert not {"fig-activity", "fig-heatmap", "fig-years"} & set(p.json)
    assert list((tmp_path / "r" / "accounts").glob("*.html")) == []
    with open_case(tmp_path / "d.duckdb") as case:  # posts but no detection: the sections are there, and say so
        case.con.execute("INSERT INTO posts (post_id, account_id, created_at, time_precision, kind) VALUES ('p', 'u', '2020-01-01', 'day', 'post')")
        index = render_report(case, tmp_path / "r2")
    html = index.read_text(encoding="utf-8")
    assert "No detection results in this case yet" in html and "No groups in this case." in html
    assert "fig-activity" in parse(index).json and "fig-heatmap" not in parse(index).json  # day precision: no hour view
    assert "dated to the day only" in html


# -- audit -----------------------------------------------------------------------------------------------
def test_audit_section_only_when_audit_rows_exist(report: Path, tmp_path: Path) -> None:
    assert 'id="audit"' not in report.read_text(encoding="utf-8")
    with build_case(tmp_path / "c.duckdb") as case:
        # claimed: a01 (strong), a09 (weak), a12 (none); a02 is a miss (unclaimed, strong)
        case.con.execute(
            """INSERT INTO audit_verdicts (account_id, claimed, verdict, score, flagged, n_evidence, reasons) VALUES
               ('a01', true, 'strong', 0.9, true, 18, '["co_retweet"]'),
               ('a09', true, 'weak', 0.4, false, 6, '[]'),
               ('a12', true, 'none', 0.05, false, 0, '[]'),
               ('a02', false, 'strong', 0.89, true, 16, '["co_retweet"]')"""
        )
        case.con.execute(
            """INSERT INTO claim_results (claim_id, statement, status, measured_text, method) VALUES
               ('c1', 'accounts were <b>recently</b> created', 'contradicted', 'median age 4.1 years', 'created_at')"""
        )
        index = render_report(case, tmp_path / "r", exports=True)
    html = index.read_text(encoding="utf-8")
    assert 'id="audit"' in html and "accounts were &lt;b&gt;recently&lt;/b&gt; created" in html
    p = parse(index)
    verdicts = json.loads(p.json["tbl-verdicts"])["rows"]
    # claimed first, strongest verdict first: a01 strong, a09 weak, a12 none, then unclaimed a02
    assert [r["account_id"] for r in verdicts] == ["a01", "a09", "a12", "a02"]
    assert re.search(r'data-verdict="strong">.*?<div class="v">2</div>.*?1 claimed · 1 not claimed', html, re.S)
    heat = json.loads(p.json["fig-heatmap"])
    assert heat["data"][0]["name"] == "claimed"
    # claimed = a01 (4 posts) + a09 (2) + a12 (4) = 10 posts; others 30
    assert "10 posts" in heat["layout"]["annotations"][0]["text"]
    assert (index.parent / "exports" / "verdicts.parquet").exists() and not (index.parent / "exports" / "verdicts.csv").exists()
    a01 = page_of(index, "a01").read_text(encoding="utf-8")
    assert "audit: strong" in a01


# -- exports ---------------------------------------------------------------------------------------------
def test_exports_round_trip_and_neutralise_formulas(report: Path) -> None:
    ex = report.parent / "exports"
    with open(ex / "accounts.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12
    by_id = {r["account_id"]: r for r in rows}
    assert by_id["a02"]["description"] == "'" + FORMULA_DESC
    assert by_id["a03"]["description"] == IMG_XSS  # data is kept as it is, only formulas are defused
    assert by_id["a01"]["flagged"] == "true" and by_id["a10"]["flagged"] == "false"
    with open(ex / "evidence.csv", newline="", encoding="utf-8") as f:
        ev = list(csv.DictReader(f))
    assert len(ev) == 53
    texts = {r["text_a"] for r in ev} | {r["text_b"] for r in ev}
    assert "'" + FORMULA_TEXT + " #freedom" in texts and FORMULA_TEXT + " #freedom" not in texts
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in ev for c in r.values())
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*), count(*) FILTER (WHERE flagged) FROM '{ex / 'accounts.parquet'}'").fetchone() == (12, 8)
    assert con.execute(f"SELECT count(*) FROM '{ex / 'evidence.parquet'}'").fetchone() == (53,)
    groups = json.loads((ex / "groups.json").read_text(encoding="utf-8"))
    assert [(g["group_id"], g["size"], g["members"]) for g in groups] == [
        (1, 5, "a01 a02 a03 a04 a05"), (2, 4, "a06 a07 a08 a09")]
    assert len(json.loads((ex / "evidence.json").read_text(encoding="utf-8"))) == 53


def test_network_exports_open_as_xml_with_fused_edges(report: Path) -> None:
    from cibscope.case import open_case
    from cibscope.networks.multiplex import fuse_layers

    ex = report.parent / "exports"
    ns = {"g": "http://gexf.net/1.3"}
    root = ET.parse(ex / "network_fused.gexf").getroot()
    nodes = root.findall(".//g:node", ns)
    edges = root.findall(".//g:edge", ns)
    # nodes: group 1 (5) + group 2 (4) + a10, a11 = 11; fused edges: 10 + 6 + 1 = 17
    assert len(nodes) == 11 and len(edges) == 17
    labels = {n.get("id"): n.get("label") for n in nodes}
    assert labels["a01"] == JSON_BREAKOUT
    # the fused weight is the multiplex network's, the one the groups were found on:
    # co_retweet and co_link, each its layer weight times its strength
    with open_case(report.parent.parent.parent / "case.duckdb", create=False, read_only=True) as case:
        net = fuse_layers(case.con)
    fused = {(a, b): w for a, b, w in zip(*(net.fused.column(c).to_pylist() for c in ("account_a", "account_b", "weight")))}
    e12 = [e for e in edges if (e.get("source"), e.get("target")) == ("a01", "a02")][0]
    assert float(e12.get("weight")) == fused[("a01", "a02")] and fused[("a01", "a02")] > 0
    attrs = {a.get("title"): a.get("id") for a in root.findall("g:graph/g:attributes[@class='edge']/g:attribute", ns)}
    vals = {v.get("for"): v.get("value") for v in e12.findall("g:attvalues/g:attvalue", ns)}
    assert vals[attrs["layers"]] == "co_link,co_retweet" and vals[attrs["n_layers"]] == "2"
    assert float(vals[attrs["w_co_link"]]) + float(vals[attrs["w_co_retweet"]]) == pytest.approx(float(e12.get("weight")))
    gm = {"g": "http://graphml.graphdrawing.org/xmlns"}
    groot = ET.parse(ex / "network_fused.graphml").getroot()
    assert len(groot.findall(".//g:node", gm)) == 11 and len(groot.findall(".//g:edge", gm)) == 17
    # by layer: one edge per layer and pair
    lroot = ET.parse(ex / "network_layers.gexf").getroot()
    assert len(lroot.findall(".//g:edge", ns)) == net.layer_edges.num_rows > 17


# -- CLI ---------------------------------------------------------------------------------------------------
def test_cli_report_prints_the_index_path(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cibscope.cli import app

    build_case(tmp_path / "c.duckdb").close()
    out = tmp_path / "OUT" / "report"
    r = CliRunner().invoke(app, ["report", "--case", str(tmp_path / "c.duckdb"), "--out", str(out), "--no-exports"])
    assert r.exit_code == 0, r.output
    assert str(out / "index.html") in r.output.replace("\n", "")
    assert (out / "index.html").exists() and not (out / "exports").exists()


def test_group_layers_as_an_object_are_read_as_names(tmp_path: Path) -> None:
    # detection writes groups.layers as {"layer": support}; names are shown most-supported first
    with build_case(tmp_path / "c.duckdb") as case:
        case.con.execute("""UPDATE groups SET layers = '{"co_link": 4, "co_retweet": 10}' WHERE group_id = 1""")
        index = render_report(case, tmp_path / "r", exports=False)
    html = index.read_text(encoding="utf-8")
    card = html[html.index('id="group-1"') : html.index('id="group-2"')]
    chips = re.findall(r'<span class="chip"><span class="sw"[^>]*></span>([^<]+)</span>', card)
    assert chips[:2] == ["co_retweet", "co_link"]


def test_big_tables_are_gzipped_and_still_neutralised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    from cibscope import export as exports

    monkeypatch.setattr(exports, "GZIP_ROWS", 20)  # evidence (53 rows) is "big", accounts (12) is not
    with build_case(tmp_path / "c.duckdb") as case:
        written = exports.write_exports(case, tmp_path / "ex", formats=("parquet", "csv", "json", "graphml"))
    names = sorted(p.name for p in (tmp_path / "ex").iterdir())
    assert "evidence.csv.gz" in names and "evidence.json.gz" in names and "evidence.csv" not in names
    assert "accounts.csv" in names and "accounts.csv.gz" not in names
    with gzip.open(tmp_path / "ex" / "evidence.csv.gz", "rt", encoding="utf-8", newline="") as f:
        ev = list(csv.DictReader(f))
    assert len(ev) == 53 and "'" + FORMULA_TEXT + " #freedom" in {r["text_a"] for r in ev}
    with gzip.open(tmp_path / "ex" / "evidence.json.gz", "rt", encoding="utf-8") as f:
        assert len(json.load(f)) == 53
    evidence_entry = [w for w in written if w["name"] == "evidence"][0]
    assert [f["format"] for f in evidence_entry["files"]] == ["CSV (gzip)", "PARQUET", "JSON (gzip)"]


def test_capped_networks_keep_every_members_strongest_edges() -> None:
    from cibscope.report.data import _keep_edges

    # Strongest first: a-b, a-c, b-c (a tight clique), then the weaker a-x and b-y.
    edges = [{"account_a": a, "account_b": b} for a, b in (("a", "b"), ("a", "c"), ("b", "c"), ("a", "x"), ("b", "y"))]
    # Budget 3, one edge per member first: a-b (a, b new), a-c (c new), b-c skipped (b and c
    # have one), a-x (x new), b-y (y new) -> first pass a-b, a-c, a-x, b-y -> cut to 3.
    # Plain "strongest 3" would be the clique and leave x and y as isolated dots.
    kept = _keep_edges(edges, 3, per_node=1)
    assert [(e["account_a"], e["account_b"]) for e in kept] == [("a", "b"), ("a", "c"), ("a", "x")]
    # Budget 5 keeps everything.
    assert _keep_edges(edges, 5, per_node=1) == edges


def test_the_report_ships_a_current_plotly_with_its_cloud_controls_off(report: Path) -> None:
    head = (report.parent / "assets" / "plotly.min.js").read_text(encoding="utf-8")[:200]
    m = re.search(r"plotly\.js v(\d+)\.(\d+)\.(\d+)", head)
    assert m and int(m.group(1)) >= 3, head  # plotly.js 3 (2025) or later
    js = (report.parent / "assets" / "report.js").read_text(encoding="utf-8")
    for setting in ("showSendToCloud: false", "plotlyServerURL: ''", "showEditInChartStudio: false", "showLink: false"):
        assert setting in js, setting

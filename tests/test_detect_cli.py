"""The detect / explain / evaluate commands and the exports, on the hand-made case."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from cibscope.cli import app
from cibscope.cli.detect import collect_params
from cibscope.export import Graph, csv_cell, write_csv, write_gexf
from detect_fixtures import build_case, write_truth

runner = CliRunner()
NS = {"g": "http://gexf.net/1.3"}


def _case(tmp_path: Path) -> Path:
    p = tmp_path / "c.duckdb"
    build_case(p).close()
    return p


def test_detect_writes_case_tables_and_readable_exports(tmp_path: Path) -> None:
    case = _case(tmp_path)
    out = tmp_path / "out"
    res = runner.invoke(app, ["detect", "--case", str(case), "--out", str(out), "--reuse-edges", "--resolution", "0.05", "--seed", "3",
                              "--param", "score.affinity_weight=0"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "2 group(s): 2 flagged as operations" in res.output and "7 account(s) flagged" in res.output
    for name in ("accounts.csv", "groups.csv", "edges.parquet", "network_layers.gexf"):
        assert str(out / name) in res.output.replace("\n", "")

    with open(out / "accounts.csv", newline="", encoding="utf-8") as f:
        rows = {r["account_id"]: r for r in csv.DictReader(f)}
    # the report's accounts export: one definition, one file name
    assert list(rows["a1"]) == [
        "account_id", "platform", "screen_name", "display_name", "description", "location", "follower_count",
        "following_count", "created_at", "account_language", "score", "flagged", "group_id", "group_role", "group_verdict",
        "top_reasons", "source_file", "source_line",
    ]
    assert rows["a1"]["flagged"] == "true" and rows["o3"]["flagged"] == "false"
    assert abs(float(rows["a1"]["score"]) - 0.850393) < 1e-6 and rows["a1"]["group_id"] == "1" and rows["o3"]["group_id"] == ""
    assert (rows["a1"]["group_role"], rows["a1"]["group_verdict"]) == ("core", "operation") and rows["o3"]["group_role"] == ""
    # formula injection: =, @, - at the start of a text cell get a leading apostrophe
    assert rows["a1"]["screen_name"] == "'=HYPERLINK(\"http://x\")"
    assert rows["b1"]["screen_name"] == "'@beta" and rows["o1"]["screen_name"] == "'-minus"

    with open(out / "groups.csv", newline="", encoding="utf-8") as f:
        groups = list(csv.DictReader(f))
    assert [(g["group_id"], g["size"], g["members"]) for g in groups] == [("1", "4", "a1 a2 a3 a4"), ("2", "3", "b1 b2 b3")]
    assert json.loads(groups[0]["layers"]) == {"co_retweet": 6, "co_url": 1}
    assert [(g["verdict"], json.loads(g["signals"])) for g in groups] == [
        ("operation", ["shared_client", "creation_burst"]), ("operation", ["creation_burst"])]

    # every stored edge (the two insignificant organic ones too) is in the parquet file
    assert duckdb.sql(f"SELECT count(*) FROM '{out / 'edges.parquet'}'").fetchall()[0][0] == 12

    root = ET.parse(out / "network_layers.gexf").getroot()
    assert root.tag == "{http://gexf.net/1.3}gexf" and root.get("version") == "1.3"
    nodes = root.findall("g:graph/g:nodes/g:node", NS)
    edges = root.findall("g:graph/g:edges/g:edge", NS)
    # nodes: the 7 accounts with significant edges; edges: 6 co_retweet + 1 co_url + 3 co_hashtag
    assert sorted(n.get("id") for n in nodes) == ["a1", "a2", "a3", "a4", "b1", "b2", "b3"]
    assert len(edges) == 10
    kinds = sorted(e.get("kind") for e in edges)
    assert kinds == ["co_hashtag"] * 3 + ["co_retweet"] * 6 + ["co_url"]
    a1 = next(n for n in nodes if n.get("id") == "a1")
    assert a1.get("label") == '=HYPERLINK("http://x")'  # XML-escaped on disk, intact when parsed
    attr_ids = {a.get("title"): a.get("id") for a in root.findall("g:graph/g:attributes[@class='node']/g:attribute", NS)}
    vals = {v.get("for"): v.get("value") for v in a1.findall("g:attvalues/g:attvalue", NS)}
    assert vals[attr_ids["group"]] == "1" and vals[attr_ids["flagged"]] == "true"
    url_edge = next(e for e in edges if e.get("kind") == "co_url")
    assert (url_edge.get("source"), url_edge.get("target"), float(url_edge.get("weight"))) == ("a1", "a2", 13.0)  # co_url strength -log10(1e-13 * 1)

    con = duckdb.connect(str(case), read_only=True)
    params, stats = con.execute("SELECT params, stats FROM detect_runs").fetchone()
    con.close()
    assert json.loads(params)["groups"]["resolution"] == 0.05 and json.loads(params)["groups"]["seed"] == 3
    assert json.loads(stats)["edges_significant"] == {"co_hashtag": 3, "co_retweet": 6, "co_url": 1}


def test_explain_prints_breakdown_and_evidence(tmp_path: Path) -> None:
    case = _case(tmp_path)
    assert runner.invoke(app, ["detect", "--case", str(case), "--reuse-edges", "-p", "score.affinity_weight=0"]).exit_code == 0
    res = runner.invoke(app, ["explain", "a1", "--case", str(case)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    out = res.output
    assert "score 0.850, FLAGGED, group 1 (core)" in out
    assert "with inauthenticity signals: shared_client, creation_burst" in out
    for text in ("co_retweet", "+0.571", "co_url", "+0.229", "tweets.csv:2", "tweets.csv:3", "rt:900", "tweets.csv:6"):
        assert text in out, text
    res = runner.invoke(app, ["explain", "nobody", "--case", str(case)])
    assert res.exit_code == 1
    # o3 has no term: a sentence, not an empty score table
    res = runner.invoke(app, ["explain", "o3", "--case", str(case)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "score 0: no term" in res.output and "running sum" not in res.output


def test_evaluate_command_prints_metrics_and_ablation(tmp_path: Path) -> None:
    case = _case(tmp_path)
    truth = write_truth(tmp_path / "truth.csv")
    assert runner.invoke(app, ["detect", "--case", str(case), "--reuse-edges"]).exit_code == 0
    res = runner.invoke(app, ["evaluate", "--case", str(case), "--truth", str(truth)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "0.8571" in res.output  # F1 = 6/7
    assert "0.5000 of 2" in res.output  # hard-negative FPR
    assert "ablation" in res.output and "0.4000" in res.output  # F1 without co_retweet


def test_bad_parameters_exit_1_with_one_message_format(tmp_path: Path) -> None:
    case = _case(tmp_path)
    res = runner.invoke(app, ["detect", "--case", str(case), "--reuse-edges", "--param", "groups.resolution=-1"])
    assert res.exit_code == 1
    assert isinstance(res.exception, SystemExit) or "resolution" in str(res.exception)
    assert collect_params(["score.threshold=0.7", "co_retweet.window=30", "multiplex.correction=none"], 60, None, 0.1, None) == {
        "score.threshold": 0.7, "co_retweet.window": 30, "multiplex.correction": "none", "window": 60, "resolution": 0.1,
    }


def test_write_csv_neutralises_formulas_but_keeps_numbers(tmp_path: Path) -> None:
    p = write_csv(tmp_path / "x.csv", [["=1+1", -0.5, "+cmd", "@SUM(A1)", "plain", None, True, "\t=x"]], ["a", "b", "c", "d", "e", "f", "g", "h"])
    with open(p, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[1] == ["'=1+1", "-0.5", "'+cmd", "'@SUM(A1)", "plain", "", "true", "'\t=x"]
    assert csv_cell(-3) == "-3"


def test_gexf_strips_characters_xml_forbids(tmp_path: Path) -> None:
    graph = Graph(
        [{"id": "x\x00<1>", "label": "a & b\x07", "score": 0.5}, {"id": "y"}],
        [{"source": "x\x00<1>", "target": "y", "weight": 2.0, "kind": "co_link", "layer": "co_link"}],
        [("score", "double")], [("layer", "string")],
    )
    p = write_gexf(tmp_path / "g.gexf", graph)
    root = ET.parse(p).getroot()  # would raise on an invalid character
    node = root.find("g:graph/g:nodes/g:node", NS)
    assert node.get("id") == "x<1>" and node.get("label") == "a & b"


def test_run_ingests_detects_audits_reports_and_says_where(tmp_path: Path) -> None:
    from cibscope.generate import generate_dataset

    data = tmp_path / "data"
    generate_dataset(data, accounts=300, tweets=20_000, seed=7)
    # another generator's notes beside its files (bench/heldout_world.py's world.json): a folder's
    # file of no known format is skipped, not an error, though run lists the folder's files itself
    (data / "world.json").write_text('{"generator": "another"}\n', encoding="utf-8")
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(data), "--out", str(out)], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    text = res.output.replace("\n", "")
    assert "world.json" in text and "skipped" in text
    # truth.csv and takedown.txt are not ingested as data: takedown.txt is audited, truth.csv evaluated
    assert (out / "case.duckdb").exists()
    with open(out / "accounts.csv", newline="", encoding="utf-8") as f:
        assert sum(1 for _ in csv.DictReader(f)) == 300
    for name in ("case.duckdb", "accounts.csv", "groups.csv", "edges.parquet", "network_layers.gexf", "audit.csv", "report/index.html", "run.json"):
        assert (out / name).exists(), name
        assert str(out / name) in text, name
    assert f"against {data / 'truth.csv'}: F1" in text
    con = duckdb.connect(str(out / "case.duckdb"), read_only=True)
    files = {r[0] for r in con.execute("SELECT source_file FROM ingest_log").fetchall()}
    con.close()
    assert {Path(f).name for f in files} == {"users.csv", "tweets.csv"}


def test_a_capped_graph_keeps_edges_inside_groups_then_the_strongest(tmp_path: Path) -> None:
    from cibscope.case import open_case
    from cibscope.export import network_graph

    case = _case(tmp_path)
    assert runner.invoke(app, ["detect", "--case", str(case), "--reuse-edges", "--resolution", "0.05", "--seed", "3"]).exit_code == 0
    with open_case(case, create=False, read_only=True) as c:
        full = network_graph(c, "layers")
        members = dict(c.con.execute("SELECT account_id, group_id FROM group_members").fetchall())
        capped = network_graph(c, "layers", max_edges=4)
        fused = network_graph(c, "fused", max_edges=2)
    inside = [e for e in full.edges if members.get(e["source"]) is not None and members.get(e["source"]) == members.get(e["target"])]
    assert len(full.edges) == 10 and len(inside) > 4
    strongest_inside = sorted(inside, key=lambda e: -e["strength"])[:4]
    assert sorted(map(str, capped.edges)) == sorted(map(str, strongest_inside))
    assert len(fused.edges) == 2 and all(e["n_layers"] >= 1 for e in fused.edges)


def test_spark_options_need_the_spark_engine(tmp_path: Path) -> None:
    # refused in one line before any work (no Spark session is started for duckdb)
    from cibscope.errors import ParameterError

    case = _case(tmp_path)
    for extra, msg in ((["--spark-driver-memory", "4g"], "--spark-driver-memory needs --engine spark"),
                       (["--spark-master", "local[1]"], "--spark-master needs --engine spark"),
                       (["--engine", "flink"], "unknown engine 'flink'")):
        res = runner.invoke(app, ["detect", "--case", str(case), "--reuse-edges", *extra])
        assert isinstance(res.exception, ParameterError) and msg in str(res.exception), (extra, res.output)
    con = duckdb.connect(str(case), read_only=True)
    assert con.execute("SELECT count(*) FROM detect_runs").fetchall() == [(0,)]
    con.close()

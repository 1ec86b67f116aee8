"""Parity: the same case gives the same networks on DuckDB and on Spark (marker ``spark``).

Every trace runs on both engines through the engine seam (:mod:`cibscope.engine`): the
candidate pairs with their counts, weights, expectations, p-values and q-values (every pair the
significance test sees, not only the kept ones), the layer's counters and the evidence rows of
the kept edges must agree; p-values to 1e-12 (they are in fact equal). One Spark session
(``local[2]``, 2 GB driver) serves the module. The tests skip only when no Java runtime can be
found (``bash scripts/install.sh spark`` installs one) or PySpark is not installed.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from cibscope import open_case
from cibscope.engine import as_engine
from cibscope.errors import ParameterError
from cibscope.generate import generate_dataset
from cibscope.ingest import ingest
from cibscope.networks import _drop_all, build_layer, build_networks, engine_tables
from cibscope.networks.cooccurrence import evidence_sql
from cibscope.testing import _load, demo_rows
from cibscope.traces import get_trace, trace_names

pytestmark = pytest.mark.spark

EDGE_COLS = "account_a, account_b, n_shared, weight, expected, p_value, q_value, kept, first_at, last_at"


@pytest.fixture(scope="module")
def spark_engine() -> Any:
    pytest.importorskip("pyspark", reason="PySpark is not installed (bash scripts/install.sh spark)")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (java not on PATH); bash scripts/install.sh spark installs openjdk-17-jre-headless")
    from cibscope.engine.spark import SparkEngine

    eng = SparkEngine.start("local[2]", driver_memory="2g")
    yield eng
    eng.stop()


def _layer(con: Any, trace: Any) -> tuple[Any, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    eng = as_engine(con)
    try:
        st, _ = build_layer(eng, trace, all_pairs=True)
        pairs = eng.fetch_arrow(f"SELECT {EDGE_COLS} FROM _cib_edges").sort_by([("account_a", "ascending"), ("account_b", "ascending")])
        ev = eng.fetch_arrow(evidence_sql(int(trace.params["evidence_per_edge"]))).drop_columns(["a_i", "b_i"])
        ev = ev.sort_by([("eid", "ascending")])
    finally:
        _drop_all(eng)
    cols = [c.to_pylist() for c in pairs.columns]
    return st, list(zip(*cols)), [tuple(r.values()) for r in ev.to_pylist()]


def _same_pairs(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        # account_a, account_b, n_shared, weight, expected, p_value, q_value, kept, first_at, last_at
        assert x[:3] == y[:3] and x[7:] == y[7:], (x, y)
        for i in (3, 4):
            assert x[i] == y[i], (x, y)  # weights and expectations: fixed-point sums, equal
        for i in (5, 6):
            assert math.isclose(x[i], y[i], rel_tol=0, abs_tol=1e-12), (x, y)


@pytest.fixture(scope="module")
def demo_case() -> Any:
    case = open_case(":memory:")
    _load(case.con, demo_rows(), None)
    yield case
    case.close()


@pytest.mark.parametrize("name", trace_names())
def test_every_trace_gives_the_same_pairs_and_p_values_on_spark(spark_engine: Any, demo_case: Any, name: str) -> None:
    # the demo case exercises every trace (two platforms: the xp_* layers run too); it is too
    # small for edges to pass the default test, so every candidate pair is kept (alpha 1, no
    # correction) and its evidence compared as well
    t = get_trace(name)(alpha=1.0, correction="none", min_shared=1)
    spark_engine.load_case(demo_case.con, engine_tables([t]))
    st_d, pairs_d, ev_d = _layer(demo_case.con, t)
    st_s, pairs_s, ev_s = _layer(spark_engine, t)
    assert pairs_d, f"{name}: the demo case gives no candidate pair (the test would prove nothing)"
    assert sum(p[7] for p in pairs_d) > 0, f"{name}: no kept edge on the demo case"
    _same_pairs(pairs_d, pairs_s)
    assert ev_d == ev_s
    for f in ("rows", "keys", "action_pairs", "pairs_considered", "pairs_kept", "bounded_action_pairs", "bounded_keys"):
        assert getattr(st_d, f) == getattr(st_s, f), f


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("world")
    generate_dataset(d, accounts=150, tweets=3000, seed=7)
    return d


def test_build_networks_on_spark_writes_the_same_case_tables(spark_engine: Any, world: Path) -> None:
    # the network stage as detect and `cibscope network` run it, on a generated world: the
    # layers with the most edges there, and near_duplicate (its post keys), on Spark, the edges,
    # evidence and post keys written back into the DuckDB case (every trace's own parity is the
    # test above; all of them here would double the suite's Spark time)
    traces = ["co_retweet", "near_duplicate", "sync_activity", "account_batch"]
    def run(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
        with open_case(":memory:") as case:
            ingest([str(world / "users.csv"), str(world / "tweets.csv")], case)
            stats = build_networks(case.con, traces=traces, engine=engine)
            out = {
                t: case.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ("edges", "evidence", "post_keys")
            }
            out["stats"] = [
                (k, v.rows, v.keys, v.action_pairs, v.pairs_considered, v.pairs_kept) for k, v in stats.layers.items()
            ]
            return out

    d, s = run(None), run(spark_engine)
    assert len({r[0] for r in d["edges"]}) == len(traces)  # every layer has edges
    assert d["post_keys"]  # near_duplicate's clusters
    assert d["stats"] == s["stats"]
    assert d["post_keys"] == s["post_keys"]
    assert d["evidence"] == s["evidence"]
    assert len(d["edges"]) == len(s["edges"])
    for x, y in zip(d["edges"], s["edges"]):
        assert x[:5] == y[:5] and x[7:] == y[7:] and x[5] == y[5], (x, y)
        assert math.isclose(x[6], y[6], rel_tol=0, abs_tol=1e-12), (x, y)


def test_network_command_on_spark_writes_the_same_files(spark_engine: Any, world: Path, tmp_path: Path) -> None:
    # `cibscope network --engine spark` (the CLI reuses the module's Spark session) writes the
    # same bytes as on DuckDB; --counts is DuckDB's only, refused in one line
    from typer.testing import CliRunner

    from cibscope.cli import app

    runner = CliRunner()
    files = [str(world / "users.csv"), str(world / "tweets.csv")]
    for engine in ("duckdb", "spark"):
        res = runner.invoke(app, ["network", *files, "-t", "sync_activity", "-o", str(tmp_path / engine), "--engine", engine])
        assert res.exit_code == 0, res.output
    for name in ("edges.csv", "evidence.csv", "network.gexf"):
        d, s = (tmp_path / "duckdb" / name).read_bytes(), (tmp_path / "spark" / name).read_bytes()
        assert d == s, name
    assert (tmp_path / "duckdb" / "edges.csv").read_text().count("\n") > 1
    res = runner.invoke(app, ["network", *files, "--counts", "-o", str(tmp_path / "c"), "--engine", "spark"])
    # (main() prints a CibscopeError as one line; the runner calls the app under it)
    assert isinstance(res.exception, ParameterError) and "DuckDB only" in str(res.exception)


def test_detect_on_spark_gives_the_same_edges_groups_flags_and_scores(spark_engine: Any, world: Path, tmp_path: Path) -> None:
    # the whole pipeline: `cibscope detect --engine spark` (the CLI reuses the module's Spark
    # session) builds the layers on Spark, the null copies, groups, decisions and scores run on
    # the case; detect on DuckDB of a copy of the same case must give the same tables. Two
    # layers keep the Spark time small (every trace's own parity is the first test): co_retweet
    # (its trace rows kept on the case after the Spark build, read by the null copies, the
    # membership test and the defining items) and near_duplicate (its clusters: post keys, items)
    from typer.testing import CliRunner

    from cibscope.cli import app
    from cibscope.detect import detect

    traces = ["co_retweet", "near_duplicate"]
    base = tmp_path / "base.duckdb"
    ingest([str(world / "users.csv"), str(world / "tweets.csv")], base)
    on_duckdb, on_spark = tmp_path / "duckdb.duckdb", tmp_path / "spark.duckdb"
    shutil.copy(base, on_duckdb)
    shutil.copy(base, on_spark)
    with open_case(on_duckdb) as c:
        res_d = detect(c, traces=traces)
    argv = ["detect", "--case", str(on_spark), "--engine", "spark", "-o", str(tmp_path / "out")]
    res = CliRunner().invoke(app, argv + [a for t in traces for a in ("--trace", t)])
    assert res.exit_code == 0, res.output

    def tables(path: Path) -> dict[str, Any]:
        with open_case(path) as c:
            q = lambda sql: c.con.execute(sql).fetchall()  # noqa: E731
            stats = json.loads(q("SELECT stats FROM detect_runs")[0][0])
            return {
                "edges": q("SELECT layer, account_a, account_b, n_shared, weight, expected, first_at, last_at, p_value FROM edges ORDER BY ALL"),
                "evidence": q("SELECT * FROM evidence ORDER BY evidence_id"),
                "post_keys": q("SELECT * FROM post_keys ORDER BY ALL"),
                "groups": q("SELECT group_id, size, core_size, verdict, flagged, statistic, e_value, signals, top_items FROM groups ORDER BY ALL"),
                "members": q("SELECT * FROM group_members ORDER BY ALL"),
                "flagged": q("SELECT account_id FROM scores WHERE flagged ORDER BY 1"),
                "scores": q("SELECT account_id, score, group_id FROM scores ORDER BY 1"),
                "null_edges": q("SELECT * FROM null_edges ORDER BY ALL"),
                "params": q("SELECT params FROM detect_runs"),
                "engine": stats.get("engine", "duckdb"),
                "layers": {k: v["pairs_considered"] for k, v in stats["networks"]["layers"].items()},
            }

    d, s = tables(on_duckdb), tables(on_spark)
    assert (d["engine"], s["engine"]) == ("duckdb", "spark")
    assert {r[0] for r in d["edges"]} == set(traces) and d["post_keys"]
    assert d["flagged"] and d["groups"], "the world gives no flagged group (the test would prove little)"
    for k in ("evidence", "post_keys", "groups", "members", "flagged", "null_edges", "params", "layers"):
        assert d[k] == s[k], k
    assert len(d["edges"]) == len(s["edges"])
    for x, y in zip(d["edges"], s["edges"]):
        assert x[:8] == y[:8] and math.isclose(x[8], y[8], rel_tol=0, abs_tol=1e-12), (x, y)
    assert [(a, g) for a, _, g in d["scores"]] == [(a, g) for a, _, g in s["scores"]]
    assert all(math.isclose(x[1], y[1], rel_tol=0, abs_tol=1e-12) for x, y in zip(d["scores"], s["scores"]))
    assert res_d.n_flagged == len(s["flagged"]) and f"{res_d.n_flagged:,} account(s) flagged" in res.output


def test_detect_on_spark_refuses_reusing_edges_before_spark_starts(world: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cibscope.cli import app

    case = tmp_path / "c.duckdb"
    ingest([str(world / "users.csv")], case)
    res = CliRunner().invoke(app, ["detect", "--case", str(case), "--reuse-edges", "--engine", "spark", "--spark-master", "nowhere://x"])
    assert isinstance(res.exception, ParameterError) and "--reuse-edges builds nothing" in str(res.exception)

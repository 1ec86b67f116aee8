"""The detection pipeline (cibscope.pipeline): its config, its run() and what run() returns.

The config is checked whole before any work: a bad name or value -- of a stage's section, of a
layer weight, of a trace or a trace parameter -- is a ParameterError and the case is untouched.
The result's counts are those of the case tables run() wrote; the kept trace rows
(the KeptTraces artefact) are gone after the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import cibscope
from cibscope import pipeline
from cibscope.engine.base import Capabilities, Engine
from cibscope.errors import ParameterError
from cibscope.pipeline import DetectConfig, KeptTraces, PipelineResult, run, run_inputs
from detect_fixtures import build_case


def test_the_package_exposes_the_pipeline() -> None:
    assert {"run", "DetectConfig", "PipelineResult", "ingest_files"} <= set(cibscope.__all__)
    assert cibscope.run is pipeline.run and cibscope.DetectConfig is DetectConfig and cibscope.PipelineResult is PipelineResult
    assert pipeline.STAGES == ("networks", "multiplex", "groups", "null", "decisions", "scores", "write", "exports")


def test_config_parses_sections_shorthands_weights_and_trace_parameters() -> None:
    cfg = DetectConfig.from_params({
        "resolution": 0.05, "groups.min_size": 4, "multiplex.weight.co_hashtag": 0.25, "window": 30,
        "co_retweet.window": 10, "null.replicates": 1,
    })
    assert (cfg.groups.resolution, cfg.groups.min_size, cfg.null.replicates) == (0.05, 4, 1)
    assert cfg.multiplex.layer_weights["co_hashtag"] == 0.25 and cfg.multiplex.layer_weights["co_domain"] == 0.5
    nested = cfg.trace_params()
    # the bare window goes to every windowed trace; the dotted one wins for its trace
    assert nested["co_retweet"]["window"] == 10 and nested["co_hashtag"]["window"] == 30
    assert "window" not in nested.get("account_batch", {})  # a trace without a window gets none
    assert [t.name for t in cfg.traces(["co_retweet"])] == ["co_retweet"] and cfg.traces(["co_retweet"])[0].window == 10.0
    # what a detect_runs row stores gives the same config back
    assert DetectConfig.from_stored(json.loads(json.dumps(cfg.as_json()))) == cfg


@pytest.mark.parametrize(
    "params, match",
    [
        ({"groups.resolutoin": 0.1}, "Unknown parameter 'groups.resolutoin'"),
        ({"groups.resolution": -1}, "resolution"),
        ({"score.threshold": "high"}, "threshold"),
        ({"multiplex.weight.co_nothing": 1}, "no layer 'co_nothing'"),
        ({"multiplex.weight.co_hashtag": -1}, "co_hashtag"),
        ({"co_nothing.window": 5}, "Unknown trace.*co_nothing"),
        ({"co_retweet.windw": 5}, "windw"),
        ({"co_retweet.window": -5}, "window"),
        ({"windw": 5}, "Unknown parameter.*windw"),
    ],
)
def test_bad_names_and_values_fail_before_any_work(tmp_path: Path, params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        DetectConfig.from_params(params)
    with build_case(tmp_path / "c.duckdb") as c:
        before = c.con.execute("SELECT count(*), sum(p_value) FROM edges").fetchall()
        with pytest.raises(ParameterError, match=match):
            run(c, params)
        assert c.con.execute("SELECT count(*), sum(p_value) FROM edges").fetchall() == before
        assert c.count("detect_runs") == 0 and c.count("scores") == 0


def test_unknown_traces_to_build_fail_before_the_stored_edges_are_dropped(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        n = c.count("edges")
        with pytest.raises(ParameterError, match="Unknown trace.*co_nothing"):
            run(c, DetectConfig(), traces=["co_retweet", "co_nothing"])
        assert c.count("edges") == n > 0


def test_a_config_built_by_hand_is_validated_by_run(tmp_path: Path) -> None:
    from cibscope.groups import GroupParams

    with build_case(tmp_path / "c.duckdb") as c:
        with pytest.raises(ParameterError, match="resolution"):
            run(c, DetectConfig(groups=GroupParams(resolution=-3)), build=False)
        with pytest.raises(ParameterError, match="Unknown trace.*co_nothing"):
            run(c, DetectConfig(networks={"co_nothing.window": 3}))
        assert c.count("detect_runs") == 0 and c.count("edges") == 12


class _Remote(Engine):
    """An engine that is not the case's (as Spark is), doing nothing."""

    name = "remote"
    capabilities = Capabilities(hash64=False, one_based_lists=False, unicode_script_classes="", rowid=False, shares_case=False)


def test_reusing_edges_refuses_trace_parameters_and_another_engine(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        with pytest.raises(ParameterError, match="only apply when the edges are built"):
            run(c, {"co_retweet.window": 30}, build=False)
        with pytest.raises(ParameterError, match="remote engine would have no work"):
            run(c, DetectConfig(), build=False, engine=_Remote())
        assert c.count("detect_runs") == 0


def test_run_returns_the_counts_of_the_tables_it_wrote(tmp_path: Path) -> None:
    with build_case(tmp_path / "c.duckdb") as c:
        res = run(c, {"score.affinity_weight": 0, "resolution": 0.05, "seed": 3}, build=False, out=tmp_path / "out")
        assert isinstance(res, PipelineResult) and res.engine == "duckdb"
        q = lambda sql: c.con.execute(sql).fetchall()[0][0]  # noqa: E731
        assert res.n_edges == q("SELECT count(*) FROM edges") == 12
        assert res.n_accounts == q("SELECT count(*) FROM scores")
        assert res.n_flagged == q("SELECT count(*) FROM scores WHERE flagged") == 7
        assert res.n_groups == q("SELECT count(*) FROM groups") == 2
        assert res.n_significant == sum(res.stats["edges_significant"].values()) == 10
        params, stats = c.con.execute("SELECT params, stats FROM detect_runs").fetchall()[0]
        assert json.loads(params) == res.params and json.loads(params)["groups"]["resolution"] == 0.05
        assert json.loads(stats) == json.loads(json.dumps(res.stats)) and res.stats["flagged"] == 7
        assert sorted(res.outputs) == ["accounts", "edges", "groups", "network"]
        assert all(Path(p).exists() for p in res.outputs.values())


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cibscope.generate import generate_dataset

    d = tmp_path_factory.mktemp("world")
    generate_dataset(d, accounts=100, tweets=1500, seed=3)
    return d


def test_run_builds_the_layers_and_drops_the_kept_trace_rows(tmp_path: Path, small_world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cibscope.networks import kept_trace_table

    seen: dict[str, Any] = {}
    real = pipeline.null_stage

    def spy(case: Any, cfg: Any, layers: Any, kept: KeptTraces, progress: Any = None) -> Any:
        out = real(case, cfg, layers, kept, progress)
        # the network stage kept every built layer's rows for the null copies, with their parameters
        seen["kept"] = {l: kept.tables[l] for l in kept.layers}
        return out

    monkeypatch.setattr(pipeline, "null_stage", spy)
    cibscope.ingest_files([small_world / "users.csv", small_world / "tweets.csv"], case=tmp_path / "c.duckdb")
    with cibscope.open_case(tmp_path / "c.duckdb") as c:
        res = run(c, {"null.replicates": 1, "co_retweet.window": 30}, traces=["co_retweet", "co_hashtag", "account_batch"])
        assert set(seen["kept"]) == {"co_retweet", "co_hashtag", "account_batch"}
        name, params = seen["kept"]["co_retweet"]
        assert name.startswith("_cib_keep_") and params["window"] == 30
        for layer in ("co_retweet", "co_hashtag", "account_batch"):
            assert kept_trace_table(c.con, layer) is None  # dropped at the end
        assert set(res.stats["networks"]["layers"]) == {"co_retweet", "co_hashtag", "account_batch"}
        assert res.n_edges == c.count("edges") > 0
        assert {r[0] for r in c.con.execute("SELECT DISTINCT layer FROM edges").fetchall()} <= {"co_retweet", "co_hashtag", "account_batch"}
        assert res.n_flagged == c.con.execute("SELECT count(*) FROM scores WHERE flagged").fetchall()[0][0]
        assert res.stats["null"]["replicates"] == 1 and set(res.stats["null"]["tests"]["0"]) <= set(res.stats["networks"]["layers"])


def test_run_inputs_asks_the_generator_which_files_are_not_data(tmp_path: Path) -> None:
    from cibscope.generate import NOT_DATA, TAKEDOWN_FILE, TRUTH_FILE

    gen = tmp_path / "gen"
    gen.mkdir()
    for name in ("users.csv", "tweets.csv", TRUTH_FILE, TAKEDOWN_FILE, "README.md", ".hidden"):
        (gen / name).write_text("x\n")
    other = tmp_path / "other.csv"
    other.write_text("x\n")
    got = run_inputs([gen, other])
    assert got.data == [gen / "tweets.csv", gen / "users.csv", other]
    assert got.named == [other]  # the folder's files are read as a folder's (unknown ones skipped)
    assert (got.truth, got.claimed) == (gen / TRUTH_FILE, gen / TAKEDOWN_FILE)
    assert set(NOT_DATA) == {TRUTH_FILE, TAKEDOWN_FILE}
    # a folder without them is data as it is (the reader walks it)
    plain = tmp_path / "plain"
    plain.mkdir()
    assert run_inputs([plain]).data == [plain] and run_inputs([plain]).truth is None

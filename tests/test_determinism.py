"""Same data, same parameters: the same bytes.

Two ``cibscope run`` of one dataset write byte-identical files -- CSV, Parquet, JSON, GEXF,
GraphML, HTML -- except ``run.json``, the one file that says when the run happened and how long
it took. The case database (a DuckDB file: its pages are not laid out the same way twice) is
compared by content: every table holds the same rows, apart from the times of the run that the
case records (ingest_log.ingested_at/seconds, detect_runs.run_at and its timings, meta created_at).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cibscope.cli import app

# columns holding the time of the run (or how long a step took), per table
RUN_TIMES = {"ingest_log": ("ingested_at", "seconds"), "detect_runs": ("run_at", "stats"), "meta": ()}


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from cibscope.generate import generate_dataset

    d = tmp_path_factory.mktemp("determinism")
    generate_dataset(d / "data", accounts=300, tweets=20_000, seed=11)
    outs = []
    for name in ("one", "two"):
        out = d / name
        r = CliRunner().invoke(app, ["run", str(d / "data"), "--out", str(out), "--export-formats", "parquet,csv,json,graphml"])
        assert r.exit_code == 0, r.output
        outs.append(out)
    return outs[0], outs[1]


def test_two_runs_write_the_same_bytes_but_for_run_json(two_runs: tuple[Path, Path]) -> None:
    a, b = two_runs
    fa, fb = _files(a), _files(b)
    assert set(fa) == set(fb)
    # every kind of output is there (the comparison would pass vacuously otherwise)
    for name in ("accounts.csv", "groups.csv", "edges.parquet", "network_layers.gexf", "audit.csv", "audit.json",
                 "report/index.html", "report/exports/evidence.parquet", "report/exports/accounts.json",
                 "report/exports/network_fused.gexf", "report/exports/network_fused.graphml"):
        assert name in fa, name
    assert any(n.startswith("report/accounts/a-") for n in fa)
    differ = sorted(n for n in fa if fa[n] != fb[n] and not n.startswith("case.duckdb"))
    assert differ == ["run.json"]
    meta = json.loads((a / "run.json").read_text(encoding="utf-8"))
    assert {"started_at", "finished_at", "seconds", "inputs"} <= set(meta)


def test_two_runs_give_cases_with_the_same_rows(two_runs: tuple[Path, Path]) -> None:
    a, b = two_runs
    con = duckdb.connect()
    con.execute(f"ATTACH '{a / 'case.duckdb'}' AS x (READ_ONLY)")
    con.execute(f"ATTACH '{b / 'case.duckdb'}' AS y (READ_ONLY)")
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'x' ORDER BY 1").fetchall()]
    assert {"posts", "edges", "evidence", "scores", "groups", "audit_verdicts"} <= set(tables)
    for t in tables:
        if t == "meta":
            q = "SELECT * FROM {}.meta WHERE key <> 'created_at'"
        elif t in RUN_TIMES:
            cols = [r[0] for r in con.execute(f"DESCRIBE x.{t}").fetchall() if r[0] not in RUN_TIMES[t]]
            q = f"SELECT {', '.join(cols)} FROM {{}}.{t}"
        else:
            q = f"SELECT * FROM {{}}.{t}"
        n = con.execute(f"SELECT count(*) FROM {{}}.{t}".format("x")).fetchone()[0]
        diff = con.execute(f"SELECT count(*) FROM (({q.format('x')}) EXCEPT ALL ({q.format('y')}))").fetchone()[0]
        back = con.execute(f"SELECT count(*) FROM (({q.format('y')}) EXCEPT ALL ({q.format('x')}))").fetchone()[0]
        assert (diff, back) == (0, 0), f"{t}: {diff} of {n} rows differ"

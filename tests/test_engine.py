"""The engine seam without Spark: the Spark rewrites, snapshots of the generated SQL in both
dialects, and the driver-side computations that make both engines give the same numbers."""

from __future__ import annotations

import math
import os
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from cibscope.engine import as_engine, start_engine
from cibscope.engine.duckdb import DuckDBEngine, hash64
from cibscope.errors import BackendError, ParameterError
from cibscope.networks.cooccurrence import cooccurrence_sql, evidence_sql, platform_map_sql, trace_table_sql
from cibscope.networks.significance import rarity_weights
from cibscope.sql import spark_regex, transpile
from cibscope.traces import get_trace, trace_names

SNAPSHOTS = Path(__file__).parent / "data" / "sql_snapshots"
#: CIBSCOPE_UPDATE_SNAPSHOTS=1 rewrites the snapshot files (then review the diff)
UPDATE = os.environ.get("CIBSCOPE_UPDATE_SNAPSHOTS") == "1"


def _snapshot(name: str, statements: list[str]) -> str:
    parts = []
    for i, stmt in enumerate(statements):
        parts.append(f"-- [{i}] duckdb\n{stmt};\n-- [{i}] spark\n{transpile(stmt, to='spark')};\n")
    return "\n".join(parts)


def _check(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.sql"
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path} changed: review, then CIBSCOPE_UPDATE_SNAPSHOTS=1"


@pytest.mark.parametrize("name", trace_names())
def test_trace_sql_snapshot_in_both_dialects(name: str) -> None:
    # the statements the Spark engine runs (near_duplicate: the shingle strings, hashed on the driver)
    _check(f"trace_{name}", _snapshot(name, get_trace(name)().sql_statements("spark")))


@pytest.mark.parametrize("window", [None, 60.0])
def test_builder_sql_snapshot_in_both_dialects(window: float | None) -> None:
    stmts = [
        *trace_table_sql("SELECT 'a' AS account_id"),
        *trace_table_sql(None),
        *platform_map_sql(),
        *cooccurrence_sql(window=window, max_neighbors=200, max_tolerance=60.0, platforms="cross"),
        evidence_sql(10),
    ]
    _check(f"builder_{'window' if window else 'nowindow'}", _snapshot("builder", stmts))


def test_spark_rewrites() -> None:
    s = transpile("WITH b AS MATERIALIZED (SELECT 1 AS x) SELECT epoch(t) AS e, epoch_us(t) AS u FROM b", to="spark")
    assert "MATERIALIZED" not in s
    # epoch keeps the microseconds (sqlglot's UNIX_TIMESTAMP would drop them)
    assert "CAST(UNIX_MICROS(CAST(t AS TIMESTAMP_LTZ)) AS DOUBLE) / CAST(1000000 AS DOUBLE) AS e" in s
    assert "UNIX_MICROS(CAST(t AS TIMESTAMP_LTZ)) AS u" in s
    d = transpile("SELECT date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', g.at) AS t FROM g", to="spark")
    assert "UNIX_MICROS(CAST(g.at AS TIMESTAMP_LTZ)) - UNIX_MICROS(" in d
    assert "DECIMAL(38, 0)" in transpile("SELECT CAST(x AS HUGEINT) AS y FROM t", to="spark")
    assert "monotonically_increasing_id()" in transpile("SELECT rowid AS r FROM t", to="spark").lower()
    with pytest.raises(BackendError, match="64-bit hash"):
        transpile("SELECT hash(x) AS h FROM t", to="spark")


def test_spark_regex_rewrites_scripts_and_re2_whitespace() -> None:
    assert spark_regex(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]+") == r"[\p{IsHan}\p{IsHiragana}\p{IsKatakana}\p{IsHangul}]+"
    assert spark_regex(r"\s+") == r"[\t\n\f\r ]+"
    assert spark_regex(r"\S+( \S+){1}") == r"[^\t\n\f\r ]+( [^\t\n\f\r ]+){1}"
    assert spark_regex(r"[\s\pP]") == r"[\t\n\f\r \pP]"
    assert spark_regex(r"\\s") == r"\\s"  # an escaped backslash followed by s is not \s
    with pytest.raises(BackendError):
        spark_regex(r"[\S]")


def test_rarity_weights_equal_duckdbs_sql() -> None:
    # the weights now computed on the driver are bit for bit what DuckDB's SQL computed
    con = duckdb.connect()
    ms = np.r_[np.arange(1, 5000), [10**5, 10**6, 123457]]
    got = rarity_weights(ms).to_pydict()
    con.register("m", pa.table({"m": ms}))
    want = con.execute(
        "SELECT m, CAST(round(w * 1099511627776.0) AS BIGINT), CAST(round(w * w * 1099511627776.0) AS BIGINT) "
        "FROM (SELECT m, (1.0 / log2(greatest(m, 2))) AS w FROM m) ORDER BY m"
    ).fetchall()
    assert list(zip(got["m"], got["wq"], got["w2q"])) == want
    assert math.isclose(got["wq"][0] / 2**40, 1.0)


def test_driver_hash_is_duckdbs_hash() -> None:
    words = ["c香港今", "wok go", "", "w" + "x" * 500, "c港今天"]
    con = duckdb.connect()
    want = [int(r[0]) for r in con.execute("SELECT hash(s) FROM (SELECT unnest(?) AS s)", [words]).fetchall()]
    assert hash64(pa.array(words)).tolist() == want


def test_duckdb_engine_wraps_a_connection() -> None:
    con = duckdb.connect()
    eng = as_engine(con)
    assert isinstance(eng, DuckDBEngine) and as_engine(eng) is eng
    eng.materialise("_cib_x", "SELECT 1 AS a UNION ALL SELECT 2")
    eng.execute("CREATE TEMP VIEW _cib_v AS SELECT a * 2 AS b FROM _cib_x")
    assert eng.exists("_cib_x") and eng.exists("_cib_v")
    assert eng.columns("SELECT * FROM _cib_v") == ["b"]
    eng.register_arrow("_cib_arrow", pa.table({"k": [1, 2]}))
    assert eng.fetch_arrow("SELECT sum(b) AS s FROM _cib_v JOIN _cib_arrow ON k = b / 2").to_pydict() == {"s": [6]}
    eng.unregister("_cib_arrow")
    eng.drop("_cib_v")
    eng.drop("_cib_x")
    assert not eng.exists("_cib_x") and not eng.exists("_cib_v")
    assert eng.capabilities.hash64 and eng.capabilities.shares_case


def test_engine_names() -> None:
    assert start_engine("duckdb") is None
    with pytest.raises(ParameterError, match="unknown engine"):
        start_engine("presto")
    with pytest.raises(ParameterError, match="--spark-master"):
        start_engine("duckdb", spark_master="local[1]")

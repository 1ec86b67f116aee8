"""The one CSV rule (cibscope.export): its Python form and its SQL twin write the same bytes for
every column type, defuse formula cells, write ids as they are, NaN and NULL as the empty cell."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cibscope.engine.duckdb import DuckDBEngine
from cibscope.export import csv_cell, out_dir, write_csv, write_csv_sql
from cibscope.errors import InputError

TEXT = st.one_of(
    st.text(st.sampled_from(list("=+-@\t\r\n,\"' abcXYZ019/_.:|!é中\x1b")), max_size=12),
    st.text(max_size=8),
)
TIMES = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2099, 12, 31))
# DuckDB type -> values of it, as Python gives them to DuckDB
TYPES: dict[str, st.SearchStrategy] = {
    "BOOLEAN": st.booleans(),
    "TINYINT": st.integers(-128, 127),
    "SMALLINT": st.integers(-(2**15), 2**15 - 1),
    "INTEGER": st.integers(-(2**31), 2**31 - 1),
    "BIGINT": st.integers(-(2**63), 2**63 - 1),
    "HUGEINT": st.integers(-(2**100), 2**100),
    "UBIGINT": st.integers(0, 2**64 - 1),
    "DOUBLE": st.floats(allow_nan=True, allow_infinity=True),
    "FLOAT": st.floats(width=32, allow_nan=True, allow_infinity=True),
    "DECIMAL(18,3)": st.decimals(min_value=-(10**14), max_value=10**14, places=3, allow_nan=False, allow_infinity=False),
    "VARCHAR": TEXT,
    "DATE": st.dates(min_value=datetime(1970, 1, 1).date(), max_value=datetime(2099, 12, 31).date()),
    "TIMESTAMP": TIMES,
    "TIMESTAMPTZ": TIMES.map(lambda t: t.replace(tzinfo=timezone.utc)),
    "VARCHAR[]": st.lists(st.one_of(st.none(), TEXT), max_size=3),
    "BIGINT[]": st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=3),
}


def _both(tmp: Path, con: duckdb.DuckDBPyConnection, column: str, typ: str, values: list) -> tuple[bytes, bytes]:
    """(SQL writer's bytes, Python writer's bytes) for a table of ``values`` in ``column``."""
    con.execute("DROP TABLE IF EXISTS t")
    con.execute(f'CREATE TABLE t (k INTEGER, "{column}" {typ}, other VARCHAR)')
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", [[i, v, "x,y"] for i, v in enumerate(values)])
    sql = f'SELECT "{column}", other FROM t ORDER BY k'
    write_csv_sql(DuckDBEngine(con), sql, tmp / "sql.csv")
    rows = con.execute(sql).fetchall()  # the values as Python receives them from the case
    write_csv(tmp / "py.csv", rows, [column, "other"])
    return (tmp / "sql.csv").read_bytes(), (tmp / "py.csv").read_bytes()


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("SET TimeZone = 'Asia/Hong_Kong'")  # times are written in UTC whatever the session's zone
    return c


@given(st.data())
def test_python_and_sql_write_the_same_bytes_for_every_type(tmp_path_factory: pytest.TempPathFactory, con: duckdb.DuckDBPyConnection, data: st.DataObject) -> None:
    typ = data.draw(st.sampled_from(sorted(TYPES)))
    values = data.draw(st.lists(st.one_of(st.none(), TYPES[typ]), min_size=1, max_size=4))
    column = data.draw(st.sampled_from(["value", "account_id"])) if typ == "VARCHAR" else "value"
    sql_bytes, py_bytes = _both(tmp_path_factory.mktemp("csv"), con, column, typ, values)
    assert sql_bytes == py_bytes


def test_the_rule_cell_by_cell() -> None:
    assert [csv_cell(v) for v in ("=1+1", "+x", "-x", "@SUM(A1)", "\tcmd", "\rcmd", "plain", "a=b", "", "'=already", "-")] == [
        "'=1+1", "'+x", "'-x", "'@SUM(A1)", "'\tcmd", "'\rcmd", "plain", "a=b", "", "'=already", "'-",
    ]
    assert [csv_cell(v) for v in (None, float("nan"), float("inf"), -0.5, 3, True, False)] == ["", "", "inf", "-0.5", "3", "true", "false"]
    assert csv_cell(datetime(2020, 1, 2, 3, 4, 5, 500000)) == "2020-01-02 03:04:05.5"
    assert csv_cell(datetime(2020, 1, 2, 3, 4, 5)) == "2020-01-02 03:04:05"
    assert csv_cell(Decimal("1.500")) == "1.500"
    assert csv_cell(["=a", 1, None]) == '["=a",1,null]'  # JSON: starts with a bracket
    # ids survive a join: a hashed id starting with + or - is kept; one that could run is defused
    assert csv_cell("+18cN/aB=", id_column=True) == "+18cN/aB="
    assert csv_cell("-abc_DEF", id_column=True) == "-abc_DEF"
    assert csv_cell("a1 -b2", id_column=True) == "a1 -b2"
    assert csv_cell("=cmd|' /C calc'!A0", id_column=True) == "'=cmd|' /C calc'!A0"
    assert csv_cell("-2+3+cmd|' /C calc'!A0", id_column=True) == "'-2+3+cmd|' /C calc'!A0"


def test_csv_files_read_back_with_the_csv_module(tmp_path: Path) -> None:
    rows = [["a,b", 'say "hi"', "line\nbreak", "cr\ronly", "=x", "+1", None]]
    p = write_csv(tmp_path / "x.csv", rows, ["c1", "c2", "c3", "c4", "c5", "account_id", "c7"])
    with open(p, newline="", encoding="utf-8") as f:
        got = list(csv.reader(f))
    assert got[1] == ["a,b", 'say "hi"', "line\nbreak", "cr\ronly", "'=x", "+1", ""]


def test_an_output_folder_that_is_a_file_is_an_input_error(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="the output folder is a file"):
        out_dir(f)
    with pytest.raises(InputError, match="a part of its path is a file"):
        out_dir(f / "below")
    assert out_dir(tmp_path / "new" / "deeper").is_dir()

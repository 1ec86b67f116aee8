"""The case store: schema version checks and parameter validation messages."""

from __future__ import annotations

import duckdb
import pytest

from cibscope import open_case
from cibscope.errors import ParameterError, SchemaError
from cibscope.params import Interval, Options, validate
from cibscope.schema import ALL_TABLES, SCHEMA_VERSION


def test_new_case_has_every_table_and_version(tmp_path):
    with open_case(tmp_path / "c.duckdb") as case:
        for t in ALL_TABLES:
            assert case.table_exists(t.name), t.name
        assert case.meta("schema_version") == str(SCHEMA_VERSION)


def test_case_of_other_version_is_refused_with_advice(tmp_path):
    p = tmp_path / "c.duckdb"
    with open_case(p) as case:
        case.set_meta("schema_version", SCHEMA_VERSION + 1)
    with pytest.raises(SchemaError) as e:
        open_case(p)
    assert f"version {SCHEMA_VERSION + 1}" in str(e.value)
    assert "re-ingest" in (e.value.hint or "")


def test_foreign_duckdb_file_is_not_a_case(tmp_path):
    p = tmp_path / "other.duckdb"
    con = duckdb.connect(str(p))
    con.execute("CREATE TABLE x (a INT)")
    con.close()
    with pytest.raises(SchemaError, match="not a cibscope case"):
        open_case(p)


def test_missing_case_without_create(tmp_path):
    with pytest.raises(SchemaError, match="no such case"):
        open_case(tmp_path / "nope.duckdb", create=False)


@pytest.mark.parametrize(
    "constraint,good,bad",
    [
        (Interval(int, 1, None), [1, 60], [0, -5, 1.5, True, "60"]),
        (Interval(float, 0, 1, closed="right"), [0.5, 1], [0, 1.01]),
        (Options({"leiden", "components"}), ["leiden"], ["louvain", None]),
    ],
)
def test_parameter_validation(constraint, good, bad):
    for v in good:
        validate("Step", {"p": constraint}, {"p": v})
    for v in bad:
        with pytest.raises(ParameterError, match=r"The 'p' parameter of Step must be .* Got .* instead\."):
            validate("Step", {"p": constraint}, {"p": v})


def test_a_case_gets_half_of_duckdbs_default_memory_unless_told(tmp_path, monkeypatch):
    """DuckDB's default (80 % of the RAM) assumes it has the process alone; a case gets half of
    it (detect holds arrays and graphs beside DuckDB: 13.95 GiB at 10M tweets with DuckDB's
    default); CIBSCOPE_MEMORY_LIMIT overrides."""
    from cibscope.case import memory_limit_bytes
    from cibscope.engine.duckdb import DuckDBEngine

    monkeypatch.delenv("CIBSCOPE_MEMORY_LIMIT", raising=False)
    duckdb_default = memory_limit_bytes(DuckDBEngine(duckdb.connect()))
    assert duckdb_default and duckdb_default > 2**20
    with open_case(tmp_path / "a.duckdb") as c:
        got = memory_limit_bytes(c.engine)
        assert got is not None
    # DuckDB prints the limit to 3 significant digits
    assert abs(got - duckdb_default / 2) <= 0.01 * duckdb_default
    monkeypatch.setenv("CIBSCOPE_MEMORY_LIMIT", "3GiB")
    with open_case(tmp_path / "b.duckdb") as c:
        assert memory_limit_bytes(c.engine) == 3 * 2**30

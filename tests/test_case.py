"""The case store: schema version checks and parameter validation messages."""

from __future__ import annotations

import gzip

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


# ---- what is not a case: one rule in open_case, the same message from every command ----------

CSV_TEXT = "tweetid,userid,tweet_text\n1,2,hello\n"


@pytest.mark.parametrize(
    "name,content,kind",
    [
        ("tweets.csv", CSV_TEXT.encode(), "a CSV file"),
        ("tweets.json", b'[{"id": 1}]\n', "a JSON file"),
        ("tweets.csv.gz", gzip.compress(CSV_TEXT.encode()), "a gzip file"),
        ("notes.txt", b"just some words\n", "a text file"),
    ],
)
@pytest.mark.parametrize("mode", [{"create": True}, {"create": False}, {"create": False, "read_only": True}])
def test_a_data_file_given_as_case_is_named_and_left_untouched(tmp_path, name, content, kind, mode):
    """DuckDB 2 opens a CSV file as a database of one table: the message said "a DuckDB
    database but not a cibscope case". It is now named for what it is, with the command that
    makes a case of it, and the file keeps every byte (ingest, create=True, included)."""
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(SchemaError) as e:
        open_case(p, **mode)
    assert str(e.value) == f"{p}: not a cibscope case ({kind})"
    assert e.value.hint is not None and f"cibscope ingest {p} --case" in e.value.hint
    assert p.read_bytes() == content
    assert not list(tmp_path.glob("*.wal"))


@pytest.mark.parametrize("mode", [{"create": False}, {"create": False, "read_only": True}])
def test_an_empty_file_is_not_a_case_where_one_is_read(tmp_path, mode):
    """Read-only, DuckDB said "Cannot launch in-memory database in read-only mode!"."""
    p = tmp_path / "zero.csv"
    p.write_bytes(b"")
    with pytest.raises(SchemaError) as e:
        open_case(p, **mode)
    assert str(e.value) == f"{p}: not a cibscope case (an empty file)"
    assert "cibscope ingest" in (e.value.hint or "")
    assert p.read_bytes() == b""


def test_an_empty_file_where_a_case_is_made_becomes_the_case(tmp_path):
    p = tmp_path / "new.duckdb"
    p.write_bytes(b"")  # e.g. mktemp
    with open_case(p) as case:
        assert case.meta("schema_version") == str(SCHEMA_VERSION)
    with open_case(p, create=False, read_only=True) as case:
        assert case.table_exists("posts")


def test_an_empty_duckdb_database_is_not_a_case_where_one_is_read(tmp_path):
    p = tmp_path / "blank.duckdb"
    duckdb.connect(str(p)).close()
    for mode in ({"create": False}, {"create": False, "read_only": True}):
        with pytest.raises(SchemaError, match=r"not a cibscope case \(an empty DuckDB database\)"):
            open_case(p, **mode)
    with open_case(p) as case:  # ingest may make the case in it
        assert case.meta("schema_version") == str(SCHEMA_VERSION)


@pytest.mark.parametrize("command", [["report", "--out", "{out}"], ["detect"], ["explain", "a1"], ["audit", "--claimed", "all", "--out", "{out}"]])
def test_every_command_says_the_same_of_a_csv_and_of_an_empty_file(tmp_path, capsys, monkeypatch, command):
    from cibscope.cli import main

    monkeypatch.setenv("COLUMNS", "300")
    csv_file = tmp_path / "tweets.csv"
    csv_file.write_text(CSV_TEXT, encoding="utf-8")
    zero = tmp_path / "zero.csv"
    zero.write_bytes(b"")
    args = [a.replace("{out}", str(tmp_path / "o")) for a in command]
    for case_file, kind in ((csv_file, "a CSV file"), (zero, "an empty file")):
        monkeypatch.setattr("sys.argv", ["cibscope", *args, "--case", str(case_file)])
        with pytest.raises(SystemExit) as e:
            main()
        assert e.value.code == 1
        err = " ".join(capsys.readouterr().err.split())  # the console may wrap long lines
        assert f"error: {case_file}: not a cibscope case ({kind})" in err
        assert "Traceback" not in err and "DuckDB" not in err and "read-only" not in err

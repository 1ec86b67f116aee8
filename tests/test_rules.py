"""The validation rules (cibscope.ingest.rules): the Python form and its SQL twin agree on any
text, and the rules say what docs/formats.md says."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cibscope.ingest import rules as R
from cibscope.ingest.base import trimmed_sql

# Text that exercises the rules: digits, signs, dots, exponents, hex, spaces, controls, letters.
ALPHABET = st.sampled_from(list("0123456789+-.eExX _=@/|!abcAZ\t\x1b\x9b\x00é٣\u00a0\u3000"))
TEXT = st.one_of(st.text(ALPHABET, max_size=24), st.text(max_size=12), st.integers(-(2**70), 2**70).map(str))


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _sql(con: duckdb.DuckDBPyConnection, expr: str, value: str) -> object:
    """``expr`` over the text ``value`` trimmed as the readers trim it (NULL when empty)."""
    x = trimmed_sql("CAST($1 AS VARCHAR)")
    return con.execute(f"WITH t AS (SELECT {x} AS x) SELECT {expr} FROM t", [value]).fetchall()[0][0]


def _py(fn, *args):  # noqa: ANN001, ANN202 - the rule's value, or the marker of a refusal
    try:
        return fn(*args)
    except R.BadValue:
        return "refused"


@given(TEXT)
def test_trim_is_duckdbs(con: duckdb.DuckDBPyConnection, s: str) -> None:
    assert R.trim(s) == _sql(con, "x", s)


@given(TEXT)
def test_decimal_id_twin(con: duckdb.DuckDBPyConnection, s: str) -> None:
    py = _py(R.decimal_id, s, "post_id")
    ok = _sql(con, R.decimal_id_sql("x"), s)
    assert (py != "refused") == ok
    if ok:
        assert py == R.trim(s)


@given(TEXT)
def test_text_id_twin(con: duckdb.DuckDBPyConnection, s: str) -> None:
    py = _py(R.text_id, s, "account_id")
    why = _sql(con, R.text_id_problem_sql("x"), s)
    assert (py == "refused") == (why is not None)
    if py != "refused" and py is not None:
        assert R.text_id_problem(py) is None


@given(TEXT)
def test_count_twin(con: duckdb.DuckDBPyConnection, s: str) -> None:
    assert R.count(s) == _sql(con, R.count_sql("x"), s)


@given(TEXT, st.sampled_from(["latitude", "longitude"]))
def test_coordinate_twin(con: duckdb.DuckDBPyConnection, s: str, axis: str) -> None:
    assert R.coordinate(s, axis) == _sql(con, R.coordinate_sql("x", axis), s)


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
def test_time_range_twin(con: duckdb.DuckDBPyConnection, t: datetime) -> None:
    got = con.execute(f"SELECT {R.time_in_range_sql('CAST($1 AS TIMESTAMP)')}", [t]).fetchall()[0][0]
    assert R.time_in_range(t) == got


def test_decimal_ids() -> None:
    assert R.decimal_id(1182948211848441856, "id") == "1182948211848441856"
    assert R.decimal_id(" 42 ", "id") == "42"
    assert R.decimal_id(str(R.MAX_U64), "id") == str(R.MAX_U64)
    assert R.decimal_id("", "id") is None and R.decimal_id(None, "id") is None
    for bad in (-5, "-5", "abc", "0042", [1], {"x": 1}, 1.0, True, R.MAX_U64 + 1, str(R.MAX_U64 + 1), "1e18", "0x10", "٣"):
        with pytest.raises(R.BadValue):
            R.decimal_id(bad, "id")


def test_text_ids() -> None:
    for ok in ("123", "+18cN/aB=", "-abc_DEF", "tw_123", "gCRK0DAnkM05m/JfFEQusnA+e2Uvrx/380ySQPatuJQ="):
        assert R.text_id(ok, "id") == ok
    assert R.text_id("a\x1bb", "id") == "a\x1bb"  # kept: terminal output strips it
    for bad in ("=HYPERLINK(1)", "@SUM(A1)", "-2+3+cmd|' /C calc'!A0", "+1)", "\t=1", "1.2e+18", "123.0", "x" * 2000, [1]):
        with pytest.raises(R.BadValue):
            R.text_id(bad, "id")


def test_counts_and_coordinates() -> None:
    assert [R.count(v) for v in ("12", "3.0", "1.5", "0x10", "-3", "1e3", "", 7, 3.0, 2.5, -1, True)] == [
        12, 3, None, None, None, None, None, 7, 3, None, None, None,
    ]
    assert [R.coordinate(v, "latitude") for v in ("45.5", "1e23", "NaN", "inf", "-90", "90.1", 12, float("nan"), "absent")] == [
        45.5, None, None, None, -90.0, None, 12.0, None, None,
    ]
    assert R.coordinate("-179.5", "longitude") == -179.5 and R.coordinate("181", "longitude") is None


# ---- the whole-file UTF-8 check of lean reads (ingest.base.is_utf8_file) ----------------------


@given(st.lists(st.sampled_from([b"a", b"\n", b"\xc3", b"\xa9", b"\xe6\x97\xa5", b"\xf0\x9f\x98\x80", b"\xff", b"\xed\xa0\x80", b"\xc0\xaf", b"\x00"]), max_size=40),
       st.sampled_from([1, 2, 5, 1 << 24]))
def test_is_utf8_file_twin(tmp_path_factory: pytest.TempPathFactory, parts: list[bytes], chunk: int) -> None:
    """The file check (Arrow's validation, slice by slice cut after newlines) says what
    Python's strict decoder says of the whole file, whatever the slice size."""
    from cibscope.ingest.base import is_utf8_file

    data = b"".join(parts)
    f = tmp_path_factory.mktemp("utf8") / "f.csv"
    f.write_bytes(data)
    try:
        data.decode("utf-8")
        want = True
    except UnicodeDecodeError:
        want = False
    assert is_utf8_file(f, chunk=chunk) is want


def _raw_ok(con: duckdb.DuckDBPyConnection, fragment: str, value: str) -> bool:
    """A fast validity test of the IO-archive tweets reader over the value as read (no trim)."""
    return bool(con.execute(f"WITH t AS (SELECT CAST($1 AS VARCHAR) AS v) SELECT coalesce({fragment}, false) FROM t", [value]).fetchall()[0][0])


@given(st.one_of(TEXT, st.sampled_from(["abc=", "+abc=", "12ab=", "/x=", "-x_1", "0123", "1e5", "=1", "+cmd|' /C calc'!A0", " abc", "abc ", "1.0", "9" * 30, "a b\u00a0", "a\u00a0b"])))
def test_archive_fast_id_tests_imply_the_rules(con: duckdb.DuckDBPyConnection, s: str) -> None:
    """The tweets reader's cheap tests on a value as read (``io_archive._text_id_ok_sql`` and
    ``_decimal_id_ok_sql``): when one passes, the rule keeps the value, unchanged by the trim
    (a value that fails is judged by the rule itself)."""
    from cibscope.ingest.io_archive import _decimal_id_ok_sql, _text_id_ok_sql

    if _raw_ok(con, _text_id_ok_sql("v"), s):
        assert R.text_id(s, "userid") == s
    if _raw_ok(con, _decimal_id_ok_sql("v"), s):
        assert R.decimal_id(s, "tweetid") == s


def test_archive_fast_id_tests_pass_the_usual_ids(con: duckdb.DuckDBPyConnection) -> None:
    from cibscope.ingest.io_archive import _decimal_id_ok_sql, _text_id_ok_sql

    usual = ["259901132", "dpHQrVGcz3v6KtnnCgCEYTioFRhF6PNiET/viWMQ1Ek=", "+pHQrVGcz3v6KtnnCgCE=", "/pHQ=", "7pHQrVG=", "abc"]
    assert [_raw_ok(con, _text_id_ok_sql("v"), s) for s in usual] == [True] * len(usual)
    assert [_raw_ok(con, _decimal_id_ok_sql("v"), s) for s in ["1161219769488113671", "1", "18446744073709551615"]] == [True] * 3
    # left to the rule (which may keep them): not canonical, a space at an edge, a formula, float notation
    assert not any(_raw_ok(con, _text_id_ok_sql("v"), s) for s in ["0123", " abc", "abc ", "=1", "+cmd|x", "1e5", "12ab", ""])
    assert not any(_raw_ok(con, _decimal_id_ok_sql("v"), s) for s in ["0123", " 1", "+1", "1e5", "1.0", "18446744073709551616", ""])

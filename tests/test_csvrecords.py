"""cibscope.csvrecords: small CSV files as records with their physical lines (used by the
media-policy readers and referral-audit's series reader).

A stray or unclosed quote costs one record, reported with its span, and the lines after its
first are read again; a well-formed multi-line field is kept; invalid UTF-8 is named by line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cibscope import csvrecords
from cibscope.csvrecords import Record
from cibscope.errors import InputError


def _write(p: Path, text: str, newline: str = "\n") -> Path:
    p.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return p


def _spans(recs: Iterator[Record]) -> list[tuple[int, int, list[str], bool]]:
    return [(r.line, r.last, r.fields, bool(r.broken)) for r in recs]


@contextmanager
def _field_limit(n: int) -> Iterator[None]:
    old = csv.field_size_limit(n)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def test_physical_lines_end_at_lf_crlf_and_cr() -> None:
    assert csvrecords.physical_lines("a\nb\r\nc\rd") == ["a\n", "b\r\n", "c\r", "d"]
    assert csvrecords.physical_lines("") == []


def test_a_well_formed_multiline_field_is_kept_and_the_next_record_keeps_its_line(tmp_path: Path) -> None:
    p = _write(tmp_path / "n.csv", 'id,value,note\na,1,"first line\nsecond, with a comma"\nb,2,\n')
    assert _spans(csvrecords.read(p)) == [
        (1, 1, ["id", "value", "note"], False),
        (2, 3, ["a", "1", "first line\nsecond, with a comma"], False),
        (4, 4, ["b", "2", ""], False),
    ]


def test_a_stray_quote_is_reported_with_its_span_and_the_rows_it_swallowed_are_read_again(tmp_path: Path) -> None:
    rows = [f"r{i},name {i},{i}" for i in range(1, 8)]
    rows[1] = 'r2,"name 2,2'  # line 3: a stray quote opens field 2
    rows[4] = 'r5,"name, 5",5'  # line 6: the next quote closes it
    p = _write(tmp_path / "s.csv", "id,name,n\n" + "\n".join(rows) + "\n")
    recs = list(csvrecords.read(p))
    assert [(r.line, r.last, bool(r.broken)) for r in recs] == [
        (1, 1, False), (2, 2, False), (3, 6, True), (4, 4, False), (5, 5, False), (6, 6, False), (7, 7, False), (8, 8, False)]
    broken = recs[2]
    assert broken.fields == ['r2,"name 2,2']  # the text of its first line
    assert broken.broken == (
        "lines 3-6: a quote opened in field 2 on line 3 closes only on line 6, and 2 of the 2 lines between look like rows "
        "of their own (a stray or unclosed quote?); the record (4 fields, the header has 3) is skipped and lines 4-6 "
        "are read again as rows")
    assert [r.fields for r in recs[3:]] == [["r3", "name 3", "3"], ["r4", "name 4", "4"], ["r5", "name, 5", "5"],
                                            ["r6", "name 6", "6"], ["r7", "name 7", "7"]]
    # the caller names what it does with the record
    (q,) = [r for r in csvrecords.read(p, fate="quarantined") if r.broken]
    assert "the record (4 fields, the header has 3) is quarantined and lines 4-6" in q.broken


def test_a_multiline_record_with_the_wrong_field_count_is_broken_even_when_no_inner_line_looks_like_a_row() -> None:
    recs = list(csvrecords.records('a,b,c\n1,"x\ny",2,3\n4,5,6\n'))
    assert [(r.line, r.last, bool(r.broken)) for r in recs] == [(1, 1, False), (2, 3, True), (3, 3, False), (4, 4, False)]
    assert recs[1].broken == (
        "lines 2-3: a quote opened in field 2 on line 2 closes only on line 3 (a stray or unclosed quote?); "
        "the record (4 fields, the header has 3) is skipped and lines 3-3 are read again as rows")
    assert recs[2].fields == ['y"', "2", "3"] and recs[3].fields == ["4", "5", "6"]


def test_a_quote_never_closed_says_the_file_ends_inside_it(tmp_path: Path) -> None:
    p = _write(tmp_path / "n.csv", 'date,source,value\n2020-01-01,a,1\n2020-01-02,a,"2\n2020-01-03,a,3\n2020-01-04,a,4\n')
    recs = list(csvrecords.read(p))
    (broken,) = [r for r in recs if r.broken]
    assert (broken.line, broken.last) == (3, 5)
    assert broken.broken.startswith(
        "lines 3-5: a quote opened in field 3 on line 3 is never closed: the file ends inside it, on line 5, "
        "and 2 of the 2 lines after it look like rows of their own (a stray or unclosed quote?)")
    assert [(r.line, r.fields) for r in recs if not r.broken][2:] == [(4, ["2020-01-03", "a", "3"]), (5, ["2020-01-04", "a", "4"])]


def test_a_field_over_the_csv_limit_is_reported_and_reading_resumes() -> None:
    text = "a,b\n" + '"x,' + "y" * 30 + "\n" + "1,2\n" * 5
    with _field_limit(20):
        recs = list(csvrecords.records(text, fate="quarantined"))
    broken = recs[1]
    assert broken.line == 2 and broken.broken.startswith("lines 2-2: a quoted field opened on line 2 runs past 20 characters")
    assert broken.broken.endswith("line 2 is quarantined and the lines after it are read again as rows")
    assert [(r.line, r.fields) for r in recs[2:]] == [(n, ["1", "2"]) for n in range(3, 8)]


def test_a_header_over_the_csv_limit_is_an_input_error_naming_its_line() -> None:
    with _field_limit(20), pytest.raises(InputError) as e:
        list(csvrecords.records('# note\n"a,' + "b" * 30 + "\n1,2\n", before_header=lambda row: row[0].startswith("#"), file="h.csv"))
    assert e.value.line == 2 and str(e.value).startswith("h.csv:2: malformed CSV header (field larger than field limit (20))")


def test_lines_before_the_header_do_not_set_the_field_count() -> None:
    text = '# exported 2024\n\nday,source,value\n2020-01-01,"a\nb",1\n'
    recs = list(csvrecords.records(text, before_header=lambda row: not row or row[0].startswith("#")))
    assert [(r.line, r.last, r.fields, r.broken) for r in recs] == [
        (1, 1, ["# exported 2024"], ""), (2, 2, [], ""), (3, 3, ["day", "source", "value"], ""),
        (4, 5, ["2020-01-01", "a\nb", "1"], ""),  # 3 fields, as the header: kept
    ]
    # without it the comment is the header (one field), and the two-line record is broken
    assert [r.line for r in csvrecords.records(text) if r.broken] == [4]


def test_invalid_utf8_is_named_by_line_and_byte(tmp_path: Path) -> None:
    body = "date,source,value\n2020-01-01,a,1\n2020-01-02,caf\xe9,2\n".encode("latin-1")
    p = tmp_path / "latin.csv"
    p.write_bytes(body)
    with pytest.raises(InputError) as e:
        csvrecords.read(p)
    assert e.value.file == str(p) and e.value.line == 3 and e.value.hint == csvrecords.UTF8_HINT
    assert str(e.value) == f"{p}:3: not UTF-8 text (invalid continuation byte at byte 15 of the line, b'\\xe9')"
    for newline in (b"\r\n", b"\r"):  # with a BOM, CRLF or CR line ends: the same line and byte
        with pytest.raises(InputError) as e:
            csvrecords.decode(b"\xef\xbb\xbf" + body.replace(b"\n", newline))
        assert e.value.line == 3 and "at byte 15 of the line" in str(e.value) and e.value.file is None
    with pytest.raises(InputError) as e:
        csvrecords.decode(b"\xffabc")
    assert e.value.line == 1 and "at byte 1 of the line" in str(e.value)
    assert csvrecords.decode(b"\xef\xbb\xbfa,b\n") == "a,b\n"


def test_crlf_and_cr_line_ends_are_counted_and_dropped_from_fields(tmp_path: Path) -> None:
    text = 'id,value,note\na,1,"two\nlines"\nb,"2,x\nc,3,\n'
    for newline in ("\r\n", "\r"):
        p = _write(tmp_path / "crlf.csv", text, newline)
        recs = list(csvrecords.read(p))
        assert [(r.line, r.last, bool(r.broken)) for r in recs] == [(1, 1, False), (2, 3, False), (4, 5, True), (5, 5, False)]
        assert recs[1].fields == ["a", "1", f"two{newline}lines"]
        assert recs[2].fields == ['b,"2,x'] and recs[2].broken.startswith("lines 4-5: a quote opened in field 2 on line 4 is never closed")
        assert recs[3].fields == ["c", "3", ""]


def test_an_empty_file_has_no_records(tmp_path: Path) -> None:
    assert list(csvrecords.read(_write(tmp_path / "e.csv", ""))) == []

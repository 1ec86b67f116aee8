"""media-policy readers: a stray quote, a quote never closed, invalid UTF-8.

One stray `"` at the start of a State Media Matrix row made Python's CSV reader take every line
up to the next quote as one field: 818 outlets vanished behind one problem row that said only
"18 fields, the header has 19". The record is now reported with its span and the lines in it
are read again as rows; a well-formed multi-line field (a note with a line break) is kept.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cibscope import csvrecords
from cibscope.errors import InputError
from cibscope.mediapolicy import read_blocs, read_observed, run_media_policy
from cibscope.mediapolicy.outlets import read_outlet_csv, read_outlets

SMM_HEADER = (
    "Region,Country,Media company,Main assets,URL,Typology,Status,Notes,Instagram Link,Twitter Link,Facebook Link,"
    "Youtube Link,Telegram Link,VK Link,Linkedin link,Ok.ru link,Tiktok Link,Rutube Link,streaming media URL"
)
EMPTY_TAIL = "," * 13  # Status, Notes and the 11 link columns, empty


def _smm_row(i: int, *, company: str | None = None) -> str:
    return f"Europe,Ruritania,{company or f'Company {i}'},Asset {i},https://a{i}.example,SC{EMPTY_TAIL}"


def _write(p: Path, lines: list[str]) -> Path:
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_a_stray_quote_costs_one_row_and_is_reported_with_its_span(tmp_path):
    rows = [_smm_row(i) for i in range(1, 41)]
    rows[2] = '"' + rows[2]  # line 4: a stray quote opens field 1
    rows[30] = _smm_row(31, company='"Company 31, Ltd"')  # line 32: the next quote, a well-formed field
    p = _write(tmp_path / "matrix.csv", [SMM_HEADER, *rows])
    s = read_outlets(p)
    assert len(s) == 39  # every row but the one with the stray quote (before: 12)
    assert {o.name for o in s} == {f"Asset {i}" for i in range(1, 41)} - {"Asset 3"}
    assert [o for o in s if o.name == "Asset 31"][0].company == "Company 31, Ltd"
    skipped = [pr for pr in s.problems if pr.action == "row skipped"]
    assert len(skipped) == 1 and skipped[0].line == 4
    reason = skipped[0].reason
    assert reason.startswith("lines 4-32: a quote opened in field 1 on line 4 closes only on line 32")
    assert "27 of the 27 lines between look like rows of their own" in reason
    assert "lines 5-32 are read again as rows" in reason
    assert skipped[0].value.startswith('"Europe,Ruritania,Company 3,')
    assert s.inputs[0]["rows"] == 40  # the broken record is one row; the 28 lines after it are rows again


def test_a_quote_never_closed_says_the_file_ends_inside_it(tmp_path):
    rows = [_smm_row(i) for i in range(1, 11)]
    rows[7] = rows[7].replace("https://a8", '"https://a8')  # line 9, field 5; no quote after it
    p = _write(tmp_path / "matrix.csv", [SMM_HEADER, *rows])
    s = read_outlets(p)
    assert len(s) == 9
    (pr,) = s.problems
    assert pr.line == 9 and pr.reason.startswith("lines 9-11: a quote opened in field 5 on line 9 is never closed: the file ends inside it, on line 11")
    assert "2 of the 2 lines after it look like rows" in pr.reason


def test_a_quote_running_past_the_csv_field_limit_is_reported_and_reading_resumes(tmp_path):
    # the limit is the csv module's process-wide setting (the generic ingest reader raises it
    # to 2 GiB when it has run in this process): set here, as a user's run would find it
    old = csv.field_size_limit(131_072)
    try:
        n = (csv.field_size_limit() // 100) + 200  # enough ~100-character lines to overflow one field
        rows = [_smm_row(i) + " " * (100 - len(_smm_row(i))) for i in range(1, n + 1)]
        rows[0] = '"' + rows[0]
        p = _write(tmp_path / "matrix.csv", [SMM_HEADER, *rows])
        s = read_outlets(p)
        (pr,) = [pr for pr in s.problems if pr.action == "row skipped"]
        assert pr.line == 2 and f"runs past {csv.field_size_limit():,} characters" in pr.reason
        assert len(s) == n - 1
    finally:
        csv.field_size_limit(old)


def test_a_multiline_note_of_a_well_formed_row_is_kept(tmp_path):
    p = _write(tmp_path / "o.csv", [
        "outlet_id,name,country,criterion,value,source,date,confidence,note",
        'a,A,Alpha,state_funding,true,r,2020-01-01,high,"first line of the note',
        'second line, with a comma"',
        "b,B,Beta,state_funding,false,r,2020-01-01,high,",
    ])
    s = read_outlet_csv(p)
    assert s.problems == [] and len(s) == 2
    assert s.get("a").evidence[0].note == "first line of the note\nsecond line, with a comma"
    assert s.get("b").sources == ["o.csv:4"]  # lines still counted physically


def test_outlet_csv_observed_and_blocs_readers_share_the_rule(tmp_path):
    o = _write(tmp_path / "o.csv", [
        "outlet_id,name,country,criterion,value,source,date,confidence",
        'a,"A,Alpha,state_funding,true,r,2020-01-01,high',
        "b,B,Beta,state_funding,false,r,2020-01-01,high",
        "c,C,Gamma,state_funding,false,r,2020-01-01,high",
    ])
    s = read_outlet_csv(o)
    assert sorted(s.outlets) == ["b", "c"]
    assert [(pr.line, pr.reason.split(":")[0]) for pr in s.problems] == [(2, "lines 2-4")]
    obs = _write(tmp_path / "obs.csv", [
        "policy,outlet,country,date,treatment,label,source_url",
        'toy,"A,Alpha,2021-01-01,applied,x,https://s/1',
        "toy,B,Beta,2021-01-01,applied,x,https://s/2",
    ])
    rows, problems = read_observed(obs)
    assert [r.outlet for r in rows] == ["B"] and problems[0].line == 2 and "never closed" in problems[0].reason
    blocs = _write(tmp_path / "blocs.csv", ["country,bloc", '"Alpha,west', "Beta,east", "Gamma,east"])
    got, problems = read_blocs(blocs)
    assert got == {"beta": "east", "gamma": "east"}
    assert [(pr.line, pr.reason.split(":")[0]) for pr in problems] == [(2, "lines 2-4")]


def test_invalid_utf8_is_named_by_line_not_byte_offset(tmp_path):
    p = tmp_path / "matrix.csv"
    rows = [_smm_row(i) for i in range(1, 6)]
    body = ("\n".join([SMM_HEADER, *rows]) + "\n").encode("utf-8")
    body = body.replace(b"Asset 3", b"Asset \xe43")  # latin-1 in line 4, its 34th byte
    p.write_bytes(body)
    with pytest.raises(InputError) as e:
        read_outlets(p)
    assert e.value.line == 4 and e.value.file == str(p)
    assert str(e.value).startswith(f"{p}:4: not UTF-8 text") and "byte 34 of the line" in str(e.value)
    assert e.value.hint == csvrecords.UTF8_HINT  # the referral reader's words too
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(b"\xef\xbb\xbf" + body.replace(b"\n", b"\r\n"))
    with pytest.raises(InputError) as e:
        read_outlets(crlf)
    assert e.value.line == 4


def test_the_run_reports_the_span_in_problems_csv(tmp_path):
    rows = [_smm_row(i) for i in range(1, 21)]
    rows[4] = '"' + rows[4]
    p = _write(tmp_path / "matrix.csv", [SMM_HEADER, *rows])
    r = run_media_policy([p], observed=None, out=tmp_path / "mp", report=False)
    assert r.summary()["outlets"] == 19
    with open(tmp_path / "mp" / "problems.csv", encoding="utf-8", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["line"] == "6" and row["reason"].startswith("lines 6-21: a quote opened in field 1 on line 6 is never closed")
    first = (tmp_path / "mp" / "problems.csv").read_bytes()
    run_media_policy([p], observed=None, out=tmp_path / "mp", report=False)
    assert (tmp_path / "mp" / "problems.csv").read_bytes() == first


def test_the_command_prints_the_first_problems_with_their_lines(tmp_path):
    """The summary names the first problems, a broken quote's span included, not only a count."""
    from typer.testing import CliRunner

    from cibscope.cli import app

    rows = [_smm_row(i) for i in range(1, 21)]
    rows[4] = '"' + rows[4]
    p = _write(tmp_path / "matrix.csv", [SMM_HEADER, *rows])
    res = CliRunner().invoke(app, ["media-policy", "--outlets", str(p), "--out", str(tmp_path / "mp")], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    assert "1 input rows or values not used as given" in res.output
    assert "matrix.csv:6: lines 6-21: a quote opened in field 1 on line 6 is never closed" in res.output

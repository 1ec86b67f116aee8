"""referral-audit's reader: what a row must hold to be a day's count (docs/referral-audit.md, Input).

Found by an adversarial sweep: `1e308`, `1e23` and `12.5` were read as daily pageviews (the
adjusted effect's interval came out at +2 x 10^200 %), `2016-1-5` was read as 2016-01-05 and the
genuine 2016-01-05 row then quarantined as its duplicate, 1900-01-01 and 2099-01-01 were
accepted, and a stray quote silently merged rows into a garbage source name.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cibscope import csvrecords
from cibscope.errors import InputError
from cibscope.referral import read_series
from cibscope.referral.series import MAX_DAILY

TODAY = date(2024, 6, 1)


def _write(p: Path, text: str) -> Path:
    p.write_text(text, encoding="utf-8")
    return p


def _read(path: Path, **kw):
    d = read_series([path], today=TODAY, **kw)
    for s in d.files:
        assert s.rows_read == s.kept + s.filtered + s.quarantined
    return d, {q.line: q.reason for q in d.quarantine}


def test_values_that_are_not_plausible_daily_counts_are_quarantined(tmp_path):
    values = ["-5", "abc", "", "1e308", "NaN", "inf", "12.5", "99999999999999999999999", " 100 ", "0x10", "12.0", "1.5e6",
              "1_000", "--5", "-0", "1000000000000", "1000000000001"]
    rows = [f"2020-01-{i:02d},search,{v}" for i, v in enumerate(values, 1)]
    d, reasons = _read(_write(tmp_path / "d.csv", "date,source,value\n" + "\n".join(rows) + "\n"))
    line = {v: i + 2 for i, v in enumerate(values)}  # the header is line 1
    assert set(reasons) == {line[v] for v in ("-5", "abc", "", "1e308", "NaN", "inf", "12.5", "99999999999999999999999",
                                              "0x10", "1_000", "--5", "1000000000001")}
    assert reasons[line["-5"]] == "not a non-negative count in 'value': '-5' (negative)"
    assert reasons[line["abc"]].endswith("(not a number)") and reasons[line["0x10"]].endswith("(not a number)")
    assert reasons[line["NaN"]].endswith("(not a number)") and reasons[line["inf"]].endswith("(not a number)")
    for big in ("1e308", "99999999999999999999999", "1000000000001"):
        assert "not a plausible daily count" in reasons[line[big]]
    assert reasons[line["12.5"]].startswith("not a whole count in 'value': '12.5' (not a whole number)")
    assert "counts = false" in reasons[line["12.5"]]
    kept = d.values[("", "search")]
    assert kept == {date(2020, 1, 9): 100.0, date(2020, 1, 11): 12.0, date(2020, 1, 12): 1.5e6, date(2020, 1, 15): 0.0,
                    date(2020, 1, 16): MAX_DAILY}


def test_a_rate_may_be_fractional_when_the_column_is_not_a_count(tmp_path):
    gsc = _write(tmp_path / "Dates.csv", "Date,Clicks,Impressions,CTR,Position\n2024-03-02,120,4000,3%,8.1\n2024-03-01,110,3900,2.8%,8.3\n")
    d, reasons = _read(gsc, metric="Position")  # not one of the preset's counts
    assert reasons == {} and d.values[("", "google search position")] == {date(2024, 3, 1): 8.3, date(2024, 3, 2): 8.1}
    _, reasons = _read(_write(tmp_path / "Dates2.csv", "Date,Clicks,Impressions\n2024-03-02,120.5,4000\n"), metric="Impressions")
    assert reasons == {}
    _, reasons = _read(_write(tmp_path / "Dates3.csv", "Date,Clicks,Impressions\n2024-03-01,110,3900\n2024-03-02,120,4000.5\n"), metric="Impressions")
    assert list(reasons) == [3] and "not a whole count in 'Impressions'" in reasons[3]
    share = _write(tmp_path / "share.toml", '[preset]\nname = "share"\ndate = "day"\nsource = "channel"\nvalue = "share"\ncounts = false\n')
    d, reasons = _read(_write(tmp_path / "s.csv", "day,channel,share\n2024-03-01,search,0.42\n"), preset=share)
    assert reasons == {} and d.values[("", "search")] == {date(2024, 3, 1): 0.42}
    _write(share, '[preset]\nname = "share"\ndate = "day"\nsource = "channel"\nvalue = "share"\ncounts = "no"\n')
    with pytest.raises(InputError, match="counts must be true or false"):
        read_series([tmp_path / "s.csv"], preset=share)


def test_dates_are_read_exactly_and_a_look_alike_no_longer_evicts_the_real_row(tmp_path):
    f = _write(tmp_path / "d.csv", (
        "date,source,value\n"
        "2016-01-04,search,10\n"
        "2016-1-5,search,999\n"             # line 3: not ISO: quarantined, not read as 2016-01-05
        "2016-01-05,search,11\n"            # line 4: the real row, kept
        "2016-01-06T00:00:00Z,search,12\n"  # a timestamp of midnight: the day
        "2016-01-07 13:00:00,search,13\n"   # line 6: hourly data
        "2016-02-30,search,14\n"            # line 7
        "01/08,search,15\n"                 # line 8
        "2016-01-08,search,16\n"
    ))
    d, reasons = _read(f)
    assert d.values[("", "search")] == {date(2016, 1, 4): 10.0, date(2016, 1, 5): 11.0, date(2016, 1, 6): 12.0, date(2016, 1, 8): 16.0}
    assert set(reasons) == {3, 6, 7, 8}
    assert reasons[3] == "not a date in 'date': '2016-1-5' (expected YYYY-MM-DD or YYYYMMDD or YYYY/MM/DD)"
    assert reasons[6].startswith("a time of day in 'date': '2016-01-07 13:00:00'")
    assert not any("duplicate" in r for r in reasons.values())


def test_a_date_in_another_format_than_the_rest_of_the_file_is_quarantined(tmp_path):
    rows = [f"2016-01-{i:02d},search,{i}" for i in range(1, 8)] + ["20160105,internal,99"]
    d, reasons = _read(_write(tmp_path / "d.csv", "date,source,value\n" + "\n".join(rows) + "\n"))
    assert reasons == {9: "date '20160105' in 'date' written as YYYYMMDD, the file's other dates as YYYY-MM-DD (7 rows): a row from another export?"}
    assert ("", "internal") not in d.values
    # a file written wholly in another accepted format is read as it is
    d, reasons = _read(_write(tmp_path / "e.csv", "date,source,value\n20160101,search,1\n20160102,search,2\n"))
    assert reasons == {} and len(d.values[("", "search")]) == 2


def test_the_ua_day_index_takes_months_and_days_without_a_leading_zero(tmp_path):
    ua = _write(tmp_path / "ua.csv", 'Default Channel Grouping,Day Index,Sessions\nOrganic Search,1/5/17,"1,200"\nOrganic Search,01/06/17,"1,300"\n')
    d, reasons = _read(ua)
    assert d.files[0].preset == "ua" and reasons == {}
    assert d.values[("", "Organic Search")] == {date(2017, 1, 5): 1200.0, date(2017, 1, 6): 1300.0}


def test_days_before_the_web_or_after_tomorrow_are_quarantined(tmp_path):
    f = _write(tmp_path / "d.csv", (
        "date,source,value\n"
        "1900-01-01,search,1\n"   # line 2: a spreadsheet's day 1
        "1989-12-31,search,2\n"   # line 3
        "1990-01-01,search,3\n"
        "2024-06-02,search,4\n"   # tomorrow: some time zone already has it
        "2024-06-03,search,5\n"   # line 6: after tomorrow
        "2099-01-01,search,6\n"   # line 7
    ))
    d, reasons = _read(f)
    assert sorted(d.values[("", "search")]) == [date(1990, 1, 1), date(2024, 6, 2)]
    assert set(reasons) == {2, 3, 6, 7}
    assert reasons[2].startswith("date 1900-01-01 in 'date' is before 1990")
    assert reasons[7] == "date 2099-01-01 in 'date' is in the future: no day after tomorrow has counts yet"


def test_a_stray_quote_quarantines_one_record_and_the_rows_behind_it_are_read(tmp_path):
    f = _write(tmp_path / "d.csv", (
        "date,source,value\n"
        "2020-01-01,a,1\n"
        '2020-01-02,"a,2\n'      # line 3: a stray quote in field 2
        "2020-01-03,a,3\n"
        "2020-01-04,a,4\n"
        '2020-01-05,"b",5\n'     # line 6: the next quote closed it; before, one row 'a,2\\n...b"' was kept
        "2020-01-06,a,6\n"
    ))
    d, reasons = _read(f)
    assert sorted(d.sources("")) == ["a", "b"]
    assert d.values[("", "a")] == {date(2020, 1, d_): float(d_) for d_ in (1, 3, 4, 6)}
    assert d.files[0].rows_read == 6 and d.files[0].quarantined == 1
    assert reasons == {3: (
        "lines 3-6: a quote opened in field 2 on line 3 closes only on line 6, and 2 of the 2 lines between look like rows "
        "of their own (a stray or unclosed quote?); the record (3 fields, the header has 3) is quarantined and lines 4-6 "
        "are read again as rows")}
    never = _write(tmp_path / "n.csv", 'date,source,value\n2020-01-01,a,1\n2020-01-02,a,"2\n2020-01-03,a,3\n')
    d, reasons = _read(never)
    assert reasons[3].startswith("lines 3-4: a quote opened in field 3 on line 3 is never closed: the file ends inside it, on line 4, "
                                  "and 1 of the 1 lines after it look like rows of their own")
    assert sorted(d.values[("", "a")]) == [date(2020, 1, 1), date(2020, 1, 3)]


def test_a_well_formed_multiline_field_is_kept_and_lines_stay_physical(tmp_path):
    f = _write(tmp_path / "d.csv", (
        "date,source,value,note\n"
        '2020-01-01,a,1,"two\nlines"\n'   # lines 2-3: one row
        "2020-01-02,a,x,\n"               # line 4
    ))
    d, reasons = _read(f)
    assert d.values[("", "a")] == {date(2020, 1, 1): 1.0}
    assert list(reasons) == [4]


def test_invalid_utf8_is_named_by_line_and_byte_as_the_media_policy_readers_name_it(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes("date,source,value\r2020-01-01,a,1\r2020-01-02,caf\xe9,2\r".encode("latin-1"))  # CR line ends
    with pytest.raises(InputError) as e:
        read_series([p], today=TODAY)
    assert e.value.line == 3 and e.value.hint == csvrecords.UTF8_HINT
    assert str(e.value) == f"{p}:3: not UTF-8 text (invalid continuation byte at byte 15 of the line, b'\\xe9')"

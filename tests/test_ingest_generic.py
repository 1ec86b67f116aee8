"""Generic CSV/Parquet reader with a TOML column mapping, at the staging level, plus presets."""

from __future__ import annotations

import csv
import gzip
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cibscope.case import Case, open_case
from cibscope.errors import InputError, MissingColumnsError, ParameterError, UnknownFormatError
from cibscope.ingest import _create_staging, sniff
from cibscope.ingest.base import ReadContext, Source
from cibscope.ingest.generic import Mapping, load_mapping, parse_mapping, presets
from cibscope.ingest.registry import get_reader

DATA = Path(__file__).parent / "data" / "generic"


def _source(path: Path) -> Source:
    return Source(path, str(path), "gzip" if path.name.endswith(".gz") else None)


def stage(tmp_path: Path, path: Path, mapping: Mapping | str | Path | None = None) -> tuple[Case, int]:
    """Read ``path`` with the generic reader into fresh staging tables; return (case, rows_read)."""
    case = open_case(tmp_path / f"{path.name}.duckdb")
    _create_staging(case)
    options: dict[str, Any] = {} if mapping is None else {"mapping": load_mapping(mapping)}
    n = get_reader("generic").read(ReadContext(case.engine, _source(path), options=options))
    return case, n


def rows(case: Case, sql: str) -> list[tuple[Any, ...]]:
    return case.con.execute(sql).fetchall()


def one(case: Case, sql: str) -> Any:
    return case.con.execute(sql).fetchall()[0][0]


def counts(case: Case) -> tuple[int, int]:
    return one(case, "SELECT count(*) FROM stage_posts"), one(case, "SELECT count(*) FROM stage_quarantine")


# ---- hand-made CSV ------------------------------------------------------------------------------


def test_csv_with_mapping(tmp_path: Path) -> None:
    # channels.csv (physical lines):
    #  1 header
    #  2 101 chan_a post, tags "#News; War", one link, likes 15
    #  3 102 chan_b forwards 101                -> repost
    #  4 103 chan_a replies to 102, "@Chan_B"  -> reply, mention chan_b
    #  5-6 104 chan_b, text with a quoted newline, likes "3.0"
    #  7 105 only 4 fields                      -> quarantined by DuckDB (MISSING COLUMNS)
    #  8 106 date 01/03/2022 10:03 is not ISO   -> quarantined (unparseable time)
    #  9 blank line                              -> no record
    # 10 107 empty channel                       -> quarantined (missing account id)
    # 11 1.5e+18 as id                           -> quarantined (float notation)
    # 12 108 chan_a, 12:00:00+02:00 -> 10:00:00 UTC, tags "[Tag1; 'Tag2']"
    # kept 5 + quarantined 4 = read 9
    case, n = stage(tmp_path, DATA / "channels.csv", DATA / "channels.toml")
    assert counts(case) == (5, 4) and n == 9
    assert rows(case, "SELECT post_id, source_line, kind, created_at, time_precision FROM stage_posts ORDER BY post_id") == [
        ("101", 2, "post", datetime(2022, 3, 1, 10, 0, 5), "second"),
        ("102", 3, "repost", datetime(2022, 3, 1, 10, 0, 9), "second"),
        ("103", 4, "reply", datetime(2022, 3, 1, 10, 1, 0), "second"),
        ("104", 5, "post", datetime(2022, 3, 1, 10, 2, 30), "second"),
        ("108", 12, "post", datetime(2022, 3, 1, 10, 0, 0), "second"),
    ]
    assert rows(case, "SELECT post_id, hashtags, urls, mentions, like_count, lang FROM stage_posts ORDER BY post_id") == [
        ("101", ["News", "War"], ["https://ex.com/x"], [], 15, "en"),
        ("102", [], [], [], 7, None),
        ("103", [], [], ["chan_b"], None, "en"),
        ("104", [], [], [], 3, "ru"),
        ("108", ["Tag1", "Tag2"], [], [], None, None),
    ]
    assert rows(case, "SELECT repost_of, reply_to_post, text, platform FROM stage_posts WHERE post_id IN ('102', '103', '104') ORDER BY post_id") == [
        ("101", None, "copied", "telegram"),
        (None, "102", "reply to @Chan_B", "telegram"),
        (None, None, "two\nlines", "telegram"),
    ]
    q = rows(case, "SELECT source_line, reason, raw FROM stage_quarantine ORDER BY source_line")
    assert [(line, reason.split(" (")[0]) for line, reason, _ in q] == [
        (7, "malformed CSV row"),
        (8, "unparseable time"),
        (10, "missing account id"),
        (11, "id in float notation, digits lost"),
    ]
    assert "MISSING COLUMNS" in q[0][1] and q[0][2] == "105,chan_c,bad row,2022-03-01"
    assert q[1][1] == "unparseable time (01/03/2022 10:03 in column date, format iso)"
    assert q[1][2] == "106,chan_c,Channel C,01/03/2022 10:03,bad date,,,,,,"
    # accounts: the snapshot of each account's newest post (by time, not by line): chan_a's
    # newest is 103 (10:01:00 UTC; 108 is 10:00:00 UTC), chan_b's is 104
    assert rows(case, "SELECT account_id, display_name, source_line, platform, from_users_file FROM stage_accounts ORDER BY 1") == [
        ("chan_a", "Channel A", 4, "telegram", False),
        ("chan_b", "Channel B", 5, "telegram", False),
    ]


def test_single_line_records_fast_path(tmp_path: Path) -> None:
    # no quoted newlines: record n starts on line n; blank lines (4) and rejected rows (5) are skipped
    p = tmp_path / "t.csv"
    p.write_text("id,who,at\n1,a,2020-01-01T00:00:00Z\n2,b,2020-01-01T00:01:00Z\n\n3,c\n4,d,2020-01-01\n")
    m = parse_mapping({"platform": "x", "columns": {"post_id": "id", "account_id": "who"}, "time": {"column": "at"}})
    case, n = stage(tmp_path, p, m)
    assert n == 4
    assert rows(case, "SELECT post_id, source_line, time_precision FROM stage_posts ORDER BY 1") == [
        ("1", 2, "second"),
        ("2", 3, "second"),
        ("4", 6, "day"),  # an ISO date without a time: day precision
    ]
    assert rows(case, "SELECT source_line, raw FROM stage_quarantine") == [(5, "3,c")]


def test_parquet_with_mapping(tmp_path: Path) -> None:
    # 3 rows; source_line = row number + 1. epoch_ms 1646128805000 = 2022-03-01 10:00:05 UTC
    # (2022-03-01 00:00 UTC is 1646092800 s, + 10 h + 5 s). Row 2 has no time -> quarantined.
    p = tmp_path / "posts.parquet"
    pq.write_table(
        pa.table(
            {
                "id": pa.array([9007199254740993, 2, 3], pa.int64()),  # 2**53 + 1: exact only if never a float
                "user": ["u1", "u2", "u1"],
                "ms": pa.array([1646128805000, None, 1646128865500], pa.int64()),
                "body": ["hi #there", "x", "y"],
                "tags": pa.array([["A", "#b"], [], None], pa.list_(pa.string())),
                "lat": [1.5, None, None],
            }
        ),
        p,
    )
    m = parse_mapping(
        {
            "platform": "forum",
            "columns": {"post_id": "id", "account_id": "user", "text": "body", "latitude": "lat"},
            "time": {"column": "ms", "format": "epoch_ms"},
            "entities": {"hashtags": {"column": "tags"}},
        }
    )
    case, n = stage(tmp_path, p, m)
    assert n == 3 and counts(case) == (2, 1)
    assert rows(case, "SELECT post_id, account_id, created_at, source_line, hashtags, latitude FROM stage_posts ORDER BY source_line") == [
        ("9007199254740993", "u1", datetime(2022, 3, 1, 10, 0, 5), 1, ["A", "b"], 1.5),
        ("3", "u1", datetime(2022, 3, 1, 10, 1, 5, 500000), 3, [], None),
    ]
    assert rows(case, "SELECT source_line, reason FROM stage_quarantine") == [(2, "unparseable time (empty in column ms, format epoch_ms)")]


def test_missing_mapped_columns(tmp_path: Path) -> None:
    m = parse_mapping({"platform": "x", "columns": {"post_id": "id", "account_id": "author"}, "time": {"column": "when"}, "account": {"screen_name": "handle"}})
    with pytest.raises(MissingColumnsError) as e:
        stage(tmp_path, DATA / "channels.csv", m)
    assert e.value.missing == ["id", "author", "when", "handle"]
    assert "channels.csv" in str(e.value) and "id, author, when, handle" in str(e.value)


def test_precision_inference(tmp_path: Path) -> None:
    # strptime without seconds -> minute; with seconds but all ':00' over >= 20 rows -> minute;
    # the same over 19 rows stays second (too few to tell)
    def make(n: int) -> Path:
        p = tmp_path / f"p{n}.csv"
        p.write_text("id,who,at\n" + "".join(f"{i},a,2020-01-01 10:{i:02d}:00\n" for i in range(n)))
        return p

    base = {"platform": "x", "columns": {"post_id": "id", "account_id": "who"}}
    no_sec = parse_mapping(base | {"time": {"column": "at", "format": "%Y-%m-%d %H:%M:00"}})
    with_sec = parse_mapping(base | {"time": {"column": "at", "format": "%Y-%m-%d %H:%M:%S"}})
    assert one(stage(tmp_path / "a", make(3), no_sec)[0], "SELECT string_agg(DISTINCT time_precision) FROM stage_posts") == "minute"
    assert one(stage(tmp_path / "b", make(20), with_sec)[0], "SELECT string_agg(DISTINCT time_precision) FROM stage_posts") == "minute"
    assert one(stage(tmp_path / "c", make(19), with_sec)[0], "SELECT string_agg(DISTINCT time_precision) FROM stage_posts") == "second"


def test_kind_values_and_constant_platform_column(tmp_path: Path) -> None:
    p = tmp_path / "k.csv"
    p.write_text("id,who,at,t,net\n1,a,1600000000,R,\n2,a,1600000001,Q,fb\n3,b,1600000002,,ig\n")
    m = parse_mapping(
        {
            "platform": "twitter",
            "columns": {"post_id": "id", "account_id": "who", "platform": "net"},
            "time": {"column": "at", "format": "epoch_s"},
            "kind": {"column": "t", "values": {"R": "repost", "Q": "quote"}},
        }
    )
    case, _ = stage(tmp_path, p, m)
    # 1600000000 = 2020-09-13 12:26:40 UTC; an empty platform cell falls back to the constant
    assert rows(case, "SELECT post_id, kind, platform, created_at FROM stage_posts ORDER BY 1") == [
        ("1", "repost", "twitter", datetime(2020, 9, 13, 12, 26, 40)),
        ("2", "quote", "fb", datetime(2020, 9, 13, 12, 26, 41)),
        ("3", "post", "ig", datetime(2020, 9, 13, 12, 26, 42)),
    ]


def test_derived_post_ids_are_stable(tmp_path: Path) -> None:
    p = tmp_path / "n.csv"
    p.write_text("who,at,text\na,2020-01-01T00:00:00,same\na,2020-01-01T00:00:00,same\n")
    m = parse_mapping({"platform": "x", "columns": {"account_id": "who", "text": "text"}, "time": {"column": "at"}})
    first = [r[0] for r in rows(stage(tmp_path / "1", p, m)[0], "SELECT post_id FROM stage_posts ORDER BY source_line")]
    again = [r[0] for r in rows(stage(tmp_path / "2", p, m)[0], "SELECT post_id FROM stage_posts ORDER BY source_line")]
    assert first == again
    assert len(set(first)) == 2  # identical rows on different lines stay distinct
    assert all(len(i) == 21 and i.startswith("g") for i in first)


def test_mapping_validation(tmp_path: Path) -> None:
    ok = {"platform": "x", "columns": {"account_id": "a"}, "time": {"column": "t"}}
    with pytest.raises(InputError, match="unknown key"):
        parse_mapping(ok | {"columns": {"account_id": "a", "reply_to": "r"}})
    with pytest.raises(ParameterError, match="must be one of"):
        parse_mapping(ok | {"kind": {"column": "k", "values": {"R": "retweet"}}})
    with pytest.raises(ParameterError, match="precision"):
        parse_mapping(ok | {"time": {"column": "t", "precision": "hour"}})
    with pytest.raises(InputError, match="format must be"):
        parse_mapping(ok | {"time": {"column": "t", "format": "unix"}})
    with pytest.raises(InputError, match="platform"):
        parse_mapping({"columns": {"account_id": "a"}, "time": {"column": "t"}})
    with pytest.raises(InputError, match="from_text needs"):
        parse_mapping(ok | {"entities": {"hashtags": "from_text"}})
    with pytest.raises(InputError, match="no such mapping file or preset") as e:
        load_mapping("no-such-preset")
    assert e.value.hint is not None and "coortweet" in e.value.hint
    bad = tmp_path / "bad.toml"
    bad.write_text("platform = \n")
    with pytest.raises(InputError, match="not a valid TOML"):
        load_mapping(bad)


def test_presets_load_and_are_selected_by_name() -> None:
    assert {"clemson-ira", "coortweet"} <= set(presets())
    c = load_mapping("coortweet")
    assert (c.columns["repost_of"], c.time_format, c.hashed) == ("object_id", "epoch_s", True)
    assert load_mapping("clemson-ira.toml").time_precision == "minute"
    assert load_mapping(presets()["coortweet"]).name == "coortweet"


def test_generic_does_not_claim_arbitrary_csv(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("author_id,content,region,language,publish_date,harvested_date,following,followers,updates,post_type,retweet\n")
    assert get_reader("generic").sniff(_source(p), p.read_bytes())  # exact clemson header
    p.write_text("author_id,content,region,language,publish_date,harvested_date,following,followers,updates,post_type,retweet,extra\n")
    assert not get_reader("generic").sniff(_source(p), p.read_bytes())
    with pytest.raises(UnknownFormatError):
        sniff(_source(DATA / "channels.csv"))
    with pytest.raises(InputError, match="needs a column mapping"):
        stage(tmp_path, DATA / "channels.csv")


# ---- real data, presets ---------------------------------------------------------------------------


@pytest.mark.real
def test_clemson_preset_on_fearmonger(real_data: Path, tmp_path: Path) -> None:
    path = real_data / "ira-clemson-fivethirtyeight-by-author" / "tweets_Fearmonger.csv.gz"
    assert sniff(_source(path)).name == "generic"  # exact header of the clemson-ira preset
    case, n = stage(tmp_path, path)  # no mapping given: the preset is found by its header
    src = list(csv.DictReader(gzip.open(path, "rt", newline="")))
    assert len(src) == 11140
    assert n == 11140 and counts(case) == (11140, 0)
    # post_type R -> repost, Q -> quote, as in the file (verified with the csv module above)
    types = {t: sum(r["post_type"] == t for r in src) for t in ("", "R", "Q")}
    assert types == {"": 9671, "R": 1279, "Q": 190}
    assert rows(case, "SELECT kind, count(*) FROM stage_posts GROUP BY 1 ORDER BY 1") == [("post", 9671), ("quote", 190), ("repost", 1279)]
    # entities from the text; totals checked with Python regexes (Unicode \w) over the csv rows
    assert rows(case, "SELECT sum(len(hashtags)), sum(len(urls)), sum(len(mentions)) FROM stage_posts") == [(16466, 4732, 1514)]
    assert one(case, "SELECT count(DISTINCT account_id) FROM stage_posts") == one(case, "SELECT count(*) FROM stage_accounts") == 125
    assert one(case, "SELECT count(DISTINCT post_id) FROM stage_posts") == 11140
    assert rows(case, "SELECT DISTINCT time_precision FROM stage_posts") == [("minute",)]
    p = dict(zip(
        ["account_id", "text", "created_at", "lang", "hashtags", "mentions", "kind"],
        rows(case, "SELECT account_id, text, created_at, lang, hashtags, mentions, kind FROM stage_posts WHERE source_line = 5000")[0],
    ))
    assert p == {
        "account_id": "Lance_freed",
        "text": "'@nyc_mhenry I wanted to go to the #Walmart during their Black Friday sales, but now, I don’t think that I’ll go #USDA'",
        "created_at": datetime(2015, 11, 26, 23, 21),
        "lang": "English",
        "hashtags": ["Walmart", "USDA"],
        "mentions": ["nyc_mhenry"],
        "kind": "post",
    }
    # the #KochFarms burst (SOURCE.md): 3,650 tweets mentioning "koch"
    assert one(case, "SELECT count(*) FROM stage_posts WHERE lower(text) LIKE '%koch%'") == 3650


@pytest.mark.real
def test_coortweet_preset(real_data: Path, tmp_path: Path) -> None:
    path = real_data / "coortweet-coordination" / "russian_coord_tweets.csv.gz"
    assert sniff(_source(path)).name == "generic"
    case, n = stage(tmp_path, path, "coortweet")
    assert n == 35125 and counts(case) == (35125, 0)
    # SOURCE.md: 9,509 accounts, 7,285 distinct retweeted objects, 2021-01-17 .. 2021-08-30
    assert one(case, "SELECT count(*) FROM stage_accounts") == 9509
    assert rows(case, "SELECT count(DISTINCT repost_of), min(created_at)::DATE, max(created_at)::DATE, string_agg(DISTINCT kind) FROM stage_posts") == [
        (7285, datetime(2021, 1, 17).date(), datetime(2021, 8, 30).date(), "repost")
    ]
    # line 2: 85d2...,0fb4...,114e...,1623881091.0  (1623881091 = 2021-06-16 22:04:51 UTC)
    assert rows(case, "SELECT post_id, account_id, repost_of, created_at, time_precision FROM stage_posts WHERE source_line = 2") == [
        ("114e22f1b2b648528277b76f0b0224e7", "0fb4232d1b7b37069c13ee17579bd10e", "85d2d12251a735ce05255061f7f231e2", datetime(2021, 6, 16, 22, 4, 51), "second")
    ]
    assert one(case, "SELECT bool_and(is_hashed) FROM stage_accounts") is True


@pytest.mark.real
def test_generic_ignores_other_real_csvs(real_data: Path) -> None:
    # german_elections has a preset of its own (coortweet-german-elections): picked by its header
    path = real_data / "coortweet-coordination" / "german_elections.csv.gz"
    assert get_reader("generic")._preset_for(_source(path), _source(path).head()).name == "coortweet-german-elections"
    for other in (real_data / "ira-clemson-fivethirtyeight-by-author" / "authors.csv",
                  real_data / "ira-clemson-fivethirtyeight-by-author" / "fivethirtyeight_original_columns_sample_100rows.csv"):
        assert not get_reader("generic").sniff(_source(other), _source(other).head())


# ---- end to end through cibscope.ingest and the CLI ---------------------------------------------


def test_end_to_end_with_mapping_file(tmp_path: Path) -> None:
    from cibscope.ingest import ingest

    report = ingest(DATA / "channels.csv", tmp_path / "g.duckdb", mapping=DATA / "channels.toml")
    (f,) = report.files
    assert (f.format, f.rows_read, f.rows_kept, f.rows_quarantined) == ("generic", 9, 5, 4)
    case = open_case(tmp_path / "g.duckdb")
    try:
        # finalize case-folds hashtags: News, War (101), Tag1, Tag2 (108)
        assert rows(case, "SELECT post_id, hashtag FROM post_hashtags ORDER BY post_id, position") == [
            ("101", "news"), ("101", "war"), ("108", "tag1"), ("108", "tag2")
        ]
        # inside the orchestrator's transaction too, lines are physical start lines
        assert rows(case, "SELECT post_id, source_line FROM posts ORDER BY 1") == [("101", 2), ("102", 3), ("103", 4), ("104", 5), ("108", 12)]
        assert rows(case, "SELECT post_id, mentioned FROM post_mentions") == [("103", "chan_b")]
        assert rows(case, "SELECT account_id, display_name FROM accounts ORDER BY 1") == [("chan_a", "Channel A"), ("chan_b", "Channel B")]
        assert rows(case, "SELECT source_line, reason FROM quarantine WHERE source_line = 11") == [
            (11, "id in float notation, digits lost (1.5e+18 in column msg_id)")
        ]
    finally:
        case.close()


def test_cli_mapping_and_missing_columns(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cibscope.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["ingest", str(DATA / "channels.csv"), "--mapping", str(DATA / "channels.toml"), "--case", str(tmp_path / "c.duckdb")])
    assert ok.exit_code == 0, ok.output
    assert "9 rows read = 5 kept + 4 quarantined" in ok.output
    bad = tmp_path / "bad.toml"
    bad.write_text('platform = "x"\n[columns]\naccount_id = "author"\n[time]\ncolumn = "when"\n')
    res = runner.invoke(app, ["ingest", str(DATA / "channels.csv"), "--mapping", str(bad), "--case", str(tmp_path / "d.duckdb")])
    assert res.exit_code != 0
    assert isinstance(res.exception, MissingColumnsError) and res.exception.missing == ["author", "when"]


@pytest.mark.real
def test_end_to_end_coortweet(real_data: Path, tmp_path: Path) -> None:
    from cibscope.ingest import ingest

    path = real_data / "coortweet-coordination" / "russian_coord_tweets.csv.gz"
    content_ids = [r["content_id"] for r in csv.DictReader(gzip.open(path, "rt", newline=""))]
    assert (len(content_ids), len(set(content_ids))) == (35125, 35085)
    for mapping in ("coortweet", None):  # by name, and found by the exact header
        (f,) = ingest(path, tmp_path / f"{mapping}.duckdb", mapping=mapping).files
        # a repeated content_id is quarantined by finalize: 35,125 read = 35,085 kept + 40
        assert (f.format, f.rows_read, f.rows_kept, f.rows_quarantined) == ("generic", 35125, 35085, 40)


def test_bad_encoding_and_gzip(tmp_path: Path) -> None:
    # line 3 holds bytes that are not UTF-8 -> quarantined by DuckDB; the file is gzipped
    p = tmp_path / "enc.csv.gz"
    with gzip.open(p, "wb") as f:
        f.write(b"id,who,at\n1,a,1600000000\n2,\xff\xfe,1600000001\n3,c,1600000002\n")
    m = parse_mapping({"platform": "x", "columns": {"post_id": "id", "account_id": "who"}, "time": {"column": "at", "format": "epoch_s"}})
    case, n = stage(tmp_path, p, m)
    assert n == 3
    assert rows(case, "SELECT post_id, source_line FROM stage_posts ORDER BY 1") == [("1", 2), ("3", 4)]
    assert rows(case, "SELECT source_line, regexp_replace(reason, ' \\(.*', '') FROM stage_quarantine") == [(3, "malformed CSV row")]
    # named as the archive reader names it: which field (1-based) holds the bytes
    assert one(case, "SELECT reason FROM stage_quarantine") == "malformed CSV row (invalid UTF-8 in field 2 'who')"

"""Ingest of Twitter Information Operations archive files (cibscope.ingest.io_archive + finalize).

Fixtures in tests/data/io_archive/ are tiny hand-made files; the expected values below are
derived by hand from them (see the comments). Physical lines: the header is line 1, and a
quoted field with a newline makes its record span two lines.

tweets_small.csv
  line 2-3  t1 1161219769488113671  abc= (hashed)  'Hello #HK world\\nsecond line'  2019-08-13 10:15
            snowflake -> 10:15:42.123; hashtags ['HK', 'Freedom']; url with utm_source + fragment
  line 4    t2 1161219867538358279  1161000000000000001  retweet ('True') of 1161234567890123456 by 9999
  line 5    13 fields only -> quarantined "expected 31 fields, found 13"
  line 6-7  t3 1161220855296950279  new=  reply to t2; its snowflake decodes to 10:20:01 but
            tweet_time says 10:15 -> not consistent -> minute precision, 10:15:00
  line 8    t4 20000000000 (pre-snowflake id)  2345678  quote of 19999999999; 2010-06-01 12:00,
            minute precision; lat 22.3; hashtags [香港, ＨＫ] unquoted; mentions [12345, abc=]
  line 9    t5 1161789598720851975  abc=  'FALSE'; urls [http://bit.ly/xyz, https://www.t.co/Abc]
tweets_bad.csv
  line 2 good; 3 tweetid 'abc123'; 4 tweet_time '13/08/2019 10:15'; 5 invalid UTF-8 in tweet_text;
  line 6-7 good (multi-line text); line 8 truncated last record (10 fields, open quote, no newline)
users_small.csv
  line 2 abc= (hashed); 3-4 1161000000000000001 (clear, two-line bio); 5 xyz= (hashed);
  line 6 abc= again -> duplicate; line 7 empty userid -> missing userid
"""

from __future__ import annotations

import gzip
import shutil
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cibscope
from cibscope.cli import app
from cibscope.errors import MissingColumnsError, StrictModeError, UnknownFormatError
from cibscope.ingest import IngestReport

DATA = Path(__file__).parent / "data" / "io_archive"
USERS = DATA / "users_small.csv"
TWEETS = DATA / "tweets_small.csv"
BAD = DATA / "tweets_bad.csv"
RENAMED = DATA / "tweets_renamed.csv"
HEADER_ONLY = DATA / "users_header_only.csv"


def check_accounting(report: IngestReport, case: Path) -> None:
    """read = kept + quarantined for every file, in the report and in the case's ingest_log,
    and the quarantine table holds exactly the reported quarantined rows of each file."""
    for f in report.files:
        assert f.rows_read == f.rows_kept + f.rows_quarantined, f
    with cibscope.open_case(case) as c:
        for src, read, kept, quarantined in c.con.execute(
            "SELECT source_file, rows_read, rows_kept, rows_quarantined FROM ingest_log"
        ).fetchall():
            assert read == kept + quarantined, src
            n = c.con.execute("SELECT count(*) FROM quarantine WHERE source_file = ?", [src]).fetchall()[0][0]
            assert n == quarantined, src


def ingest(paths: list[Path] | Path, case: Path, **kw: object) -> IngestReport:
    report = cibscope.ingest_files(paths if isinstance(paths, list) else [paths], case=case, **kw)  # type: ignore[arg-type]
    check_accounting(report, case)
    return report


def rows(case: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with cibscope.open_case(case) as c:
        return c.con.execute(sql, params or []).fetchall()


# ---------------------------------------------------------------------------------------------
# hand-made fixtures


def test_users_file(case_path: Path) -> None:
    rep = ingest(USERS, case_path)
    (f,) = rep.files
    assert (f.format, f.status, f.rows_read, f.rows_kept, f.rows_quarantined) == ("io-archive-users", "ingested", 5, 3, 2)
    assert rows(case_path, "SELECT account_id, screen_name, follower_count, is_hashed, source_line, created_at FROM accounts ORDER BY source_line") == [
        ("abc=", "abc=", 10, True, 2, datetime(2017, 8, 30)),
        ("1161000000000000001", "ScreenName", 9000, False, 3, datetime(2012, 1, 2)),
        ("xyz=", "xyz=", 12, True, 5, datetime(2017, 8, 18)),  # line 5: the bio of line 3 spans 3-4
    ]
    assert rows(case_path, "SELECT source_line, reason FROM quarantine ORDER BY source_line") == [
        (6, "duplicate account_id 'abc=' (first at line 2)"),
        (7, "missing userid"),
    ]


def test_tweets_lines_kinds_times(case_path: Path) -> None:
    rep = ingest(TWEETS, case_path)
    (f,) = rep.files
    assert (f.format, f.rows_read, f.rows_kept, f.rows_quarantined) == ("io-archive-tweets", 6, 5, 1)
    assert f.quarantine_reasons == {"expected 31 fields, found 13": 1}
    got = rows(
        case_path,
        "SELECT post_id, account_id, source_line, kind, created_at, time_precision, repost_of, repost_of_account, "
        "reply_to_post, reply_to_account, quote_of, latitude, longitude FROM posts ORDER BY source_line",
    )
    assert got == [
        ("1161219769488113671", "abc=", 2, "post", datetime(2019, 8, 13, 10, 15, 42, 123000), "second", None, None, None, None, None, None, None),
        ("1161219867538358279", "1161000000000000001", 4, "repost", datetime(2019, 8, 13, 10, 16, 5, 500000), "second", "1161234567890123456", "9999", None, None, None, None, None),
        # the bad record of line 5 does not shift the lines after it
        ("1161220855296950279", "new=", 6, "reply", datetime(2019, 8, 13, 10, 15), "minute", None, None, "1161219867538358279", "1161000000000000001", None, None, None),
        ("20000000000", "2345678", 8, "quote", datetime(2010, 6, 1, 12, 0), "minute", None, None, None, None, "19999999999", 22.3, 114.2),
        ("1161789598720851975", "abc=", 9, "post", datetime(2019, 8, 14, 23, 59, 59, 999000), "second", None, None, None, None, None, None, None),
    ]
    assert rows(case_path, "SELECT source_line, reason FROM quarantine") == [(5, "expected 31 fields, found 13")]
    assert rows(case_path, "SELECT text, text_norm FROM posts WHERE source_line IN (2, 4, 6) ORDER BY source_line") == [
        ("Hello #HK world\nsecond line", "hello #hk world second line"),
        # a repost has no text_norm: its text is the original's (near-duplicate skips reposts)
        ("RT @someone: Hello #HK world", None),
        ("@ScreenName 你好，世界！", "你好,世界!"),
    ]


@pytest.mark.parametrize("variant", ["plain", "gzip", "no final newline"])
def test_newline_outside_free_text_fields(case_path: Path, tmp_path: Path, variant: str) -> None:
    # Only the free-text columns are searched for embedded newlines when the file's lines are
    # known; a newline anywhere else (here between the items of t1's hashtags list) must still
    # be counted. t1 now spans lines 2-4 (one newline in its text, one in its hashtags), so
    # every later record moves down one line: t2 5, the 13-field record 6, t3 7-8, t4 9, t5 10.
    data = TWEETS.read_bytes()
    assert data.count(b"['HK', 'Freedom']") == 1
    data = data.replace(b"['HK', 'Freedom']", b"['HK',\n'Freedom']")
    if variant == "no final newline":
        data = data.rstrip(b"\n")
    path = tmp_path / "tweets_nl.csv"
    if variant == "gzip":
        path = tmp_path / "tweets_nl.csv.gz"
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    rep = ingest(path, case_path)
    check_accounting(rep, case_path)
    assert rows(case_path, "SELECT source_line FROM posts ORDER BY source_line") == [(2,), (5,), (7,), (9,), (10,)]
    assert rows(case_path, "SELECT source_line FROM quarantine") == [(6,)]
    assert rows(case_path, "SELECT hashtag FROM post_hashtags WHERE post_id = '1161219769488113671' ORDER BY position") == [
        ("hk",),
        ("freedom",),
    ]


def test_crlf_and_bom(case_path: Path, tmp_path: Path) -> None:
    # Windows line ends (also inside the quoted text) and a UTF-8 byte-order mark: same lines
    crlf = tmp_path / "tweets_crlf.csv"
    crlf.write_bytes(b"\xef\xbb\xbf" + TWEETS.read_bytes().replace(b"\n", b"\r\n"))
    rep = ingest(crlf, case_path)
    assert (rep.files[0].format, rep.files[0].rows_read, rep.files[0].rows_kept) == ("io-archive-tweets", 6, 5)
    assert rows(case_path, "SELECT source_line FROM posts ORDER BY 1") == [(2,), (4,), (6,), (8,), (9,)]
    assert rows(case_path, "SELECT source_line, reason, raw FROM quarantine") == [
        (5, "expected 31 fields, found 13", TWEETS.read_text(encoding="utf-8").split("\n")[4])
    ]


def test_tweets_entities(case_path: Path) -> None:
    ingest(TWEETS, case_path)
    assert rows(case_path, "SELECT post_id, position, hashtag, hashtag_raw FROM post_hashtags ORDER BY post_id, position") == [
        ("1161219769488113671", 1, "hk", "HK"),
        ("1161219769488113671", 2, "freedom", "Freedom"),
        ("1161219867538358279", 1, "hk", "HK"),
        ("20000000000", 1, "香港", "香港"),
        ("20000000000", 2, "hk", "ＨＫ"),
    ]
    assert rows(case_path, "SELECT post_id, position, url, url_raw, domain, is_shortener FROM post_urls ORDER BY post_id, position") == [
        ("1161219769488113671", 1, "https://example.com/a?id=5", "https://Example.com/a?utm_source=tw&id=5#top", "example.com", False),
        ("1161789598720851975", 1, "http://bit.ly/xyz", "http://bit.ly/xyz", "bit.ly", True),
        ("1161789598720851975", 2, "https://www.t.co/Abc", "https://www.t.co/Abc", "t.co", True),
    ]
    assert rows(case_path, "SELECT post_id, position, mentioned, account_id FROM post_mentions ORDER BY post_id, position") == [
        ("1161219867538358279", 1, "9999", "1161000000000000001"),
        ("1161220855296950279", 1, "1161000000000000001", "new="),
        ("20000000000", 1, "12345", "2345678"),
        ("20000000000", 2, "abc=", "2345678"),  # hashed ids keep their case
    ]


def test_account_snapshots_and_users_file_wins(case_path: Path) -> None:
    rep = ingest([TWEETS, USERS], case_path)  # the users file is read first whatever the order given
    assert [f.source_file for f in rep.files] == [str(USERS), str(TWEETS)]
    # 3 from the users file + 2 accounts seen only in tweets (new=, 2345678); abc= is the users
    # file's row (line 2, 10 followers), not the snapshot of its newest tweet (line 9, 11 followers)
    assert rows(case_path, "SELECT account_id, follower_count, is_hashed, source_file, source_line, description FROM accounts ORDER BY account_id") == [
        ("1161000000000000001", 9000, False, str(USERS), 3, "multi\nline bio"),
        ("2345678", 6000, False, str(TWEETS), 8, None),
        ("abc=", 10, True, str(USERS), 2, None),
        ("new=", 1, True, str(TWEETS), 6, "bio\nline2"),
        ("xyz=", 12, True, str(USERS), 5, None),
    ]


def test_users_file_after_tweets_replaces_snapshots(case_path: Path) -> None:
    ingest(TWEETS, case_path)
    # before: abc= is the snapshot of its newest tweet (t5, line 9, follower_count 11)
    assert rows(case_path, "SELECT follower_count, source_line FROM accounts WHERE account_id = 'abc='") == [(11, 9)]
    rep = ingest(USERS, case_path)
    assert (rep.files[0].rows_kept, rep.files[0].rows_quarantined) == (3, 2)
    assert rows(case_path, "SELECT follower_count, source_file, source_line FROM accounts WHERE account_id = 'abc='") == [(10, str(USERS), 2)]
    assert rows(case_path, "SELECT count(*), count(DISTINCT account_id) FROM accounts") == [(5, 5)]
    # a second users file with the same accounts: rows quarantined, not replacing the first
    other = case_path.parent / "users_again.csv"
    other.write_text(USERS.read_text(encoding="utf-8").replace('"10","20"', '"77","20"'), encoding="utf-8")
    rep2 = ingest(other, case_path)
    assert (rep2.files[0].rows_read, rep2.files[0].rows_kept, rep2.files[0].rows_quarantined) == (5, 0, 5)
    assert rows(case_path, "SELECT follower_count FROM accounts WHERE account_id = 'abc='") == [(10,)]


def test_malformed_rows_quarantined_with_line_and_reason(case_path: Path) -> None:
    rep = ingest(BAD, case_path)
    (f,) = rep.files
    assert (f.rows_read, f.rows_kept, f.rows_quarantined) == (6, 2, 4)
    assert rows(case_path, "SELECT source_line, reason FROM quarantine ORDER BY source_line") == [
        (3, "invalid tweetid 'abc123'"),
        (4, "unparseable tweet_time '13/08/2019 10:15'"),
        (5, "invalid UTF-8 in field 13 'tweet_text'"),
        (8, "expected 31 fields, found 10 (unterminated quote in field 10 'account_creation_date': truncated record?)"),
    ]
    raw = rows(case_path, "SELECT raw FROM quarantine WHERE source_line = 3")[0][0]
    assert isinstance(raw, str) and raw.startswith('"abc123","abc=","abc=","abc="')
    assert rows(case_path, "SELECT source_line, text FROM posts ORDER BY source_line") == [(2, "good one"), (6, "good\ntwo")]


def test_strict_keeps_nothing_of_the_file(case_path: Path) -> None:
    with pytest.raises(StrictModeError) as e:
        cibscope.ingest_files([BAD], case=case_path, strict=True)
    assert str(e.value).startswith(f"{BAD}:3: --strict: 4 row(s) could not be read, first: invalid tweetid 'abc123'")
    assert rows(case_path, "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM accounts), "
                "(SELECT count(*) FROM quarantine), (SELECT count(*) FROM ingest_log)") == [(0, 0, 0, 0)]
    # a clean file passes --strict
    rep = ingest(USERS.parent / "users_header_only.csv", case_path, strict=True)
    assert rep.files[0].status == "ingested"


def test_missing_and_renamed_columns(case_path: Path) -> None:
    with pytest.raises(MissingColumnsError) as e:
        cibscope.ingest_files([RENAMED], case=case_path)
    # tweet_time was renamed tweet_timestamp, hashtags removed (named in the format's column order)
    assert str(e.value) == f"{RENAMED}: missing required column(s) for format 'io-archive-tweets': tweet_time, hashtags"
    assert e.value.missing == ["tweet_time", "hashtags"]


def test_missing_columns_cli_one_line_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from cibscope.cli import main

    # main() is the console entry point: library errors become one line and exit code 1
    monkeypatch.setattr(sys, "argv", ["cibscope", "ingest", str(RENAMED), "--case", str(tmp_path / "c.duckdb")])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    # (progress lines come first on stderr) one error line naming the file and the columns
    errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1
    assert str(RENAMED) in errors[0] and errors[0].endswith("for format 'io-archive-tweets': tweet_time, hashtags")


def test_a_folder_file_missing_columns_is_reported_and_the_others_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As a folder file that cannot be opened (tests/test_fuzz.py): listed as unreadable,
    nothing of it kept, the others ingested; the command exits 1 naming it. Named on its own
    it stops the ingest (test above)."""
    from cibscope.cli import main

    folder = tmp_path / "data"
    folder.mkdir()
    for f in (USERS, TWEETS, RENAMED):
        shutil.copy(f, folder / f.name)
    alone = tmp_path / "alone.duckdb"
    ingest([USERS, TWEETS], alone)
    case = tmp_path / "c.duckdb"
    rep = ingest(folder, case)
    by_name = {Path(f.source_file).name: f for f in rep.files}
    assert by_name[RENAMED.name].status == "unreadable"
    assert by_name[RENAMED.name].message == "missing required column(s) for format 'io-archive-tweets': tweet_time, hashtags"
    assert by_name[TWEETS.name].status == by_name[USERS.name].status == "ingested"
    counts = "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM accounts), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM ingest_log)"
    assert rows(case, counts) == rows(alone, counts)
    monkeypatch.setattr(sys, "argv", ["cibscope", "ingest", str(folder), "--case", str(tmp_path / "cli.duckdb")])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "1 file(s) could not be read, first: missing required column(s)" in err
    assert rows(tmp_path / "cli.duckdb", counts) == rows(alone, counts)


def test_reingest_same_file_adds_nothing(case_path: Path) -> None:
    ingest([USERS, TWEETS], case_path)
    before = rows(case_path, "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM accounts), (SELECT count(*) FROM post_hashtags), (SELECT count(*) FROM quarantine)")
    rep = ingest([USERS, TWEETS], case_path)
    assert [f.status for f in rep.files] == ["already ingested", "already ingested"]
    assert rows(case_path, "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM accounts), (SELECT count(*) FROM post_hashtags), (SELECT count(*) FROM quarantine)") == before


def test_a_file_given_twice_in_one_call_is_read_once(case_path: Path, tmp_path: Path) -> None:
    """Into a new case the content hash runs alongside the parse; a copy of a file read earlier
    in the same call is then recognised after its parse and rolled back, as a repeat into a
    case with files is recognised before (test above)."""
    copy = tmp_path / "copy_of_tweets.csv"
    copy.write_bytes(TWEETS.read_bytes())
    rep = ingest([USERS, TWEETS, copy], case_path)
    assert [f.status for f in rep.files] == ["ingested", "ingested", "already ingested"]
    assert str(TWEETS) in rep.files[2].message
    once = tmp_path / "once.duckdb"
    ingest([USERS, TWEETS], once)
    q = "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM ingest_log)"
    assert rows(case_path, q) == rows(once, q)


def test_same_rows_under_another_name_are_duplicates(case_path: Path, tmp_path: Path) -> None:
    ingest(TWEETS, case_path)
    copy = tmp_path / "copy.csv"
    copy.write_bytes(TWEETS.read_bytes() + b"\n")  # other content hash (a trailing empty line)
    rep = ingest(copy, case_path)
    (f,) = rep.files
    assert (f.status, f.rows_read, f.rows_kept, f.rows_quarantined) == ("ingested", 6, 0, 6)
    reasons = rows(case_path, "SELECT source_line, reason FROM quarantine WHERE source_file = ? ORDER BY source_line", [str(copy)])
    assert reasons[0] == (2, f"post_id '1161219769488113671' already in the case ({TWEETS}:2)")
    assert [r[0] for r in reasons] == [2, 4, 5, 6, 8, 9]
    assert rows(case_path, "SELECT count(*) FROM posts") == [(5,)]


def test_duplicate_within_file(case_path: Path, tmp_path: Path) -> None:
    lines = TWEETS.read_text(encoding="utf-8").split("\n")
    dup = tmp_path / "dup.csv"
    # header + t1 (2 lines) + t2 + t2 again -> t2 at line 4 kept, line 5 quarantined
    dup.write_text("\n".join([lines[0], lines[1], lines[2], lines[3], lines[3]]) + "\n", encoding="utf-8")
    rep = ingest(dup, case_path)
    assert (rep.files[0].rows_read, rep.files[0].rows_kept, rep.files[0].rows_quarantined) == (3, 2, 1)
    assert rows(case_path, "SELECT source_line, reason FROM quarantine") == [(5, "duplicate post_id '1161219867538358279' (first at line 4)")]


def test_gzip_and_zip_inputs(case_path: Path, tmp_path: Path) -> None:
    gz = tmp_path / "tweets_small.csv.gz"
    with open(BAD, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    zp = tmp_path / "archive.zip"
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(USERS, "users_small.csv")
        z.write(TWEETS, "tweets_small.csv")
    rep = ingest([gz, zp], case_path)
    got = {f.source_file: (f.format, f.rows_read, f.rows_kept, f.rows_quarantined) for f in rep.files}
    assert got == {
        f"{zp}!users_small.csv": ("io-archive-users", 5, 3, 2),
        f"{zp}!tweets_small.csv": ("io-archive-tweets", 6, 5, 1),
        str(gz): ("io-archive-tweets", 6, 2, 4),
    }
    # lines inside the compressed files are the same as in the plain ones
    assert rows(case_path, "SELECT source_line FROM quarantine WHERE source_file = ? ORDER BY 1", [str(gz)]) == [(3,), (4,), (5,), (8,)]
    assert rows(case_path, "SELECT source_line FROM posts WHERE source_file = ? ORDER BY 1", [f"{zp}!tweets_small.csv"]) == [(2,), (4,), (6,), (8,), (9,)]


def test_a_zip_inside_a_zip_is_named_not_misread(case_path: Path, tmp_path: Path) -> None:
    """A stored inner zip holds its files' text uncompressed: it must not be sniffed as the
    archive file whose header it happens to hold (and then fail on it), but named and skipped."""
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_STORED) as z:
        z.write(USERS, "users_small.csv")
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as z:
        z.write(inner, "inner.zip")
        z.write(TWEETS, "tweets_small.csv")
    rep = ingest(outer, case_path)
    got = {f.source_file: (f.status, f.message, f.rows_kept) for f in rep.files}
    assert got[f"{outer}!inner.zip"] == ("skipped", "a zip archive inside a zip archive: not read", 0)
    assert got[f"{outer}!tweets_small.csv"][0::2] == ("ingested", 5)


def test_folder_of_mixed_files(case_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    folder.mkdir()
    shutil.copy(USERS, folder / "users.csv")
    shutil.copy(TWEETS, folder / "tweets.csv")
    (folder / "README.md").write_text("# about this release\n")
    (folder / "media_file_list.txt").write_text("some-media-file.jpg\nanother.jpg\n")
    rep = ingest(folder, case_path)
    by_name = {Path(f.source_file).name: f for f in rep.files}
    assert (by_name["README.md"].status, by_name["README.md"].message) == ("skipped", "documentation file")
    assert by_name["media_file_list.txt"].status == "skipped"
    assert by_name["media_file_list.txt"].message.startswith("unknown format")
    assert (by_name["users.csv"].status, by_name["users.csv"].rows_kept) == ("ingested", 3)
    assert (by_name["tweets.csv"].status, by_name["tweets.csv"].rows_kept) == ("ingested", 5)


def test_unknown_single_file_is_an_error(case_path: Path, tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("hello\nworld\n")
    with pytest.raises(UnknownFormatError) as e:
        cibscope.ingest_files([f], case=case_path)
    assert str(e.value) == f"{f}: unknown format: the first bytes match none of the readers"


def test_empty_file_is_an_error(case_path: Path, tmp_path: Path) -> None:
    from cibscope.errors import InputError

    f = tmp_path / "tweets.csv"
    f.write_bytes(b"")
    with pytest.raises(InputError) as e:
        cibscope.ingest_files([f], case=case_path)
    assert str(e.value) == f"{f}: file is empty"


def test_header_only_file(case_path: Path) -> None:
    rep = ingest(HEADER_ONLY, case_path)
    (f,) = rep.files
    assert (f.status, f.format, f.rows_read, f.rows_kept, f.rows_quarantined) == ("ingested", "io-archive-users", 0, 0, 0)


def test_format_forced_and_sniffing(case_path: Path) -> None:
    from cibscope.ingest.io_archive import IOArchiveTweets, IOArchiveUsers

    users_head, tweets_head = USERS.read_bytes()[:4096], TWEETS.read_bytes()[:4096]
    assert IOArchiveUsers().sniff(None, users_head) and not IOArchiveUsers().sniff(None, tweets_head)  # type: ignore[arg-type]
    assert IOArchiveTweets().sniff(None, tweets_head) and not IOArchiveTweets().sniff(None, users_head)  # type: ignore[arg-type]
    # forcing the users reader on a tweets file reads its 10 user columns: 6 records = the
    # 13-field one rejected + abc=, 1161000000000000001, new=, 2345678 + abc= again (duplicate)
    rep = ingest(TWEETS, case_path, format="io-archive-users")
    f = rep.files[0]
    assert (f.format, f.rows_read, f.rows_kept, f.rows_quarantined) == ("io-archive-users", 6, 4, 2)


# ---------------------------------------------------------------------------------------------
# real data


@pytest.mark.real
def test_real_china_users_api_and_cli(real_data: Path, case_path: Path, tmp_path: Path) -> None:
    f = real_data / "twitter-io-china-082019-users" / "china_082019_1_users_csv_hashed.csv"
    rep = ingest(f, case_path)
    (r,) = rep.files
    assert (r.format, r.rows_read, r.rows_kept, r.rows_quarantined) == ("io-archive-users", 744, 744, 0)
    assert rows(case_path, "SELECT count(*), count(DISTINCT account_id), sum(is_hashed::INT) FROM accounts") == [(744, 744, 254)]
    # a hashed row: userid = screen name = display name
    assert rows(case_path, "SELECT count(*) FROM accounts WHERE is_hashed AND (account_id <> screen_name OR account_id <> display_name)") == [(0,)]

    other = tmp_path / "cli.duckdb"
    res = CliRunner().invoke(app, ["ingest", str(f), "--case", str(other)])
    assert res.exit_code == 0, res.output
    assert "744" in res.output and "io-archive-users" in res.output
    assert "1 file(s) ingested: 744 rows read = 744 kept + 0 quarantined" in res.output
    assert rows(other, "SELECT sum(is_hashed::INT) FROM accounts") == [(254,)]


@pytest.mark.real
def test_real_ira_tweets_sample(real_data: Path, case_path: Path) -> None:
    f = real_data / "twitter-io-ira-201810-sample" / "ira_tweets_csv_hashed_sample.csv"
    rep = ingest(f, case_path)
    (r,) = rep.files
    assert (r.format, r.status, r.rows_read, r.rows_kept, r.rows_quarantined) == ("io-archive-tweets", "ingested", 408, 407, 1)
    # the truncated last record: 13 fields, starting at line 998 (1000 newlines in the file,
    # the record's bio spans 3 lines and its text is cut after its first line)
    ((line, reason, raw),) = rows(case_path, "SELECT source_line, reason, raw FROM quarantine")
    assert line == 998
    assert reason == "expected 31 fields, found 13 (unterminated quote in field 13 'tweet_text': truncated record?)"
    assert raw.startswith('"929990851115212800",')
    # exact 64-bit ids (never through a float): the first record
    assert rows(case_path, "SELECT post_id, source_line, created_at, time_precision FROM posts ORDER BY source_line LIMIT 1") == [
        ("894109669869985793", 2, datetime(2017, 8, 6, 8, 15, 31, 708000), "second")
    ]  # (894109669869985793 >> 22) + 1288834974657 ms = 2017-08-06 08:15:31.708, inside 08:15
    assert rows(case_path, "SELECT count(*) FROM posts WHERE post_id <> CAST(CAST(post_id AS UBIGINT) AS VARCHAR)") == [(0,)]
    assert rows(case_path, "SELECT count(*), count(DISTINCT account_id) FROM posts") == [(407, 86)]
    assert rows(case_path, "SELECT count(*) FROM accounts") == [(86,)]
    reposts = rows(case_path, "SELECT count(*), count(repost_of), count(repost_of_account) FROM posts WHERE kind = 'repost'")
    assert reposts == [(3, 3, 3)]
    # every id here is a snowflake consistent with its minute
    assert rows(case_path, "SELECT time_precision, count(*) FROM posts GROUP BY 1") == [("second", 407)]
    assert rows(case_path, "SELECT count(*) FROM posts WHERE created_at < TIMESTAMP '2011-08-07' OR created_at > TIMESTAMP '2018-11-03'") == [(0,)]
    # entities exploded: the first record has 3 hashtags, 1 url
    assert rows(case_path, "SELECT hashtag FROM post_hashtags WHERE post_id = '894109669869985793' ORDER BY position") == [
        ("syrianarmy",), ("hama",), ("insidesyriamc",)
    ]
    assert rows(case_path, "SELECT url, domain FROM post_urls WHERE post_id = '894109669869985793'") == [
        ("http://en.insidesyriamc.com/2017/08/06/new-convoy-of-syrian-army-arrived-in-hama/", "en.insidesyriamc.com")
    ]
    n_h, n_u, n_m = rows(case_path, "SELECT (SELECT count(*) FROM post_hashtags), (SELECT count(*) FROM post_urls), (SELECT count(*) FROM post_mentions)")[0]
    assert n_h > 0 and n_u > 0 and n_m > 0
    assert rows(case_path, "SELECT count(*) FROM post_mentions WHERE mentioned = '2876420003'")[0][0] >= 1

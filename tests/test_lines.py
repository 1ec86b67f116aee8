"""Line numbers on the lean paths: a read that numbers lines only when something needs them
must give every quarantined row, and every post whose line it keeps, the line a full read gives.

``ingest(fields=..., lines=False)`` (``cibscope network --counts``) never materialises the text
columns: posts keep no line (NULL) unless a row is quarantined -- by the reader (a malformed
record, an invalid value) or by finalize (a post id repeated in the file or already in the
case) --, and then the lines are numbered for every row by a second scan. Compared here with a
full read, on files with newlines inside quoted fields (free text and other fields), Windows
line ends, a byte-order mark, blank lines, malformed records, invalid values, repeated ids and
gzip, and on generated and real archives.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import cibscope
from cibscope.errors import CaseStateError, ParameterError
from cibscope.generate import generate_dataset
from cibscope.ingest.base import CORE_POST_FIELDS, case_lean_fields
from cibscope.networks import build_networks

DATA = Path(__file__).parent / "data" / "io_archive"
TWEETS = (DATA / "tweets_small.csv").read_bytes()
BAD = (DATA / "tweets_bad.csv").read_bytes()


def _crlf_bom(b: bytes) -> bytes:
    return b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n")


def _list_newline(b: bytes) -> bytes:
    # a newline inside a list field (not a free-text column) of the first record
    return b.replace(b"['HK', 'Freedom']", b"['HK',\n'Freedom']")


def _blank_lines(b: bytes) -> bytes:
    # a blank line after the header and after the 13-field record, and two at the end
    lines = b.split(b"\n")
    return b"\n".join(lines[:1] + [b""] + lines[1:5] + [b""] + lines[5:]) + b"\n\n"


def _ends(b: bytes, crlf: Callable[[int], bool]) -> bytes:
    """``b`` (LF line ends) with the line ends of the lines ``crlf(i)`` (0-based) made CRLF:
    line ends that change within the file (a newline inside a quoted field stays as it is)."""
    out, quoted, i = bytearray(), False, 0
    for ch in b:
        if ch == 34:
            quoted = not quoted
        if ch == 10 and not quoted:
            if crlf(i):
                out += b"\r"
            i += 1
        out.append(ch)
    return bytes(out)


def _duplicate(b: bytes) -> bytes:
    # the repost t2 (one line) again after the last record
    (t2,) = [line for line in b.split(b"\n") if line.startswith(b'"1161219867538358279"')]
    return b + t2 + b"\n"


FILES: dict[str, Callable[[], bytes]] = {
    "small": lambda: TWEETS,
    "bad": lambda: BAD,
    "crlf+bom": lambda: _crlf_bom(TWEETS),
    "crlf+bom bad": lambda: _crlf_bom(BAD),
    "newline in a list": lambda: _list_newline(TWEETS),
    "blank lines": lambda: _blank_lines(TWEETS),
    "blank lines, bad": lambda: _blank_lines(BAD),
    "header crlf, records lf": lambda: _ends(TWEETS, lambda i: i == 0),
    "crlf, then lf": lambda: _ends(_list_newline(TWEETS), lambda i: i < 4),
    "lf, then crlf, bad": lambda: _ends(BAD, lambda i: i >= 3),
    "alternating line ends, blank lines, bad": lambda: _ends(_blank_lines(BAD), lambda i: i % 2 == 1),
    "repeated id": lambda: _duplicate(TWEETS),
    "repeated id, crlf": lambda: _crlf_bom(_duplicate(_list_newline(TWEETS))),
}


def _read(paths: list[Path], case: Path | str, **kw: object) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(posts (id, file, line), quarantine (file, line, reason, raw), ingest_log counts) after
    ingest. ``case`` ":memory:": an in-memory case read as ``cibscope network`` reads it (no
    content hash: the staged posts become the posts table, ingest.finalize.adopt_stage_posts)."""
    c = cibscope.open_case(case)
    try:
        rep = cibscope.ingest_files(paths, case=c, **({"content_hash": False} if case == ":memory:" else {}), **kw)  # type: ignore[arg-type]
        for f in rep.files:
            assert f.rows_read == f.rows_kept + f.rows_quarantined, f
        posts = c.con.execute("SELECT post_id, source_file, source_line FROM posts ORDER BY ALL").fetchall()
        quarantine = c.con.execute("SELECT source_file, source_line, reason, raw FROM quarantine ORDER BY ALL").fetchall()
        log = c.con.execute("SELECT source_file, rows_read, rows_kept, rows_quarantined FROM ingest_log ORDER BY ALL").fetchall()
    finally:
        c.close()
    return posts, quarantine, log


_UNKNOWN_EARLIER_LINE = re.compile(r"^(post_id '.*' already in the case \(.*):[0-9]+\)$")


def _compare(paths: list[Path], tmp_path: Path) -> tuple[list[tuple], list[tuple]]:
    """Full read, lean read with lines, lean read without lines: the same rows, quarantine and
    lines. Returns the full read's (posts, quarantine)."""
    full = _read(paths, tmp_path / "full.duckdb")
    lean = _read(paths, tmp_path / "lean.duckdb", fields=CORE_POST_FIELDS)
    deferred = _read(paths, tmp_path / "deferred.duckdb", fields=CORE_POST_FIELDS, lines=False)
    assert _read(paths, ":memory:", fields=CORE_POST_FIELDS, lines=False) == deferred  # cibscope network --counts
    assert lean[0] == full[0] and lean[2] == full[2]
    # the same rows quarantined at the same lines for the same reasons (a post finalize drops
    # shows no text when the read left the text out: its raw differs)
    assert [q[:3] for q in lean[1]] == [q[:3] for q in full[1]]
    # every quarantined row: same line, reason and record; a post already in the case names
    # the earlier post's line only if that file's lines were numbered (else "?")
    assert deferred[2] == lean[2] and len(deferred[1]) == len(lean[1])
    for d, q in zip(deferred[1], lean[1]):
        assert d == q or (d[:2] == q[:2] and d[3] == q[3] and d[2] == _UNKNOWN_EARLIER_LINE.sub(r"\1:?)", q[2])), (d, q)
    posts, quarantine, _ = full
    assert all(line is not None for _p, _f, line in posts)
    assert [(p, f) for p, f, _l in deferred[0]] == [(p, f) for p, f, _l in posts]
    for path in {f for _p, f, _l in posts}:
        mine = [p for p in posts if p[1] == path]
        if any(q[0] == path for q in quarantine):
            assert [p for p in deferred[0] if p[1] == path] == mine  # numbered: all of them, as a full read's
        else:
            assert all(line is None for _p, f, line in deferred[0] if f == path)  # nothing needed them
    return posts, quarantine


@pytest.mark.parametrize("name", list(FILES))
@pytest.mark.parametrize("compressed", [False, True])
def test_lines_of_a_read_without_lines_are_a_full_reads(name: str, compressed: bool, tmp_path: Path) -> None:
    data = FILES[name]()
    f = tmp_path / ("t.csv.gz" if compressed else "t.csv")
    f.write_bytes(gzip.compress(data) if compressed else data)
    posts, quarantine = _compare([f], tmp_path)
    assert posts, name
    if name in ("bad", "crlf+bom bad"):
        assert [q[1] for q in quarantine] == [3, 4, 5, 8]  # the fixture's documented lines
    if name.startswith("repeated id"):
        dup = [(q[1], q[2]) for q in quarantine if q[2].startswith("duplicate")]
        first = 5 if "crlf" in name else 4
        assert dup == [(first + 6, f"duplicate post_id '1161219867538358279' (first at line {first})")]


def _physical(data: bytes) -> tuple[dict[str, int], int]:
    """Each record's first physical line by its first field (the first time it appears), and
    the number of records, by Python's csv module over the file's lines (blank lines skipped)."""
    import csv
    import io

    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = io.StringIO(text, newline="").readlines()
    at = [0]

    def feed():  # type: ignore[no-untyped-def]
        for line in lines:
            at[0] += 1
            yield line

    reader = csv.reader(feed())
    next(reader)
    starts: dict[str, int] = {}
    records, start = 0, at[0] + 1
    for rec in reader:
        if rec:
            records += 1
            starts.setdefault(rec[0], start)
        start = at[0] + 1
    return starts, records


@pytest.mark.parametrize("name", list(FILES))
def test_lines_are_the_files_physical_lines(name: str, tmp_path: Path) -> None:
    """Every post's line and every row read, against the file itself: blank lines (DuckDB skips
    them) and line ends that change within the file (DuckDB takes the first line's for the
    whole file) neither lose a row nor shift a line."""
    data = FILES[name]()
    f = tmp_path / "t.csv"
    f.write_bytes(data)
    starts, records = _physical(data.replace(b"\r\n", b"\n") if b"\r\n" in data else data)
    posts, quarantine, log = _read([f], tmp_path / "c.duckdb")
    assert log[0][1] == records, (name, log)
    for post_id, _f, line in posts:
        assert line == starts[post_id], (name, post_id)
    for _f, line, reason, raw in quarantine:
        if not reason.startswith("duplicate"):
            assert line in starts.values(), (name, line, reason)
    # the same posts kept and rows quarantined (for the same reasons) as from the plain fixture
    plain = tmp_path / "plain.csv"
    plain.write_bytes(BAD if "bad" in name else TWEETS)
    p_posts, p_quarantine, _ = _read([plain], tmp_path / "plain.duckdb")
    assert [p[0] for p in posts] == [p[0] for p in p_posts], name
    if not name.startswith("repeated id"):
        assert [q[2] for q in quarantine] == [q[2] for q in p_quarantine], name


def test_a_post_already_in_the_case_gets_its_line(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(TWEETS)
    second.write_bytes(_list_newline(TWEETS))  # same posts, later lines: all quarantined
    posts, quarantine = _compare([first, second], tmp_path)
    assert len(posts) == 5
    assert [(q[0], q[1]) for q in quarantine if q[0] == str(second)] == [(str(second), n) for n in (2, 5, 6, 7, 9, 10)]


def test_generated_archive_lines(tmp_path: Path) -> None:
    """A generated archive (thousands of records, some with newlines in their text): a lean read
    numbers every post's line as a full read does; without lines none is numbered."""
    d = tmp_path / "gen"
    generate_dataset(d, accounts=120, tweets=3_000, seed=5)
    data = (d / "tweets.csv").read_bytes()
    assert data.count(b"\n") > 3_001  # some records span several lines
    posts, quarantine = _compare([d / "tweets.csv"], tmp_path)
    assert len(posts) == 3_000 and quarantine == []
    # and with one bad record in the middle: every line numbered, the same as the full read's
    lines = data.split(b"\n")
    k = len(lines) // 2
    while not re.match(rb'"[0-9]+","', lines[k]):  # a line where a record starts
        k += 1
    bad = tmp_path / "bad" / "tweets.csv"
    bad.parent.mkdir()
    bad.write_bytes(b"\n".join(lines[:k] + [b'"1","2"'] + lines[k:]))
    posts, quarantine = _compare([bad], tmp_path / "bad")
    assert [q[2] for q in quarantine] == ["expected 31 fields, found 2"]


@pytest.mark.real
def test_real_ira_sample_lines(real_data: Path, tmp_path: Path) -> None:
    f = real_data / "twitter-io-ira-201810-sample" / "ira_tweets_csv_hashed_sample.csv"
    posts, quarantine = _compare([f], tmp_path)
    assert len(posts) == 407 and [q[1] for q in quarantine] == [998]


def test_a_case_without_lines_is_marked_and_refused_for_evidence(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_bytes(TWEETS)
    case = tmp_path / "c.duckdb"
    cibscope.ingest_files([f], case=case, fields=CORE_POST_FIELDS, lines=False)
    with cibscope.open_case(case) as c:
        assert case_lean_fields(c) == CORE_POST_FIELDS - {"source_line"}
        with pytest.raises(CaseStateError, match="co_retweet needs source_line"):
            build_networks(c.con, traces=["co_retweet"])
    with pytest.raises(ParameterError, match="lines=False needs fields"):
        cibscope.ingest_files([f], case=tmp_path / "x.duckdb", lines=False)


# -- the generic reader (the coordination-network-toolkit's CSV through its preset) -------------

TOOLKIT = (
    b"message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
    b'1001,u1,alice,"","","hello\nworld",1483229164.362,""\n'
    b'1002,u2,bob,1001,"",RT @alice: hello,1483229165.000,""\n'
    b'1003,u1,alice,"",1002,"a reply ""quoted""\nover\nthree lines",1483229166.5,"http://a.com/x http://b.com"\n'
    b'1004,u3,carol,"","",plain #tag,1483229167,""\n'
    b'1005,u4,"dan\nthe second",1001,"",RT @alice: hello,1483229168,""\n'
)


def _toolkit_lines(b: bytes) -> list[bytes]:
    return b.split(b"\n")


TOOLKIT_FILES: dict[str, Callable[[], bytes]] = {
    "clean": lambda: TOOLKIT,
    "crlf+bom": lambda: _crlf_bom(TOOLKIT),
    # an invalid time (the row is parsed, then refused), after records spanning several lines
    "invalid value": lambda: TOOLKIT + b'1006,u5,erin,"","",late,not a time,""\n',
    # a record with a field too many: DuckDB rejects it
    "malformed": lambda: TOOLKIT.replace(b'1004,u3,carol,"","",plain #tag,1483229167,""', b'1004,u3,carol,"","",plain,#tag,1483229167,""'),
    "repeated id": lambda: TOOLKIT + b'1002,u2,bob,1001,"",RT @alice: hello,1483229165.000,""\n',
    "blank lines": lambda: TOOLKIT.replace(b'""\n1004', b'""\n\n1004') + b"\n",
    # invalid UTF-8 in the text (a column a lean read does not take): quarantined all the same
    "invalid utf-8": lambda: TOOLKIT.replace(b"plain #tag", b"plain \xff#tag"),
}


@pytest.mark.parametrize("name", list(TOOLKIT_FILES))
@pytest.mark.parametrize("compressed", [False, True])
def test_generic_lines_of_a_read_without_lines_are_a_full_reads(name: str, compressed: bool, tmp_path: Path) -> None:
    """The generic reader without lines counts no newline inside the records in its parse;
    when a row is quarantined (by it or by finalize) it numbers them all by a second scan:
    the same lines as a full read, for every quarantined row and every post."""
    data = TOOLKIT_FILES[name]()
    f = tmp_path / ("t.csv.gz" if compressed else "t.csv")
    f.write_bytes(gzip.compress(data) if compressed else data)
    posts, quarantine = _compare([f], tmp_path)
    assert [(p, line) for p, _f, line in posts][:2] == [("1001", 2), ("1002", 4)]
    if name == "invalid value":
        assert [(q[1], q[2].split(" '")[0]) for q in quarantine] == [(11, quarantine[0][2].split(" '")[0])]
    if name in ("malformed", "invalid utf-8"):
        assert [q[1] for q in quarantine] == [8]
    if name == "repeated id":
        assert [(q[1], q[2]) for q in quarantine] == [(11, "duplicate post_id '1002' (first at line 4)")]
    if name in ("clean", "crlf+bom", "blank lines"):
        assert quarantine == []


def test_generic_post_already_in_the_case_gets_its_line(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(TOOLKIT)
    second.write_bytes(TOOLKIT.replace(b"1001,u1", b"2001,u1"))  # 1002-1005 repeat the first file's
    posts, quarantine = _compare([first, second], tmp_path)
    assert len(posts) == 6
    assert [(q[0], q[1]) for q in quarantine] == [(str(second), n) for n in (4, 5, 8, 9)]


def test_archive_ids_with_spaces_at_their_edges_are_trimmed(tmp_path: Path) -> None:
    """The tweets reader parses the values as read and parses again with the trim rule when an
    id or the time has a space at an edge: the posts are those of the file without the spaces,
    in every kind of read (full, lean, without lines)."""
    clean = tmp_path / "clean" / "t.csv"
    clean.parent.mkdir()
    clean.write_bytes(TWEETS)
    spaced = tmp_path / "spaced" / "t.csv"
    spaced.parent.mkdir()
    spaced.write_bytes(
        TWEETS.replace(b'"1161219769488113671","abc="', b'" 1161219769488113671","abc= "')
        .replace(b'"2019-08-13 10:16"', b'"2019-08-13 10:16 "')
        .replace(b'"1161000000000000001","1161219867538358279"', b'"1161000000000000001"," 1161219867538358279 "')
    )
    assert spaced.read_bytes() != TWEETS

    def posts(path: Path, case: Path | str, **kw: object) -> list[tuple]:
        with cibscope.open_case(case) as c:
            cibscope.ingest_files([path], case=c, **kw)  # type: ignore[arg-type]
            return c.con.execute(
                "SELECT post_id, account_id, created_at, time_precision, kind, repost_of, reply_to_post, reply_to_account "
                "FROM posts ORDER BY post_id"
            ).fetchall()

    want = posts(clean, tmp_path / "clean.duckdb")
    assert len(want) == 5
    assert posts(spaced, tmp_path / "full.duckdb") == want
    assert posts(spaced, tmp_path / "lean.duckdb", fields=CORE_POST_FIELDS) == want
    assert posts(spaced, ":memory:", fields=CORE_POST_FIELDS, lines=False, content_hash=False) == want
    _compare([spaced], tmp_path / "cmp")


def test_archive_values_the_fast_test_leaves_to_the_rule(tmp_path: Path) -> None:
    """The tweets reader judges a row by cheap tests first and by the full rule only when one
    fails: values that fail them are still kept when the rule keeps them (a user id starting
    with a sign, a digit or a non-ASCII letter; a time with seconds; ``TRUE``) and quarantined
    with the rule's reason otherwise -- the same rows, lines and reasons in every kind of read."""
    import csv
    import io

    header, *records = list(csv.reader(io.StringIO(TWEETS.decode())))
    base = dict(zip(header, records[-1]))  # a one-line record: 1161789598720851975, FALSE
    variants = [
        {"userid": "+abc="}, {"userid": "0123"}, {"userid": "12ab"}, {"userid": "-x_1"}, {"userid": "éa"},
        {"userid": "~x"}, {"userid": "a b\u00a0"}, {"tweet_time": "2019-08-14 23:59\u3000"}, {"tweet_time": "2019-08-14 23:59:07"}, {"is_retweet": "TRUE", "retweet_userid": "+=x", "retweet_tweetid": "1"},
        {"in_reply_to_userid": "007", "in_reply_to_tweetid": "5"},
        # refused by the rule
        {"userid": "1e5"}, {"userid": "+cmd|x"}, {"userid": "=1"}, {"tweet_time": "1969-12-31 23:59"},
        {"in_reply_to_tweetid": "05"}, {"retweet_userid": "1.0"}, {"is_retweet": "maybe"},
    ]
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(header)
    for i, v in enumerate(variants):
        w.writerow([{**base, "tweetid": str(1161789598720851975 + i), **v}[h] for h in header])
    path = tmp_path / "t.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    posts, quarantine = _compare([path], tmp_path)
    assert len(posts) == 11
    assert [(line, reason) for _f, line, reason, _raw in quarantine] == [
        (13, "invalid userid '1e5' (float notation, digits lost)"),
        (14, "invalid userid '+cmd|x' (could run as a spreadsheet formula)"),
        (15, "invalid userid '=1' (could run as a spreadsheet formula)"),
        (16, "tweet_time out of range '1969-12-31 23:59' (kept from 1970-01-01 to before 2100-01-01)"),
        (17, "invalid in_reply_to_tweetid '05' (not an unsigned 64-bit integer)"),
        (18, "invalid retweet_userid '1.0' (float notation, digits lost)"),
        (19, "invalid is_retweet 'maybe'"),
    ]
    with cibscope.open_case(tmp_path / "full.duckdb") as c:
        got = c.con.execute("SELECT account_id, time_precision, kind, repost_of_account, reply_to_account FROM posts ORDER BY post_id").fetchall()
    # a Unicode space at an edge of a value holding a space is trimmed as the rule says
    # (rules.trim), whether or not another row of the file has a space at an edge
    assert [g[0] for g in got] == ["+abc=", "0123", "12ab", "-x_1", "éa", "~x", "a b", "abc=", "abc=", "abc=", "abc="]
    assert got[8][1] == "second" and got[9][2:4] == ("repost", "+=x") and got[10][2:] == ("reply", None, "007")
# a CooRTweet retweet table (preset `coortweet`): the mapping takes every column
COORTWEET = (
    b"object_id,account_id,content_id,timestamp_share\n"
    b"o1,a1,c1,1623881091.0\n"
    b"o1,a2,c2,1623881092.0\n"
    b"o2,a1,c3,1623881093.0\n"
    b"o2,a3,c4,1623881094.0\n"
)

COORTWEET_FILES: dict[str, Callable[[], bytes]] = {
    "clean": lambda: COORTWEET,
    "crlf+bom": lambda: _crlf_bom(COORTWEET),
    # invalid UTF-8 in a column the read takes (every column is): DuckDB refuses the record
    "invalid utf-8": lambda: COORTWEET.replace(b"a2,c2", b"a\xff2,c2"),
    "repeated id": lambda: COORTWEET + b"o3,a4,c2,1623881095.0\n",
    "invalid value": lambda: COORTWEET.replace(b"c3,1623881093.0", b"c3,soon"),
    "blank lines": lambda: COORTWEET.replace(b"\no2,a1", b"\n\no2,a1") + b"\n",
}


@pytest.mark.parametrize("name", list(COORTWEET_FILES))
@pytest.mark.parametrize("compressed", [False, True])
def test_generic_every_column_read_lines_are_a_full_reads(name: str, compressed: bool, tmp_path: Path) -> None:
    """A mapping that takes every column of the file: a read without lines runs no UTF-8 check
    of its own (DuckDB checks every field it reads) and quarantines what a full read does, at
    the same lines."""
    data = COORTWEET_FILES[name]()
    f = tmp_path / ("t.csv.gz" if compressed else "t.csv")
    f.write_bytes(gzip.compress(data) if compressed else data)
    posts, quarantine = _compare([f], tmp_path)
    if name == "clean" or name == "crlf+bom" or name == "blank lines":
        assert quarantine == [] and len(posts) == 4
    if name == "invalid utf-8":
        assert [q[1] for q in quarantine] == [3] and quarantine[0][2].startswith("malformed CSV row")
    if name == "repeated id":
        assert [(q[1], q[2]) for q in quarantine] == [(6, "duplicate post_id 'c2' (first at line 3)")]
    if name == "invalid value":
        assert [(q[1], q[2].split(" (")[0]) for q in quarantine] == [(4, "unparseable time")]


def _accounts(paths: list[Path], case: Path | str, **kw: object) -> list[tuple]:
    c = cibscope.open_case(case)
    try:
        cibscope.ingest_files(paths, case=c, **({"content_hash": False} if case == ":memory:" else {}), **kw)  # type: ignore[arg-type]
        return c.con.execute("SELECT account_id, platform, source_file FROM accounts ORDER BY ALL").fetchall()
    finally:
        c.close()


@pytest.mark.parametrize("name", ["clean", "repeated id", "invalid value"])
def test_generic_lean_account_snapshots(name: str, tmp_path: Path) -> None:
    """A lean read that asks for no account column still stages one account row per account
    of its valid posts, as a full read does (without the profile: ``username`` is not read),
    whether or not it numbered the lines."""
    f = tmp_path / "t.csv"
    f.write_bytes(TOOLKIT_FILES[name]())
    full = _accounts([f], tmp_path / "full.duckdb")
    assert len(full) == 4 and all(a[1] == "unknown" for a in full)
    assert _accounts([f], ":memory:", fields=CORE_POST_FIELDS, lines=False) == full
    assert _accounts([f], tmp_path / "lean.duckdb", fields=CORE_POST_FIELDS) == full
    with cibscope.open_case(":memory:") as c:
        cibscope.ingest_files([f], case=c, fields=CORE_POST_FIELDS, lines=False, content_hash=False)
        names = c.con.execute("SELECT count(screen_name) FROM accounts").fetchall()[0][0]
        assert names == 0  # not asked for: not read
    with cibscope.open_case(":memory:") as c:
        cibscope.ingest_files([f], case=c, fields=CORE_POST_FIELDS | {"accounts.screen_name"}, lines=False, content_hash=False)
        got = c.con.execute("SELECT account_id, screen_name FROM accounts ORDER BY ALL").fetchall()
    with cibscope.open_case(tmp_path / "full2.duckdb") as c:
        cibscope.ingest_files([f], case=c)
        assert got == c.con.execute("SELECT account_id, screen_name FROM accounts ORDER BY ALL").fetchall()


def test_real_coortweet_lines(real_data: Path, tmp_path: Path) -> None:
    """The real CooRTweet file (gzip, 35k retweets, some content ids repeated): a read without
    lines quarantines the rows a full read does, at the same lines."""
    path = real_data / "coortweet-coordination" / "russian_coord_tweets.csv.gz"
    posts, quarantine = _compare([path], tmp_path)
    assert len(posts) > 35_000 and quarantine and all(q[1] is not None for q in quarantine)

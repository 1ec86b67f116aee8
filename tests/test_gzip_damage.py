"""Damaged gzip files: one rule for every CSV reader.

A gzip stream that is cut off, whose compressed data is corrupt, or whose checksum does not
match is read as far as it decompresses: the complete lines before the damage are read as
usual, and one quarantined row (file, the line where the damage starts, the reason) stands for
what is lost. The file counts as ingested and the other files are read.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import zlib
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cibscope.cli import app
from cibscope.ingest import ingest
from cibscope.ingest.io_archive import TWEET_COLUMNS

IO_DATA = Path(__file__).parent / "data" / "io_archive"
WORDS = "the election reform news climate vote democracy poll scandal protest media leader city rally".split()
CNT_HEADER = ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"]
N = 1500  # rows: ~80 KB of gzip, enough for damage in the middle of the stream


def _text(rng: random.Random, i: int) -> str:
    return f"post {i} " + " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(12))


def io_tweets(n: int = N) -> bytes:
    """An IO-archive tweets file, one record per line (tweetid 1161219769488113671 + i)."""
    rng = random.Random(7)
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, TWEET_COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writeheader()
    for i in range(n):
        r = dict.fromkeys(TWEET_COLUMNS, "")
        r.update(tweetid=str(1161219769488113671 + i), userid="abc=", user_screen_name="abc=", tweet_text=_text(rng, i),
                 tweet_time="2019-08-13 10:15", is_retweet="false", hashtags="[]", urls="[]", user_mentions="[]")
        w.writerow(r)
    return buf.getvalue().encode()


def cnt_csv(n: int = N) -> bytes:
    """A coordination-network-toolkit CSV (the generic reader's preset), one record per line."""
    rng = random.Random(8)
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CNT_HEADER)
    for i in range(n):
        w.writerow([str(5000 + i), f"u{i % 7}", f"user{i % 7}", "", "", _text(rng, i), str(1600000000 + i), ""])
    return buf.getvalue().encode()


READERS = {"io-archive-tweets": (io_tweets, None), "generic": (cnt_csv, "coordination-network-toolkit")}


# ---- damage ---------------------------------------------------------------------------------


def truncated(data: bytes) -> bytes:
    g = gzip.compress(data, mtime=0)
    return g[: len(g) // 2]


def bad_checksum(data: bytes) -> bytes:
    """The data intact, the CRC-32 in the trailer wrong."""
    g = bytearray(gzip.compress(data, mtime=0))
    g[-8] ^= 0xFF
    return bytes(g)


def bad_block(data: bytes, at: int) -> bytes:
    """A gzip stream whose deflate block starting at decompressed byte ``at`` has an invalid
    block type (zlib: 'invalid block type'): everything before ``at`` decompresses."""
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    head = c.compress(data[:at]) + c.flush(zlib.Z_FULL_FLUSH)  # byte-aligned: the next byte is a block header
    g = bytearray(head + c.compress(data[at:]) + c.flush())
    g[len(head)] = (g[len(head)] & ~0x07) | 0x06  # BFINAL 0, BTYPE 11 (reserved)
    return bytes(g)


def flipped(data: bytes) -> tuple[bytes, int]:
    """Two bytes flipped in the middle of the compressed data (as the adversarial sweep did);
    returns the file and the offset of the first flipped byte."""
    g = bytearray(gzip.compress(data, mtime=0))
    k = len(g) // 2
    g[k] ^= 0xFF
    g[k + 1] ^= 0xFF
    return bytes(g), k


def decodable_prefix(gz: bytes) -> bytes:
    """What zlib decompresses of ``gz`` before any error (an independent reference)."""
    d = zlib.decompressobj(31)
    out = b""
    for i in range(len(gz)):
        try:
            out += d.decompress(gz[i : i + 1])
        except zlib.error:
            break
    return out


# ---- helpers --------------------------------------------------------------------------------


def kept_ids(case: Path) -> list[str]:
    con = duckdb.connect(str(case), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT post_id FROM posts ORDER BY source_line").fetchall()]
    finally:
        con.close()


def quarantine(case: Path) -> list[tuple[str, int, str, str]]:
    con = duckdb.connect(str(case), read_only=True)
    try:
        return con.execute("SELECT source_file, source_line, raw, reason FROM quarantine ORDER BY source_line").fetchall()
    finally:
        con.close()


def ids_in(data: bytes) -> list[str]:
    """The post ids of the complete records in ``data`` (its text up to the last newline)."""
    text = data[: data.rfind(b"\n") + 1].decode()
    return [r[0] for r in list(csv.reader(io.StringIO(text, newline="")))[1:]]


def read(tmp_path: Path, name: str, gz: bytes, reader: str) -> tuple[Path, Path, object]:
    path = tmp_path / name
    path.write_bytes(gz)
    case = tmp_path / f"{name}.duckdb"
    (f,) = ingest([path], case, mapping=READERS[reader][1]).files
    return path, case, f


# ---- the rule, reader by reader --------------------------------------------------------------


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_truncated_gzip_keeps_the_lines_before_the_cut(tmp_path: Path, reader: str) -> None:
    data = READERS[reader][0]()
    gz = truncated(data)
    prefix = decodable_prefix(gz)
    cut = prefix.rfind(b"\n") + 1
    assert 100 < len(ids_in(prefix)) < N  # the cut is in the middle
    path, case, f = read(tmp_path, "t.csv.gz", gz, reader)
    assert (f.format, f.status) == (reader, "ingested")
    assert kept_ids(case) == ids_in(prefix)
    (q,) = quarantine(case)
    assert q[0] == str(path)
    assert q[1] == prefix.count(b"\n") + 1  # the line cut off
    assert q[2] == prefix[cut:].decode()  # its readable part
    assert q[3] == f"truncated or corrupt gzip stream: the file ends inside the compressed stream, after {len(prefix):,} bytes"
    assert (f.rows_read, f.rows_kept, f.rows_quarantined) == (len(ids_in(prefix)) + 1, len(ids_in(prefix)), 1)


DAMAGED = "truncated or corrupt gzip stream: "
ANYWHERE = "; the damage may start anywhere in the gzip member, so nothing is read from its start on"


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_corrupt_block_reads_nothing_of_its_gzip_member(tmp_path: Path, reader: str) -> None:
    """What decompressed before the damaged block is not known to be right (the damage may
    start before the error shows): one member, nothing read; one row for it at line 1."""
    data = READERS[reader][0]()
    at = len(data) // 2 + 17
    path, case, f = read(tmp_path, "b.csv.gz", bad_block(data, at), reader)
    assert (f.status, f.rows_read, f.rows_kept, f.rows_quarantined) == ("ingested", 1, 0, 1)
    assert kept_ids(case) == []
    (q,) = quarantine(case)
    assert q[:3] == (str(path), 1, data[:4096].decode())
    assert q[3] == f"{DAMAGED}damaged compressed data (invalid block type, after {at:,} decompressed bytes){ANYWHERE}"


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_bad_checksum_reads_nothing_of_its_gzip_member(tmp_path: Path, reader: str) -> None:
    data = READERS[reader][0]()
    path, case, f = read(tmp_path, "c.csv.gz", bad_checksum(data), reader)
    assert (f.status, f.rows_read, f.rows_kept, f.rows_quarantined) == ("ingested", 1, 0, 1)
    (q,) = quarantine(case)
    assert q[:3] == (str(path), 1, data[:4096].decode())
    assert q[3] == f"{DAMAGED}the checksum does not match the {len(data):,} bytes it decompresses to (incorrect data check){ANYWHERE}"


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("damage", ["block", "checksum", "cut"])
def test_the_members_before_a_damaged_member_are_read(tmp_path: Path, reader: str, damage: str) -> None:
    """A gzip file of several members (bgzip, concatenated files): each member before the
    damaged one was checked by its own checksum, and is read; the row stands at the line where
    the damaged member starts (here inside a line: that line is the row)."""
    data = READERS[reader][0]()
    a, b = len(data) // 3 + 5, 2 * len(data) // 3 + 11  # members [0, a), [a, b), [b, end)
    middle = {"block": bad_block(data[a:b], (b - a) // 2), "checksum": bad_checksum(data[a:b]), "cut": truncated(data[a:b])}[damage]
    gz = gzip.compress(data[:a], mtime=0) + middle + (gzip.compress(data[b:], mtime=0) if damage != "cut" else b"")
    path, case, f = read(tmp_path, "m.csv.gz", gz, reader)
    start, decoded = data.rfind(b"\n", 0, a) + 1, len(data)
    if damage == "cut":  # what decompressed before the cut is right
        decoded = a + len(decodable_prefix(middle))
        start = data.rfind(b"\n", 0, decoded) + 1
    kept = ids_in(data[:start])
    assert kept_ids(case) == kept
    (q,) = quarantine(case)
    assert q[:2] == (str(path), data[:start].count(b"\n") + 1)
    assert q[2] == data[start : min(start + 4096, decoded)].decode()  # as decompressed
    assert q[3].startswith(DAMAGED)
    assert (f.rows_read, f.rows_kept, f.rows_quarantined) == (len(kept) + 1, len(kept), 1)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_bytes_flipped_in_the_middle_keep_no_made_up_row(tmp_path: Path, reader: str) -> None:
    """The sweep's damage: deflate decodes the flipped bits into other bytes (made-up rows, some
    of which pass every check) and the error shows only at the checksum."""
    data = READERS[reader][0]()
    gz, k = flipped(data)
    decoded = decodable_prefix(gz)
    assert decoded[: len(data) // 3] == data[: len(data) // 3] and decoded != data[: len(decoded)]
    path, case, f = read(tmp_path, "f.csv.gz", gz, reader)
    assert (f.status, f.rows_read, f.rows_kept, f.rows_quarantined) == ("ingested", 1, 0, 1)
    (q,) = quarantine(case)
    assert q[:2] == (str(path), 1) and q[3].startswith(DAMAGED) and q[3].endswith(ANYWHERE)


def test_the_same_damaged_file_gives_the_same_rows(tmp_path: Path) -> None:
    data = io_tweets()
    a = len(data) // 2
    gz = gzip.compress(data[:a], mtime=0) + flipped(data[a:])[0]
    got = []
    for i in range(2):
        (tmp_path / str(i)).mkdir()
        path, case, f = read(tmp_path / str(i), "x.csv.gz", gz, "io-archive-tweets")
        got.append((kept_ids(case), [q[1:] for q in quarantine(case)]))
    assert len(got[0][0]) > 100 and len(got[0][1]) == 1
    assert got[0] == got[1]


def test_a_damaged_file_named_with_others_does_not_stop_them(tmp_path: Path) -> None:
    """The sweep's case: users.csv and a tweets .csv.gz with bytes flipped, both named."""
    gz = tmp_path / "tweets.csv.gz"
    gz.write_bytes(bad_block(io_tweets(), 40_000))
    case = tmp_path / "c.duckdb"
    res = CliRunner().invoke(app, ["ingest", str(IO_DATA / "users_small.csv"), str(gz), "--case", str(case)])
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(case), read_only=True)
    try:
        log = {r[0]: r[1:] for r in con.execute("SELECT source_file, rows_kept, rows_quarantined FROM ingest_log").fetchall()}
        assert log[str(gz)] == (0, 1) and log[str(IO_DATA / "users_small.csv")][0] > 0
    finally:
        con.close()


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_sound_gzip_of_several_members_with_padding_reads_whole(tmp_path: Path, reader: str) -> None:
    """Zero bytes after a member are padding (Python's gzip module reads them; DuckDB does
    not): the file is read whole, nothing quarantined."""
    data = READERS[reader][0]()
    half = len(data) // 2
    gz = gzip.compress(data[:half], mtime=0) + gzip.compress(data[half:], mtime=0) + b"\x00" * 10
    _, case, f = read(tmp_path, "m.csv.gz", gz, reader)
    assert (f.rows_read, f.rows_kept, f.rows_quarantined) == (N, N, 0)
    assert kept_ids(case) == ids_in(data)


def test_a_file_cut_inside_its_header_is_refused_with_the_reason(tmp_path: Path) -> None:
    from cibscope.errors import InputError

    path = tmp_path / "h.csv.gz"
    path.write_bytes(gzip.compress(cnt_csv(), mtime=0)[:30])  # not even the header decompresses whole
    with pytest.raises(InputError, match="truncated or corrupt gzip stream: the file ends inside"):
        ingest([path], tmp_path / "h.duckdb")


def test_the_json_reader_follows_the_same_rule(tmp_path: Path) -> None:
    """The JSON reader decompresses on its own and quarantines a cut-off stream itself (its row
    stands); a damaged member is not read, as for the CSV readers."""
    import json

    import fuzz_engine as F

    data = "".join(json.dumps(F.v2_tweet(i)) + "\n" for i in range(N)).encode()
    cases = {"cut": truncated(data), "block": bad_block(data, len(data) // 2), "checksum": bad_checksum(data)}
    for damage, gz in cases.items():
        path = tmp_path / f"{damage}.jsonl.gz"
        path.write_bytes(gz)
        (f,) = ingest([path], tmp_path / f"{damage}.duckdb").files
        rows = quarantine(tmp_path / f"{damage}.duckdb")
        assert len(rows) == 1 and rows[0][0] == str(path) and rows[0][3].startswith("truncated or corrupt gzip stream")
        if damage == "cut":
            lines = decodable_prefix(gz).count(b"\n")
            assert (f.rows_read, f.rows_kept, f.rows_quarantined) == (lines + 1, lines, 1)
            assert rows[0][1] == lines + 1
        else:
            assert (f.rows_read, f.rows_kept, f.rows_quarantined) == (1, 0, 1)
            assert rows[0][1] == 1 and rows[0][3].endswith(ANYWHERE)


def test_the_rule_holds_for_a_case_that_has_files_and_under_strict(tmp_path: Path) -> None:
    """A case with files already (the stream checked before the read, not alongside it), and
    --strict (the row of the damage stops the file, naming its line)."""
    from cibscope.errors import StrictModeError

    data = cnt_csv()
    a = len(data) // 2
    gz = tmp_path / "d.csv.gz"
    gz.write_bytes(gzip.compress(data[:a], mtime=0) + bad_checksum(data[a:]))
    case = tmp_path / "c.duckdb"
    ingest([IO_DATA / "users_small.csv"], case)
    (f,) = ingest([gz], case, mapping="coordination-network-toolkit").files
    start = data.rfind(b"\n", 0, a) + 1
    assert kept_ids(case) == ids_in(data[:start])
    assert [(q[0], q[1]) for q in quarantine(case) if q[0] == str(gz)] == [(str(gz), data[:start].count(b"\n") + 1)]
    assert (f.rows_read, f.rows_kept, f.rows_quarantined) == (len(ids_in(data[:start])) + 1, len(ids_in(data[:start])), 1)
    with pytest.raises(StrictModeError) as e:
        ingest([gz], tmp_path / "s.duckdb", mapping="coordination-network-toolkit", strict=True)
    assert e.value.line == data[:start].count(b"\n") + 1 and "checksum does not match" in str(e.value)

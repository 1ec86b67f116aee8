"""Fuzzing cibscope's readers and CLI: mutated inputs, and what every run must keep.

Used by tests/test_fuzz.py (a bounded run in the suite) and bench/bench_fuzz.py (a larger one
that prints counts). Inputs are built from valid records of every format, mutated with values
that broke readers before (wrong JSON types, ids out of range, deep nesting, control
characters, dates out of range, numbers that are not counts) and with byte-level damage (cut
files, bytes that are not UTF-8, broken gzip). Each run goes through the real CLI entry point
(``cibscope.cli.main``) and must end in one of two ways:

* exit 0, and the case accounts for every row: per file, rows read = kept + quarantined; the
  posts (or accounts) and quarantine rows of the file are that many; every quarantined row has
  a file and a reason; when the records' lines are known, every record's line is the line of
  a kept post or of a quarantined row (nothing vanished);
* exit 1 with one error line (and at most one hint line) on stderr.

Never a traceback, and never a control character from the data in the terminal output.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import random
import re
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from cibscope.ingest import io_archive
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parents[1]
CHANNELS_MAPPING = REPO / "tests" / "data" / "generic" / "channels.toml"



class _Deep:
    """Marks a list nested 700 deep (deeper than Python's recursion limit allows a naive walker)."""

    def make(self) -> list:
        root: list = []
        cur = root
        for _ in range(700):
            cur.append([])
            cur = cur[0]
        return root


DEEP = _Deep()

#: Values that broke a reader before (or would, in some field).
NASTY: list[Any] = [
    None, True, False, 0, -5, 1.5, -0.0, 2**64, 2**64 - 1, -(2**63) - 1, 1e300, float("inf"),
    "", " ", "abc", "0042", "-5", "1.5", "0x10", "1e23", "NaN", "inf", "1_000", "3.0",
    "10000-01-01", "0001-01-01T00:00:00Z", "2019-13-45T00:00:00Z", "Wed Oct 10 20:19:24 +0000 10000", "infinity",
    "=cmd|' /C calc'!A0", "+18cN/aB=", "-2+3", "@SUM(A1)", "\x1b]0;pwned\x07", "\x1b[2J", "\u202eevil", "a\x00b",
    "x" * 5000, "é中文", "line\nbreak", '"quoted"', "a,b", "[1, 2]",
    [], [1], ["x"], [[[]]], {}, {"x": 1}, {"id": "1"}, DEEP,
]


def nasty(rng: random.Random) -> Any:
    """A fresh copy of one of NASTY (a record mutated later must not change the list)."""
    v = rng.choice(NASTY)
    if v is DEEP:
        return DEEP.make()
    return json.loads(json.dumps(v)) if isinstance(v, (list, dict)) else v
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# ---- running the CLI --------------------------------------------------------------------------------


@dataclass
class Outcome:
    args: list[str]
    code: int | None
    out: str
    err: str
    traceback: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.traceback is None and not self.problems


def run_cli(args: list[str]) -> Outcome:
    """Run ``cibscope ARGS`` through its console entry point, in this process."""
    from cibscope.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | None = 0
    tb = None
    argv = sys.argv
    sys.argv = ["cibscope", *args]
    old_cols = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "200"
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - a traceback is what we look for
        tb = traceback.format_exc()
        code = None
    finally:
        sys.argv = argv
        if old_cols is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old_cols
    o = Outcome(args, code, out.getvalue(), err.getvalue(), tb)
    if tb is None:
        o.problems += _terminal_problems(o)
    return o


def _terminal_problems(o: Outcome) -> list[str]:
    problems = []
    bad = _CONTROL.findall(o.out + o.err)
    if bad:
        problems.append(f"control characters in the terminal output: {sorted(set(map(repr, bad)))}")
    if o.code == 1:
        # progress bars go to stderr too: the error is the last "error:" line, then at most a hint
        lines = [ln for ln in o.err.splitlines() if ln.strip()]
        at = max((i for i, ln in enumerate(lines) if ln.startswith("error:")), default=None)
        if at is None or len(lines) - at > 2 or (len(lines) - at == 2 and not lines[-1].startswith("hint:")):
            problems.append(f"exit 1 without one error line (+ hint): {o.err[-500:]!r}")
    elif o.code not in (0,):
        problems.append(f"exit code {o.code}")
    return problems


def check_case(case: Path, expect_lines: dict[str, set[int]] | None = None, kind: str = "posts") -> list[str]:
    """Row accounting of every file in the case (see the module docstring)."""
    problems: list[str] = []
    con = duckdb.connect(str(case), read_only=True)
    try:
        for f, read, kept, quarantined in con.execute(
            "SELECT source_file, rows_read, rows_kept, rows_quarantined FROM ingest_log"
        ).fetchall():
            if read != kept + quarantined:
                problems.append(f"{f}: read {read} != kept {kept} + quarantined {quarantined}")
            table = "posts" if kind == "posts" else "accounts"
            n_kept = con.execute(f"SELECT count(*) FROM {table} WHERE source_file = ?", [f]).fetchone()[0]
            n_q = con.execute("SELECT count(*) FROM quarantine WHERE source_file = ?", [f]).fetchone()[0]
            if n_kept != kept or n_q != quarantined:
                problems.append(f"{f}: ingest_log says {kept} kept + {quarantined} quarantined, the case holds {n_kept} + {n_q}")
        bad = con.execute("SELECT count(*) FROM quarantine WHERE source_file IS NULL OR reason IS NULL OR reason = ''").fetchone()[0]
        if bad:
            problems.append(f"{bad} quarantined row(s) without file or reason")
        table = "posts" if kind == "posts" else "accounts"
        for f, lines in (expect_lines or {}).items():
            seen = {
                int(r[0]) for r in con.execute(
                    f"SELECT source_line FROM {table} WHERE source_file = ? UNION SELECT source_line FROM quarantine WHERE source_file = ?",
                    [f, f],
                ).fetchall() if r[0] is not None
            }
            lost = sorted(lines - seen)
            if lost:
                problems.append(f"{f}: record line(s) {lost[:10]} neither kept nor quarantined")
    finally:
        con.close()
    return problems


def ingest_and_check(paths: list[Path], case: Path, extra: list[str] | None = None,
                     expect_lines: dict[str, set[int]] | None = None, kind: str = "posts") -> Outcome:
    o = run_cli(["ingest", *map(str, paths), "-c", str(case), *(extra or [])])
    if o.traceback is None and o.code == 0:
        o.problems += check_case(case, expect_lines, kind)
    return o


# ---- valid records ----------------------------------------------------------------------------------


def v2_tweet(i: int) -> dict[str, Any]:
    return {
        "id": str(1182948211848441856 + i), "text": f"post {i} #tag @bob https://t.co/x", "author_id": str(100 + i % 4),
        "created_at": "2019-10-12T09:00:00.000Z", "lang": "en", "source": "Twitter Web App",
        "entities": {"hashtags": [{"tag": "tag"}], "mentions": [{"username": "bob", "id": "7"}],
                     "urls": [{"url": "https://t.co/x", "expanded_url": "https://example.com/a"}]},
        "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 2, "quote_count": 0},
        "referenced_tweets": [{"type": "retweeted", "id": "900"}] if i % 3 == 0 else [],
        "geo": {"coordinates": {"type": "Point", "coordinates": [114.1, 22.3]}},
        "note_tweet": {"text": f"long post {i}", "entities": {"hashtags": [{"tag": "long"}]}} if i % 5 == 0 else None,
    }


def v2_page(i: int) -> dict[str, Any]:
    return {
        "data": [v2_tweet(i), v2_tweet(i + 1000)],
        "includes": {"users": [{"id": "100", "username": "u100", "name": "U", "created_at": "2010-01-01T00:00:00.000Z",
                                "public_metrics": {"followers_count": 3, "following_count": 4},
                                "entities": {"url": {"urls": [{"expanded_url": "https://u.example"}]}}}],
                     "tweets": [{"id": "900", "author_id": "101", "text": "original"}]},
        "meta": {"result_count": 2},
    }


def v1_status(i: int) -> dict[str, Any]:
    return {
        "created_at": "Wed Oct 10 20:19:24 +0000 2018", "id_str": str(1050118621198921728 + i), "id": 1050118621198921728 + i,
        "text": f"status {i} #tag", "source": '<a href="x">Twitter for iPhone</a>', "lang": "en",
        "user": {"id_str": str(200 + i % 4), "screen_name": f"u{i % 4}", "name": "U", "followers_count": 3, "friends_count": 4,
                 "created_at": "Sat Oct 14 09:23:41 +0000 2006", "entities": {"url": {"urls": [{"expanded_url": "https://u.example"}]}}},
        "entities": {"hashtags": [{"text": "tag"}], "urls": [], "user_mentions": [{"id_str": "7", "screen_name": "bob"}]},
        "retweeted_status": {"id_str": "900", "user": {"id_str": "201"}} if i % 3 == 0 else None,
        "extended_tweet": {"full_text": f"full {i}", "entities": {"hashtags": [{"text": "x"}]}} if i % 4 == 0 else None,
        "coordinates": {"coordinates": [114.1, 22.3]}, "favorite_count": 2, "retweet_count": 1,
    }


TWEET_COLUMNS = list(io_archive.TWEET_COLUMNS)
USER_COLUMNS = TWEET_COLUMNS[1:11]
CHANNEL_COLUMNS = ["msg_id", "channel", "channel_name", "date", "message", "fwd_from", "reply_to", "tags", "links", "likes", "lang"]


def io_row(i: int) -> dict[str, str]:
    r = dict.fromkeys(TWEET_COLUMNS, "")
    r.update(
        tweetid=str(1161219769488113671 + i), userid=f"u{i % 5}", user_display_name=f"User {i % 5}",
        user_screen_name=f"user{i % 5}", follower_count="10", following_count="20", account_creation_date="2017-08-30",
        tweet_language="en", tweet_text=f"tweet {i} #HK", tweet_time=f"2019-08-13 10:{i % 60:02d}", is_retweet="false",
        latitude="absent", longitude="absent", quote_count="0", reply_count="0", like_count="3", retweet_count="0",
        hashtags="['HK']", urls="['https://example.com/a']", user_mentions="[]", in_reply_to_tweetid=str(1161219769488113000 + i) if i % 4 == 1 else "",
    )
    return r


def channel_row(i: int) -> dict[str, str]:
    return {"msg_id": str(100 + i), "channel": f"chan_{i % 3}", "channel_name": f"Channel {i % 3}",
            "date": f"2022-03-01 10:{i % 60:02d}:05", "message": f"hello #News @Bob https://ex.com/{i}",
            "fwd_from": str(100 + i - 1) if i % 4 == 3 else "", "reply_to": "", "tags": "#News; War", "links": "https://ex.com/x",
            "likes": str(i), "lang": "en"}


# ---- mutations ---------------------------------------------------------------------------------------


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if len(prefix) > 8:
        return out
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            out += _paths(v, (*prefix, i))
    return out


def mutate_json(obj: Any, rng: random.Random, n: int = 2) -> Any:
    """``n`` random changes: a value (at any depth) replaced by a nasty one, a key deleted or added."""
    obj = json.loads(json.dumps(obj))
    for _ in range(n):
        paths = _paths(obj)
        path = rng.choice(paths)
        value = nasty(rng)
        if not path:
            return value if rng.random() < 0.5 else obj
        parent = obj
        for k in path[:-1]:
            parent = parent[k]
        action = rng.random()
        if action < 0.6:
            parent[path[-1]] = value
        elif action < 0.8 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(["id", "text", "data", "user", "entities", "includes", "extra"])] = value
    return obj


def _dump_line(obj: Any) -> bytes:
    try:
        return json.dumps(obj, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")
    except (RecursionError, ValueError):
        return b"[" * 3000 + b"]" * 3000


def damage(data: bytes, rng: random.Random) -> bytes:
    """Byte-level damage: cut, invalid UTF-8, a stray quote or brace, a NUL."""
    if not data:
        return data
    k = rng.randrange(len(data))
    action = rng.choice(["cut", "utf8", "quote", "brace", "nul", "crlf"])
    if action == "cut":
        return data[:k]
    insert = {"utf8": b"\xff\xfe\xc3", "quote": b'"', "brace": b"{", "nul": b"\x00", "crlf": b"\r\n"}[action]
    return data[:k] + insert + data[k:]


def _write_damaged(path: Path, data: bytes, rng: random.Random, p_gzip: float) -> tuple[Path, bool, bool]:
    """Write ``data`` to ``path``, damaged (30 %) and gzipped (``p_gzip``; half of those cut);
    returns (the path written, damaged, gzipped)."""
    damaged = rng.random() < 0.3
    if damaged:
        data = damage(data, rng)
    compressed = rng.random() < p_gzip
    if compressed:
        data = gzip.compress(data, mtime=0)
        if rng.random() < 0.5:
            data = data[: rng.randrange(max(len(data), 1))]
        path = path.with_name(path.name + ".gz")
    path.write_bytes(data)
    return path, damaged, compressed


def jsonl_input(kind: str, rng: random.Random, tmp: Path) -> tuple[Path, list[str], dict[str, set[int]] | None]:
    """A JSON lines (or array) file of ``kind`` ('v2_tweets', 'v2_pages', 'v1', 'v1_array'),
    mutated; with the record lines when every non-blank line must be accounted for."""
    base = {"v2_tweets": v2_tweet, "v2_pages": v2_page, "v1": v1_status, "v1_array": v1_status}[kind]
    recs = [base(i) for i in range(rng.randint(2, 6))]
    recs = [mutate_json(r, rng, rng.randint(1, 3)) if rng.random() < 0.7 else r for r in recs]
    fmt = {"v2_tweets": "twitter-v2", "v2_pages": "twitter-v2", "v1": "twitter-v1", "v1_array": "twitter-v1"}[kind]
    if kind == "v1_array":
        data = b"[" + b",\n".join(_dump_line(r) for r in recs) + b"]\n"
    else:
        data = b"\n".join(_dump_line(r) for r in recs) + b"\n"
    name = f"{kind}.json" if kind == "v1_array" else f"{kind}.jsonl"
    p, damaged, compressed = _write_damaged(tmp / name, data, rng, 0.2)
    args = ["--format", fmt] if rng.random() < 0.5 else []
    lines = None
    if not damaged and not compressed and kind in ("v2_tweets", "v1"):
        # one record per line: each must be kept or quarantined (a page may hold no row)
        # (a v2 page with no data holds no row: twarc2 writes them for searches without results)
        empty_page = [isinstance(r, dict) and "data" in r and r["data"] in (None, []) for r in recs]
        lines = {str(p): {i + 1 for i, ln in enumerate(data.split(b"\n")) if ln.strip() and not (i < len(recs) and empty_page[i])}}
    return p, args, lines


def csv_input(kind: str, rng: random.Random, tmp: Path) -> tuple[Path, list[str], dict[str, set[int]] | None]:
    """An IO archive tweets/users CSV or a generic (channels mapping) CSV, cells mutated."""
    if kind == "io_tweets":
        cols, rows = TWEET_COLUMNS, [io_row(i) for i in range(rng.randint(1, 8))]
    elif kind == "io_users":
        cols, rows = USER_COLUMNS, [{c: v for c, v in io_row(i).items() if c in USER_COLUMNS} for i in range(rng.randint(1, 6))]
    else:
        cols, rows = CHANNEL_COLUMNS, [channel_row(i) for i in range(rng.randint(1, 8))]
    for r in rows:
        for _ in range(rng.randint(0, 3)):
            v = nasty(rng)
            r[rng.choice(cols)] = "" if v is None else (_dump_line(v).decode("utf-8", "surrogatepass") if isinstance(v, (list, dict)) else str(v))[:6000]
    buf = io.StringIO(newline="")
    w = csv.writer(buf, quoting=rng.choice([csv.QUOTE_ALL, csv.QUOTE_MINIMAL]), lineterminator="\n")
    w.writerow(cols)
    starts = []
    line = 2
    for r in rows:
        cells = [r[c] for c in cols]
        starts.append(line)
        line += 1 + sum(c.count("\n") for c in cells)
        w.writerow(cells)
    data = buf.getvalue().encode("utf-8", "surrogatepass")
    p, damaged, compressed = _write_damaged(tmp / f"{kind}.csv", data, rng, 0.15)
    args = ["--mapping", str(CHANNELS_MAPPING)] if kind == "generic" else []
    lines = None
    if not damaged and not compressed and not any("\r" in r[c] or "\x00" in r[c] for r in rows for c in cols):
        lines = {str(p): set(starts)}
    return p, args, lines


def bytes_input(rng: random.Random, tmp: Path) -> tuple[Path, list[str], None]:
    """Random bytes, or a valid file's start with random bytes after it, under any format."""
    seeds = [b'{"data": [', b'"tweetid","userid"', b"[{", b"\x1f\x8b", b"PAR1", b"", b'{"created_at": "Wed']
    data = rng.choice(seeds) + bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    p = tmp / rng.choice(["x.jsonl", "x.csv", "x.json", "x.csv.gz", "x.parquet", "x.bin"])
    p.write_bytes(data)
    fmt = rng.choice([None, "twitter-v2", "twitter-v1", "io-archive-tweets", "io-archive-users", "generic"])
    args = ["--format", fmt] if fmt else []
    if fmt == "generic" or (fmt is None and rng.random() < 0.3):
        args += ["--mapping", str(CHANNELS_MAPPING)]
    return p, args, None


KINDS = ("v2_tweets", "v2_pages", "v1", "v1_array", "io_tweets", "io_users", "generic", "bytes")


def one_input(kind: str, seed: int, tmp: Path) -> tuple[Path, list[str], dict[str, set[int]] | None, str]:
    """The mutated input of ``kind`` for ``seed``: (file, extra ingest args, record lines, reader kind)."""
    rng = random.Random(f"{kind}:{seed}")
    if kind in ("v2_tweets", "v2_pages", "v1", "v1_array"):
        p, a, lines = jsonl_input(kind, rng, tmp)
        return p, a, lines, "posts"
    if kind in ("io_tweets", "io_users", "generic"):
        p, a, lines = csv_input(kind, rng, tmp)
        return p, a, lines, "accounts" if kind == "io_users" else "posts"
    p, a, lines = bytes_input(rng, tmp)
    return p, a, lines, "posts"


def fuzz_one(kind: str, seed: int, tmp: Path) -> Outcome:
    """Ingest one mutated input and check the outcome."""
    tmp.mkdir(parents=True, exist_ok=True)
    p, args, lines, reader_kind = one_input(kind, seed, tmp)
    case = tmp / "case.duckdb"
    for f in (case, tmp / "case.duckdb.wal"):
        f.unlink(missing_ok=True)
    return ingest_and_check([p], case, args, lines, reader_kind)

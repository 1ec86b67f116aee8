"""Fuzzing the readers and the CLI: no input ends in a traceback or loses a row.

Two halves:

* the **corpus** (tests/data/fuzz/, written by make_corpus.py): minimal malformed files, one
  or a few for every cause of a traceback, a silent drop or a loose validation that issue 14
  found, each with what it must give -- rows read, kept and quarantined with their reasons, or
  one error line;
* **mutations** (tests/fuzz_engine.py): valid files of every format with fields replaced by
  nasty values and bytes damaged, drawn by hypothesis from fixed seeds; every run must end in
  kept + quarantined rows that account for every record, or one error line.

bench/bench_fuzz.py runs the same mutations with fresh seeds and many more examples.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuzz_engine as F

pytestmark = pytest.mark.fuzz

CORPUS = Path(__file__).resolve().parent / "data" / "fuzz"
CHANNELS = str(F.CHANNELS_MAPPING)

# file -> (read, kept, quarantined, {line: reason start}) or the start of the error message
EXPECT: dict[str, tuple[int, int, int, dict[int, str]] | str] = {
    # 1. deep nesting: quarantined where the per-line parser meets it, never a RecursionError
    "v2_deep_nesting.jsonl": (3, 2, 1, {2: "invalid JSON (depth limit exceeded"}),
    "v2_deep_nesting_first.jsonl": (2, 1, 1, {1: "invalid JSON (depth limit exceeded"}),
    "v1_deep_in_array.json": (2, 1, 1, {2: "invalid JSON in array (nested too deeply)"}),
    "deep_document.json": "unknown format",
    # 2. wrong JSON types: the fields that make a row quarantine it, metadata becomes NULL
    "v2_wrong_types.jsonl": (17, 6, 11, {
        1: "entities is a string, expected an object", 3: "note_tweet.entities is a string",
        5: "text is a number, expected text", 6: "referenced_tweets is a string, expected a list",
        9: "page includes.tweets is a number, expected a list", 10: "page includes is a list",
        11: "not a tweet (data item without id/text)", 12: "entities.hashtags is a string",
        13: "invalid entities.mentions item.id abc",
    }),
    "v1_wrong_types.jsonl": (7, 3, 4, {
        1: "entities is a string", 3: "retweeted_status.user is a string", 4: "extended_tweet.entities is a string",
        5: "text is a number",
    }),
    # 3. gzip: what the stream holds is read, the rest is one quarantined row (or one error line)
    "io_tweets_cut.csv.gz": (18, 17, 1, {19: "truncated or corrupt gzip stream: the file ends inside"}),
    "io_tweets_cut_header.csv.gz": "truncated or corrupt gzip stream",
    "io_tweets_trailing_garbage.csv.gz": (61, 60, 1, {62: "truncated or corrupt gzip stream: bytes after the end"}),
    "io_tweets_plain_named.csv.gz": (5, 5, 0, {}),
    "v2_cut.jsonl.gz": (26, 25, 1, {26: "truncated or corrupt gzip stream"}),
    # 6. dates out of range, formula ids, float ids in the generic reader
    "generic_dates.csv": (8, 3, 5, {
        2: "time out of range (10000-01-01", 3: "time out of range (0001-01-01", 4: "time out of range (infinity",
        8: "invalid id (=HYPERLINK(1) in column channel: could run as a spreadsheet formula)",
        9: "id in float notation, digits lost (1.5e+18",
    }),
    # 7. v2 pages whose data is a number or a string: quarantined, not dropped
    "v2_scalar_data.jsonl": (5, 2, 3, {
        1: "a v2 response page whose data is a number", 2: "a v2 response page whose data is a string", 5: "an empty list, not a tweet",
    }),
    # 8. ids: the same rule in JSON lines, JSON arrays and the IO archive
    "v2_ids.jsonl": (11, 1, 10, {
        1: "invalid id -5", 2: "invalid id abc", 3: "invalid id 0042", 4: "invalid id (a list", 5: "invalid id (an object",
        6: "invalid id (a boolean", 7: "invalid id 1.5", 8: "invalid author_id -5",
        10: "duplicate post_id '18446744073709551615'", 11: "invalid id 1.8446744073709552e+19",
    }),
    "v1_ids_array.json": (6, 2, 4, {2: "invalid id 18446744073709551616", 3: "invalid id_str -5", 4: "invalid id_str 0042", 5: "invalid user.id_str abc"}),
    "io_values.csv": (11, 4, 7, {
        5: "invalid tweetid '0042'", 6: "invalid tweetid '-5'", 7: "invalid tweetid '18446744073709551616'",
        8: "unparseable tweet_time '10000-01-01", 9: "tweet_time out of range '1969-12-31", 10: "invalid userid",
        11: "invalid in_reply_to_tweetid 'abc'",
    }),
    # known files that hold no posts are named
    "twarc2_users.jsonl": "a Twitter API v2 file of user objects",
    "twarc2_counts.jsonl": "a Twitter API v2 file of tweet counts",
    "v1_users.jsonl": "a Twitter API v1.1 file of user objects",
    "io_control_chars.csv": (12, 12, 0, {}),
    # a folder with nothing cibscope reads
    "nothing_folder": "nothing ingested",
}


def test_the_corpus_is_what_make_corpus_writes(tmp_path: Path) -> None:
    names = {p.name for p in CORPUS.iterdir() if p.name != "make_corpus.py" and not p.name.startswith((".", "__"))}
    assert names == set(EXPECT)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_corpus_file(name: str, tmp_path: Path) -> None:
    extra = ["--mapping", CHANNELS] if name.startswith("generic") else []
    o = F.ingest_and_check([CORPUS / name], tmp_path / "c.duckdb", extra)
    assert o.traceback is None, o.traceback
    assert o.problems == []
    want = EXPECT[name]
    if isinstance(want, str):
        assert o.code == 1
        assert want in o.err, o.err
        return
    assert o.code == 0, o.err
    con = duckdb.connect(str(tmp_path / "c.duckdb"), read_only=True)
    assert con.execute("SELECT rows_read, rows_kept, rows_quarantined FROM ingest_log").fetchall() == [want[:3]]
    reasons = con.execute("SELECT source_line, reason FROM quarantine").fetchall()
    for line, start in want[3].items():
        assert any(ln == line and reason.startswith(start) for ln, reason in reasons), (line, start, reasons)


def test_values_outside_their_rules_are_null_not_guessed(tmp_path: Path) -> None:
    F.ingest_and_check([CORPUS / "io_values.csv"], tmp_path / "c.duckdb")
    con = duckdb.connect(str(tmp_path / "c.duckdb"), read_only=True)
    got = {r[0][-2:]: r[1:] for r in con.execute(
        "SELECT post_id, like_count, repost_count, reply_count, quote_count, latitude, longitude FROM posts"
    ).fetchall()}
    assert got["72"] == (None, None, None, 3, None, None)  # 1.5, 0x10, -3 are no counts; 3.0 is 3
    assert got["73"][4:] == (None, None)  # latitude 1e23, longitude NaN
    assert got["74"][4:] == (45.5, None)  # longitude 181 is out of range
    # a hashed id starting with + is an id (it was kept), and is written as it is in CSV exports
    assert con.execute("SELECT count(*) FROM posts WHERE account_id = '+18cN/aB='").fetchone()[0] == 1


def test_a_case_from_bad_dates_and_terminal_escapes_goes_through_every_command(tmp_path: Path) -> None:
    """Issue 14 cause 6 (year-10000 dates broke report and audit) and the terminal injection
    of explain: ingest, detect, explain, audit, report and evaluate all end cleanly, and no
    control character from the data reaches the terminal."""
    case = str(tmp_path / "c.duckdb")
    for args in (
        ["ingest", str(CORPUS / "generic_dates.csv"), "-c", case, "--mapping", CHANNELS],
        ["ingest", str(CORPUS / "io_control_chars.csv"), "-c", case],
        ["detect", "-c", case, "--out", str(tmp_path / "out")],
        ["explain", "1161219769488113671", "-c", case],  # a post id: not an account, one error line
        ["explain", "u1", "-c", case],
        ["audit", "-c", case, "--claimed", "all", "--out", str(tmp_path / "audit")],
        ["report", "-c", case, "--out", str(tmp_path / "report")],
    ):
        o = F.run_cli(args)
        assert o.traceback is None, (args, o.traceback)
        assert o.problems == [], (args, o.problems)
        assert o.code == (1 if args[1] == "1161219769488113671" else 0), (args, o.err)
    explained = F.run_cli(["explain", "u1", "-c", case])
    assert "evil" in explained.out and "]0;pwned" in explained.out  # shown, without the ESC


@pytest.mark.parametrize("command", ["detect", "report", "audit", "run", "network"])
def test_out_naming_a_file_is_one_error_line(command: str, tmp_path: Path) -> None:
    case = tmp_path / "c.duckdb"
    F.run_cli(["ingest", str(CORPUS / "io_control_chars.csv"), "-c", str(case)])
    target = tmp_path / "a_file"
    target.write_text("x")
    args = {
        "detect": ["detect", "-c", str(case), "--out", str(target)],
        "report": ["report", "-c", str(case), "--out", str(target)],
        "audit": ["audit", "-c", str(case), "--claimed", "all", "--out", str(target)],
        "run": ["run", str(CORPUS / "io_control_chars.csv"), "--out", str(target)],
        "network": ["network", str(CORPUS / "io_control_chars.csv"), "--out", str(target)],
    }[command]
    o = F.run_cli(args)
    assert o.traceback is None, o.traceback
    assert o.code == 1 and o.problems == [] and "the output folder is a file" in o.err


def test_an_unreadable_file_in_a_folder_is_reported_and_the_exit_is_not_zero(tmp_path: Path) -> None:
    """Issue 14 cause 4. Root reads any file, so as root the CLI runs without that capability."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(CORPUS / "io_control_chars.csv", folder / "good.csv")
    shutil.copy(CORPUS / "io_values.csv", folder / "locked.csv")
    (folder / "locked.csv").chmod(0)
    case = tmp_path / "c.duckdb"
    code = f"import sys; sys.argv = ['cibscope', 'ingest', {str(folder)!r}, '-c', {str(case)!r}]; from cibscope.cli import main; main()"
    cmd = [sys.executable, "-c", code]
    if os.geteuid() == 0:  # root reads any file: run without the capabilities that allow it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): cannot make a file unreadable")
        drop = "-dac_override,-dac_read_search"
        cmd = [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", "--", *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1
    assert "1 file(s) could not be read, first: cannot be read (Permission denied)" in r.stderr
    assert "locked.csv" in r.stderr and "unreadable" in r.stdout
    con = duckdb.connect(str(case), read_only=True)
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 12  # the readable file was ingested


# -- mutations ----------------------------------------------------------------------------------------
PER_KIND = max(6, settings().max_examples // 12)  # 12 per kind in the suite, 125 with CIBSCOPE_HYPOTHESIS=wide


@pytest.mark.parametrize("kind", F.KINDS)
@settings(max_examples=PER_KIND)
@given(seed=st.integers(0, 2**31))
def test_mutated_inputs_give_rows_or_one_error_line(kind: str, seed: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    o = F.fuzz_one(kind, seed, tmp_path_factory.mktemp(kind))
    assert o.traceback is None, f"{kind} seed {seed}:\n{o.traceback}"
    assert o.problems == [], f"{kind} seed {seed}: {o.problems}"

"""Lean reads (ingest with ``fields``) and ``cibscope network`` (one trace's network from files).

The claim under test: a trace finds exactly the same pairs, weights, p-values and evidence on
a case read lean -- only the post fields its own SQL reads -- as on a full case. Checked for
every registered trace, on generated data read by two readers (the IO archive and the
generic reader's coordination-network-toolkit preset).
"""

from __future__ import annotations

import csv
import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cibscope.case import open_case
from cibscope.cli import app
from cibscope.errors import CaseStateError, ParameterError
from cibscope.generate import generate_dataset
from cibscope.ingest import ingest
from cibscope.ingest.base import CORE_ACCOUNT_COLUMNS, CORE_POST_FIELDS, case_lean_fields, stage_fields
from cibscope.networks import build_networks
from cibscope.networks.multiplex import MultiplexParams, fuse_layers
from cibscope.onelayer import network_from_files, write_network
from cibscope.sql import referenced_columns
from cibscope.traces import get_trace, trace_names


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("lean") / "data"
    generate_dataset(d, accounts=300, tweets=20_000, seed=7)
    return d


@pytest.fixture(scope="module")
def toolkit_csv(data: Path) -> Path:
    """The generated tweets as the coordination-network-toolkit's 8-column CSV."""
    target = data.parent / "toolkit.csv"
    ms = "((CAST(tweetid AS BIGINT) >> 22) + 1288834974657)"
    duckdb.execute(
        f"""COPY (SELECT tweetid AS message_id, userid AS user_id, user_screen_name AS username,
                  CASE WHEN lower(is_retweet) = 'true' THEN retweet_tweetid ELSE '' END AS repost_id,
                  coalesce(in_reply_to_tweetid, '') AS reply_id, tweet_text AS message,
                  CAST({ms} // 1000 AS VARCHAR) || '.' || lpad(CAST({ms} % 1000 AS VARCHAR), 3, '0') AS timestamp,
                  trim(replace(replace(replace(replace(coalesce(urls, ''), '[', ''), ']', ''), '''', ''), ',', ' ')) AS urls
           FROM read_csv('{data / "tweets.csv"}', all_varchar = true, header = true)) TO '{target}' (HEADER)"""
    )
    return target


def _layer(case_path: Path, name: str) -> tuple[list[tuple], list[tuple]]:
    layer = get_trace(name).layer
    with open_case(case_path) as c:
        build_networks(c.con, traces=[name])
        edges = c.con.execute(
            # floats to 10 significant digits: parallel sums may differ in the last bit between runs
            "SELECT layer, account_a, account_b, n_shared, printf('%.9e', weight), printf('%.9e', expected), "
            "printf('%.9e', p_value), first_at, last_at "
            "FROM edges WHERE layer = ? ORDER BY ALL", [layer]
        ).fetchall()
        evidence = c.con.execute(
            "SELECT layer, account_a, account_b, post_a, post_b, at_a, at_b, seconds_apart, shared_item, source_a, source_b "
            "FROM evidence WHERE layer = ? ORDER BY ALL", [layer]
        ).fetchall()
    return edges, evidence


@pytest.fixture(scope="module")
def full_cases(data: Path, toolkit_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("full")
    cases = {"archive": d / "archive.duckdb", "toolkit": d / "toolkit.duckdb"}
    ingest([data / "users.csv", data / "tweets.csv"], cases["archive"])
    ingest([toolkit_csv], cases["toolkit"])
    return cases


@pytest.mark.parametrize("reader", ["archive", "toolkit"])
@pytest.mark.parametrize("name", trace_names())
def test_trace_finds_the_same_on_a_lean_read(
    name: str, reader: str, data: Path, toolkit_csv: Path, full_cases: dict[str, Path], tmp_path: Path
) -> None:
    inputs = [data / "users.csv", data / "tweets.csv"] if reader == "archive" else [toolkit_csv]
    fields = stage_fields(get_trace(name)().case_columns())
    lean = tmp_path / "lean.duckdb"
    ingest(inputs, lean, fields=fields)
    full_edges, full_evidence = _layer(full_cases[reader], name)
    lean_edges, lean_evidence = _layer(lean, name)
    assert lean_edges == full_edges
    assert lean_evidence == full_evidence
    if name in ("co_retweet", "co_hashtag", "near_duplicate") or (reader == "archive" and name == "account_batch"):
        assert full_edges, f"{name} found nothing on the {reader} data: the comparison would be empty"


def test_a_lean_read_leaves_out_what_the_trace_does_not_read(data: Path, tmp_path: Path) -> None:
    fields = stage_fields(get_trace("co_retweet")().case_columns())
    assert fields == CORE_POST_FIELDS  # co-retweet reads posts' core columns only
    case = tmp_path / "lean.duckdb"
    report = ingest([data / "users.csv", data / "tweets.csv"], case, fields=fields)
    assert [f.rows_kept for f in report.files] == [300, 20_000]  # every row still read and counted
    with open_case(case) as c:
        con = c.con
        assert con.execute("SELECT count(*) FROM posts WHERE text IS NOT NULL OR text_norm IS NOT NULL").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM post_hashtags").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM posts WHERE repost_of IS NOT NULL").fetchone()[0] > 0
        assert case_lean_fields(c) == fields
        # a trace that needs what was left out is refused, before anything is written
        with pytest.raises(CaseStateError, match="co_hashtag needs hashtags"):
            build_networks(con, traces=["co_retweet", "co_hashtag"])
        with pytest.raises(CaseStateError, match="near_duplicate needs text"):
            build_networks(con)
        build_networks(con, traces=["co_retweet"])
        assert con.execute("SELECT count(*) FROM edges").fetchone()[0] > 0


def test_a_full_read_after_a_lean_one_keeps_the_case_lean(data: Path, toolkit_csv: Path, tmp_path: Path) -> None:
    case = tmp_path / "c.duckdb"
    with open_case(case) as c:
        assert case_lean_fields(c) is None
    ingest([data / "tweets.csv"], case, fields={"hashtags"})
    ingest([toolkit_csv], case)  # its posts are already in the case: all quarantined, still lean
    with open_case(case) as c:
        assert case_lean_fields(c) == CORE_POST_FIELDS | {"hashtags"}


def test_unknown_fields_are_rejected(data: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="unknown stage_posts field"):
        ingest([data / "tweets.csv"], tmp_path / "c.duckdb", fields={"txt"})


def test_stage_fields_follow_the_traces_sql() -> None:
    def extra(name: str) -> set[str]:
        return set(stage_fields(get_trace(name)().case_columns()) - CORE_POST_FIELDS)

    assert extra("co_hashtag") == {"hashtags"}
    assert extra("co_link") == {"urls"}
    assert extra("co_mention") == {"mentions"}
    assert extra("near_duplicate") == {"text"}  # text_norm is made from text
    # account columns are fields "accounts.<column>" (what snapshots taken from posts must hold)
    batch = get_trace("account_batch")().case_columns()["accounts"]
    assert extra("account_batch") == {f"accounts.{c}" for c in batch if c not in CORE_ACCOUNT_COLUMNS}
    assert "accounts.created_at" in extra("account_batch")
    assert extra("co_retweet") == set()  # no account column: snapshots hold the id and platform only


def test_referenced_columns_resolves_aliases_nested_selects_and_stars() -> None:
    schema = {"posts": {"a": "INT", "b": "INT", "c": "INT"}, "acc": {"a": "INT", "d": "INT"}}
    got = referenced_columns(
        "SELECT p.a FROM posts AS p WHERE p.b IN (SELECT p.d FROM acc AS p); CREATE TEMP TABLE x AS SELECT * FROM acc",
        schema,
    )
    # the inner alias p names acc: its d is acc's; the outer p.b is posts'; * expands acc
    assert got == {"acc": frozenset({"a", "d"}), "posts": frozenset({"a", "b"})}
    assert referenced_columns("SELECT 1 FROM tmp_table", schema) == {}


# ---- cibscope network ----------------------------------------------------------------------

TOOLKIT_HEADER = "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"


def test_counts_are_the_toolkits_directed_weights(tmp_path: Path) -> None:
    """Hand fixture (60 s window). Original o1 retweeted by u1 at 0 s and 50 s, u2 at 30 s,
    u3 at 100 s; original o2 by u1 at 0 s and u2 at 61 s (outside the window).

    weight(x -> y) = x's retweets with a retweet of y of the same original within 60 s:
    u1 -> u2: both u1 retweets of o1 (|0-30|, |50-30| <= 60) = 2; u2 -> u1 = 1;
    u1 -> u3: the 50 s retweet (|50-100| = 50) = 1; u3 -> u1 = 1; u2 -> u3: |30-100| = 70, none.
    """
    rows = [
        ("r1", "u1", "o1", 1_600_000_000),
        ("r2", "u1", "o1", 1_600_000_050),
        ("r3", "u2", "o1", 1_600_000_030),
        ("r4", "u3", "o1", 1_600_000_100),
        ("r5", "u1", "o2", 1_600_001_000),
        ("r6", "u2", "o2", 1_600_001_061),
    ]
    f = tmp_path / "t.csv"
    f.write_text(TOOLKIT_HEADER + "".join(f"{m},{u},{u}_name,{o},,RT x,{t},\n" for m, u, o, t in rows))
    res = network_from_files([f], "co_retweet", params={"window": 60}, counts=True)
    assert res.counts is not None
    got = {(a, b): w for a, b, w in zip(*(res.counts.column(c).to_pylist() for c in ("user_1", "user_2", "weight")))}
    assert got == {("u1", "u2"): 2, ("u2", "u1"): 1, ("u1", "u3"): 1, ("u3", "u1"): 1}
    assert res.ingest.totals()["rows_kept"] == 6
    written = write_network(res, tmp_path / "out")
    with open(written["counts"], newline="") as fh:
        assert sorted((r["user_1"], r["user_2"], int(r["weight"])) for r in csv.DictReader(fh)) == sorted(
            (a, b, w) for (a, b), w in got.items()
        )


def test_network_equals_detects_layer_on_a_full_case(data: Path, full_cases: dict[str, Path]) -> None:
    res = network_from_files([data / "users.csv", data / "tweets.csv"], "co_retweet")
    with open_case(full_cases["archive"]) as c:
        st = build_networks(c.con, traces=["co_retweet"]).layers["co_retweet"]
        net = fuse_layers(c.con, MultiplexParams(layer_weights={"co_retweet": 1.0}), only_layers=["co_retweet"],
                          n_tests={"co_retweet": st.pairs_considered})
        want = sorted(zip(net.layer_edges.column("account_a").to_pylist(), net.layer_edges.column("account_b").to_pylist()))
        n_evidence = c.con.execute(
            "SELECT count(*) FROM evidence e SEMI JOIN (SELECT unnest(?) AS a, unnest(?) AS b) s ON s.a = e.account_a AND s.b = e.account_b WHERE e.layer = 'co_retweet'",
            [[a for a, _ in want], [b for _, b in want]],
        ).fetchone()[0]
    got = sorted(zip(res.edges.column("account_a").to_pylist(), res.edges.column("account_b").to_pylist()))
    assert got == want and len(got) > 10
    assert res.evidence.num_rows == n_evidence
    # every evidence row points at a line of the file it came from
    assert all(s.startswith(str(data / "tweets.csv") + ":") for s in res.evidence.column("source_a").to_pylist())


def test_network_cli_writes_gephi_and_csv_files(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "net"
    r = CliRunner().invoke(app, ["network", str(data / "users.csv"), str(data / "tweets.csv"), "--out", str(out), "--window", "30"])
    assert r.exit_code == 0, r.output
    assert "network: co_retweet" in r.output
    with open(out / "edges.csv", newline="") as fh:
        edges = list(csv.DictReader(fh))
    with open(out / "evidence.csv", newline="") as fh:
        evidence = list(csv.DictReader(fh))
    assert edges and evidence
    assert all(float(e["seconds_apart"]) <= 30 for e in evidence)  # the --window reached the trace
    pairs = {(e["account_a"], e["account_b"]) for e in edges}
    assert {(e["account_a"], e["account_b"]) for e in evidence} <= pairs
    g = ET.parse(out / "network.gexf").getroot()
    ns = {"g": "http://gexf.net/1.3"}
    assert len(g.findall(".//g:edge", ns)) == len(edges)
    assert len(g.findall(".//g:node", ns)) == len(set(itertools.chain.from_iterable(pairs)))


@pytest.mark.parametrize("counts", [False, True])
def test_network_writes_the_rows_it_quarantined(data: Path, tmp_path: Path, counts: bool) -> None:
    """Nothing of the in-memory case outlives the command but its files: the rows it could not
    read are in quarantine.csv with file, line and reason (and none is written for clean data)."""
    lines = (data / "tweets.csv").read_bytes().split(b"\n")
    k = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith(b'"1'))  # a record's first line
    bad = tmp_path / "tweets.csv"
    bad.write_bytes(b"\n".join(lines[:k] + [b'"1","2"'] + lines[k:]))
    flag = ["--counts"] if counts else []
    out, clean = tmp_path / "net", tmp_path / "clean"
    r = CliRunner().invoke(app, ["network", str(bad), "--out", str(out), *flag])
    assert r.exit_code == 0, r.output
    with open(out / "quarantine.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(x["source_file"], x["source_line"], x["reason"], x["raw"]) for x in rows] == [
        (str(bad), str(k + 1), "expected 31 fields, found 2", '"1","2"')
    ]
    r = CliRunner().invoke(app, ["network", str(data / "tweets.csv"), "--out", str(clean), *flag])
    assert r.exit_code == 0, r.output
    assert not (clean / "quarantine.csv").exists()


def test_network_rejects_unknown_traces_and_bad_alpha(data: Path) -> None:
    with pytest.raises(ParameterError, match="unknown trace"):
        network_from_files([data / "tweets.csv"], "co_retweeet")
    with pytest.raises(ParameterError, match="alpha"):
        network_from_files([data / "tweets.csv"], "co_retweet", alpha=0.0)


def test_the_lean_mark_is_set_only_when_lean_posts_are_kept(data: Path, tmp_path: Path) -> None:
    case = tmp_path / "c.duckdb"
    ingest([data / "tweets.csv"], case)
    ingest([data / "tweets.csv"], case, fields={"hashtags"})  # already ingested: nothing added
    with open_case(case) as c:
        assert case_lean_fields(c) is None
    bad = tmp_path / "bad.csv"  # one row without a user id: quarantined, so --strict fails
    with open(data / "tweets.csv", encoding="utf-8") as fh:
        header, first = fh.readline(), fh.readline()
    bad.write_text(header + first.replace(first.split(",")[1], "", 1), encoding="utf-8")
    fresh = tmp_path / "f.duckdb"
    with pytest.raises(Exception, match="strict"):
        ingest([bad], fresh, fields={"hashtags"}, strict=True)
    with open_case(fresh) as c:
        assert case_lean_fields(c) is None  # the failed file left no mark


def test_detect_audit_and_report_refuse_a_lean_case(data: Path, tmp_path: Path) -> None:
    from cibscope.audit import run_audit
    from cibscope.detect import detect
    from cibscope.report import render_report

    case = tmp_path / "lean.duckdb"
    ingest([data / "users.csv", data / "tweets.csv"], case, fields=CORE_POST_FIELDS)
    with pytest.raises(CaseStateError, match="read lean"):
        detect(case)
    with pytest.raises(CaseStateError, match="read lean"):
        run_audit(case, claimed="all", out=tmp_path / "audit")
    with pytest.raises(CaseStateError, match="read lean"):
        render_report(case, tmp_path / "report")


def test_a_stopped_hash_ends_early(tmp_path: Path) -> None:
    import threading

    from cibscope.ingest import _content_hash

    f = tmp_path / "big.bin"
    f.write_bytes(b"x\n" * (3 << 22))  # three read chunks
    stop = threading.Event()
    full = _content_hash(f, True)
    assert full[1] == 3 << 22
    stop.set()
    assert _content_hash(f, True, stop) != full  # nothing read after the stop


def test_network_out_must_be_a_folder(data: Path, tmp_path: Path) -> None:
    target = tmp_path / "a_file"
    target.write_text("x")
    r = CliRunner().invoke(app, ["network", str(data / "tweets.csv"), "--out", str(target)])
    assert r.exit_code != 0 and "the output folder is a file" in str(r.exception or r.output)


def test_write_arrow_csv_defuses_every_text_column(tmp_path: Path) -> None:
    import pyarrow as pa

    from cibscope.export import write_arrow_csv

    t = pa.table({
        "plain": pa.array(["=1+1", "ok"]),
        "dict": pa.array(["@x", "-y"]).dictionary_encode(),
        "num": pa.array([-0.5, float("nan")]),
        "n": pa.array([-3, 4]),
    })
    p = write_arrow_csv(t, tmp_path / "t.csv", order=["n"])
    with open(p, newline="") as fh:
        got = list(csv.reader(fh))
    assert got == [["plain", "dict", "num", "n"], ["'=1+1", "'@x", "-0.5", "-3"], ["ok", "'-y", "", "4"]]


def test_without_content_hash_a_repeated_file_is_still_read_once(data: Path, toolkit_csv: Path, tmp_path: Path) -> None:
    """``ingest(content_hash=False)`` (network's in-memory case) hashes only files of equal size:
    a copy is recognised before its parse, another file of the same size is read."""
    copy = tmp_path / "copy.csv"
    copy.write_bytes(toolkit_csv.read_bytes())
    other = tmp_path / "other.csv"  # same size, other content: one digit of the last line changed
    b = bytearray(toolkit_csv.read_bytes())
    i = b.rstrip(b"\n").rindex(b"\n") + 1  # first byte of the last record: a digit of its id
    b[i] = ord("1") if b[i] != ord("1") else ord("2")
    other.write_bytes(bytes(b))
    with open_case(":memory:") as c:
        rep = ingest([toolkit_csv, copy, other], c, content_hash=False)
        assert [f.status for f in rep.files] == ["ingested", "already ingested", "ingested"]
        assert str(toolkit_csv) in rep.files[1].message
        assert rep.files[2].rows_kept == 1 and rep.files[2].rows_quarantined == rep.files[2].rows_read - 1
        assert c.con.execute("SELECT count(content_hash) FROM ingest_log").fetchall() == [(0,)]
    with open_case(":memory:") as c:  # the default still records the hash
        ingest([toolkit_csv], c)
        assert c.con.execute("SELECT count(content_hash) FROM ingest_log").fetchall() == [(1,)]
    once = network_from_files([toolkit_csv], counts=True)
    twice = network_from_files([toolkit_csv, copy], counts=True)
    assert [f.status for f in twice.ingest.files] == ["ingested", "already ingested"]
    assert twice.counts is not None and once.counts is not None
    as_rows = lambda t: sorted(zip(*(t.column(n).to_pylist() for n in ("user_1", "user_2", "weight")), strict=True))  # noqa: E731
    assert as_rows(twice.counts) == as_rows(once.counts) and len(as_rows(once.counts)) > 100


def test_counts_csv_is_ordered_as_sql_orders_it(tmp_path: Path) -> None:
    """counts.csv is sorted by (user_1, user_2) as text: the dictionary-code ranks used to sort
    it give the order of DuckDB's ORDER BY, also for ids beyond ASCII (byte order)."""
    import numpy as np
    import pyarrow as pa

    from cibscope.export import write_arrow_csv
    from cibscope.onelayer import _sorted_counts

    ids = pa.array(["b", "a", "\u00e9", "Z", "z", "\u65e5\u672c", "\u00e9a", "e\u0301", "10", "9", "+1"])
    rng = np.random.default_rng(3)
    pairs = rng.permutation([(i, j) for i in range(len(ids)) for j in range(len(ids)) if i != j])
    counts = pa.table({
        "user_1": pa.DictionaryArray.from_arrays(pa.array(pairs[:, 0], pa.int32()), ids),
        "user_2": pa.DictionaryArray.from_arrays(pa.array(pairs[:, 1], pa.int32()), ids),
        "weight": pa.array(rng.integers(1, 9, len(pairs))),
    })
    write_arrow_csv(counts, tmp_path / "sql.csv", order=["user_1", "user_2"])
    write_arrow_csv(_sorted_counts(counts), tmp_path / "ranks.csv")
    assert (tmp_path / "ranks.csv").read_bytes() == (tmp_path / "sql.csv").read_bytes()
    plain = counts.cast(pa.schema([("user_1", pa.string()), ("user_2", pa.string()), ("weight", pa.int64())]))
    write_arrow_csv(_sorted_counts(plain), tmp_path / "plain.csv")
    assert (tmp_path / "plain.csv").read_bytes() == (tmp_path / "sql.csv").read_bytes()


def test_counts_come_ordered_as_sql_orders_the_ids(tmp_path: Path) -> None:
    """network_from_files gives the counts already in ``ORDER BY user_1, user_2`` order of the
    ids as text (byte order, also beyond ASCII): the accounts' integers are numbered in id
    order and the engine sorts them, so write_network has nothing to sort; counts.csv has the
    bytes of DuckDB's ORDER BY over the ids."""
    from cibscope.export import _write_arrow_csv_duckdb
    from cibscope.onelayer import _sorted_counts

    ids = ["b", "a", "\u00e9", "Z", "z", "\u65e5\u672c", "\u00e9a", "e\u0301", "10", "9", "_u", "\u00fc", "\U0001f600", "\uff21"]
    rows = []
    for k, u in enumerate(ids):  # everyone retweets o1 within 60 s, every other account o2 too
        rows.append((f"r{k}", u, "o1", 1_600_000_000 + k))
        if k % 2:
            rows.append((f"s{k}", u, "o2", 1_600_005_000 + 3 * k))
    f = tmp_path / "t.csv"
    f.write_text(TOOLKIT_HEADER + "".join(f"{m},{u},n{i},{o},,RT x,{t},\n" for i, (m, u, o, t) in enumerate(rows)), encoding="utf-8")
    res = network_from_files([f], "co_retweet", params={"window": 60}, counts=True)
    assert res.counts is not None and res.ingest.totals()["rows_kept"] == len(rows)
    got = list(zip(*(res.counts.column(c).to_pylist() for c in ("user_1", "user_2", "weight")), strict=True))
    assert len(got) == len(ids) * (len(ids) - 1)
    assert got == sorted(got, key=lambda r: (r[0].encode("utf-8"), r[1].encode("utf-8")))
    assert got != sorted(got, key=lambda r: (r[0].encode("utf-16-be"), r[1].encode("utf-16-be")))  # the ids test the order
    assert _sorted_counts(res.counts) is res.counts  # already in order: returned as it is
    written = write_network(res, tmp_path / "out")
    _write_arrow_csv_duckdb(res.counts, tmp_path / "sql.csv", order=["user_1", "user_2"])
    assert written["counts"].read_bytes() == (tmp_path / "sql.csv").read_bytes()


def test_write_arrow_csv_by_arrow_gives_duckdbs_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Integer and dictionary-encoded text columns are written by Arrow (each dictionary
    value's cell made once); the bytes are those of the DuckDB writer, for every rule: formula
    prefixes (text and ids), quoting, newlines, NULLs, non-ASCII, integer extremes, several
    chunks with other dictionaries, no rows."""
    import numpy as np
    import pyarrow as pa

    from cibscope.export import _write_arrow_csv_cells, _write_arrow_csv_duckdb, write_arrow_csv, write_csv

    words = pa.array(["b", "a", "\u00e9", "=1+1", "+18cN/aB=", "-x", "a,b", 'q"q', "line\nbreak", "cr\r", "\tt", "@x", None, "\u65e5\u672c", ""])
    rng = np.random.default_rng(5)
    n = 3000
    idx = pa.array(rng.integers(0, len(words), n), pa.int32(), mask=rng.random(n) < 0.05)
    t = pa.table({
        "user_1": pa.DictionaryArray.from_arrays(idx, words),  # an id column
        "text": pa.DictionaryArray.from_arrays(idx, words),
        "weight": pa.array(rng.integers(-(2**62), 2**62, n), mask=rng.random(n) < 0.05),
        "u64": pa.array([2**64 - 1, 0] * (n // 2), pa.uint64()),
        "i8": pa.array(rng.integers(-128, 127, n), pa.int8()),
    })
    other = pa.table({  # a second chunk with another dictionary (a large_string one)
        "user_1": pa.DictionaryArray.from_arrays(pa.array([1, 0, 1], pa.int16()), pa.array(["zz", "=q"], pa.large_string())),
        "text": pa.DictionaryArray.from_arrays(pa.array([0, 0, 1], pa.int16()), pa.array(["-1", ","], pa.large_string())),
        "weight": pa.array([1, None, -1], pa.int64()),
        "u64": pa.array([1, 2, 3], pa.uint64()),
        "i8": pa.array([1, 2, 3], pa.int8()),
    })
    chunked = pa.concat_tables([t.slice(0, 1000), other.cast(t.schema), t.slice(1000)])
    assert chunked.column("user_1").num_chunks == 3
    # no cell to quote (Arrow's CSV writer writes the cells), with NULLs and formula prefixes
    plain_words = pa.array(["b", "=1+1", "+18cN/aB=", "-x", "\u00e9", None, "", "\tt", "a;b c", "\u65e5\u672c"])
    pidx = pa.array(rng.integers(0, len(plain_words), n), pa.int32(), mask=rng.random(n) < 0.05)
    plain = t.set_column(0, "user_1", pa.DictionaryArray.from_arrays(pidx, plain_words)).set_column(
        1, "text", pa.DictionaryArray.from_arrays(pidx, plain_words))
    import pyarrow.csv as pcsv

    by_writer = []  # batches written by Arrow's CSV writer (no cell to quote), not by joining records
    write = pcsv.write_csv
    monkeypatch.setattr(pcsv, "write_csv", lambda *a, **k: (by_writer.append(a[0].num_rows), write(*a, **k)))
    for i, table in enumerate((t, t.slice(0, 0), chunked, t.slice(17, 500), plain, plain.slice(5, 100))):
        assert _write_arrow_csv_cells(table, tmp_path / f"arrow{i}.csv")
        # the reference: the Python writer, cell by cell
        write_csv(tmp_path / f"py{i}.csv", zip(*(c.to_pylist() for c in table.columns)), table.column_names)
        assert (tmp_path / f"arrow{i}.csv").read_bytes() == (tmp_path / f"py{i}.csv").read_bytes(), i
        if table.column("user_1").num_chunks <= 1:  # (DuckDB's COPY does not keep the order of several dictionary chunks)
            _write_arrow_csv_duckdb(table, tmp_path / f"sql{i}.csv")
            assert (tmp_path / f"arrow{i}.csv").read_bytes() == (tmp_path / f"sql{i}.csv").read_bytes(), i
    assert by_writer == [n, 100]  # the two tables without a cell to quote
    write_arrow_csv(t, tmp_path / "public.csv")  # takes the Arrow path
    assert (tmp_path / "public.csv").read_bytes() == (tmp_path / "sql0.csv").read_bytes()
    # other column types, or dictionaries bigger than the table, are left to DuckDB
    assert not _write_arrow_csv_cells(t.append_column("x", pa.array([0.5] * n)), tmp_path / "no.csv")
    assert not _write_arrow_csv_cells(t.slice(0, 3), tmp_path / "no.csv")
    assert not (tmp_path / "no.csv").exists()


def test_network_counts_imports_neither_pandas_nor_scipy(toolkit_csv: Path, tmp_path: Path) -> None:
    """`cibscope network --counts` loads neither the pipeline's stages (scipy) nor pandas
    (which pyarrow imports on the first ``pa.array`` of Python values or numpy): ~1 s of the
    process at 1M tweets; nor sqlglot (the trace's columns are in case_columns.json). Run in
    a fresh interpreter; the command must also have worked."""
    import subprocess
    import sys

    out = tmp_path / "out"
    code = (
        "import sys\n"
        "from cibscope.cli import app\n"
        "heavy = ('pandas', 'scipy', 'sqlglot')\n"
        "assert not [m for m in heavy if m in sys.modules], 'imported by the CLI'\n"
        f"app(['network', {str(toolkit_csv)!r}, '--counts', '--mapping', 'coordination-network-toolkit', '--out', {str(out)!r}], standalone_mode=False)\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "[]"
    assert (out / "counts.csv").stat().st_size > 1000


def test_an_adopted_lean_posts_table_has_only_the_read_fields_and_grows_with_a_later_file(data: Path) -> None:
    """An in-memory lean read (``network``'s case) keeps its staged posts as ``posts`` without
    adding the columns it left out: reading one fails loudly instead of reading NULL. A later
    file whose reader stages more (the JSON reader reads every field) adds its columns, with
    NULL for the rows already there, and every row of both files is kept."""
    fields = stage_fields(get_trace("co_retweet")().case_columns())
    json_file = Path(__file__).parent / "data" / "json" / "v2_pages.jsonl"
    with open_case(":memory:") as c:
        rep = ingest([data / "tweets.csv"], c, fields=fields, content_hash=False, lines=False)
        assert rep.files[0].rows_kept == 20_000
        cols = {r[0] for r in c.con.execute("DESCRIBE posts").fetchall()}
        assert fields <= cols and "source_line" in cols  # NULL: a read without lines
        assert not cols & {"text", "text_norm", "lang", "like_count", "latitude"}
        with pytest.raises(duckdb.BinderException):
            c.con.execute("SELECT text FROM posts")
        rep = ingest([json_file], c, fields=fields, content_hash=False, lines=False)
        kept = rep.files[0].rows_kept
        assert kept > 0
        cols = {r[0] for r in c.con.execute("DESCRIBE posts").fetchall()}
        assert {"text", "text_norm"} <= cols
        got = c.con.execute(
            "SELECT source_file, count(*), count(text), count(source_line) FROM posts GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert got == sorted([(str(data / "tweets.csv"), 20_000, 0, 0), (str(json_file), kept, kept, kept)])


def test_the_shipped_case_columns_are_sqlglots_and_other_sql_is_analysed() -> None:
    """case_columns.json is current (else: ``python -m cibscope.traces.columns``) and holds
    what sqlglot finds for every registered trace; SQL it does not hold (another trace's, or
    other options') is analysed by sqlglot, not looked up."""
    from cibscope.traces import TRACES, columns
    from cibscope.traces.base import CASE_COLUMNS_FILE, case_schema

    assert CASE_COLUMNS_FILE.read_text(encoding="utf-8") == columns.render(), "run python -m cibscope.traces.columns"
    schema = case_schema()
    for name, cls in TRACES.items():
        t = cls()
        assert t.case_columns() == referenced_columns(";\n".join(t.sql_statements()), schema), name

    class QuoteToo(get_trace("co_retweet")):  # type: ignore[misc, valid-type]
        def sql(self) -> str:
            return super().sql().replace("p.repost_of AS item", "p.quote_of AS item")

    got = QuoteToo().case_columns()
    assert "quote_of" in got["posts"] and got != get_trace("co_retweet")().case_columns()


def test_write_arrow_csv_through_duckdb_keeps_the_tables_order(tmp_path: Path) -> None:
    """A table Arrow's path does not take (a float column: edges, evidence) goes through DuckDB
    on one thread and keeps its row order, also in many chunks with dictionary-encoded text
    (the order must not depend on how the table was fetched)."""
    import numpy as np
    import pyarrow as pa

    from cibscope.export import write_arrow_csv

    n, step = 600_000, 50_000
    rng = np.random.default_rng(3)
    vals = rng.integers(0, 1000, n)
    for encode in (False, True):
        batches = []
        for i in range(0, n, step):
            text = pa.array([f"acc{v}" for v in vals[i:i + step]])
            batches.append(pa.record_batch({
                "account": text.dictionary_encode() if encode else text,
                "strength": pa.array(vals[i:i + step] / 7.0),
                "i": pa.array(np.arange(i, i + step)),
            }))
        table = pa.Table.from_batches(batches)
        assert table.column("i").num_chunks == n // step
        out = write_arrow_csv(table, tmp_path / f"t{encode}.csv")
        with open(out, newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == ["account", "strength", "i"]
        assert [int(r[2]) for r in rows[1:]] == list(range(n))
        assert [r[0] for r in rows[1:6]] == [f"acc{v}" for v in vals[:5]]

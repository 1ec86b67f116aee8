"""The lean read of ``cibscope network --counts`` against DuckDB's bare read of the same columns.

    CIBSCOPE_THREADS=2 nice -n 10 .venv/bin/python bench/bench_read.py FILE [FILE ...] [--rounds 3]

Each FILE is an IO-archive tweets CSV, the coordination-network-toolkit's CSV, or
``PATH::PRESET``: a file, or a glob of files read together (``'dir/tweets_*.csv.gz'``), through
the generic reader's mapping preset PRESET (``coortweet``, ``clemson-ira``); gzip is read as
gzip by both sides. Alternating ``--rounds`` times, each step in a fresh process:

* **floor (trace columns)**: ``CREATE TEMP TABLE t AS SELECT <cols> FROM read_csv(FILES, ...)``
  in an in-memory DuckDB with the same threads, where ``<cols>`` are the columns the co-retweet
  network needs (IO archive: tweetid, userid, retweet_tweetid, tweet_time; the toolkit's CSV:
  message_id, user_id, repost_id, timestamp; a preset: the columns its mapping gives the post
  id, account, time and repost), every column VARCHAR, the header given (no sniffing),
  malformed records skipped (``ignore_errors``: the real sample ends in a cut record):
  DuckDB's parse and nothing else;
* **floor (read columns)**: the same with every column the lean read takes from the file (the
  core post fields: ids, time, kind and the links between posts; 9 columns of the archive);
* **lean read**: ``cibscope.ingest_files(FILES, in-memory case, fields=stage_fields(co_retweet),
  content_hash=False, lines=False)`` -- exactly the read of ``cibscope network --counts``
  (validation of every row, quarantine with file:line, account snapshots, the case tables),
  timed around the call (the imports, the reader modules' too, are not in it; they are printed apart).

It prints each round and, per input, the minimum and median of each step and the ratios lean /
floor (of the medians and of the minima), with the input's size, rows and mean bytes per row
(text lengths differ between generators). Target (issue 20): within 2x of the floor at 1M and
5M tweets on two generators' files. The machine is shared: only ratios within one run mean
anything. Asserts nothing. ``--baseline SRC`` also times, in every round, the lean read of
another checkout (``SRC`` is its ``src/``, e.g. main's), alternating with this one's.
"""

from __future__ import annotations

import argparse
import csv
import glob
import gzip
import os
import statistics
from pathlib import Path

from _child import run_child

ARCHIVE_TRACE = ["tweetid", "userid", "retweet_tweetid", "tweet_time"]
ARCHIVE_READ = ARCHIVE_TRACE + ["is_retweet", "retweet_userid", "in_reply_to_tweetid", "in_reply_to_userid", "quoted_tweet_tweetid"]
TOOLKIT_TRACE = ["message_id", "user_id", "repost_id", "timestamp"]
TOOLKIT_READ = TOOLKIT_TRACE + ["reply_id", "username"]
# a preset's columns: (the trace's, every one the lean read takes)
PRESETS = {
    "coortweet": (["content_id", "account_id", "object_id", "timestamp_share"],) * 2,
    "clemson-ira": (["author_id", "publish_date", "post_type"], ["author_id", "publish_date", "post_type"]),
}


def header(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh))


def columns(path: Path, preset: str | None) -> tuple[list[str], list[str]]:
    if preset is not None:
        if preset not in PRESETS:
            raise SystemExit(f"{path}: no floor columns known for preset {preset!r} (known: {', '.join(PRESETS)})")
        return PRESETS[preset]
    names = header(path)
    if set(ARCHIVE_READ) <= set(names):
        return ARCHIVE_TRACE, ARCHIVE_READ
    if set(TOOLKIT_READ) <= set(names):
        return TOOLKIT_TRACE, TOOLKIT_READ
    raise SystemExit(f"{path}: neither an IO-archive tweets file nor the toolkit's CSV (give PATH::PRESET)")


def floor(paths: list[Path], cols: list[str]) -> dict:
    names = header(paths[0])
    spec = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    comp = "gzip" if paths[0].suffix == ".gz" else "none"
    threads = int(os.environ.get("CIBSCOPE_THREADS", "2"))
    files = "[" + ", ".join(f"'{p}'" for p in paths) + "]"
    return run_child(
        f"""
        import duckdb
        con = duckdb.connect()
        con.execute("SET threads = {threads}")
        import resource
        def _cpu():
            r = resource.getrusage(resource.RUSAGE_SELF)
            return r.ru_utime + r.ru_stime
        c, t = _cpu(), time.perf_counter()
        con.execute(\"\"\"CREATE TEMP TABLE t AS SELECT {', '.join(cols)} FROM read_csv({files}, auto_detect = false, header = true,
                       delim = ',', quote = '"', escape = '"', compression = '{comp}', ignore_errors = true, columns = {spec})\"\"\")
        extra = dict(t=time.perf_counter() - t, c=_cpu() - c, rows=con.execute("SELECT count(*) FROM t").fetchall()[0][0])
        """
    )


def lean(paths: list[Path], preset: str | None, src: str | None = None) -> dict:
    mapping = f", mapping={preset!r}" if preset else ""
    # src: another checkout's src/ (the baseline), imported instead of the installed cibscope
    path = f"import sys; sys.path.insert(0, {src!r})" if src else ""
    return run_child(
        f"""
        {path}
        t = time.perf_counter()
        from cibscope.case import open_case
        from cibscope.ingest import ingest
        from cibscope.ingest.base import stage_fields
        from cibscope.traces import get_trace
        from cibscope.ingest.registry import readers
        readers()  # the reader modules and what they import (else imported, even compiled, inside the timed read)
        import cibscope.ingest.finalize
        imports = time.perf_counter() - t
        case = open_case(":memory:")
        fields = stage_fields(get_trace("co_retweet")().case_columns())
        import resource
        def _cpu():
            r = resource.getrusage(resource.RUSAGE_SELF)
            return r.ru_utime + r.ru_stime
        c, t = _cpu(), time.perf_counter()
        rep = ingest({[str(p) for p in paths]!r}, case, fields=fields, content_hash=False, lines=False{mapping})
        extra = dict(t=time.perf_counter() - t, c=_cpu() - c, imports=imports, rows=rep.totals()["rows_kept"], quarantined=rep.totals()["rows_quarantined"])
        """
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", metavar="FILE[::PRESET]")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--baseline", metavar="SRC", help="also time the lean read of another checkout's src/ (e.g. main's) in each round, "
        "right after this one's, and print its figures and the ratio this / baseline"
    )
    args = ap.parse_args()
    os.environ.setdefault("CIBSCOPE_THREADS", "2")
    med = statistics.median
    summary = []
    baseline: list[tuple] = []
    for spec in args.inputs:
        pattern, _, preset = spec.partition("::")
        paths = sorted(Path(p) for p in glob.glob(pattern)) or [Path(pattern)]
        trace_cols, read_cols = columns(paths[0], preset or None)
        size = sum(p.stat().st_size for p in paths) / 1e6
        name = f"{paths[0].parent.name}/{paths[0].name}" + (f" (+{len(paths) - 1} files)" if len(paths) > 1 else "")
        print(f"== {name} ({size:,.1f} MB{', gzip' if paths[0].suffix == '.gz' else ''}); load average {os.getloadavg()[0]:.1f}", flush=True)
        got: dict[str, list[dict]] = {"floor_trace": [], "floor_read": [], "lean": [], "base": []}
        for i in range(args.rounds):
            got["floor_trace"].append(floor(paths, trace_cols))
            got["floor_read"].append(floor(paths, read_cols))
            # this checkout and the baseline alternate which goes first, round by round
            order = ["lean", "base"] if i % 2 == 0 else ["base", "lean"]
            for step in order:
                if step == "lean":
                    got["lean"].append(lean(paths, preset or None))
                elif args.baseline:
                    got["base"].append(lean(paths, preset or None, args.baseline))
            f4, f9, ln = (got[k][-1] for k in ("floor_trace", "floor_read", "lean"))
            print(
                f"round {i + 1}: floor ({len(trace_cols)} columns) {f4['t']:.2f} s, floor ({len(read_cols)} columns) {f9['t']:.2f} s, "
                f"lean read {ln['t']:.2f} s (imports {ln['imports']:.2f} s, peak RSS {ln['peak_rss_mb']:,.0f} MB; "
                f"{int(ln['rows']):,} rows kept, {int(ln['quarantined']):,} quarantined); "
                f"ratio {ln['t'] / f4['t']:.2f} / {ln['t'] / f9['t']:.2f}; CPU s {f4['c']:.2f} / {f9['c']:.2f} / {ln['c']:.2f}, "
                f"ratio {ln['c'] / f4['c']:.2f} / {ln['c'] / f9['c']:.2f}; load {os.getloadavg()[0]:.1f}"
                + (
                    f"; baseline lean read {got['base'][-1]['t']:.2f} s, CPU {got['base'][-1]['c']:.2f} s, "
                    f"ratio {got['base'][-1]['t'] / f4['t']:.2f} (CPU {got['base'][-1]['c'] / f4['c']:.2f})"
                    if args.baseline else ""
                ),
                flush=True,
            )
        t4 = [r["t"] for r in got["floor_trace"]]
        t9 = [r["t"] for r in got["floor_read"]]
        tl = [r["t"] for r in got["lean"]]
        rows = int(got["floor_trace"][0]["rows"])
        cpu = [med([r["c"] for r in got[k]]) for k in ("floor_trace", "floor_read", "lean")]
        summary.append((name, size, rows, t4, t9, tl, len(trace_cols), len(read_cols), cpu))
        if args.baseline:
            tb = [r["t"] for r in got["base"]]
            cb = med([r["c"] for r in got["base"]])
            baseline.append((name, t4, tb, tl, cpu[0], cb, cpu[2]))
    print()
    print("| input | MB | records | bytes / record | floor, trace columns (min / median) | floor, read columns | lean read | "
          "lean / floor (trace cols): medians, minima | lean / floor (read cols): medians, minima | "
          "CPU s, medians: floors, lean | CPU lean / floor (trace cols), (read cols) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, size, rows, t4, t9, tl, n4, n9, cpu in summary:
        print(f"| {name} | {size:,.1f} | {rows:,} | {size * 1e6 / max(rows, 1):,.0f} | {min(t4):.2f} / {med(t4):.2f} s ({n4}) | "
              f"{min(t9):.2f} / {med(t9):.2f} s ({n9}) | {min(tl):.2f} / {med(tl):.2f} s | **{med(tl) / med(t4):.2f}x**, {min(tl) / min(t4):.2f}x | "
              f"{med(tl) / med(t9):.2f}x, {min(tl) / min(t9):.2f}x | {cpu[0]:.2f}, {cpu[1]:.2f}, {cpu[2]:.2f} | "
              f"{cpu[2] / cpu[0]:.2f}x, {cpu[2] / cpu[1]:.2f}x |")

    if baseline:
        print()
        print(f"baseline: {args.baseline}")
        print("| input | baseline lean read (min / median) | lean read (min / median) | lean / baseline: medians (CPU) | "
              "lean / floor, trace cols: baseline, this (medians) | CPU lean / floor, trace cols: baseline, this |")
        print("|---|---|---|---|---|---|")
        for name, t4, tb, tl, c4, cb, cl in baseline:
            print(f"| {name} | {min(tb):.2f} / {med(tb):.2f} s | {min(tl):.2f} / {med(tl):.2f} s | {med(tl) / med(tb):.2f}x ({cl / cb:.2f}x) | "
                  f"{med(tb) / med(t4):.2f}x, **{med(tl) / med(t4):.2f}x** | {cb / c4:.2f}x, **{cl / c4:.2f}x** |")


if __name__ == "__main__":
    main()

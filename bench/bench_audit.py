"""Audit speed on a generated case: `cibscope audit` on 1M tweets within 3 minutes on 2 cores.

Run: CIBSCOPE_THREADS=2 .venv/bin/python bench/bench_audit.py [--accounts 5000 --tweets 1000000 --seed 3]

Generates an IO-archive dataset (users.csv, tweets.csv, truth.csv, takedown.txt), ingests it,
runs detection (timed, not the target), then times the audit with claimed = takedown.txt and
the shipped Hong Kong claims file. Prints each audit step, the total, the ratio to the target,
and the ratio to a baseline measured in the same run: one DuckDB pass over the posts
(per-account count/min/max, the least any per-account signature needs). Also prints how the
verdicts agree with truth.csv. The case is kept in --work so a rerun with --reuse skips the
generation, ingest and detection.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cibscope import ingest_files, open_case  # noqa: E402
from cibscope.audit import run_audit  # noqa: E402

TARGET_SECONDS = 180.0


class _Handle:
    def __init__(self, description: str) -> None:
        self.description = description
        self.start = time.perf_counter()

    def advance(self, n: float = 1) -> None:
        return None

    def update(self, *, total: float | None = None, description: str | None = None) -> None:
        return None


class Timer:
    """A progress sink that records how long each named step took (nested steps included)."""

    def __init__(self) -> None:
        self.seconds: list[tuple[str, float]] = []

    def task(self, description: str, total: float | None = None) -> _Handle:
        return _Handle(description)

    def done(self, handle: _Handle) -> None:
        self.seconds.append((handle.description, time.perf_counter() - handle.start))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--tweets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/cibscope-bench-audit"))
    ap.add_argument("--reuse", action="store_true", help="reuse the case in --work if present")
    args = ap.parse_args()
    data = args.work / "data"
    case_path = args.work / "case.duckdb"
    print(f"threads: CIBSCOPE_THREADS={os.environ.get('CIBSCOPE_THREADS', '(all cores)')}, cpu_count={os.cpu_count()}")
    if not (args.reuse and case_path.exists()):
        from cibscope.detect import detect
        from cibscope.generate import generate_dataset

        shutil.rmtree(args.work, ignore_errors=True)
        t = time.perf_counter()
        generate_dataset(data, accounts=args.accounts, tweets=args.tweets, seed=args.seed)
        print(f"generate: {time.perf_counter() - t:.1f} s ({args.accounts:,} accounts, {args.tweets:,} tweets, seed {args.seed})")
        t = time.perf_counter()
        ingest_files([data / "users.csv", data / "tweets.csv"], case=case_path)
        print(f"ingest: {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        with open_case(case_path) as c:
            detect(c)
        print(f"detect: {time.perf_counter() - t:.1f} s (not the target)")
    with open_case(case_path) as c:
        n_posts = c.count("posts")
        t = time.perf_counter()
        c.con.execute(
            "CREATE OR REPLACE TEMP TABLE _baseline AS SELECT account_id, count(*), min(created_at), max(created_at) FROM posts GROUP BY 1"
        )
        baseline = time.perf_counter() - t
        timer = Timer()
        t = time.perf_counter()
        r = run_audit(
            c,
            claimed=data / "takedown.txt",
            claims=REPO / "src" / "cibscope" / "audit" / "claims" / "hong-kong-2019.toml",
            out=args.work / "audit",
            progress=timer,
        )
        total = time.perf_counter() - t
        c.con.execute(f"CREATE OR REPLACE TEMP TABLE truth AS SELECT * FROM read_csv('{data / 'truth.csv'}', all_varchar=true)")
        agree = c.con.execute(
            "SELECT t.label, t.claimed, v.verdict, count(*) FROM audit_verdicts v JOIN truth t ON t.userid = v.account_id "
            "GROUP BY ALL ORDER BY 1, 2, 3"
        ).fetchall()
    print(f"posts in case: {n_posts:,}")
    for name, sec in timer.seconds:
        print(f"  step {name}: {sec:.1f} s")
    print(f"audit total: {total:.1f} s; target {TARGET_SECONDS:.0f} s -> {total / TARGET_SECONDS:.2f} of the budget")
    print(f"baseline (one DuckDB pass over posts, per-account count/min/max): {baseline:.2f} s; audit / baseline = {total / baseline:.0f}x")
    print("summary:", r.summary())
    print("verdicts vs truth.csv (label, claimed, verdict, accounts):")
    for row in agree:
        print("  ", row)


if __name__ == "__main__":
    main()

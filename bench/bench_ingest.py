"""Benchmark: ingest of a generated IO archive vs DuckDB's own read_csv of the same file.

    .venv/bin/python bench/bench_ingest.py                 # 2,000,000 tweets (the acceptance size)
    .venv/bin/python bench/bench_ingest.py --tweets 200000 # quick check

Steps, each in a fresh subprocess (so peak memory is that step's own, read with
``resource.getrusage(RUSAGE_SELF)`` at its end):

1. generate ``users.csv`` + ``tweets.csv`` with ``cibscope.generate.generate_dataset`` (kept in
   ``--data`` and reused when the size and seed match);
2. **floor**: ``CREATE TABLE t AS SELECT * FROM read_csv('tweets.csv')`` into a new DuckDB file
   (DuckDB's defaults: type sniffing, parallel parse);
3. **ingest**: ``cibscope.ingest_files([users.csv, tweets.csv], case=new file)``: parsing, validation,
   snowflake times, line numbers, quarantine, account snapshots, normalisation (text_norm,
   URLs, hashtags, mentions) and the exploded tables.

The target (issue 2): ingest within 2x of the floor, peak RSS under 4 GB. The script prints the
figures and the ratio; it asserts nothing (timings belong here, not in unit tests).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _child import run_child

HERE = Path(__file__).resolve().parent


def _child(code: str) -> dict:
    return run_child(code)


def generate(data: Path, tweets: int, accounts: int, seed: int) -> tuple[Path, Path, float]:
    """Generate (or reuse) the archive; returns (users.csv, tweets.csv, seconds)."""
    stamp = data / "bench_params.json"
    params = {"tweets": tweets, "accounts": accounts, "seed": seed}
    users, tw = data / "users.csv", data / "tweets.csv"
    if stamp.exists() and json.loads(stamp.read_text()) == params and users.exists() and tw.exists():
        return users, tw, 0.0
    data.mkdir(parents=True, exist_ok=True)
    r = _child(
        f"""
        from cibscope.generate import generate_dataset
        generate_dataset({str(data)!r}, accounts={accounts}, tweets={tweets}, seed={seed})
        """
    )
    stamp.write_text(json.dumps(params))
    return users, tw, r["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tweets", type=int, default=2_000_000)
    ap.add_argument("--accounts", type=int, default=None, help="default: tweets / 100")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data", type=Path, default=None, help="where the generated archive is kept (default: a temp folder)")
    ap.add_argument("--repeat", type=int, default=1, help="run floor and ingest this many times, report the best")
    args = ap.parse_args()
    accounts = args.accounts or max(100, args.tweets // 100)

    with tempfile.TemporaryDirectory(prefix="cibscope-bench-") as tmp_s:
        tmp = Path(tmp_s)
        data = args.data or (tmp / "data")
        users, tweets, gen_s = generate(data, args.tweets, accounts, args.seed)
        size_mb = tweets.stat().st_size / 1e6

        floors, ingests = [], []
        for i in range(args.repeat):
            db = tmp / f"floor{i}.duckdb"
            floors.append(
                _child(
                    f"""
                    import duckdb
                    con = duckdb.connect({str(db)!r})
                    con.execute("CREATE TABLE t AS SELECT * FROM read_csv({str(tweets)!r}, all_varchar=true)")
                    extra = dict(rows=con.execute("SELECT count(*) FROM t").fetchall()[0][0])
                    con.close()
                    """
                )
            )
            db.unlink()
            case = tmp / f"case{i}.duckdb"
            ingests.append(
                _child(
                    f"""
                    import cibscope
                    rep = cibscope.ingest_files([{str(users)!r}, {str(tweets)!r}], case={str(case)!r})
                    t = rep.totals()
                    extra = dict(rows=t["rows_kept"], quarantined=t["rows_quarantined"], read=t["rows_read"])
                    """
                )
            )
            case.unlink()
        floor = min(floors, key=lambda r: r["seconds"])
        ing = min(ingests, key=lambda r: r["seconds"])
    # wall time depends on what else the machine runs; CPU time (user + sys, all threads) much
    # less, so both are shown. Run on an idle machine for the wall-time figure that counts.

    print(f"tweets.csv: {args.tweets:,} tweets, {accounts:,} accounts, {size_mb:,.0f} MB" + (f" (generated in {gen_s:.0f} s)" if gen_s else ""))
    print(f"{'step':<44}{'wall s':>8}{'rows/s':>11}{'x floor':>8}{'CPU s':>8}{'x floor':>8}{'peak RSS':>10}")
    for name, r in (("floor: DuckDB read_csv(tweets.csv) -> table", floor), ("cibscope.ingest_files(users.csv, tweets.csv)", ing)):
        rate = args.tweets / r["seconds"]
        print(
            f"{name:<44}{r['seconds']:>8.2f}{rate:>11,.0f}{r['seconds'] / floor['seconds']:>8.2f}"
            f"{r['cpu']:>8.2f}{r['cpu'] / floor['cpu']:>8.2f}{r['peak_rss_mb']:>7,.0f} MB"
        )
    print(f"ingest kept {int(ing['rows']):,} rows, quarantined {int(ing['quarantined']):,} (read {int(ing['read']):,})")
    print(
        f"ratio ingest/floor: wall {ing['seconds'] / floor['seconds']:.2f}, CPU {ing['cpu'] / floor['cpu']:.2f} (target <= 2.0); "
        f"peak RSS {ing['peak_rss_mb'] / 1024:.2f} GB (target < 4 GB)"
    )


if __name__ == "__main__":
    main()

"""Size of the report of the full IRA set (Clemson/FiveThirtyEight, 956,541 tweets of 813 accounts
in ../shared/data/real): target < 50 MB with the default exports (issue 19).

    .venv/bin/python bench/bench_report_ira.py                    # ingest + detect + audit + both reports
    .venv/bin/python bench/bench_report_ira.py --case ira.duckdb  # reuse a detected case (audited here)
    .venv/bin/python bench/bench_report_ira.py --keep /tmp/ira    # keep the case and the reports

Writes the report twice in the same run: with the default exports (Parquet tables, GEXF
networks) and, as the baseline, with every format (CSV, JSON and GraphML too, what the report
wrote before). Prints each report's size by part (index, account pages, assets, exports by
file), the ratio of the two and whether the default is under 50 MB. Asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cibscope import open_case  # noqa: E402
from cibscope.audit import run_audit  # noqa: E402
from cibscope.detect import detect  # noqa: E402
from cibscope.ingest import ingest  # noqa: E402
from cibscope.report import render_report  # noqa: E402

TARGET_MB = 50.0
MB = 1024 * 1024


def sizes(report: Path) -> dict[str, int]:
    """Bytes by part of a report folder."""
    out = {"index.html": (report / "index.html").stat().st_size}
    out["accounts/ (pages)"] = sum(p.stat().st_size for p in (report / "accounts").glob("*.html"))
    out["assets/"] = sum(p.stat().st_size for p in (report / "assets").iterdir())
    for p in sorted((report / "exports").iterdir()) if (report / "exports").is_dir() else []:
        out[f"exports/{p.name}"] = p.stat().st_size
    return out


def show(label: str, parts: dict[str, int]) -> int:
    total = sum(parts.values())
    print(f"\n{label}: {total / MB:,.1f} MB")
    for k, v in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"  {v / MB:9.2f} MB  {k}")
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", type=Path, default=REPO.parent / "shared" / "data" / "real")
    ap.add_argument("--case", type=Path, help="a detected case of the IRA set (copied; the audit writes to the copy)")
    ap.add_argument("--keep", type=Path, help="folder to keep the case and the reports in")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ira-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    case = work / "ira.duckdb"
    try:
        if args.case is not None:
            shutil.copy(args.case, case)
        else:
            files = sorted((args.real / "ira-clemson-fivethirtyeight-by-author").glob("tweets_*.csv.gz"))
            t = time.perf_counter()
            rep = ingest(files, case)
            print(f"ingest: {rep.totals()['rows_read']:,} rows in {time.perf_counter() - t:.0f} s")
            t = time.perf_counter()
            with open_case(case) as c:
                detect(c)
            print(f"detect: {time.perf_counter() - t:.0f} s")
        t = time.perf_counter()
        run_audit(case, claimed="all", out=work / "audit")
        print(f"audit (claimed = all): {time.perf_counter() - t:.0f} s")
        with open_case(case, create=False, read_only=True) as c:
            print(f"case: {c.count('posts'):,} posts, {c.count('accounts'):,} accounts, {c.count('evidence'):,} evidence pairs, "
                  f"{c.con.execute('SELECT count(*) FROM scores WHERE flagged').fetchone()[0]:,} flagged")
        t = time.perf_counter()
        render_report(case, work / "report-default")
        t_default = time.perf_counter() - t
        t = time.perf_counter()
        render_report(case, work / "report-all", export_formats=("parquet", "csv", "json", "graphml"))
        t_all = time.perf_counter() - t
        default = show(f"default exports (Parquet + GEXF), rendered in {t_default:.0f} s", sizes(work / "report-default"))
        every = show(f"baseline: every format (CSV, JSON, GraphML too), rendered in {t_all:.0f} s", sizes(work / "report-all"))
        print(f"\ndefault / every format: {default / every:.2f}; default {default / MB:,.1f} MB "
              f"{'<' if default / MB < TARGET_MB else '>='} target {TARGET_MB:.0f} MB")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

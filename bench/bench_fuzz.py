"""A larger, bounded fuzz of the readers and the CLI than the test suite runs; prints counts.

    .venv/bin/python bench/bench_fuzz.py                       # 200 inputs per kind, seeds 0..199
    .venv/bin/python bench/bench_fuzz.py --per-kind 1000 --seconds 1800 --first-seed 5000
    .venv/bin/python bench/bench_fuzz.py --downstream 10       # every 10th clean case: detect, explain, audit, report

Each input is a valid file of one format (Twitter API v2 tweets and pages, v1.1 lines and
arrays, the IO archive's tweets and users, a generic CSV with a mapping, random bytes) with
fields replaced by nasty values and bytes damaged (tests/fuzz_engine.py), read through the real
CLI entry point. Each run must end with every row kept or quarantined (with file, line and
reason) or with one error line; never a traceback. With ``--downstream N``, every Nth case that
ingested rows also goes through detect, explain, audit and report. Then the corpus
(tests/data/fuzz) goes through every command.

Prints, per kind: runs, exit 0, exit 1, tracebacks, problems (rows unaccounted for, an error
without its one line, control characters in the terminal); then the distinct tracebacks and
problems with the seed that reproduces each (``fuzz_engine.fuzz_one(kind, seed, folder)``).
It asserts nothing; a non-zero count is a bug to fix and a seed to add to the corpus.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import fuzz_engine as F  # noqa: E402


def downstream(case: Path, tmp: Path) -> list[F.Outcome]:
    """detect, explain (of an account of the case), audit and report on an ingested case."""
    import duckdb

    con = duckdb.connect(str(case), read_only=True)
    row = con.execute("SELECT account_id FROM accounts ORDER BY account_id LIMIT 1").fetchone()
    con.close()
    runs = [F.run_cli(["detect", "-c", str(case), "--out", str(tmp / "det")])]
    if runs[-1].code == 0 and row is not None:
        runs.append(F.run_cli(["explain", str(row[0]), "-c", str(case)]))
        runs.append(F.run_cli(["audit", "-c", str(case), "--claimed", "all", "--out", str(tmp / "audit")]))
        runs.append(F.run_cli(["report", "-c", str(case), "--out", str(tmp / "report"), "--no-exports"]))
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-kind", type=int, default=200, help="inputs per kind (default 200)")
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + per-kind - 1")
    ap.add_argument("--seconds", type=float, default=None, help="stop starting new inputs after this long")
    ap.add_argument("--kinds", nargs="*", default=list(F.KINDS), choices=F.KINDS)
    ap.add_argument("--downstream", type=int, default=0, help="every Nth case with rows also goes through detect, explain, audit, report")
    a = ap.parse_args()
    t0 = time.perf_counter()
    counts: dict[str, collections.Counter] = {k: collections.Counter() for k in a.kinds}
    found: dict[str, tuple[str, int]] = {}
    n_down = 0
    stop = False
    for seed in range(a.first_seed, a.first_seed + a.per_kind):
        for kind in a.kinds:
            if a.seconds is not None and time.perf_counter() - t0 > a.seconds:
                stop = True
                break
            with tempfile.TemporaryDirectory(prefix="cibscope-fuzz-") as d:
                o = F.fuzz_one(kind, seed, Path(d))
                c = counts[kind]
                c["runs"] += 1
                c[f"exit {o.code}"] += 1
                outcomes = [o]
                if a.downstream and o.code == 0 and not o.problems and (c["runs"] % a.downstream == 0):
                    outcomes += downstream(Path(d) / "case.duckdb", Path(d))
                    n_down += 1
                for x in outcomes:
                    if x.traceback:
                        c["tracebacks"] += 1
                        found.setdefault("traceback: " + x.traceback.strip().splitlines()[-1][:160], (kind, seed))
                    for p in x.problems:
                        c["problems"] += 1
                        found.setdefault("problem: " + p.split(":", 1)[-1][:160], (kind, seed))
        if stop:
            break
    # the corpus through every command
    corpus = REPO / "tests" / "data" / "fuzz"
    corpus_runs = corpus_bad = 0
    for f in sorted(corpus.iterdir()):
        if f.name == "make_corpus.py":
            continue
        with tempfile.TemporaryDirectory(prefix="cibscope-fuzz-") as d:
            extra = ["--mapping", str(F.CHANNELS_MAPPING)] if f.name.startswith("generic") else []
            runs = [F.ingest_and_check([f], Path(d) / "case.duckdb", extra)]
            if runs[0].code == 0:
                runs += downstream(Path(d) / "case.duckdb", Path(d))
            for x in runs:
                corpus_runs += 1
                if not x.ok:
                    corpus_bad += 1
                    found.setdefault(f"corpus {f.name}: " + (x.traceback or "; ".join(x.problems))[-160:], ("corpus", 0))
    secs = time.perf_counter() - t0
    print(f"{'kind':<10} {'runs':>6} {'exit 0':>7} {'exit 1':>7} {'tracebacks':>11} {'problems':>9}")
    total = collections.Counter()
    for kind, c in counts.items():
        total.update(c)
        print(f"{kind:<10} {c['runs']:>6} {c['exit 0']:>7} {c['exit 1']:>7} {c['tracebacks']:>11} {c['problems']:>9}")
    print(f"{'all':<10} {total['runs']:>6} {total['exit 0']:>7} {total['exit 1']:>7} {total['tracebacks']:>11} {total['problems']:>9}")
    print(f"downstream (detect, explain, audit, report) on {n_down} case(s); corpus: {corpus_runs} command runs, {corpus_bad} not clean")
    print(f"{secs:.0f} s, {total['runs'] / max(secs, 1e-9):.1f} inputs/s")
    for what, (kind, seed) in sorted(found.items()):
        print(f"  {what}  [{kind} seed {seed}]")


if __name__ == "__main__":
    main()

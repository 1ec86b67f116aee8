"""Benchmark: full ``detect`` (every trace, default parameters) on a generated case.

    .venv/bin/python bench/bench_detect.py --tweets 1000000 --data /tmp/bench1m
    .venv/bin/python bench/bench_detect.py --data /tmp/bench10m          # 10M tweets, 50,000 accounts

Steps:

1. generate ``users.csv`` + ``tweets.csv`` with ``cibscope.generate.generate_dataset`` into
   ``DATA/data`` (reused when size and seed match; 10M tweets is ~4.5 GB);
2. ingest them into ``DATA/case_ingested.duckdb`` (reused likewise; not timed here, see
   bench_ingest.py);
3. copy that case to ``DATA/case_detect.duckdb`` (so every run starts from the ingested state)
   and, in a fresh process, time

   * the **baseline**: one DuckDB pass over ``posts`` (per-account count, first and last time),
   * ``cibscope.detect.detect(case, out=DATA/out)``: what ``cibscope detect --case C --out OUT``
     runs: every trace's layer, fusion, groups, scores and the four exports.

Printed: wall and CPU seconds (user + system, all threads) of every step, per layer
(from a progress sink that notes the time at the start and end of each step), the peak RSS of
the detect process (``getrusage(RUSAGE_SELF)`` in the child, which runs DuckDB in-process) and
the load average before and after (the machine is shared: wall time depends on what else
runs, CPU time much less). Target (issue 3 section 6): 10M tweets within 600 s on 2 cores, peak
RSS <= 12 GB. The script asserts nothing; timings belong here, not in unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

from _child import run_child



def _child(code: str) -> dict:
    # stderr is passed through: the detect child reports each step as it ends (a 10M run is long)
    return run_child(code, stream_stderr=True)


def prepare(data: Path, tweets: int, accounts: int, seed: int) -> Path:
    """Generate and ingest (or reuse); returns the ingested case."""
    params = {"tweets": tweets, "accounts": accounts, "seed": seed}
    gen = data / "data"
    stamp = data / "bench_params.json"
    case = data / "case_ingested.duckdb"
    if stamp.exists() and json.loads(stamp.read_text()) == params and case.exists():
        return case
    if not (gen / f".done-{tweets}-{accounts}-{seed}").exists():
        if gen.exists():
            shutil.rmtree(gen)
        r = _child(
            f"""
            from cibscope.generate import generate_dataset
            generate_dataset({str(gen)!r}, accounts={accounts}, tweets={tweets}, seed={seed})
            """
        )
        (gen / f".done-{tweets}-{accounts}-{seed}").touch()
        print(f"generated {tweets:,} tweets / {accounts:,} accounts: {r['seconds']:.0f} s wall, {r['cpu']:.0f} s CPU", flush=True)
    if case.exists():
        case.unlink()
    r = _child(
        f"""
        import cibscope
        cibscope.ingest_files([{str(gen / 'users.csv')!r}, {str(gen / 'tweets.csv')!r}], case={str(case)!r})
        """
    )
    print(f"ingested: {r['seconds']:.0f} s wall, {r['cpu']:.0f} s CPU, peak RSS {r['peak_rss_mb'] / 1024:.2f} GB", flush=True)
    stamp.write_text(json.dumps(params))
    return case


DETECT = """
import sys
from cibscope.case import open_case
from cibscope.detect import detect

class _H:
    def advance(self, n=1):
        pass
    def update(self, *, total=None, description=None):
        pass

class Recorder:
    def __init__(self):
        self.rows = []
        self._cur = None
    def task(self, description, total=None):
        self._finish()
        self._cur = (description, time.perf_counter(), time.process_time())
        return _H()
    def done(self, handle):
        self._finish()
    def _finish(self):
        if self._cur is not None:
            d, w, c = self._cur
            self.rows.append((d, time.perf_counter() - w, time.process_time() - c))
            print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {d}: {self.rows[-1][1]:.1f} s wall, {self.rows[-1][2]:.1f} s CPU", file=sys.stderr, flush=True)
            self._cur = None

case = open_case(CASE, create=False)
t = time.perf_counter(); c = time.process_time()
n = case.con.execute(
    "SELECT count(*) FROM (SELECT account_id, count(*), min(created_at), max(created_at) FROM posts GROUP BY account_id)"
).fetchall()[0][0]
extra["baseline"] = dict(seconds=time.perf_counter() - t, cpu=time.process_time() - c, accounts=n)
print(f"[baseline] one DuckDB pass over posts: {extra['baseline']['seconds']:.2f} s wall, {extra['baseline']['cpu']:.2f} s CPU", file=sys.stderr, flush=True)
extra["posts"] = case.count("posts")
rec = Recorder()
t = time.perf_counter(); c = time.process_time()
res = detect(case, out=OUT, progress=rec)
extra["detect"] = dict(seconds=time.perf_counter() - t, cpu=time.process_time() - c)
extra["steps"] = rec.rows
extra["stats_seconds"] = res.stats.get("seconds", {})
extra["layers"] = {k: {f: v.get(f) for f in ("rows", "action_pairs", "pairs_considered", "pairs_kept", "bounded_action_pairs", "evidence_rows", "seconds")}
                   for k, v in res.stats["networks"]["layers"].items()}
extra["result"] = dict(accounts=res.n_accounts, edges=res.n_edges, significant=res.n_significant, groups=res.n_groups, flagged=res.n_flagged)
case.close()
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tweets", type=int, default=10_000_000)
    ap.add_argument("--accounts", type=int, default=None, help="default: tweets / 200 (50,000 at 10M, the generator doc's 10M case)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", type=Path, required=True, help="folder for the generated data and cases (kept and reused)")
    args = ap.parse_args()
    accounts = args.accounts or max(100, args.tweets // 200)
    args.data.mkdir(parents=True, exist_ok=True)
    ingested = prepare(args.data, args.tweets, accounts, args.seed)
    work = args.data / "case_detect.duckdb"
    for stale in (work, Path(str(work) + ".wal")):  # a killed run leaves its WAL: it must not be replayed
        stale.unlink(missing_ok=True)
    shutil.rmtree(str(work) + ".tmp", ignore_errors=True)
    shutil.copyfile(ingested, work)
    out = args.data / "out"
    threads = os.environ.get("CIBSCOPE_THREADS", "(DuckDB default)")
    load0 = os.getloadavg()
    t0 = time.strftime("%H:%M:%S", time.gmtime())
    r = _child(f"CASE = {str(work)!r}\nOUT = {str(out)!r}\n" + DETECT)
    load1 = os.getloadavg()
    t1 = time.strftime("%H:%M:%S", time.gmtime())

    print(f"{r['posts']:,} posts, {accounts:,} accounts (seed {args.seed}); CIBSCOPE_THREADS={threads}; {os.cpu_count()} CPUs")
    print(f"run {t0}-{t1} UTC; load average before {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    b = r["baseline"]
    d = r["detect"]
    print(f"{'step':<52}{'wall s':>9}{'CPU s':>9}")
    print(f"{'baseline: one DuckDB pass over posts (per account)':<52}{b['seconds']:>9.2f}{b['cpu']:>9.2f}")
    for desc, w, c in r["steps"]:
        print(f"  {desc:<50}{w:>9.2f}{c:>9.2f}")
    print(f"{'detect (all of the above)':<52}{d['seconds']:>9.2f}{d['cpu']:>9.2f}")
    print(f"detect / baseline: wall {d['seconds'] / b['seconds']:.0f}x, CPU {d['cpu'] / max(b['cpu'], 1e-9):.0f}x")
    print(f"peak RSS of the detect process: {r['peak_rss_mb'] / 1024:.2f} GB (target <= 12 GB); target wall 600 s: "
          f"{d['seconds'] / 600:.2f} of it")
    print("layers (builder stats):")
    print(f"  {'layer':<18}{'seconds':>9}{'rows':>12}{'action pairs':>14}{'pairs tested':>14}{'kept':>9}{'bounded':>12}{'evidence':>11}")
    for k, v in r["layers"].items():
        print(f"  {k:<18}{v['seconds']:>9.1f}{v['rows']:>12,}{v['action_pairs']:>14,}{v['pairs_considered']:>14,}"
              f"{v['pairs_kept']:>9,}{v['bounded_action_pairs']:>12,}{v['evidence_rows']:>11,}")
    print("detect stages (detect_runs.stats seconds):", json.dumps(r["stats_seconds"]))
    print("result:", json.dumps(r["result"]))


if __name__ == "__main__":
    main()

"""DuckDB vs Spark (local mode) on the network stage: time and peak memory side by side.

    python bench/bench_engines.py                      # 1M generated tweets, co_retweet + sync_activity
    python bench/bench_engines.py --tweets 200000 --traces co_retweet,near_duplicate

Each engine runs in a fresh interpreter: the generated files are read lean into an in-memory
case (``cibscope network``'s path), then the traces' layers are built -- trace, co-occurrence
builder, significance test, evidence -- on DuckDB, or on Spark through the engine seam (the
case tables handed over as Parquet, the edges and evidence sent back). Peak memory is the
largest resident set of the whole process tree, sampled every 50 ms (Spark's JVM is a child of
the Python process). The edges of both runs are compared: the bench fails if they differ.
Prints one Markdown table (docs/benchmarks.md keeps the runs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _child import run_child  # noqa: E402

_STEP = r"""
import hashlib, os, threading, time
def _tree_rss():
    kids, rss = {}, {}
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            with open(f'/proc/{p}/stat') as f:
                parts = f.read().rsplit(')', 1)[1].split()
            kids.setdefault(int(parts[1]), []).append(int(p))
            rss[int(p)] = int(parts[21]) * os.sysconf('SC_PAGE_SIZE')
        except (OSError, IndexError, ValueError):
            pass
    todo, total = [os.getpid()], 0
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(kids.get(p, []))
    return total
peak = [0]
stop = threading.Event()
def _sample():
    while not stop.is_set():
        peak[0] = max(peak[0], _tree_rss())
        time.sleep(0.05)
th = threading.Thread(target=_sample, daemon=True); th.start()
from cibscope import open_case
from cibscope.ingest import ingest
from cibscope.ingest.base import stage_fields
from cibscope.networks import build_networks
from cibscope.traces import get_trace
traces = TRACES
fields = set()
for n in traces:
    fields |= stage_fields(get_trace(n)().case_columns())
eng = None
t_start = time.perf_counter()
if ENGINE == 'spark':
    from cibscope.engine.spark import SparkEngine
    eng = SparkEngine.start('local[2]', driver_memory=DRIVER_MEMORY)
extra['engine_start_s'] = time.perf_counter() - t_start
case = open_case(':memory:')
t0 = time.perf_counter()
ingest(FILES, case, fields=fields, content_hash=False)
extra['ingest_s'] = time.perf_counter() - t0
t1 = time.perf_counter()
st = build_networks(case.con, traces=traces, engine=eng)
extra['network_s'] = time.perf_counter() - t1
extra['layers'] = {k: [v.pairs_considered, v.pairs_kept, round(v.seconds, 2)] for k, v in st.layers.items()}
rows = case.con.execute('SELECT layer, account_a, account_b, n_shared, weight, expected, p_value FROM edges ORDER BY ALL').fetchall()
extra['edges'] = len(rows)
extra['edges_sha'] = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
if eng is not None:
    eng.stop()
stop.set(); th.join()
extra['peak_tree_mb'] = peak[0] / 2**20
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tweets", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=None, help="default tweets / 100")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--traces", default="co_retweet,sync_activity")
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--data", type=Path, default=None, help="folder for the generated data (default: a temp folder, removed)")
    args = ap.parse_args()
    accounts = args.accounts or max(args.tweets // 100, 100)
    tmp = None
    data = args.data
    if data is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-engines-"))
        data = tmp / "data"
    marker = data / f".done-{args.tweets}-{accounts}-{args.seed}"
    if not marker.exists():
        from cibscope.generate import generate_dataset

        if data.exists():
            shutil.rmtree(data)
        generate_dataset(data, accounts=accounts, tweets=args.tweets, seed=args.seed)
        marker.touch()
    files = [str(data / "users.csv"), str(data / "tweets.csv")]
    traces = args.traces.split(",")
    results = {}
    try:
        for engine in args.engines.split(","):
            code = (
                _STEP.replace("TRACES", repr(traces)).replace("ENGINE", repr(engine))
                .replace("FILES", repr(files)).replace("DRIVER_MEMORY", repr(args.driver_memory))
            )
            results[engine] = run_child(code)
            print(f"{engine}: {json.dumps(results[engine])}", file=sys.stderr, flush=True)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    shas = {r["edges_sha"] for r in results.values()}
    print(f"\n{args.tweets:,} generated tweets, {accounts:,} accounts; traces: {', '.join(traces)}; {os.cpu_count()} cores\n")
    print("| engine | engine start (s) | lean read (s) | network stage (s) | per layer (s) | edges | peak memory, process tree (MB) |")
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: |")
    for engine, r in results.items():
        per = ", ".join(f"{k} {v[2]}" for k, v in r["layers"].items())
        print(
            f"| {engine} | {r['engine_start_s']:.1f} | {r['ingest_s']:.1f} | {r['network_s']:.1f} | {per} | "
            f"{r['edges']:,} | {r['peak_tree_mb']:,.0f} |"
        )
    if "duckdb" in results and "spark" in results:
        print(f"\nSpark / DuckDB network stage: {results['spark']['network_s'] / results['duckdb']['network_s']:.1f}x")
    print(f"edges identical on every engine: {len(shas) == 1}")
    if len(shas) != 1:
        raise SystemExit("the engines gave different edges")


if __name__ == "__main__":
    main()

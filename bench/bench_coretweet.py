"""Co-retweet: cibscope vs the QUT coordination-network-toolkit 1.5.2, same data, same 60 s window.

    .venv/bin/python bench/bench_coretweet.py                 # 1M tweets
    .venv/bin/python bench/bench_coretweet.py --tweets 5000000
    .venv/bin/python bench/bench_coretweet.py --tweets 1000000 --tweets 5000000

What is timed (seconds, wall clock, this machine, this run):

* peer: ``preprocess --format csv`` (its own SQLite store) and ``compute co_retweet
  --time_window 60000 --min_edge_weight 1 --n_cpus 2``;
* cibscope: ``ingest`` of the generated IO archive (users.csv + tweets.csv, every table) and the
  co-retweet co-occurrence (the builder, exact: nothing bounded), plus, for information, the full
  layer (significance test and evidence, default parameters).

The peer reads an 8-column CSV, so the generated ``tweets.csv`` is converted to it first (not
timed). Both tools see the same times: the snowflake time of each tweet id in integer
milliseconds (the peer's timestamps are "seconds, any consistent unit": milliseconds with a
60,000 window), which is what cibscope's ingest recovers.

Equality: the peer's network is directed (weight(u1 -> u2) = distinct retweets of u1 with a
retweet of u2 of the same original within the window) and includes self-loops; the comparison
drops self-loops and checks that the directed edge sets and every weight are identical to
cibscope's ``directed_counts_sql()`` over the same co-occurrences.

The peer is installed by this script into bench/.venv-peer (gitignored) from PyPI.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEER_VENV = HERE / ".venv-peer"
PEER_PKG = "coordination_network_toolkit==1.5.2"
WINDOW_S = 60


def peer_python() -> Path:
    py = PEER_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    r = subprocess.run([str(py), "-c", "import coordination_network_toolkit"], capture_output=True)
    if r.returncode != 0:
        subprocess.run([str(py), "-m", "pip", "install", "-q", PEER_PKG], check=True)
    return py


def generate(out: Path, tweets: int, accounts: int, seed: int) -> Path:
    from cibscope.generate import generate_dataset

    data = out / "data"
    marker = data / f".done-{tweets}-{accounts}-{seed}"
    if not marker.exists():
        if data.exists():
            shutil.rmtree(data)
        generate_dataset(data, accounts=accounts, tweets=tweets, seed=seed)
        marker.touch()
    return data


def peer_csv(data: Path, out: Path) -> Path:
    """The peer's 8-column CSV from the IO archive tweets (snowflake time in integer ms)."""
    import duckdb

    target = out / "peer.csv"
    if target.exists():
        return target
    con = duckdb.connect()
    con.execute(
        f"""
        COPY (
          SELECT tweetid AS message_id, userid AS user_id, user_screen_name AS username,
                 CASE WHEN lower(is_retweet) = 'true' THEN retweet_tweetid ELSE '' END AS repost_id,
                 coalesce(in_reply_to_tweetid, '') AS reply_id,
                 tweet_text AS message,
                 (CAST(tweetid AS BIGINT) >> 22) + 1288834974657 AS timestamp,
                 trim(replace(replace(replace(replace(coalesce(urls, ''), '[', ''), ']', ''), '''', ''), ',', ' ')) AS urls
          FROM read_csv('{data / "tweets.csv"}', all_varchar = true, header = true)
        ) TO '{target}' (HEADER, DELIMITER ',')
        """
    )
    con.close()
    return target


def run_peer(py: Path, csv_path: Path, out: Path) -> tuple[float, float, dict[tuple[str, str], int]]:
    db = out / "peer.db"
    for p in out.glob("peer.db*"):
        p.unlink()
    t0 = time.perf_counter()
    subprocess.run([str(py), "-m", "coordination_network_toolkit", str(db), "preprocess", "--format", "csv", str(csv_path)], check=True, capture_output=True)
    t1 = time.perf_counter()
    subprocess.run(
        [str(py), "-m", "coordination_network_toolkit", str(db), "compute", "co_retweet", "--time_window", str(WINDOW_S * 1000),
         "--min_edge_weight", "1", "--n_cpus", "2"],
        check=True, capture_output=True,
    )
    t2 = time.perf_counter()
    con = sqlite3.connect(db)
    edges = {(str(a), str(b)): int(w) for a, b, w in con.execute("SELECT user_1, user_2, weight FROM co_retweet_network WHERE user_1 != user_2")}
    con.close()
    return t1 - t0, t2 - t1, edges


def run_cibscope(data: Path, out: Path) -> dict[str, object]:
    from cibscope.case import open_case
    from cibscope.ingest import ingest
    from cibscope.networks import build_networks
    from cibscope.networks.cooccurrence import directed_counts_sql, drop_temp, run_cooccurrence
    from cibscope.traces import get_trace

    case_path = out / "case.duckdb"
    for p in out.glob("case.duckdb*"):
        p.unlink()
    t0 = time.perf_counter()
    ingest([data / "users.csv", data / "tweets.csv"], case_path)
    t1 = time.perf_counter()
    case = open_case(case_path)
    con = case.con
    trace = get_trace("co_retweet")(window=float(WINDOW_S), max_neighbors=10**9)
    t2 = time.perf_counter()
    co = run_cooccurrence(con, trace)
    con.execute(f"CREATE TEMP TABLE bench_directed AS {directed_counts_sql()}")
    t3 = time.perf_counter()
    edges = {(a, b): int(w) for a, b, w in con.execute("SELECT user_1, user_2, weight FROM bench_directed").fetchall()}
    drop_temp(con)
    con.execute("DROP TABLE bench_directed")
    t4 = time.perf_counter()
    stats = build_networks(con, traces=["co_retweet"])
    t5 = time.perf_counter()
    case.close()
    return {
        "ingest": t1 - t0,
        "compute": t3 - t2,
        "layer": t5 - t4,
        "edges": edges,
        "bounded": co.bounded_action_pairs,
        "action_pairs": co.action_pairs,
        "kept": stats.layers["co_retweet"].pairs_kept,
        "considered": stats.layers["co_retweet"].pairs_considered,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--tweets", type=int, action="append", help="tweets to generate (repeatable); default 1,000,000")
    ap.add_argument("--accounts", type=int, default=None, help="accounts (default: tweets / 200, at least 5,000)")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "out" / "coretweet")
    ap.add_argument("--skip-peer", action="store_true", help="time cibscope only")
    args = ap.parse_args()
    sizes = args.tweets or [1_000_000]
    os.environ.setdefault("CIBSCOPE_THREADS", "2")
    py = None if args.skip_peer else peer_python()
    rows = []
    for n in sizes:
        accounts = args.accounts or max(5000, n // 200)
        out = args.out / f"{n}"
        out.mkdir(parents=True, exist_ok=True)
        print(f"== {n:,} tweets, {accounts:,} accounts (seed {args.seed}); load average {os.getloadavg()[0]:.1f}", flush=True)
        data = generate(out, n, accounts, args.seed)
        ours = run_cibscope(data, out)
        print(f"cibscope: ingest {ours['ingest']:.1f} s, co-retweet {ours['compute']:.1f} s, full layer {ours['layer']:.1f} s; "
              f"{len(ours['edges']):,} directed edges, {ours['action_pairs']:,} action pairs, bounded {ours['bounded']}; "
              f"layer keeps {ours['kept']:,} of {ours['considered']:,} pairs", flush=True)
        if py is None:
            continue
        csv_path = peer_csv(data, out)
        pre, comp, peer_edges = run_peer(py, csv_path, out)
        mine = ours["edges"]
        assert isinstance(mine, dict)
        same_set = set(mine) == set(peer_edges)
        diff_w = sum(1 for k in set(mine) & set(peer_edges) if mine[k] != peer_edges[k])
        print(f"peer: preprocess {pre:.1f} s, compute {comp:.1f} s; {len(peer_edges):,} directed edges (self-loops excluded)")
        print(f"equal edge sets: {same_set} (only cibscope {len(set(mine) - set(peer_edges))}, only peer {len(set(peer_edges) - set(mine))}); "
              f"weights differing: {diff_w}", flush=True)
        rows.append((n, pre, comp, float(ours["ingest"]), float(ours["compute"]), float(ours["layer"]), same_set and diff_w == 0, len(peer_edges)))
    if rows:
        print()
        print("| tweets | peer preprocess | peer compute | peer total | cibscope ingest | cibscope co-retweet | cibscope total | ratio total | ratio compute | cibscope full layer | identical edges & weights |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for n, pre, comp, ing, co, layer, ok, ne in rows:
            print(f"| {n:,} | {pre:.1f} s | {comp:.1f} s | {pre + comp:.1f} s | {ing:.1f} s | {co:.1f} s | {ing + co:.1f} s | "
                  f"{(pre + comp) / (ing + co):.1f}x | {comp / co:.1f}x | {layer:.1f} s | {'yes' if ok else 'NO'} ({ne:,} edges) |")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

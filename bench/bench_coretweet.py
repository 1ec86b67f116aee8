"""Co-retweet: cibscope vs the QUT coordination-network-toolkit 1.5.2, same data, same 60 s window.

    CIBSCOPE_THREADS=2 .venv/bin/python bench/bench_coretweet.py --tweets 1000000
    CIBSCOPE_THREADS=2 .venv/bin/python bench/bench_coretweet.py --tweets 5000000 --accounts 25000

The generated IO archive (``cibscope.generate``) is converted once (not timed) to the peer's
8-column CSV (message_id, user_id, username, repost_id, reply_id, message, timestamp, urls), with
``timestamp`` = each tweet's snowflake time in POSIX seconds with its milliseconds
(``1483229164.362``). Timed, wall clock and CPU seconds, in this order:

1. cibscope on **that same file**: ``ingest`` (generic reader, preset
   ``coordination-network-toolkit``, every case table) and the co-retweet **compute**;
2. the peer on that file: ``preprocess --format csv`` into its SQLite store, then ``compute
   co_retweet --time_window 60 --min_edge_weight 1 --n_cpus 2``;
   and ``cibscope network --counts`` on that file (``cibscope.onelayer.network_from_files``:
   a *lean* read of only the post fields the co-retweet trace reads, into an in-memory case,
   then the same compute), timed from the file to the counts table;
3. cibscope on the IO archive itself (``users.csv`` + ``tweets.csv``, the times recovered from
   the snowflake ids) and the same compute: a second, labelled figure.

cibscope's **compute** is what ``cibscope network --counts`` runs after reading, the peer's
output: ``cibscope.onelayer.directed_counts`` (the trace without evidence strings, integer ids,
every co-occurring action pair found, nothing bounded; the pairs of accounts acting once on the
key counted per pair as the join makes them, the others stored in ``_cib_raw``; then the
directed counts with account ids as an Arrow table). The same counts from trace rows carrying the
evidence strings (``run_cooccurrence`` as the full layer builds it) are timed and printed too,
and so is the full layer (``build_networks(traces=["co_retweet"])``, default parameters:
significance test and evidence).

Equality: the peer's network is directed (weight(u1 -> u2) = distinct retweets of u1 with a
retweet of u2 of the same original within the window) and includes self-loops; the comparison
drops self-loops and checks that the directed edge sets and every weight are identical to
cibscope's, for both cibscope cases. (The peer compares float seconds; with every time in one
binade, 2^30..2^31 s, t +- 60 is exact, so |dt| == 60 s is "in" for both tools.)

``--interleave-e2e N`` re-times end to end only, alternating N times: the peer's preprocess +
compute on its CSV, and the command ``cibscope network --trace co_retweet --counts`` as a
process of its own (imports, lean read, counts, ``counts.csv``) on that CSV (``--mapping
coordination-network-toolkit``) and on the IO archive's ``tweets.csv`` it was made from; every
round checks both cibscope networks (read back from ``counts.csv``) against the peer's. This is
issue 20's acceptance (>= 20x at 5M, >= 10x at 1M, identical edges)::

    CIBSCOPE_THREADS=2 nice -n 10 .venv/bin/python bench/bench_coretweet.py --tweets 1000000 --tweets 5000000 \
        --out /tmp/coretweet --interleave-e2e 3

``--archive DIR`` (repeatable) takes an IO-archive folder made elsewhere (``tweets.csv``,
``users.csv``; e.g. ``bench/heldout_world.py``'s) instead of generating one, in any mode::

    CIBSCOPE_THREADS=2 nice -n 10 .venv/bin/python bench/bench_coretweet.py --archive /tmp/hw1m --out /tmp/ct --interleave-e2e 2

``--interleave N`` re-times only the two compute steps, alternating N times, on the stores an
earlier full run left (the machine is shared: both then run under the same load).

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


def _records(tweets: Path) -> int:
    """Records of an IO-archive tweets file (DuckDB's count, not timed)."""
    import duckdb

    con = duckdb.connect()
    n = con.execute(f"SELECT count(*) FROM read_csv('{tweets}', all_varchar = true, header = true)").fetchall()[0][0]
    con.close()
    return int(n)


def peer_csv(data: Path, out: Path) -> Path:
    """The peer's 8-column CSV from the IO archive tweets (snowflake time in seconds, ms decimals)."""
    import duckdb

    target = out / "peer-s.csv"  # (peer.csv of earlier runs held integer milliseconds)
    if target.exists() and target.stat().st_mtime >= (data / "tweets.csv").stat().st_mtime:
        return target
    con = duckdb.connect()
    ms = "((CAST(tweetid AS BIGINT) >> 22) + 1288834974657)"
    con.execute(
        f"""
        COPY (
          SELECT tweetid AS message_id, userid AS user_id, user_screen_name AS username,
                 CASE WHEN lower(is_retweet) = 'true' THEN retweet_tweetid ELSE '' END AS repost_id,
                 coalesce(in_reply_to_tweetid, '') AS reply_id,
                 tweet_text AS message,
                 CAST({ms} // 1000 AS VARCHAR) || '.' || lpad(CAST({ms} % 1000 AS VARCHAR), 3, '0') AS timestamp,
                 trim(replace(replace(replace(replace(coalesce(urls, ''), '[', ''), ']', ''), '''', ''), ',', ' ')) AS urls
          FROM read_csv('{data / "tweets.csv"}', all_varchar = true, header = true)
        ) TO '{target}' (HEADER, DELIMITER ',')
        """
    )
    con.close()
    return target


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_peer(py: Path, csv_path: Path, out: Path) -> dict[str, object]:
    db = out / "peer.db"
    for p in out.glob("peer.db*"):
        p.unlink()
    load0 = os.getloadavg()[0]
    c0, t0 = _cpu_children(), time.perf_counter()
    subprocess.run([str(py), "-m", "coordination_network_toolkit", str(db), "preprocess", "--format", "csv", str(csv_path)], check=True, capture_output=True)
    c1, t1 = _cpu_children(), time.perf_counter()
    subprocess.run(
        [str(py), "-m", "coordination_network_toolkit", str(db), "compute", "co_retweet", "--time_window", str(WINDOW_S),
         "--min_edge_weight", "1", "--n_cpus", "2"],
        check=True, capture_output=True,
    )
    c2, t2 = _cpu_children(), time.perf_counter()
    con = sqlite3.connect(db)
    edges = {(str(a), str(b)): int(w) for a, b, w in con.execute("SELECT user_1, user_2, weight FROM co_retweet_network WHERE user_1 != user_2")}
    con.close()
    return {"ingest": t1 - t0, "compute": t2 - t1, "ingest_cpu": c1 - c0, "compute_cpu": c2 - c1, "edges": edges,
            "load": (load0, os.getloadavg()[0])}


def run_cibscope(inputs: list[Path], out: Path, name: str, *, mapping: str | None = None, layer: bool = True) -> dict[str, object]:
    """Ingest ``inputs`` into a fresh case, then time the co-retweet compute (and the full layer)."""
    from cibscope.case import open_case
    from cibscope.ingest import ingest
    from cibscope.networks import build_networks
    from cibscope.networks.cooccurrence import directed_counts_sql, drop_temp, run_cooccurrence
    from cibscope.onelayer import directed_counts
    from cibscope.traces import get_trace

    case_path = out / f"{name}.duckdb"
    for p in out.glob(f"{name}.duckdb*"):
        p.unlink()
    load0 = os.getloadavg()[0]
    c0, t0 = _cpu_self(), time.perf_counter()
    ingest(inputs, case_path, mapping=mapping)
    c1, t1 = _cpu_self(), time.perf_counter()
    case = open_case(case_path)
    con = case.con
    trace = get_trace("co_retweet")(window=float(WINDOW_S), max_neighbors=10**9)
    c2, t2 = _cpu_self(), time.perf_counter()
    table, st = directed_counts(con, trace)
    c3, t3 = _cpu_self(), time.perf_counter()
    edges = {(a, b): int(w) for a, b, w in zip(*(table.column(c).to_pylist() for c in ("user_1", "user_2", "weight")))}
    # the same counts from trace rows carrying evidence strings (what the full layer builds on)
    t4 = time.perf_counter()
    run_cooccurrence(con, trace)
    con.execute(f"CREATE TEMP TABLE bench_directed AS {directed_counts_sql()}")
    t5 = time.perf_counter()
    drop_temp(con)
    con.execute("DROP TABLE bench_directed")
    res: dict[str, object] = {
        "ingest": t1 - t0, "compute": t3 - t2, "ingest_cpu": c1 - c0, "compute_cpu": c3 - c2, "edges": edges,
        "bounded": st.bounded_action_pairs, "action_pairs": st.action_pairs, "load": (load0, os.getloadavg()[0]),
        "compute_evidence_rows": t5 - t4,
    }
    if layer:
        t4 = time.perf_counter()
        stats = build_networks(con, traces=["co_retweet"])
        res["layer"] = time.perf_counter() - t4
        res["kept"] = stats.layers["co_retweet"].pairs_kept
        res["considered"] = stats.layers["co_retweet"].pairs_considered
    case.close()
    return res


def run_lean(inputs: list[Path]) -> dict[str, object]:
    """``cibscope network --counts`` as a library call: lean read (only the post fields the
    co-retweet trace reads) into an in-memory case, then the same directed counts as
    :func:`run_cibscope`'s compute. Timed from the files to the counts table."""
    from cibscope.onelayer import network_from_files

    load0 = os.getloadavg()[0]
    c0, t0 = _cpu_self(), time.perf_counter()
    res = network_from_files(inputs, "co_retweet", params={"window": float(WINDOW_S), "max_neighbors": 10**9}, counts=True)
    c1, t1 = _cpu_self(), time.perf_counter()
    assert res.counts is not None
    cols = [res.counts.column(c).to_pylist() for c in ("user_1", "user_2", "weight")]
    return {
        "ingest": res.seconds["ingest"], "compute": res.seconds["network"], "total": t1 - t0, "total_cpu": c1 - c0,
        "ingest_cpu": float("nan"), "compute_cpu": float("nan"),
        "edges": {(a, b): int(w) for a, b, w in zip(*cols)}, "bounded": res.stats.bounded_action_pairs,
        "action_pairs": res.stats.action_pairs, "load": (load0, os.getloadavg()[0]),
    }


def run_cli(inputs: list[Path], out: Path, mapping: str | None = None) -> dict[str, object]:
    """``cibscope network INPUTS --trace co_retweet --counts`` as its own process (imports,
    lean read, counts, counts.csv written: what a user waits for), wall and CPU seconds; the
    edges read back from counts.csv (not timed)."""
    import csv

    target = out / "cli-counts"
    shutil.rmtree(target, ignore_errors=True)
    cmd = [str(Path(sys.executable).parent / "cibscope"), "network", *map(str, inputs), "--trace", "co_retweet", "--counts",
           "--window", str(WINDOW_S), "--param", "max_neighbors=1000000000", "--out", str(target)]
    if mapping:
        cmd += ["--mapping", mapping]
    c0, t0 = _cpu_children(), time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall, cpu = time.perf_counter() - t0, _cpu_children() - c0
    with open(target / "counts.csv", newline="", encoding="utf-8") as fh:
        edges = {(r["user_1"], r["user_2"]): int(r["weight"]) for r in csv.DictReader(fh)}
    shutil.rmtree(target, ignore_errors=True)
    return {"total": wall, "total_cpu": cpu, "edges": edges}


def interleave_end_to_end(py: Path, csv_path: Path, archive: Path, out: Path, rounds: int) -> list[tuple[str, list[float], list[float], bool]]:
    """Alternate, ``rounds`` times, the peer's preprocess + compute on its CSV and the command
    ``cibscope network --counts`` (a process each, as a user runs them) on the same CSV (preset
    ``coordination-network-toolkit``) and on the IO-archive ``tweets.csv`` the CSV was made
    from; every round checks both cibscope networks against the peer's. Prints min and median
    of each and the ratios of the medians; returns (label, walls, cpus, identical) per tool."""
    import statistics

    runs: dict[str, tuple[list[float], list[float]]] = {"peer": ([], []), "csv": ([], []), "archive": ([], [])}
    same = {"csv": True, "archive": True}
    for i in range(rounds):
        p = run_peer(py, csv_path, out)
        runs["peer"][0].append(float(p["ingest"]) + float(p["compute"]))  # type: ignore[arg-type]
        runs["peer"][1].append(float(p["ingest_cpu"]) + float(p["compute_cpu"]))  # type: ignore[arg-type]
        line = f"round {i + 1}: peer {runs['peer'][0][-1]:.1f} s (cpu {runs['peer'][1][-1]:.1f}; preprocess {float(p['ingest']):.1f} s)"  # type: ignore[arg-type]
        for key, inputs, mapping in (("csv", [csv_path], "coordination-network-toolkit"), ("archive", [archive], None)):
            m = run_cli(inputs, out, mapping)
            runs[key][0].append(float(m["total"]))  # type: ignore[arg-type]
            runs[key][1].append(float(m["total_cpu"]))  # type: ignore[arg-type]
            ok, why = _same(m["edges"], p["edges"])
            same[key] = same[key] and ok
            line += f"; cibscope network on the {key} {runs[key][0][-1]:.2f} s (cpu {runs[key][1][-1]:.2f}), identical {ok} ({why})"
        print(line + f"; {len(p['edges']):,} edges; load {os.getloadavg()[0]:.1f}", flush=True)  # type: ignore[arg-type]
    med = statistics.median
    pw = med(runs["peer"][0])
    for key in ("csv", "archive"):
        w, c = runs[key]
        print(f"end to end, {rounds} alternating rounds, cibscope network on the {key}: min {min(w):.2f} s / median {med(w):.2f} s "
              f"(cpu median {med(c):.2f} s); peer min {min(runs['peer'][0]):.1f} s / median {pw:.1f} s; "
              f"ratio of medians {pw / med(w):.1f}x wall, {med(runs['peer'][1]) / med(c):.1f}x cpu; identical {same[key]}", flush=True)
    return [("peer", *runs["peer"], True)] + [(k, *runs[k], same[k]) for k in ("csv", "archive")]


def _same(mine: object, peer: object) -> tuple[bool, str]:
    assert isinstance(mine, dict) and isinstance(peer, dict)
    only_mine, only_peer = len(set(mine) - set(peer)), len(set(peer) - set(mine))
    diff_w = sum(1 for k in set(mine) & set(peer) if mine[k] != peer[k])
    ok = only_mine == 0 and only_peer == 0 and diff_w == 0
    return ok, f"only cibscope {only_mine}, only peer {only_peer}, weights differing {diff_w}"


def _line(label: str, r: dict[str, object]) -> str:
    lo = r["load"]
    assert isinstance(lo, tuple)
    txt = (f"{label}: ingest {r['ingest']:.1f} s (cpu {r['ingest_cpu']:.1f} s), co-retweet {r['compute']:.2f} s "
           f"(cpu {r['compute_cpu']:.2f} s); {len(r['edges']):,} directed edges")  # type: ignore[arg-type]
    if "action_pairs" in r:
        txt += f", {r['action_pairs']:,} action pairs, bounded {r['bounded']}"
    if "compute_evidence_rows" in r:
        txt += f"; the same counts from trace rows with evidence strings {float(r['compute_evidence_rows']):.2f} s"  # type: ignore[arg-type]
    if "layer" in r:
        txt += f"; full layer {r['layer']:.1f} s, keeps {r['kept']:,} of {r['considered']:,} pairs"
    return txt + f"; load {lo[0]:.1f} -> {lo[1]:.1f}"


def interleave_compute(py: Path, out: Path, rounds: int) -> None:
    """Re-time only the two compute steps, alternating, on the stores the full run left behind.

    The machine is shared: alternating peer and cibscope several times puts both under the same
    load; min and median of each are printed with CPU seconds.
    """
    import statistics

    from cibscope.case import open_case
    from cibscope.onelayer import directed_counts
    from cibscope.traces import get_trace

    peer_w, peer_c, mine_w, mine_c = [], [], [], []
    for i in range(rounds):
        c0, t0 = _cpu_children(), time.perf_counter()
        subprocess.run(
            [str(py), "-m", "coordination_network_toolkit", str(out / "peer.db"), "compute", "co_retweet", "--time_window",
             str(WINDOW_S), "--min_edge_weight", "1", "--n_cpus", "2"],
            check=True, capture_output=True,
        )
        peer_w.append(time.perf_counter() - t0)
        peer_c.append(_cpu_children() - c0)
        case = open_case(out / "case-peer-csv.duckdb")
        c0, t0 = _cpu_self(), time.perf_counter()
        directed_counts(case.con, get_trace("co_retweet")(window=float(WINDOW_S), max_neighbors=10**9))
        mine_w.append(time.perf_counter() - t0)
        mine_c.append(_cpu_self() - c0)
        case.close()
        print(f"round {i + 1}: peer {peer_w[-1]:.2f} s (cpu {peer_c[-1]:.2f}), cibscope {mine_w[-1]:.2f} s (cpu {mine_c[-1]:.2f}); "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    med = statistics.median
    print(f"compute, {rounds} alternating rounds: peer min {min(peer_w):.2f} s / median {med(peer_w):.2f} s (cpu median {med(peer_c):.2f} s); "
          f"cibscope min {min(mine_w):.2f} s / median {med(mine_w):.2f} s (cpu median {med(mine_c):.2f} s); "
          f"ratio of medians {med(peer_w) / med(mine_w):.1f}x wall, {med(peer_c) / med(mine_c):.1f}x cpu; "
          f"best vs best {min(peer_w) / min(mine_w):.1f}x wall, {min(peer_c) / min(mine_c):.1f}x cpu "
          "(the peer's first round is often slow on cold SQLite pages)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--tweets", type=int, action="append", help="tweets to generate (repeatable); default 1,000,000")
    ap.add_argument("--accounts", type=int, default=None, help="accounts (default: tweets / 200, at least 5,000)")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--archive", type=Path, action="append", default=[], metavar="DIR",
                    help="an IO-archive folder made elsewhere (tweets.csv, users.csv; e.g. bench/heldout_world.py's) "
                         "instead of generating (repeatable); measured after the --tweets sizes given")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "coretweet")
    ap.add_argument("--skip-peer", action="store_true", help="time cibscope only")
    ap.add_argument("--skip-archive", action="store_true", help="leave out the IO-archive ingest (the second figure)")
    ap.add_argument("--interleave", type=int, default=0, metavar="N",
                    help="only re-time the two compute steps, alternating N times, on the stores of an earlier full run")
    ap.add_argument("--interleave-e2e", type=int, default=0, metavar="N",
                    help="only re-time end to end, alternating N times: the peer's preprocess + compute and `cibscope network --counts`")
    args = ap.parse_args()
    jobs: list[int | Path] = [*(args.tweets or ([] if args.archive else [1_000_000])), *args.archive]
    os.environ.setdefault("CIBSCOPE_THREADS", "2")
    py = None if args.skip_peer else peer_python()
    rows = []
    e2e: list[tuple[int, Path, Path, list[tuple[str, list[float], list[float], bool]]]] = []
    for job in jobs:
        if isinstance(job, Path):
            data = job.resolve()
            out = args.out / data.name
            out.mkdir(parents=True, exist_ok=True)
            n = _records(data / "tweets.csv")
            print(f"== {data} ({n:,} tweets); load average {os.getloadavg()[0]:.1f}", flush=True)
        else:
            n = job
            accounts = args.accounts or max(5000, n // 200)
            out = args.out / f"{n}"
            out.mkdir(parents=True, exist_ok=True)
            print(f"== {n:,} tweets, {accounts:,} accounts (seed {args.seed}); load average {os.getloadavg()[0]:.1f}", flush=True)
        if args.interleave:
            assert py is not None, "--interleave needs the peer"
            interleave_compute(py, out, args.interleave)
            continue
        if not isinstance(job, Path):
            data = generate(out, n, accounts, args.seed)
        csv_path = peer_csv(data, out)
        if args.interleave_e2e:
            assert py is not None, "--interleave-e2e needs the peer"
            e2e.append((n, csv_path, data / "tweets.csv", interleave_end_to_end(py, csv_path, data / "tweets.csv", out, args.interleave_e2e)))
            continue
        mine = run_cibscope([csv_path], out, "case-peer-csv", mapping="coordination-network-toolkit")
        print(_line("cibscope, peer CSV", mine), flush=True)
        lean = run_lean([csv_path])
        print(_line("cibscope network (lean read, in memory), peer CSV", lean) + f"; total {float(lean['total']):.2f} s", flush=True)  # type: ignore[arg-type]
        peer = run_peer(py, csv_path, out) if py is not None else None
        if peer is not None:
            print(_line("peer", peer) + " (self-loops excluded)", flush=True)
        arch = None
        if not args.skip_archive:
            arch = run_cibscope([data / "users.csv", data / "tweets.csv"], out, "case-archive", layer=False)
            print(_line("cibscope, IO archive", arch), flush=True)
            ok0, why0 = _same(arch["edges"], mine["edges"])
            print(f"cibscope IO archive vs peer CSV case: identical {ok0} ({why0})", flush=True)
        if peer is None:
            continue
        ok1, why1 = _same(mine["edges"], peer["edges"])
        print(f"peer vs cibscope (peer CSV): identical {ok1} ({why1})", flush=True)
        okl, whyl = _same(lean["edges"], peer["edges"])
        print(f"peer vs cibscope network (lean, peer CSV): identical {okl} ({whyl})", flush=True)
        ok2 = None
        if arch is not None:
            ok2, why2 = _same(arch["edges"], peer["edges"])
            print(f"peer vs cibscope (IO archive): identical {ok2} ({why2})", flush=True)
        rows.append((n, peer, mine, arch, ok1, ok2, len(peer["edges"]), lean, okl))  # type: ignore[arg-type]
    if e2e:
        import statistics

        med = statistics.median
        print()
        print("| tweets | input | MB | peer: preprocess + co_retweet (min / median) | `cibscope network --counts` (min / median) | "
              "ratio of medians (wall) | ratio (CPU) | identical edges & weights |")
        print("|---|---|---|---|---|---|---|---|")
        for n, csv_path, archive, res in e2e:
            _, pw, pc, _ = res[0]
            for key, w, c, ok in res[1:]:
                path = csv_path if key == "csv" else archive
                label = "the peer's CSV (preset)" if key == "csv" else f"IO-archive {archive.parent.name}/tweets.csv"
                print(f"| {n:,} | {label} | {path.stat().st_size / 1e6:,.0f} | {min(pw):.1f} / {med(pw):.1f} s | {min(w):.2f} / {med(w):.2f} s | "
                      f"**{med(pw) / med(w):.1f}x** | {med(pc) / med(c):.1f}x | {'yes' if ok else 'NO'} |")
    if rows:
        print()
        print("| tweets | peer preprocess | peer compute | peer total | cibscope input | cibscope ingest | cibscope co-retweet | "
              "cibscope total | ratio total | ratio compute | cibscope full layer | identical edges & weights |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for n, peer, mine, arch, ok1, ok2, ne, lean, okl in rows:
            pre, comp = float(peer["ingest"]), float(peer["compute"])
            for label, r, ok in (("peer CSV", mine, ok1), ("peer CSV, `network --counts` (lean read)", lean, okl), ("IO archive", arch, ok2)):
                if r is None:
                    continue
                ing, co = float(r["ingest"]), float(r["compute"])
                layer = f"{r['layer']:.1f} s" if "layer" in r else "-"
                print(f"| {n:,} | {pre:.1f} s | {comp:.1f} s | {pre + comp:.1f} s | {label} | {ing:.1f} s | {co:.2f} s | {ing + co:.1f} s | "
                      f"{(pre + comp) / (ing + co):.1f}x | {comp / co:.1f}x | {layer} | {'yes' if ok else 'NO'} ({ne:,} edges) |")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

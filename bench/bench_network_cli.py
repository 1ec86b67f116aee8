"""`cibscope network --counts` as a whole process, old code against new, with a breakdown.

    CIBSCOPE_THREADS=2 nice -n 10 .venv/bin/python bench/bench_network_cli.py FILE [FILE ...] \
        --old /work/main/src --rounds 3 [--mapping coordination-network-toolkit]

Each round runs, for every input, the command ``cibscope network FILE --trace co_retweet
--counts --window 60 -p max_neighbors=1000000000`` once with the old source tree on
``PYTHONPATH`` and once with this one (alternating, a fresh process each, same interpreter),
and prints wall and CPU seconds and peak RSS (GB) of the whole process and where the wall time went:

* ``read``: :func:`cibscope.onelayer.network_from_files`'s read (``seconds["ingest"]``);
* ``counts``: its network step (``seconds["network"]``);
* ``write``: :func:`cibscope.onelayer.write_network` (``counts.csv``);
* ``rest``: the whole process minus those three: interpreter start, imports, the in-memory
  case, the CLI's tables, exit.

The child is this file with ``--child``: it wraps the two library functions with clocks (the
CLI imports them when the command runs, so the wrappers are what it calls), runs the CLI's
``main`` and writes the four figures to a JSON file. ``counts.csv`` of old and new are
compared byte for byte every round.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEW_SRC = HERE.parent / "src"


def child(report: str, argv: list[str]) -> None:
    t_start = time.perf_counter()
    import cibscope.onelayer as ol

    seconds: dict[str, float] = {}
    nff, wn = ol.network_from_files, ol.write_network

    def network_from_files(*a, **k):  # type: ignore[no-untyped-def]
        res = nff(*a, **k)
        seconds.update(read=res.seconds["ingest"], counts=res.seconds["network"])
        return res

    def write_network(*a, **k):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        out = wn(*a, **k)
        seconds["write"] = time.perf_counter() - t0
        return out

    ol.network_from_files, ol.write_network = network_from_files, write_network
    from cibscope.cli import main

    sys.argv = ["cibscope", *argv]
    try:
        main()
    finally:
        seconds["in_process"] = time.perf_counter() - t_start
        seconds["rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # peak, this process
        Path(report).write_text(json.dumps(seconds))


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(src: Path, inputs: list[Path], out: Path, mapping: str | None) -> dict[str, float]:
    shutil.rmtree(out, ignore_errors=True)
    report = out.parent / (out.name + ".json")
    argv = ["network", *map(str, inputs), "--trace", "co_retweet", "--counts", "--window", "60",
            "-p", "max_neighbors=1000000000", "--out", str(out)]
    if mapping:
        argv += ["--mapping", mapping]
    env = dict(os.environ, PYTHONPATH=str(src))
    c0, t0 = _cpu_children(), time.perf_counter()
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(report), *argv], check=True,
                   capture_output=True, env=env)
    wall, cpu = time.perf_counter() - t0, _cpu_children() - c0
    s = json.loads(report.read_text())
    s.update(wall=wall, cpu=cpu, rest=wall - s["read"] - s["counts"] - s["write"],
             md5=int(hashlib.md5((out / "counts.csv").read_bytes()).hexdigest()[:12], 16))
    return s


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("inputs", nargs="+", type=Path, help="one file per measured input")
    ap.add_argument("--old", type=Path, default=Path("/work/main/src"), help="the old source tree (PYTHONPATH)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mapping", action="append", default=[], help="FILE=MAPPING: --mapping for that input")
    args = ap.parse_args()
    os.environ.setdefault("CIBSCOPE_THREADS", "2")
    mappings = dict(m.split("=", 1) for m in args.mapping)
    tmp = Path(tempfile.mkdtemp(prefix="bench_network_cli_"))
    keys = ("wall", "cpu", "read", "counts", "write", "rest", "rss_gb")
    res: dict[tuple[str, str], list[dict[str, float]]] = {}
    same = True
    for r in range(args.rounds):
        for f in args.inputs:
            got = {}
            for label, src in (("old", args.old), ("new", NEW_SRC)) if r % 2 == 0 else (("new", NEW_SRC), ("old", args.old)):
                got[label] = run(src, [f], tmp / label, mappings.get(str(f)))
                res.setdefault((str(f), label), []).append(got[label])
            ok = got["old"]["md5"] == got["new"]["md5"]
            same = same and ok
            print(f"round {r + 1} {f}: " + "; ".join(
                f"{lb} " + " ".join(f"{k} {got[lb][k]:.2f}" for k in keys) for lb in ("old", "new")
            ) + f"; counts.csv identical {ok}; load {os.getloadavg()[0]:.1f}", flush=True)
    print()
    print("| input | code | " + " | ".join(f"{k} (median)" for k in keys) + " | wall - read | wall - read: old / new |")
    print("|---|---|" + "---|" * (len(keys) + 2))
    med = statistics.median
    for f in args.inputs:
        m = {lb: {k: med(x[k] for x in res[(str(f), lb)]) for k in keys} for lb in ("old", "new")}
        for lb in ("old", "new"):
            minus = m[lb]["wall"] - m[lb]["read"]
            ratio = f"**{(m['old']['wall'] - m['old']['read']) / minus:.2f}x**" if lb == "new" else ""
            print(f"| {f} | {lb} | " + " | ".join(f"{m[lb][k]:.2f}" for k in keys) + f" | {minus:.2f} | {ratio} |")
    print(f"counts.csv identical old/new every round: {same}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

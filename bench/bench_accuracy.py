"""Detection accuracy (and full-detect time) on generated data, fully unsupervised.

    .venv/bin/python bench/bench_accuracy.py                      # report seeds 201 202 203, 5,000 accounts, 1M tweets
    .venv/bin/python bench/bench_accuracy.py --seeds 101 102 103  # the earlier report seeds
    .venv/bin/python bench/bench_accuracy.py --seeds 1 2          # the seeds tuning was done on
    .venv/bin/python bench/bench_accuracy.py --seeds 201 --accounts 50000 --tweets 10000000 --no-ablation

For every seed: generate the dataset (cached under --work), ingest it into a fresh case, run
``detect`` with default parameters (no labels are used anywhere), then ``evaluate`` against
the generator's truth.csv. Each seed runs in its own subprocess so its peak memory (max RSS,
DuckDB included: it runs in-process) is measured alone.

Targets (issue 3 §6): F1 >= 0.95, ROC-AUC >= 0.98, FPR among organic hard negatives <= 1 %;
full detect on 10M tweets within 10 minutes on 2 cores with peak memory <= 12 GB.
Tuning was done on seeds 1 and 2 only. Report seeds: 101-103 were run once the first scoring's
defaults were fixed (their figures then showed ROC-AUC below target); the group-membership test
was then developed on seeds 1 and 2 only, and seeds 201-203 (never used before) were run once its
defaults were fixed. ``--reuse`` re-scores a seed's stored edges (for seeds already built).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

TARGETS = {"f1": 0.95, "roc_auc": 0.98, "hn_fpr": 0.01}


def one(seed: int, accounts: int, tweets: int, work: Path, ablation: bool, params: dict, reuse: bool = False) -> dict:
    from cibscope.detect import detect
    from cibscope.evaluate import evaluate
    from cibscope.generate import generate_dataset
    from cibscope.ingest import ingest

    data = work / f"gen_a{accounts}_t{tweets}_s{seed}"
    t = time.perf_counter()
    if not (data / "truth.csv").exists():
        if data.exists():
            shutil.rmtree(data)
        generate_dataset(data, accounts=accounts, tweets=tweets, seed=seed)
    t_gen = time.perf_counter() - t
    case = work / f"case_a{accounts}_t{tweets}_s{seed}.duckdb"
    t_ingest = float("nan")
    if reuse and case.exists():
        # re-fuse, re-group and re-score the edges a previous full run stored (no rebuild)
        t = time.perf_counter()
        res = detect(case, params=params, build=False)
        t_detect = time.perf_counter() - t
    else:
        if case.exists():
            case.unlink()
        inputs = [p for p in sorted(data.iterdir()) if p.name not in ("truth.csv", "takedown.txt") and p.suffix != ".md"]
        t = time.perf_counter()
        ingest(inputs, case)
        t_ingest = time.perf_counter() - t
        t = time.perf_counter()
        res = detect(case, params=params)
        t_detect = time.perf_counter() - t
    t = time.perf_counter()
    ev = evaluate(case, data / "truth.csv", ablation=ablation)
    t_eval = time.perf_counter() - t
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {
        "seed": seed, "accounts": accounts, "tweets": tweets,
        "f1": ev.f1, "precision": ev.precision, "recall": ev.recall, "roc_auc": ev.roc_auc, "pr_auc": ev.pr_auc,
        "hn_fpr": ev.hard_negative_fpr, "n_hn": ev.n_hard_negatives, "organic_fpr": ev.organic_fpr,
        "tp": ev.tp, "fp": ev.fp, "fn": ev.fn, "n_io": ev.n_positive,
        "per_tactic": ev.per_tactic,
        "ablation": [a.__dict__ for a in ev.ablation],
        "groups": res.n_groups, "flagged": res.n_flagged,
        "seconds": {"generate": t_gen, "ingest": t_ingest, "detect": t_detect, "evaluate": t_eval,
                    "detect_stages": res.stats.get("seconds", {})},
        "layer_seconds": {k: v.get("seconds") for k, v in res.stats.get("networks", {}).get("layers", {}).items()},
        "hot_keys": res.stats.get("hot_keys", {}),
        "peak_rss_gb": peak_gb,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[201, 202, 203])
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--tweets", type=int, default=1_000_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/cibscope-bench"))
    ap.add_argument("--no-ablation", action="store_true")
    ap.add_argument("--param", action="append", default=[], help="NAME=VALUE detect parameter (default: none)")
    ap.add_argument("--reuse", action="store_true", help="reuse the stored case and its edges (re-score only)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help="also write the per-seed results here")
    a = ap.parse_args()
    params: dict = {}
    for item in a.param:
        k, _, v = item.partition("=")
        try:
            params[k] = int(v)
        except ValueError:
            try:
                params[k] = float(v)
            except ValueError:
                params[k] = v
    a.work.mkdir(parents=True, exist_ok=True)
    if a.one is not None:
        print(json.dumps(one(a.one, a.accounts, a.tweets, a.work, not a.no_ablation, params, a.reuse), default=str))
        return
    results = []
    for seed in a.seeds:
        cmd = [sys.executable, __file__, "--one", str(seed), "--accounts", str(a.accounts), "--tweets", str(a.tweets), "--work", str(a.work)]
        cmd += ["--no-ablation"] if a.no_ablation else []
        cmd += ["--reuse"] if a.reuse else []
        for item in a.param:
            cmd += ["--param", item]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        s = r["seconds"]
        print(
            f"seed {seed}: F1 {r['f1']:.4f} (P {r['precision']:.4f}, R {r['recall']:.4f}; tp {r['tp']} fp {r['fp']} fn {r['fn']} of {r['n_io']} io), "
            f"ROC-AUC {r['roc_auc']:.4f}, PR-AUC {r['pr_auc']:.4f}, FPR hard negatives {r['hn_fpr']:.4f} (n={r['n_hn']}), "
            f"FPR organic {r['organic_fpr']:.4f}; groups {r['groups']}; "
            f"ingest {s['ingest']:.1f} s, detect {s['detect']:.1f} s, peak RSS {r['peak_rss_gb']:.2f} GB",
            flush=True,
        )
        print("   recall/FPR per tactic: " + ", ".join(f"{d['tactic']} {d['share_flagged']:.3f} ({d['flagged']}/{d['n']})" for d in r["per_tactic"]))
        if r["ablation"]:
            print("   ablation ΔF1 / ΔROC-AUC: " + ", ".join(f"-{x['layer']} {x['d_f1']:+.4f}/{x['d_roc_auc']:+.4f}" for x in r["ablation"]))
        print(f"   detect stages: {json.dumps({k: round(v, 1) for k, v in s['detect_stages'].items()})}; layers: "
              + ", ".join(f"{k} {v:.1f}" for k, v in r["layer_seconds"].items() if v is not None))
    if len(results) > 1:
        import statistics as st

        for k in ("f1", "roc_auc", "pr_auc", "hn_fpr"):
            vals = [r[k] for r in results]
            print(f"mean {k}: {st.mean(vals):.4f} (min {min(vals):.4f}, max {max(vals):.4f})")
    for k, target in TARGETS.items():
        worst = min(r[k] for r in results) if k != "hn_fpr" else max(r[k] for r in results)
        ok = worst >= target if k != "hn_fpr" else worst <= target
        print(f"target {k} {'>=' if k != 'hn_fpr' else '<='} {target}: worst seed {worst:.4f} -> {'met' if ok else 'NOT met'}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()

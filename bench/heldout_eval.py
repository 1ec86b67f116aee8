"""Detection accuracy on held-out worlds from bench/heldout_world.py (not the project's generator).

    .venv/bin/python bench/heldout_eval.py                                   # seeds 1 2 3, 5,000 accounts, 500k tweets
    .venv/bin/python bench/heldout_eval.py --seeds 1 2 --knob timing=5       # looser timing in every operation
    .venv/bin/python bench/heldout_eval.py --seeds 1 --grid trait_prob=0,0.5,1   # one row per value
    .venv/bin/python bench/heldout_eval.py --seeds 4 --minute-only --accounts 2000 --tweets 200000

For every world (a seed and a knob setting): generate it (cached under --work by its arguments),
ingest users.csv + tweets.csv into a fresh case, run ``detect`` with default parameters (no
labels are used), then ``evaluate`` against the world's truth.csv (no ablation). One table row
per world: precision / recall / F1 of ``flagged``, ROC-AUC and PR-AUC of ``score``, the
false-positive rate among ordinary organic accounts and among each kind of organic look-alike,
and the recall of each operation (by tactic). ``--json`` also writes the rows.

The numbers are a baseline for a detector that was never tuned on these worlds; nothing here
asserts a target.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout_world  # noqa: E402

OPS = [("copy_paste", "copy"), ("hashtag_campaign", "tags"), ("repurposed", "repur"), ("slow_persona", "pers"),
       ("retweet_ring", "ring"), ("link_farm", "link")]
KINDS = [("hn_fan_club", "fan"), ("hn_activist", "activ"), ("hn_news_sharer", "share"), ("hn_news_bot", "bot")]


def world_dir(work: Path, accounts: int, tweets: int, seed: int, knobs: dict[str, float]) -> Path:
    key = json.dumps([accounts, tweets, seed, sorted(knobs.items())])
    code = hashlib.sha1((Path(heldout_world.__file__).read_bytes().hex() + key).encode()).hexdigest()[:10]
    return work / f"world_a{accounts}_t{tweets}_s{seed}_{code}"


def one(seed: int, knobs: dict[str, float], accounts: int, tweets: int, work: Path, keep_case: bool) -> dict:
    from cibscope.detect import detect
    from cibscope.evaluate import evaluate
    from cibscope.ingest import ingest

    data = world_dir(work, accounts, tweets, seed, knobs)
    t = time.perf_counter()
    if not (data / "world.json").exists():
        if data.exists():
            shutil.rmtree(data)
        heldout_world.build(data, accounts, tweets, seed, knobs)
    t_gen = time.perf_counter() - t
    world = json.loads((data / "world.json").read_text())
    case = data / "case.duckdb"
    if case.exists():
        case.unlink()
    t = time.perf_counter()
    rep = ingest([data / "users.csv", data / "tweets.csv"], case)
    t_ingest = time.perf_counter() - t
    quarantined = rep.totals()["rows_quarantined"]
    t = time.perf_counter()
    det = detect(case)
    t_detect = time.perf_counter() - t
    ev = evaluate(case, data / "truth.csv", ablation=False)
    if not keep_case:
        case.unlink()
    per = {row["tactic"]: row for row in ev.per_tactic}
    share = {k: (per[k]["share_flagged"] if k in per else float("nan")) for k, _ in OPS + KINDS}
    size = {k: (per[k]["n"] if k in per else 0) for k, _ in OPS + KINDS}
    return {
        "seed": seed, "knobs": knobs, "accounts": accounts, "tweets": tweets, "minute_only": bool(knobs.get("minute_only")),
        "generate_s": round(t_gen, 1), "ingest_s": round(t_ingest, 1), "detect_s": round(t_detect, 1),
        "quarantined": quarantined, "n_flagged": ev.n_flagged, "n_io": ev.n_positive,
        "precision": ev.precision, "recall": ev.recall, "f1": ev.f1, "roc_auc": ev.roc_auc, "pr_auc": ev.pr_auc,
        "organic_fpr": ev.organic_fpr, "ordinary_fpr": per.get("(none)", {}).get("share_flagged", float("nan")),
        "lookalike_fpr": ev.hard_negative_fpr, "share_flagged": share, "n_by_tactic": size,
        "groups": det.n_groups,
        "ops": [{k: op[k] for k in ("group", "tactic", "size", "median_delay_s", "participation", "quiet_share", "traits")}
                for op in world["operations"]],
    }


def fmt(x: float) -> str:
    return "  -  " if x != x else f"{x:.3f}"


def print_table(rows: list[dict]) -> None:
    head = ["seed", "knobs", "flag", "P", "R", "F1", "ROC", "PR", "ordFPR"] + [s for _, s in KINDS] + [s for _, s in OPS] + ["det s"]
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for r in rows:
        kn = ",".join(f"{k}={v:g}" for k, v in sorted(r["knobs"].items())) or "default"
        cells = [str(r["seed"]), kn, str(r["n_flagged"]), fmt(r["precision"]), fmt(r["recall"]), fmt(r["f1"]),
                 fmt(r["roc_auc"]), fmt(r["pr_auc"]), fmt(r["ordinary_fpr"])]
        cells += [fmt(r["share_flagged"][k]) for k, _ in KINDS]
        cells += [fmt(r["share_flagged"][k]) for k, _ in OPS]
        cells.append(f"{r['detect_s']:.0f}")
        print(" | ".join(cells), flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--tweets", type=int, default=500_000)
    ap.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE", help="a knob for every world (repeatable)")
    ap.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                    help="one world per value (per seed); several --grid make the product")
    ap.add_argument("--minute-only", action="store_true")
    ap.add_argument("--work", type=Path, default=Path("/tmp/cibscope-heldout"))
    ap.add_argument("--keep-case", action="store_true", help="keep each world's case.duckdb")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    a = ap.parse_args(argv)
    base = heldout_world.parse_knobs(a.knob)
    if a.minute_only:
        base["minute_only"] = 1.0
    settings = [base]
    for g in a.grid:
        name, _, vals = g.partition("=")
        settings = [s | heldout_world.parse_knobs([f"{name}={v}"]) for s in settings for v in vals.split(",")]
    a.work.mkdir(parents=True, exist_ok=True)
    print(f"held-out worlds: {a.accounts} accounts, {a.tweets} tweets; "
          f"FPR columns: {', '.join(f'{s}={k}' for k, s in KINDS)}; recall columns: {', '.join(f'{s}={k}' for k, s in OPS)}\n")
    rows = []
    for knobs in settings:
        for seed in a.seeds:
            rows.append(one(seed, knobs, a.accounts, a.tweets, a.work, a.keep_case))
    print_table(rows)
    bad = [r for r in rows if r["quarantined"]]
    if bad:
        print(f"\nwarning: rows quarantined at ingest in {len(bad)} world(s): the generator wrote bad rows")
    if len(rows) > 1:
        keys = ["precision", "recall", "f1", "roc_auc", "pr_auc", "ordinary_fpr", "lookalike_fpr"]
        mean = {k: sum(r[k] for r in rows) / len(rows) for k in keys}
        print("\nmean over rows: " + ", ".join(f"{k} {v:.3f}" for k, v in mean.items()))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

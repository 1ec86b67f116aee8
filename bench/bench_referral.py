"""Referral audit calibration: interval coverage and false drops over generated worlds (issue 17).

    .venv/bin/python bench/bench_referral.py                  # 200 seeds per cell (~20 min on 2 busy cores)
    .venv/bin/python bench/bench_referral.py --seeds 40       # a quick look
    .venv/bin/python bench/bench_referral.py --effects 0 -0.1 --no-scan

Every seed is its own world (cibscope.referral.synthetic.planted_world: random trend, annual cycle,
holidays, weekday pattern, noise persistence and size, loadings), with a planted change of the
target of the given size from a random date in the last 200 days (0 = a null world). Two
protocols:

* **event given**: the audit is told the planted date (for a null world, the date a drop would
  have been planted). Coverage = share of seeds whose 95% interval (placebo-calibrated) holds the
  planted effect; "drop" = share whose verdict is "source-specific drop".
* **no event** (``--no-scan`` skips it): the audit picks the strongest downward break itself and
  widens every interval for that search (Bonferroni).

Targets (issue 17): coverage >= 90% of seeds; no drop in >= 95% of null seeds. Seeds start at
1000, away from the seeds the unit test uses (100-119). Same seeds, same table.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from threadpoolctl import threadpool_limits

from cibscope.referral import AuditParams, audit_referrals
from cibscope.referral.synthetic import planted_world

SEED0 = 1000


def cell(effect: float, seeds: int, event: bool, placebos: int) -> dict:
    cover = drop = 0
    widths = []
    words: Counter[str] = Counter()
    t = time.perf_counter()
    for s in range(SEED0, SEED0 + seeds):
        w = planted_world(s, effect)
        a = audit_referrals(w.data, target=w.target, controls=w.controls, site=w.site, event=w.event if event else None,
                            params=AuditParams(seed=s, placebos=placebos)).audits[0]
        words[a.verdict.word] += 1
        drop += a.verdict.word == "source-specific drop"
        if a.effect is not None:
            widths.append(a.effect.hi - a.effect.lo)
            cover += a.effect.lo <= effect <= a.effect.hi
    return {
        "effect": effect, "protocol": "event given" if event else "no event", "seeds": seeds, "coverage": cover / seeds,
        "drop": drop / seeds, "width": sum(widths) / max(1, len(widths)), "sec": (time.perf_counter() - t) / seeds, "words": words,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--effects", type=float, nargs="+", default=[0.0, -0.10, -0.15, -0.25])
    ap.add_argument("--placebos", type=int, default=12)
    ap.add_argument("--no-scan", action="store_true", help="skip the no-event protocol")
    args = ap.parse_args()
    rows = []
    print(f"{'protocol':<12} {'effect':>7} {'seeds':>6} {'coverage':>9} {'drop':>6} {'mean CI width':>14} {'s/audit':>8}  verdicts")
    with threadpool_limits(1):
        for event in (True, False) if not args.no_scan else (True,):
            for eff in args.effects:
                r = cell(eff, args.seeds, event, args.placebos)
                rows.append(r)
                cov = f"{r['coverage']:.1%}" if event else "-"
                words = ", ".join(f"{k} {v}" for k, v in r["words"].most_common())
                print(f"{r['protocol']:<12} {eff:>+7.2f} {r['seeds']:>6} {cov:>9} {r['drop']:>6.1%} {r['width']:>14.3f} {r['sec']:>8.2f}  {words}", flush=True)
    null = [r for r in rows if r["effect"] == 0.0]
    planted = [r for r in rows if r["effect"] != 0.0 and r["protocol"] == "event given"]
    if planted:
        worst = min(r["coverage"] for r in planted)
        print(f"\ncoverage of the planted effect (event given), worst cell: {worst:.1%}  (target >= 90%)")
    for r in null:
        print(f"null worlds, {r['protocol']}: no drop found in {1 - r['drop']:.1%} of seeds  (target >= 95%)")


if __name__ == "__main__":
    main()

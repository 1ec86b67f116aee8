"""`cibscope platforms`: a case of several platforms -- platforms, spanning groups, clocks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from .common import CaseOption, console


def _lag_words(lo: int, hi: int) -> str:
    """The bin [lo, hi) minutes of time(b) - time(a) in words: '225 to 240 minutes before' for [-240, -225)."""
    if lo >= 0:
        return f"{lo} to {hi} minutes after"
    if hi <= 0:
        return f"{-hi} to {-lo} minutes before"
    return f"within {max(-lo, hi)} minutes of"


def register(app: typer.Typer) -> None:
    @app.command("platforms")
    def platforms_cmd(
        case: CaseOption = Path("case.duckdb"),
        out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Also write cross_platform_groups.csv, cross_platform_edges.csv and platform_lags.csv here.")] = None,
        evidence: Annotated[int, typer.Option("--evidence", "-n", help="Evidence rows per cross-platform edge in the CSV.")] = 3,
    ) -> None:
        """Platforms of the case, groups that span them (with their cross-platform evidence), and a check of the platforms' clocks."""
        from ..case import open_case
        from ..export import write_csv
        from ..platforms import case_platforms, cross_platform_edges, group_platforms, platform_lags, platform_summary

        with open_case(case, create=False, read_only=True) as c:
            plats = case_platforms(c)
            t = Table(title="platforms")
            for col in ("platform", "accounts", "posts"):
                t.add_column(col, justify="left" if col == "platform" else "right")
            for p in plats:
                t.add_row(str(p["platform"]), f"{p['accounts']:,}", f"{p['posts']:,}")
            console.print(t)
            detected = c.count("detect_runs") > 0
            lags = platform_lags(c) if len(plats) > 1 else []
            if lags:
                lt = Table(title="clock check: time(b) - time(a) of cross-platform posts of rarely shared items")
                for col in ("a", "b", "pairs", "peak bin (minutes)", "peak pairs", "median bin", "peak / median"):
                    lt.add_column(col, justify="left" if col in ("a", "b") else "right")
                for r in lags:
                    lt.add_row(r["platform_a"], r["platform_b"], f"{r['pairs']:,}", f"{r['peak_minutes']:+d}", f"{r['peak_pairs']:,}",
                               f"{r['median_pairs']:g}", f"{r['peak_ratio']:.1f}")
                console.print(lt)
                for r in lags:
                    if abs(r["peak_minutes"]) >= 60 and r["peak_ratio"] >= 5:
                        console.print(
                            f"[yellow]warning:[/] a {r['platform_b']} post of a rare item comes {_lag_words(r['peak_minutes'], r['peak_minutes'] + 15)} "
                            f"a {r['platform_a']} post of it far more often than at any "
                            "other delay: one platform's times may be shifted (a time-zone error in an export). Cross-platform "
                            "windows are centred on 0; correct the times at ingest (\\[time] platform_shift, docs/cross-platform.md).",
                            highlight=False,
                        )
            if not detected:
                console.print("no detection run yet: `cibscope detect` finds the groups")
                return
            st = Table(title="per pair of platforms: significant edges and groups")
            for col in ("platforms", "accounts", "edges", "layers", "groups"):
                st.add_column(col, justify="left" if col in ("platforms", "layers") else "right")
            for r in platform_summary(c):
                same = r["platform_a"] == r["platform_b"]
                pair = r["platform_a"] if same else f"{r['platform_a']} - {r['platform_b']}"
                acc = f"{r['accounts_a']:,}" if same else f"{r['accounts_a']:,} + {r['accounts_b']:,}"
                st.add_row(pair, acc, f"{r['edges']:,}", ", ".join(f"{k} {v:,}" for k, v in r["layers"].items()), f"{r['groups']:,}")
            console.print(st)
            groups = group_platforms(c)
            spanning = {g: v for g, v in groups.items() if v["spans"]}
            gt = Table(title=f"groups spanning platforms: {len(spanning):,} of {len(groups):,}")
            for col in ("group", "members", "cross-platform edges", "shared across platforms"):
                gt.add_column(col, justify="right" if col == "group" else "left")
            for gid, g in sorted(spanning.items()):
                gt.add_row(
                    str(gid), ", ".join(f"{p} {n:,}" for p, n in g["platforms"]),
                    ", ".join(f"{k} {v:,}" for k, v in g["cross_layers"].items()),
                    "; ".join(f"{item} ({layer}, {n:,} pairs)" for layer, item, n in g["cross_items"][:3]),
                )
            console.print(gt)
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                write_csv(
                    out / "cross_platform_groups.csv",
                    [[gid, json.dumps(dict(g["platforms"])), g["spans"], g["cross_edges"], json.dumps(g["cross_layers"]),
                      json.dumps([list(x) for x in g["cross_items"]])] for gid, g in sorted(groups.items())],
                    ["group_id", "platforms", "spans_platforms", "cross_edges", "cross_layers", "cross_items"],
                )
                rows = []
                for e in cross_platform_edges(c, evidence_per_edge=evidence):
                    for v in e["evidence"] or [{}]:
                        rows.append([e["layer"], e["account_a"], e["platform_a"], e["account_b"], e["platform_b"], e["n_shared"],
                                     e["p_value"], v.get("post_a"), v.get("post_b"), v.get("at_a"), v.get("at_b"),
                                     v.get("seconds_apart"), v.get("shared_item"), v.get("source_a"), v.get("source_b")])
                write_csv(out / "cross_platform_edges.csv", rows,
                          ["layer", "account_a", "platform_a", "account_b", "platform_b", "n_shared", "p_value", "post_a", "post_b",
                           "at_a", "at_b", "seconds_apart", "shared_item", "source_a", "source_b"])
                write_csv(out / "platform_lags.csv", [[r[k] for k in ("platform_a", "platform_b", "pairs", "peak_minutes", "peak_pairs",
                                                                       "median_pairs", "peak_ratio", "histogram")] for r in lags],
                          ["platform_a", "platform_b", "pairs", "peak_minutes", "peak_pairs", "median_pairs", "peak_ratio", "histogram"])
                console.print(f"wrote {out / 'cross_platform_groups.csv'}, {out / 'cross_platform_edges.csv'}, {out / 'platform_lags.csv'}")

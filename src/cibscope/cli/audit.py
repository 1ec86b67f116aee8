"""`cibscope audit`: test a takedown claim account by account, and its stated facts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from .common import CaseOption, OutOption, RichProgress, console, safe, text

if TYPE_CHECKING:
    from ..audit import AuditResult

_STATUS_STYLE = {"supported": "green", "contradicted": "red", "not testable": "yellow"}


def render_audit(r: AuditResult, *, show: int = 10) -> None:
    """Print the summary: verdict counts, possible false positives and misses, the claims."""
    s = r.summary()
    console.print(
        f"[bold]audit of {s['claimed_listed']:,} claimed account(s)[/] in {safe(r.case_path)}: "
        f"{s['claimed_in_case']:,} found in the case, {s['claimed_not_in_case']:,} not in it"
    )
    if r.account_only:
        console.print(
            "[yellow]account files only (no posts): coordination verdicts are not testable without tweets; "
            "what account metadata shows is below[/]"
        )
    t = Table(title="verdicts")
    t.add_column("verdict")
    t.add_column("claimed", justify="right")
    t.add_column("not claimed", justify="right")
    for v in ("strong", "moderate", "weak", "none", "not testable"):
        a, b = r.verdict_counts.get(v, 0), r.unclaimed_verdict_counts.get(v, 0)
        if a or b:
            t.add_row(v, f"{a:,}", f"{b:,}")
    console.print(t)
    if not r.account_only:
        fp = r.possible_false_positives
        console.print(
            f"claimed with no coordination evidence (possible false positives): [bold]{len(fp):,}[/]"
            + (f", e.g. {safe(', '.join(fp[:show]))}" if fp else "")
        )
        console.print(f"claimed with weak evidence only: {len(r.weak_claimed):,}")
        miss = r.possible_misses
        console.print(
            f"not claimed but strong evidence (possible misses): [bold]{len(miss):,}[/]"
            + (f", e.g. {safe(', '.join(miss[:show]))}" if miss else "")
        )
    m = r.metadata
    if m.get("accounts"):
        console.print(
            f"account metadata: {m['accounts']:,} accounts, {m.get('hashed') or 0:,} hashed; followers: "
            f"{m['followers_0']:,} with 0, {m['followers_over_10000']:,} with > 10,000 (median {m['followers_median']}); "
            f"{m['in_creation_burst']:,} created in a creation burst"
            + (f"; median age at {m['reference_date'][:10]}: {m['age_days_at_reference_median']:.0f} days" if m.get("reference_date") and m.get("age_days_at_reference_median") is not None else "")
        )
        days = m.get("top_creation_days") or []
        if days:
            console.print(text("top creation days: " + ", ".join(f"{d['day']} ({d['accounts']})" for d in days[:5])))
        hashing = m.get("hashing")
        if hashing:
            console.print(text(f"hashing rule ({hashing['rule']}): {hashing['finding']}"))
        years = m.get("creation_years") or []
        if years:
            console.print(text("created per year: " + ", ".join(f"{y['year']} {y['accounts']:,}" for y in years)))
    if r.claims:
        ct = Table(title="claims: stated vs measured")
        for col in ("claim", "by", "stated", "measured", "test", "verdict", "why"):
            ct.add_column(col, overflow="fold", justify="right" if col == "stated" else "left")
        for c in r.claims:
            style = _STATUS_STYLE.get(c.status, "")
            stated = "-" if c.stated is None else f"{c.stated:,g}"
            ct.add_row(text(c.statement or c.claim_id), text(c.claimed_by), stated, text(c.measured_text),
                       text(c.test), text(c.status, style=style), text(c.reason))
        console.print(ct)
    if r.compare:
        cp = Table(title="claimed vs control")
        for col in ("signature", "claimed", "control", "effect", "size", "p"):
            cp.add_column(col, justify="left" if col == "signature" else "right")
        for row in r.compare:
            if row["effect_size"] is None:
                continue
            cp.add_row(
                text(row["signature"]), _fmt(row["claimed"]), _fmt(row["control"]),
                f"{row['effect']} ({row['magnitude']})", f"{row['effect_size']:+.2f}",
                f"{row['p_value']:.2g}" if row["p_value"] is not None else "-",
            )
        console.print(cp)
    console.print("[bold]outputs[/]")
    for name, path in r.files.items():
        console.print(text(f"  {name}: {path}"))


def _fmt(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit_cmd(
        claimed: Annotated[str, typer.Option("--claimed", help="File of claimed account ids (one per line), or 'all'.")],
        case: CaseOption = Path("case.duckdb"),
        out: OutOption = Path("audit"),
        control: Annotated[Optional[Path], typer.Option("--control", help="File of known-organic account ids (same topic) to compare with.")] = None,
        claims: Annotated[Optional[Path], typer.Option("--claims", help="TOML file of the announcement's claims (see docs/audit.md).")] = None,
    ) -> None:
        """Audit a takedown: a verdict per claimed account, claims tested against the data."""
        from ..audit import run_audit  # heavy (scipy.stats): only when an audit runs

        with RichProgress() as progress:
            result = run_audit(case, claimed=claimed, out=out, control=control, claims=claims, progress=progress)
        render_audit(result)

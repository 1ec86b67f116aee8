"""`cibscope referral-audit`: was a drop in one referral source real, source-specific and beyond seasonality?"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from .common import RichProgress, console

if TYPE_CHECKING:
    from ..referral import ReferralAudit

_STATUS_STYLE = {"supported": "green", "contradicted": "red", "not testable": "yellow"}
_VERDICT_STYLE = {"source-specific drop": "bold red", "site-wide decline": "bold yellow", "seasonal": "bold cyan",
                  "tracking or data artefact": "bold magenta", "no change": "bold green", "inconclusive": "bold yellow"}


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as e:
        raise typer.BadParameter(f"{what}: not a date (YYYY-MM-DD): {text!r}") from e


def _range(text: str | None, what: str) -> tuple[date, date | None] | None:
    """'2018-07-03' or '2018-07-03:2018-07-05' (also '..' between the two)."""
    if text is None:
        return None
    parts = text.replace("..", ":").split(":")
    if len(parts) == 1:
        return _date(parts[0], what), None
    if len(parts) != 2:
        raise typer.BadParameter(f"{what}: write DATE or FIRST:LAST, got {text!r}")
    return _date(parts[0], what), _date(parts[1], what)


def _span(text: str | None, what: str) -> tuple[date, date] | None:
    r = _range(text, what)
    if r is None:
        return None
    if r[1] is None:
        raise typer.BadParameter(f"{what}: write FIRST:LAST (both days included)")
    return r[0], r[1]


def _fraction(text: str | None) -> float | None:
    """'-0.74', '-74%' -> -0.74."""
    if text is None:
        return None
    t = text.strip()
    try:
        return float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError as e:
        raise typer.BadParameter(f"--claimed-effect: a fraction (-0.74) or a percentage (-74%), got {text!r}") from e


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [x.strip() for x in text.split(",") if x.strip()]


def render(r: ReferralAudit) -> None:
    """Print each site's verdict with its figures, the warnings, the claims and the output files."""
    from ..referral.verdict import ci, pct

    for a in r.audits:
        v = a.verdict
        label = a.site or "site"
        console.print(f"[bold]{label}[/] · target [bold]{a.target}[/] · controls {', '.join(a.controls) or 'none'}"
                      + (f" · peers {', '.join(a.peers)}" if a.peers else ""), highlight=False)
        if v is not None:
            console.print(f"  verdict: [{_VERDICT_STYLE.get(v.word, 'bold')}]{v.word}[/]  {v.headline}", highlight=False, soft_wrap=True)
        if a.event:
            console.print(f"  event {a.event} ({a.event_source}); compared {a.pre[0]}..{a.pre[1]} with {a.post[0]}..{a.post[1]}"
                          if a.pre and a.post else f"  event {a.event}", highlight=False)
        t = Table(show_header=True, box=None, padding=(0, 2))
        for col in ("figure", "estimate", "95% interval"):
            t.add_column(col)
        if a.naive:
            t.add_row("naive change", pct(a.naive.change), ci(a.naive_shift.lo, a.naive_shift.hi) if a.naive_shift else "")
        if a.seasonal is not None:
            t.add_row(f"same windows, {len(a.seasonal_years)} earlier year(s)", pct(a.seasonal), "")
        if a.site_change:
            t.add_row("controls (site-wide)", pct(a.site_change.estimate), ci(a.site_change.lo, a.site_change.hi))
        if a.effect:
            t.add_row(f"adjusted effect ({a.effect.method})", pct(a.effect.relative), ci(a.effect.lo, a.effect.hi))
        for d in (a.did, a.did_yoy):
            if d:
                t.add_row("DiD" + (" year over year" if d.kind == "did_yoy" else ""), pct(d.estimate), ci(d.lo, d.hi))
        if a.scm:
            t.add_row("synthetic control (peers)", pct(a.scm.effect), f"placebo p = {a.scm.p_value:.2f}")
        if t.row_count:
            console.print(t)
        for w in a.warnings:
            console.print(f"  [yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
        art = [t for t in a.tracking if t.kind in ("starts", "stops", "part starts", "part stops")]
        for tc in art:
            console.print(f"  tracking change: {tc.source!r} {tc.kind} {tc.start}", highlight=False)
        spikes = [s for s in a.spikes if s.direction == "spike"]
        if spikes:
            top = sorted(spikes, key=lambda s: -abs(s.z))[:3]
            console.print("  spikes: " + "; ".join(f"{s.source} {s.peak} x{s.ratio:.2f}" + (" (bot-like)" if s.bot_like else "") for s in top)
                          + (f" (+{len(spikes) - 3} more)" if len(spikes) > 3 else ""), highlight=False)
        if a.claimed_effect:
            c = a.claimed_effect
            console.print(f"  claimed effect {pct(c.stated_change)}: [{_STATUS_STYLE[c.status]}]{c.status}[/] ({c.how})", highlight=False, soft_wrap=True)
    if r.claims:
        # One line each (wrapped): a table's narrow "how" column took a dozen lines per claim.
        console.print(f"[bold]claims[/] ({len(r.claims)}):")
        for c in r.claims:
            figures = f"stated {pct(c.stated_change)}" + ("" if c.measured_change is None else f", measured {pct(c.measured_change)}")
            console.print(Text.assemble("  ", (c.claim_id, "bold"), ": ", (c.status, _STATUS_STYLE.get(c.status, "")),
                                        f" ({figures}; {c.evidence.split(':')[0]} evidence): {c.how}"), highlight=False, soft_wrap=True)
    if r.files:
        console.print("[bold]outputs[/]")
        for name, path in r.files.items():
            console.print(f"  {name}: {path}", highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("referral-audit")
    def referral_audit_cmd(
        series: Annotated[Optional[list[Path]], typer.Option("--series", "-s", help="Daily counts by source (CSV, long format or a preset); repeat for more files, e.g. peer sites.")] = None,
        target: Annotated[Optional[str], typer.Option("--target", "-t", help="The source audited, e.g. 'external (search engine)' or 'Organic Search'.")] = None,
        controls: Annotated[Optional[str], typer.Option("--controls", help="Comma-separated control sources of the same site (default: every other source except bot-prone ones such as none/Direct).")] = None,
        site: Annotated[Optional[str], typer.Option("--site", help="The site audited when the files hold several (default: each in turn); names the site of a file without a site column.")] = None,
        peers: Annotated[Optional[str], typer.Option("--peers", help="Comma-separated peer sites (same source, other sites) for the synthetic control, or 'all'.")] = None,
        event: Annotated[Optional[str], typer.Option("--event", help="The claimed event: DATE or FIRST:LAST (days left out of both windows). Default: the strongest downward break.")] = None,
        pre: Annotated[Optional[str], typer.Option("--pre", help="The window before, FIRST:LAST (default: --window days before the event).")] = None,
        post: Annotated[Optional[str], typer.Option("--post", help="The window after, FIRST:LAST (default: --window days after the event).")] = None,
        claimed_effect: Annotated[Optional[str], typer.Option("--claimed-effect", help="The claimed change, -0.74 or -74%: supported if inside the adjusted effect's interval.")] = None,
        claims: Annotated[Optional[Path], typer.Option("--claims", help="TOML file of published claims (see docs/referral-audit.md); works without --series.")] = None,
        preset: Annotated[Optional[str], typer.Option("--preset", help="Column preset: long, wikimedia-pageviews, wikimedia-abtest, gsc, ga4, ua, or a preset TOML (default: recognised from the header).")] = None,
        filter_: Annotated[Optional[list[str]], typer.Option("--filter", help="Keep rows where COLUMN=VALUE[,VALUE] (e.g. access_method=desktop); repeatable.")] = None,
        metric: Annotated[Optional[str], typer.Option("--metric", help="Read this value column instead of the preset's (e.g. Impressions).")] = None,
        window: Annotated[int, typer.Option("--window", help="Days compared on each side of the event.")] = 28,
        min_segment: Annotated[int, typer.Option("--min-segment", help="Shortest segment between change points, in days.")] = 14,
        placebos: Annotated[int, typer.Option("--placebos", help="Placebo dates that calibrate the interval (0: none).")] = 12,
        design: Annotated[str, typer.Option("--design", help="'referrers' (controls = other sources of the site) or 'ab' (randomised test groups: pre-event balance checked).")] = "referrers",
        seed: Annotated[int, typer.Option("--seed", help="Seed of every random draw (same seed, same outputs).")] = 0,
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (index.html, referral-audit.json, CSVs).")] = Path("referral-audit"),
    ) -> None:
        """Audit a drop in one referral source: change points, seasonal counterfactual, cross-checks, verdict, claims."""
        from ..referral import AuditParams, run_referral_audit  # here: the other commands do not load the audit

        ev = _range(event, "--event")
        params = AuditParams(window=window, min_segment=min_segment, placebos=placebos, seed=seed, design=design)
        with RichProgress() as progress:
            result = run_referral_audit(
                list(series or []), target=target, controls=_names(controls), site=site,
                peers="all" if peers == "all" else _names(peers), event=ev[0] if ev else None, event_end=ev[1] if ev else None,
                pre=_span(pre, "--pre"), post=_span(post, "--post"), claimed_effect=_fraction(claimed_effect), claims=claims,
                preset=preset, filters=filter_, metric=metric, params=params, out=out, progress=progress,
            )
        render(result)

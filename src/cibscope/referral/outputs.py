"""Write a referral audit: JSON (everything), CSV tables and the offline HTML page.

Layout of ``out``::

    index.html          the page: verdict and figures per site, claims, data accounting
    assets/             report.css, report.js, plotly.min.js (shared with `cibscope report`)
    referral-audit.json every figure, per site, plus the claims and the input accounting
    summary.csv         one row per audited site: verdict, naive / seasonal / adjusted changes
    counterfactual.csv  per site and day from the event: actual, counterfactual, 95% band
    series.csv          the input as read (site, date, source, value) with spike flags
    changepoints.csv    every break of every series analysed
    anomalies.csv       tracking changes, gaps, zeros, spikes and dips
    placebos.csv        the placebo estimates behind the interval calibration
    claims.csv          the claims answered (with --claims or --claimed-effect)
    quarantine.csv      rows not read, with file, line and reason (when any)

No timestamp is written anywhere: the same input and parameters give byte-identical files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .. import __version__
from ..export import write_csv
from .audit import ReferralAudit, SiteAudit
from .figures import placebo_figure, series_figure, sources_figure, synthetic_figure
from .verdict import ci, pct

__all__ = ["write_outputs"]

SUMMARY_COLUMNS = (
    "site", "target", "controls", "event", "event_source", "pre_start", "pre_end", "post_start", "post_end", "verdict",
    "naive_change", "seasonal_change", "seasonal_share", "effect", "effect_lo", "effect_hi", "effect_method", "placebo_widening",
    "did", "did_lo", "did_hi", "did_yoy", "did_yoy_lo", "did_yoy_hi", "site_wide_change", "scm_effect", "scm_p_value",
    "n_warnings", "headline",
)


def _r(v: Any, nd: int = 6) -> Any:
    if isinstance(v, float):
        return None if not math.isfinite(v) else round(v, nd)
    return v


def _summary_row(a: SiteAudit) -> dict[str, Any]:
    e, v = a.effect, a.verdict
    iso = lambda d: None if d is None else d.isoformat()  # noqa: E731
    return {
        "site": a.site, "target": a.target, "controls": ";".join(a.controls), "event": iso(a.event), "event_source": a.event_source,
        "pre_start": iso(a.pre[0]) if a.pre else None, "pre_end": iso(a.pre[1]) if a.pre else None,
        "post_start": iso(a.post[0]) if a.post else None, "post_end": iso(a.post[1]) if a.post else None,
        "verdict": v.word if v else None, "naive_change": _r(a.naive.change) if a.naive else None,
        "seasonal_change": _r(a.seasonal), "seasonal_share": _r(v.seasonal_share) if v else None,
        "effect": _r(e.relative) if e else None, "effect_lo": _r(e.lo) if e else None, "effect_hi": _r(e.hi) if e else None,
        "effect_method": e.method if e else None, "placebo_widening": _r(e.widen, 4) if e else None,
        "did": _r(a.did.estimate) if a.did else None, "did_lo": _r(a.did.lo) if a.did else None, "did_hi": _r(a.did.hi) if a.did else None,
        "did_yoy": _r(a.did_yoy.estimate) if a.did_yoy else None, "did_yoy_lo": _r(a.did_yoy.lo) if a.did_yoy else None,
        "did_yoy_hi": _r(a.did_yoy.hi) if a.did_yoy else None, "site_wide_change": _r(a.site_change.estimate) if a.site_change else None,
        "scm_effect": _r(a.scm.effect) if a.scm else None, "scm_p_value": _r(a.scm.p_value, 4) if a.scm else None,
        "n_warnings": len(a.warnings), "headline": v.headline if v else None,
    }


def _label(a: SiteAudit) -> str:
    return a.site or "this site"


def _checks(a: SiteAudit) -> list[dict[str, str]]:
    rows = []
    if a.naive:
        rows.append({"name": "naive", "est": pct(a.naive.change), "ci": ci(a.naive_shift.lo, a.naive_shift.hi) if a.naive_shift else "",
                     "what": "mean per day after vs before"})
    for w in a.seasonal_years:
        rows.append({"name": f"same windows {w.shift // 364} year(s) earlier", "est": pct(w.change), "ci": "", "what": "what the season alone did"})
    if a.controls_naive:
        rows.append({"name": "controls, naive", "est": pct(a.controls_naive.change), "ci": "", "what": "the controls' total after vs before"})
    if a.site_change:
        rows.append({"name": "site-wide (controls)" + (", year over year" if a.site_change.kind == "did_yoy" else ""),
                     "est": pct(a.site_change.estimate), "ci": ci(a.site_change.lo, a.site_change.hi), "what": "the controls' own change"})
    if a.effect:
        e = a.effect
        rows.append({"name": f"adjusted effect ({e.method})", "est": pct(e.relative), "ci": ci(e.lo, e.hi),
                     "what": f"actual vs counterfactual sums over {e.days} post days; model interval {ci(e.lo_model, e.hi_model)}"})
        if e.without_spikes:
            rows.append({"name": "adjusted effect without spike days", "est": pct(e.without_spikes[0]), "ci": ci(e.without_spikes[1], e.without_spikes[2]),
                         "what": "the same, leaving out the target's spike days"})
    for d in (a.did, a.did_yoy):
        if d:
            rows.append({"name": "difference-in-differences" + (" (year over year)" if d.kind == "did_yoy" else ""), "est": pct(d.estimate),
                         "ci": ci(d.lo, d.hi), "what": "target vs the controls' total, log scale, HAC errors" + ("; minus the same a year earlier" if d.kind == "did_yoy" else "")})
    if a.scm:
        rows.append({"name": "synthetic control (peers)", "est": pct(a.scm.effect), "ci": f"placebo p = {a.scm.p_value:.2f}",
                     "what": "weights: " + ", ".join(f"{k} {v:.2f}" for k, v in a.scm.weights.items())})
    if a.balance:
        rows.append({"name": "pre-event balance (A/B)", "est": f"{a.balance['ratio']:.3f}", "ci": "", "what": "target / control before the event"})
    return rows


def _site_view(a: SiteAudit, i: int, blocks: dict[str, Any]) -> dict[str, Any]:
    v = a.verdict
    fid = f"fig-{i}"
    blocks[f"{fid}-series"] = series_figure(a)
    blocks[f"{fid}-sources"] = sources_figure(a)
    if a.placebos:
        blocks[f"{fid}-placebo"] = placebo_figure(a)
    if a.scm:
        blocks[f"{fid}-scm"] = synthetic_figure(a)
    word = v.word if v else "no change"
    badge = {"source-specific drop": "c-contradicted", "source-specific rise": "c-supported", "no change": "c-supported",
             "tracking or data artefact": "c-untestable", "inconclusive": "c-untestable"}.get(word, "v-moderate")
    stats = []
    if a.naive:
        stats.append({"v": pct(a.naive.change), "k": "naive change", "s": f"{a.naive.pre_mean:,.0f} -> {a.naive.post_mean:,.0f} per day"})
    if a.seasonal is not None:
        stats.append({"v": pct(a.seasonal), "k": "same weeks, earlier years", "s": f"{len(a.seasonal_years)} year(s)"})
    if a.effect:
        stats.append({"v": pct(a.effect.relative), "k": "adjusted effect", "s": ci(a.effect.lo, a.effect.hi)})
    if a.did_yoy or a.did:
        d = a.did_yoy or a.did
        stats.append({"v": pct(d.estimate), "k": "DiD" + (" year over year" if d.kind == "did_yoy" else ""), "s": ci(d.lo, d.hi)})
    anomalies = [{"kind": t.kind, "source": t.source + (f" ({t.part})" if t.part else ""), "start": t.start.isoformat(), "end": t.end.isoformat(),
                  "detail": t.detail + ("; across it: " + ", ".join(f"{k} {pct(x)}" for k, x in t.shifts.items() if k != "part share") if t.shifts else "")}
                 for t in a.tracking]
    anomalies += [{"kind": ("bot-like " if s.bot_like else "") + s.direction, "source": s.source, "start": s.start.isoformat(), "end": s.end.isoformat(),
                   "detail": f"peak {s.peak} {s.peak_value:,.0f} vs baseline {s.baseline:,.0f} (x{s.ratio:.2f}, robust z {s.z:+.1f})"
                   + (f"; same days: {', '.join(s.coincident)}" if s.coincident else "")} for s in a.spikes]
    breaks = [{"series": f"{c.series} ({c.transform})", "date": b.date.isoformat(), "change": pct(b.change), "strength": f"{b.strength:.2f}",
               "recurs": "yes" if b.recurs else ("" if c.transform != "level" else "no")} for c in a.changepoints for b in c.breaks]
    return {
        "site": a.site, "label": _label(a), "target": a.target, "controls": a.controls, "peers": a.peers, "design": a.params.design,
        "verdict": word, "badge": badge, "headline": v.headline if v else "",
        "findings": [f.as_dict() for f in v.findings] if v else [], "warnings": a.warnings, "notes": a.notes,
        "event": a.event.isoformat() if a.event else None, "event_end": a.event_end.isoformat() if a.event_end else None,
        "event_source": a.event_source, "pre": [d.isoformat() for d in a.pre] if a.pre else None,
        "post": [d.isoformat() for d in a.post] if a.post else None, "stats": stats, "checks": _checks(a),
        "breaks": breaks, "anomalies": anomalies, "cp_transform": a.changepoints[0].transform if a.changepoints else "",
        "fig_series": f"{fid}-series", "fig_sources": f"{fid}-sources", "fig_placebo": f"{fid}-placebo", "fig_scm": f"{fid}-scm",
        "has_placebos": bool(a.placebos), "has_scm": a.scm is not None, "widen": f"{a.effect.widen:.2f}" if a.effect else "1.00",
    }


def _json(result: ReferralAudit) -> dict[str, Any]:
    d = result.data
    return {
        "cibscope_version": __version__,
        "inputs": [{"file": f.file, "preset": f.preset, "columns": f.columns, "rows_read": f.rows_read, "kept": f.kept,
                    "filtered": f.filtered, "quarantined": f.quarantined} for f in (d.files if d else [])],
        "quarantined_rows": len(d.quarantine) if d else 0,
        "audits": [a.as_dict() for a in result.audits],
        "claims_document": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in result.claims_document.items()},
        "claims": [c.as_dict() for c in _all_claims(result)],
    }


def _plain(v: Any) -> Any:
    """numpy scalars as Python values (the JSON encoder knows only the builtins)."""
    if hasattr(v, "item"):
        return v.item()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def _all_claims(result: ReferralAudit) -> list[Any]:
    return [a.claimed_effect for a in result.audits if a.claimed_effect] + list(result.claims)


def write_outputs(result: ReferralAudit, out: str | Path) -> dict[str, str]:
    """Write every output of ``result`` into ``out``; returns {name: path}."""
    from ..report import _copy_assets, _environment

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    p = out / "referral-audit.json"
    p.write_text(json.dumps(_json(result), indent=2, ensure_ascii=False, allow_nan=False, default=_plain) + "\n", encoding="utf-8")
    files["json"] = str(p)
    files["summary"] = str(write_csv(out / "summary.csv", [_summary_row(a) for a in result.audits], SUMMARY_COLUMNS))
    cf_rows, cp_rows, an_rows, pl_rows, series_rows = [], [], [], [], []
    for a in result.audits:
        e = a.effect
        if e is not None:
            y = a.panel.column(a.target)
            for i, m, lo, hi in zip(e.days_index, e.cf_median, e.cf_lo, e.cf_hi, strict=True):
                cf_rows.append({"site": a.site, "date": a.panel.date_at(i).isoformat(), "actual": None if math.isnan(y[i]) else float(y[i]),
                                "counterfactual": round(m, 2), "lo95": round(lo, 2), "hi95": round(hi, 2),
                                "in_post_window": bool(a.post and a.post[0] <= a.panel.date_at(i) <= a.post[1])})
        for c in a.changepoints:
            for b in c.breaks:
                cp_rows.append({"site": a.site, "series": c.series, "transform": c.transform, "date": b.date.isoformat(),
                                "change": b.change, "strength": b.strength, "recurs": b.recurs if c.transform == "level" else None})
        for t in a.tracking:
            an_rows.append({"site": a.site, "kind": t.kind, "source": t.source, "part": t.part, "start": t.start.isoformat(),
                            "end": t.end.isoformat(), "detail": t.detail, "ratio": None, "z": None})
        spike_days: set[tuple[str, str]] = set()
        for s in a.spikes:
            an_rows.append({"site": a.site, "kind": ("bot-like " if s.bot_like else "") + s.direction, "source": s.source, "part": "",
                            "start": s.start.isoformat(), "end": s.end.isoformat(),
                            "detail": f"baseline {s.baseline:,.0f}, peak {s.peak_value:,.0f} on {s.peak}" + (f"; same days: {', '.join(s.coincident)}" if s.coincident else ""),
                            "ratio": s.ratio, "z": s.z})
            d0 = a.panel.index(s.start)
            for k in range(d0, a.panel.index(s.end) + 1):
                spike_days.add((s.source, a.panel.date_at(k).isoformat()))
        for pl in a.placebos:
            pl_rows.append({"site": a.site, "placebo_event": a.panel.date_at(pl.event).isoformat(), "relative_effect": round(pl.relative, 6),
                            "lo95": round(pl.lo, 6), "hi95": round(pl.hi, 6), "z": round(pl.z, 4)})
        for j, src in enumerate(a.panel.sources):
            col = a.panel.values[:, j]
            for i in range(a.panel.n_days):
                if not math.isnan(col[i]):
                    d = a.panel.date_at(i).isoformat()
                    series_rows.append({"site": a.site, "date": d, "source": src, "value": float(col[i]), "spike": (src, d) in spike_days})
    files["counterfactual"] = str(write_csv(out / "counterfactual.csv", cf_rows, ("site", "date", "actual", "counterfactual", "lo95", "hi95", "in_post_window")))
    files["series"] = str(write_csv(out / "series.csv", series_rows, ("site", "date", "source", "value", "spike")))
    files["changepoints"] = str(write_csv(out / "changepoints.csv", cp_rows, ("site", "series", "transform", "date", "change", "strength", "recurs")))
    files["anomalies"] = str(write_csv(out / "anomalies.csv", an_rows, ("site", "kind", "source", "part", "start", "end", "detail", "ratio", "z")))
    files["placebos"] = str(write_csv(out / "placebos.csv", pl_rows, ("site", "placebo_event", "relative_effect", "lo95", "hi95", "z")))
    claims = _all_claims(result)
    if claims:
        cols = ("claim", "statement", "by", "status", "measurement", "evidence", "stated_change", "measured_change", "same_periods_year_before", "how")
        files["claims"] = str(write_csv(out / "claims.csv", [c.as_dict() for c in claims], cols))
    d = result.data
    q = out / "quarantine.csv"
    if d is not None and d.quarantine:
        files["quarantine"] = str(write_csv(q, [{"file": r.file, "line": r.line, "reason": r.reason} for r in d.quarantine], ("file", "line", "reason")))
    elif q.exists():
        q.unlink()  # a previous run's, no longer true

    env = _environment()
    env.loader = _loader(env.loader)
    blocks: dict[str, Any] = {}
    sites = [_site_view(a, i, blocks) for i, a in enumerate(result.audits, 1)]
    claim_rows = [{"claim": c.claim_id, "statement": c.statement or c.claim_id, "status": c.status, "stated": pct(c.stated_change),
                   "measured": pct(c.measured_change), "evidence": c.evidence, "how": c.how} for c in claims]
    _copy_assets(out)
    html = env.get_template("referral.j2").render(
        version=__version__, sites=sites, claims=claim_rows, claims_doc=result.claims_document,
        files=d.files if d else [], quarantine=(d.quarantine[:20] if d else []),
        n_rows=sum(f.rows_read for f in d.files) if d else 0, n_files=len(d.files) if d else 0,
        outputs=sorted(Path(v).name for v in files.values()) + ["index.html"], json_blocks=blocks,
    )
    (out / "index.html").write_text(html, encoding="utf-8")
    files["report"] = str(out / "index.html")
    result.files = files
    return files


def _loader(base: Any) -> Any:
    import jinja2

    return jinja2.ChoiceLoader([jinja2.PackageLoader("cibscope.referral", "templates"), base])

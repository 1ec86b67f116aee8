"""A site audit -> plotly figure specs (plain dicts), drawn in the page by the report's script.

Pure and deterministic: no I/O and no plotly import. Source names come from the data, so
every label goes through :func:`cibscope.report.figures.esc`.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np

from ..report.figures import FALLBACK_COLORS, STATIC, _base_layout, esc
from .audit import SiteAudit

__all__ = ["placebo_figure", "series_figure", "sources_figure", "synthetic_figure"]

TARGET = "#1d4ed8"
BAND = "rgba(234,88,12,0.18)"
CF = "#ea580c"
BREAK = "#7c3aed"
SHARE_BREAK = "#0d9488"
WINDOW = "rgba(100,116,139,0.10)"


def _num(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), 2)


def _dates(a: SiteAudit, idx: Any) -> list[str]:
    return [a.panel.date_at(int(i)).isoformat() for i in idx]


def _shapes(a: SiteAudit) -> list[dict[str, Any]]:
    shapes: list[dict[str, Any]] = []
    for w in (a.pre, a.post):
        if w:
            shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": w[0].isoformat(), "x1": w[1].isoformat(),
                           "y0": 0, "y1": 1, "fillcolor": WINDOW, "line": {"width": 0}, "layer": "below"})
    if a.event:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": a.event.isoformat(),
                       "x1": (a.event_end or a.event).isoformat(), "y0": 0, "y1": 1,
                       "fillcolor": "rgba(220,38,38,0.15)", "line": {"color": "#dc2626", "width": 1}})
    for cp, color, dash in zip(a.changepoints[:2], (BREAK, SHARE_BREAK), ("dot", "dashdot"), strict=False):
        for b in cp.breaks:
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": b.date.isoformat(), "x1": b.date.isoformat(),
                           "y0": 0, "y1": 1, "line": {"color": color, "width": 1, "dash": dash}})
    return shapes


def series_figure(a: SiteAudit) -> dict[str, Any]:
    """The target per day, the counterfactual and its 95% band, windows, event and change points."""
    y = a.panel.column(a.target)
    ok = np.flatnonzero(~np.isnan(y))
    data: list[dict[str, Any]] = []
    e = a.effect
    if e is not None and e.days_index:
        # From the post window on: during the event itself the controls may be hit too (a
        # blackout sends internal traffic up), so a counterfactual there means nothing.
        k = next((i for i, d in enumerate(e.days_index) if a.post is None or a.panel.date_at(d) >= a.post[0]), 0)
        xs = _dates(a, e.days_index[k:])
        lo_, med, hi_ = e.cf_lo[k:], e.cf_median[k:], e.cf_hi[k:]
        data.append({"type": "scatter", "mode": "lines", "x": xs + xs[::-1], "y": [_num(v) for v in hi_] + [_num(v) for v in lo_[::-1]],
                     "fill": "toself", "fillcolor": BAND, "line": {"width": 0}, "name": "counterfactual 95% band", "hoverinfo": "skip"})
        data.append({"type": "scatter", "mode": "lines", "x": xs, "y": [_num(v) for v in med], "name": "counterfactual",
                     "line": {"color": CF, "width": 1.6, "dash": "dash"}, "hovertemplate": "%{x}<br>counterfactual %{y:,.0f}<extra></extra>"})
    data.append({"type": "scatter", "mode": "lines", "x": _dates(a, ok), "y": [_num(v) for v in y[ok]], "name": esc(a.target),
                 "line": {"color": TARGET, "width": 1.2}, "hovertemplate": "%{x}<br>%{y:,.0f}<extra></extra>"})
    sp = [s for s in a.spikes if s.source == a.target]
    if sp:
        data.append({"type": "scatter", "mode": "markers", "x": [s.peak.isoformat() for s in sp], "y": [_num(s.peak_value) for s in sp],
                     "name": "spike / dip", "marker": {"color": "#dc2626", "size": 7, "symbol": "x"},
                     "text": [f"{s.direction} x{s.ratio:.2f} (z {s.z:+.1f})" for s in sp], "hovertemplate": "%{x}<br>%{text}<extra></extra>"})
    if a.scm is not None:
        data.append({"type": "scatter", "mode": "lines", "x": _dates(a, a.scm.days_index), "y": [_num(v) for v in a.scm.synthetic],
                     "name": "synthetic control (peers)", "line": {"color": "#059669", "width": 1, "dash": "dot"}, "visible": "legendonly"})
    xaxis: dict[str, Any] = {"type": "date"}
    if a.pre and a.post:  # open on the event and half a year before it; the whole series is a zoom-out away
        first, last = a.panel.start, a.panel.date_at(a.panel.n_days - 1)
        xaxis["range"] = [max(first, a.pre[0] - timedelta(days=182)).isoformat(), min(last, a.post[1] + timedelta(days=28)).isoformat()]
    layout = _base_layout(height=380, shapes=_shapes(a), hovermode="x unified",
                          yaxis={"title": {"text": "per day"}, "rangemode": "tozero"}, xaxis=xaxis)
    return {"data": data, "layout": layout}


def sources_figure(a: SiteAudit) -> dict[str, Any]:
    """Every source of the site per day on a log axis, with tracking changes and bot-like spikes marked."""
    data: list[dict[str, Any]] = []
    for j, src in enumerate(a.panel.sources):
        v = a.panel.values[:, j]
        ok = np.flatnonzero(~np.isnan(v) & (v > 0))
        role = "target" if src == a.target else ("control" if src in a.controls else "other")
        data.append({"type": "scatter", "mode": "lines", "x": _dates(a, ok), "y": [_num(x) for x in v[ok]],
                     "name": f"{esc(src)} ({role})", "line": {"width": 1.6 if role == "target" else 1, "color": TARGET if role == "target" else FALLBACK_COLORS[j % len(FALLBACK_COLORS)]},
                     "hovertemplate": "%{x}<br>%{y:,.0f}<extra>" + esc(src) + "</extra>"})
    bots = [s for s in a.spikes if s.bot_like]
    if bots:
        data.append({"type": "scatter", "mode": "markers", "x": [s.peak.isoformat() for s in bots], "y": [_num(s.peak_value) for s in bots],
                     "name": "bot-like spike", "marker": {"color": "#b91c1c", "size": 7, "symbol": "triangle-up"},
                     "text": [f"{esc(s.source)} x{s.ratio:.2f}" for s in bots], "hovertemplate": "%{x}<br>%{text}<extra></extra>"})
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": t.start.isoformat(), "x1": t.start.isoformat(), "y0": 0, "y1": 1,
               "line": {"color": "#0f766e", "width": 1.5}} for t in a.tracking if t.kind in ("starts", "stops", "part starts", "part stops")]
    layout = _base_layout(height=320, shapes=shapes, yaxis={"type": "log", "title": {"text": "per day (log)"}}, xaxis={"type": "date"})
    return {"data": data, "layout": layout}


def placebo_figure(a: SiteAudit) -> dict[str, Any]:
    """Placebo estimates (no event) with the model's intervals, next to the real estimate."""
    pts = [(a.panel.date_at(p.event).isoformat(), p.relative, p.lo, p.hi) for p in a.placebos]
    data: list[dict[str, Any]] = []
    if pts:
        data.append({"type": "scatter", "mode": "markers", "name": "placebo dates (model interval)",
                     "x": [p[0] for p in pts], "y": [round(p[1] * 100, 2) for p in pts],
                     "error_y": {"type": "data", "symmetric": False, "array": [round((p[3] - p[1]) * 100, 2) for p in pts],
                                 "arrayminus": [round((p[1] - p[2]) * 100, 2) for p in pts], "color": "#94a3b8"},
                     "marker": {"color": "#64748b", "size": 7}})
    e = a.effect
    if e is not None and a.event:
        data.append({"type": "scatter", "mode": "markers", "name": "the event (calibrated interval)", "x": [a.event.isoformat()],
                     "y": [round(e.relative * 100, 2)], "marker": {"color": CF, "size": 10},
                     "error_y": {"type": "data", "symmetric": False, "array": [round((e.hi - e.relative) * 100, 2)],
                                 "arrayminus": [round((e.relative - e.lo) * 100, 2)], "color": CF}})
    layout = _base_layout(height=260, yaxis={"title": {"text": "effect (%)"}, "zeroline": True, "zerolinecolor": "#9ca3af"}, xaxis={"type": "date"})
    return {"data": data, "layout": layout, "config": STATIC}


def synthetic_figure(a: SiteAudit) -> dict[str, Any]:
    """The target's post/pre RMSPE ratio against each peer's placebo ratio."""
    s = a.scm
    if s is None:
        return {"data": [], "layout": _base_layout(height=200)}
    names = ["(target) " + esc(a.site or "site")] + [esc(k) for k in s.placebo_ratios]
    vals = [round(s.ratio, 3)] + [round(v, 3) for v in s.placebo_ratios.values()]
    data = [{"type": "bar", "x": names, "y": vals, "marker": {"color": [CF] + ["#94a3b8"] * len(s.placebo_ratios)},
             "hovertemplate": "%{x}<br>post/pre RMSPE %{y}<extra></extra>"}]
    return {"data": data, "layout": _base_layout(height=260, yaxis={"title": {"text": "post / pre RMSPE"}}), "config": STATIC}

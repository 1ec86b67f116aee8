"""View-model -> plotly figure specs (plain dicts: ``{"data": [...], "layout": {...}}``).

Pure and deterministic: no I/O, no plotly import (the specs are JSON for plotly.js in the
page), so they can be tested as data and embedded as they are.

Safety: plotly.js renders a subset of HTML in text, hover and tick labels (``<b>``, ``<a
href>``, ...). Every string from the data goes through :func:`esc` before it reaches a label,
so a handle like ``<a href=javascript:...>`` is shown as text (plotly decodes the entities
back into characters it draws as text).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "CLAIMED_COLOR",
    "OTHER_COLOR",
    "activity_figure",
    "creation_figure",
    "creation_months_figure",
    "creation_years_figure",
    "followers_figure",
    "overview_network_figure",
    "esc",
    "heatmap_figure",
    "layer_colors",
    "network_figure",
    "null_figure",
    "timeline_figure",
    "waterfall_figure",
]

# One colour per trace, everywhere in the report (chips, network edges, timeline, tables).
KNOWN_LAYER_COLORS: dict[str, str] = {
    "co_retweet": "#2563eb",
    "co_quote": "#0891b2",
    "co_reply": "#7c3aed",
    "co_link": "#059669",
    "co_domain": "#65a30d",
    "co_hashtag": "#d97706",
    "hashtag_sequence": "#b45309",
    "co_mention": "#db2777",
    "near_duplicate": "#dc2626",
    "identical_text": "#b91c1c",
    "fast_retweet": "#4f46e5",
    "sync_activity": "#0d9488",
    "creation_batch": "#78716c",
    "account_batch": "#78716c",
    "group": "#1f2937",
    "profile_template": "#a21caf",
    "co_image": "#0e7490",
    "xp_link": "#047857",
    "xp_domain": "#4d7c0f",
    "xp_hashtag": "#9a3412",
    "xp_text": "#991b1b",
    "xp_image": "#1e40af",
}
FALLBACK_COLORS = ("#0369a1", "#be123c", "#15803d", "#9333ea", "#c2410c", "#0f766e", "#4338ca", "#a16207", "#475569")
CLAIMED_COLOR = "#c2410c"
OTHER_COLOR = "#64748b"
# The report's font stack (report.css has the same): system UI fonts, then CJK fonts by platform
# (Noto/Source Han on Linux, PingFang/Hiragino on macOS, Microsoft YaHei/JhengHei on Windows), so
# Chinese, Japanese and Korean names are drawn as glyphs, never as boxes.
FONT = (
    "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', "
    "'Noto Sans CJK SC', 'Noto Sans CJK TC', 'Noto Sans CJK JP', 'Noto Sans CJK KR', 'Source Han Sans SC', "
    "'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Microsoft JhengHei', 'WenQuanYi Micro Hei', sans-serif"
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Small summary charts need no toolbar; hover still works.
STATIC: dict[str, Any] = {"displayModeBar": False}


def esc(value: Any) -> str:
    """Text safe for a plotly label: the characters plotly would read as markup, as entities."""
    return str("" if value is None else value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def short(value: Any, n: int = 60) -> str:
    s = str("" if value is None else value)
    return s if len(s) <= n else s[: n - 1] + "…"


def layer_colors(layers: Iterable[str]) -> dict[str, str]:
    """A colour per layer: fixed for the known traces, then a fallback palette in name order."""
    out: dict[str, str] = {}
    unknown = sorted({layer for layer in layers if layer not in KNOWN_LAYER_COLORS})
    for layer in layers:
        if layer in KNOWN_LAYER_COLORS:
            out[layer] = KNOWN_LAYER_COLORS[layer]
    for i, layer in enumerate(unknown):
        out[layer] = FALLBACK_COLORS[i % len(FALLBACK_COLORS)]
    return out


def _base_layout(**kw: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": {"family": FONT, "size": 12, "color": "#1f2937"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 48, "r": 16, "t": 16, "b": 40},
        "hoverlabel": {"font": {"family": FONT, "size": 12}, "align": "left"},
        "legend": {"orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom"},
        "modebar": {"bgcolor": "rgba(255,255,255,0.8)", "color": "#9ca3af", "activecolor": "#1d4ed8"},
    }
    layout.update(kw)
    return layout


# -- group network -----------------------------------------------------------------------------
def network_figure(card: Mapping[str, Any], colors: Mapping[str, str]) -> dict[str, Any]:
    """Members as points (size by score, dark = flagged), edges as lines coloured by layer.

    On a case of several platforms (``card["platform_colors"]``) members are coloured by
    platform instead, flagged ones ringed dark, with one legend entry per platform.

    Parallel edges of one pair in several layers are drawn side by side (offset across the
    edge) so every layer stays visible; each layer is one legend entry that can be toggled.
    An invisible point at each edge's middle carries the edge's hover text.
    """
    members = card["members"]
    pos = {m["account_id"]: (m["x"], m["y"]) for m in members}
    by_pair: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for e in card["edges"]:
        by_pair.setdefault((e["account_a"], e["account_b"]), []).append(e)
    lines: dict[str, tuple[list[float | None], list[float | None]]] = {}
    mids: dict[str, tuple[list[float], list[float], list[str]]] = {}
    names = {m["account_id"]: m["screen_name"] or m["account_id"] for m in members}
    for (a, b), es in by_pair.items():
        (x0, y0), (x1, y1) = pos[a], pos[b]
        dx, dy = x1 - x0, y1 - y0
        length = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / length, dx / length
        k = len(es)
        for i, e in enumerate(sorted(es, key=lambda e: e["layer"])):
            off = (i - (k - 1) / 2) * 0.028
            lx, ly = lines.setdefault(e["layer"], ([], []))
            lx.extend([round(x0 + nx * off, 3), round(x1 + nx * off, 3), None])
            ly.extend([round(y0 + ny * off, 3), round(y1 + ny * off, 3), None])
            mx, my, mt = mids.setdefault(e["layer"], ([], [], []))
            mx.append(round((x0 + x1) / 2 + nx * off, 3))
            my.append(round((y0 + y1) / 2 + ny * off, 3))
            mt.append(
                f"<b>{esc(e['layer'])}</b><br>{esc(short(names[a], 24))} ↔ {esc(short(names[b], 24))}"
                f"<br>{e['n_shared']:,} shared · weight {float(e['weight'] or 0):.1f}"
            )
    data: list[dict[str, Any]] = []
    for layer in sorted(lines):
        lx, ly = lines[layer]
        data.append(
            {
                "type": "scatter", "mode": "lines", "name": esc(layer), "legendgroup": esc(layer),
                "x": lx, "y": ly, "hoverinfo": "skip",
                "line": {"color": colors.get(layer, "#94a3b8"), "width": 1.6}, "opacity": 0.75,
            }
        )
        mx, my, mt = mids[layer]
        data.append(
            {
                "type": "scatter", "mode": "markers", "name": esc(layer), "legendgroup": esc(layer), "showlegend": False,
                "x": mx, "y": my, "text": mt, "hovertemplate": "%{text}<extra></extra>",
                "marker": {"size": 8, "color": colors.get(layer, "#94a3b8"), "opacity": 0},
            }
        )
    shrink = 1.0 if len(members) <= 30 else max(0.45, math.sqrt(30 / len(members)))  # crowded groups: smaller dots
    # a case of several platforms: accounts coloured by platform (flagged ones ringed dark)
    pcolors: Mapping[str, str] = card.get("platform_colors") or {}
    if pcolors:
        for plat in card.get("case_platforms") or []:
            if any((m.get("platform") or "") == plat for m in members):
                data.append(
                    {"type": "scatter", "mode": "markers", "name": esc(plat), "x": [None], "y": [None], "hoverinfo": "skip",
                     "marker": {"size": 10, "color": pcolors.get(plat, "#94a3b8")}}
                )
        node_color = [pcolors.get(m.get("platform") or "", "#cbd5e1") for m in members]
        node_line = {"color": ["#111827" if m["flagged"] else "#ffffff" for m in members],
                     "width": [2.5 if m["flagged"] else 1.5 for m in members]}
    else:
        node_color = ["#111827" if m["flagged"] else "#cbd5e1" for m in members]
        node_line = {"color": "#ffffff", "width": 1.5}
    data.append(
        {
            "type": "scatter", "mode": "markers", "name": "accounts", "meta": "nodes",
            "x": [m["x"] for m in members], "y": [m["y"] for m in members],
            "customdata": [m.get("page") or "" for m in members],
            "text": [
                f"<b>@{esc(short(m['screen_name'] or m['account_id'], 40))}</b>"
                + (f" · {esc(m.get('platform') or '')}" if pcolors else "")
                + f"<br>{esc(short(m.get('display_name') or '', 40))}<br>"
                f"score {float(m['score'] or 0):.2f}{' · flagged' if m['flagged'] else ''}"
                + ("<br><i>click to open</i>" if m.get("page") else "")
                for m in members
            ],
            "hovertemplate": "%{text}<extra></extra>",
            "marker": {
                "size": [round((8 + 14 * float(m["score"] or 0)) * shrink, 1) for m in members],
                "color": node_color,
                "line": node_line,
            },
        }
    )
    if len(members) > 8:  # the members with the strongest links, named on the drawing (~600 x 400 px, 2.3 units)
        unit = 2.3 / 400
        ranked = sorted((m for m in members if m.get("degree")), key=lambda m: (-float(m["degree"]), m["account_id"]))
        hubs = _spread(ranked, min(5, max(1, round(math.sqrt(len(members)) / 2))), 110 * unit, 18 * unit)
        if hubs:
            data.append(_hub_labels(hubs))
    axis = {"visible": False, "showgrid": False, "zeroline": False, "range": [-1.15, 1.15]}
    layout = _base_layout(
        xaxis=axis, yaxis={**axis, "scaleanchor": "x"}, height=400, dragmode="pan", hovermode="closest",
        margin={"l": 8, "r": 8, "t": 8, "b": 8}, legend=LEGEND_BELOW,
    )
    return {"data": data, "layout": layout, "config": {"scrollZoom": True}}


# The legend of a plot with a mode bar sits below it: the mode bar takes the top right corner,
# and a legend at the top runs under it as soon as it is long enough to wrap.
LEGEND_BELOW: dict[str, Any] = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.02, "yanchor": "top"}


def _hub_labels(nodes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A text trace naming ``nodes`` (@handle above each point)."""
    return {
        "type": "scatter", "mode": "text", "name": "hubs", "showlegend": False, "hoverinfo": "skip", "meta": "hub-labels",
        "x": [n["x"] for n in nodes], "y": [n["y"] for n in nodes],
        "text": ["@" + esc(short(n.get("screen_name") or n["account_id"], 18)) for n in nodes],
        "textposition": "top center", "textfont": {"family": FONT, "size": 11, "color": "#111827"},
        "cliponaxis": False,
    }


def _pick_hubs(nodes: Sequence[Mapping[str, Any]], groups: Sequence[Mapping[str, Any]], *, label_w: float, label_h: float) -> list[Mapping[str, Any]]:
    """The accounts to name: in each group the ones with the most evidence (1 in a group of 4,
    up to 5 in a group of 100 or more), skipping one whose label would overlap a label already
    placed (labels are ``label_w`` x ``label_h`` layout units, above their point)."""
    placed: list[Mapping[str, Any]] = []
    for g in groups:
        ms = sorted((n for n in nodes if n["group_id"] == g["group_id"] and n.get("strength")),
                    key=lambda n: (-int(n["strength"]), n["account_id"]))
        placed += _spread(ms, min(5, max(1, round(math.sqrt(g["n_drawn"]) / 2))), label_w, label_h, placed)
    return placed


def _spread(ranked: Sequence[Mapping[str, Any]], k: int, label_w: float, label_h: float,
            taken: Sequence[Mapping[str, Any]] = ()) -> list[Mapping[str, Any]]:
    """The first ``k`` of ``ranked`` whose labels (``label_w`` x ``label_h``, centred above the
    point) overlap neither each other's nor those of ``taken``."""
    out: list[Mapping[str, Any]] = []
    for n in ranked:
        if len(out) >= k:
            break
        if all(abs(n["x"] - h["x"]) > label_w or abs(n["y"] - h["y"]) > label_h for h in (*taken, *out)):
            out.append(n)
    return out


GROUP_PALETTE = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
                 "#b45309", "#4f46e5", "#0d9488", "#be123c")


def overview_network_figure(net: Mapping[str, Any]) -> dict[str, Any]:
    """Every drawn group in its own disc (data.network_overview), members coloured by group
    (flagged ones ringed dark, size by score), the kept edges of each group in its colour,
    links between groups dashed grey, hubs named, each group titled above its disc."""
    nodes, edges, groups = net["nodes"], net["edges"], net["groups"]
    pos = {n["account_id"]: (n["x"], n["y"]) for n in nodes}
    color = {g["group_id"]: GROUP_PALETTE[i % len(GROUP_PALETTE)] if i < 2 * len(GROUP_PALETTE) else "#94a3b8"
             for i, g in enumerate(groups)}
    gid_of = {n["account_id"]: n["group_id"] for n in nodes}
    data: list[dict[str, Any]] = []
    lines: dict[Any, tuple[list[float | None], list[float | None]]] = {}
    for e in edges:
        a, b = e["account_a"], e["account_b"]
        if a not in pos or b not in pos:
            continue
        lx, ly = lines.setdefault(gid_of[a], ([], []))
        lx.extend([pos[a][0], pos[b][0], None])
        ly.extend([pos[a][1], pos[b][1], None])
    centre = {g["group_id"]: (g["cx"], g["cy"]) for g in groups}
    between = [b for b in net.get("between", []) if b["group_a"] in centre and b["group_b"] in centre]
    if between:  # links between groups: one dotted line per pair of groups, centre to centre
        bx: list[float | None] = []
        by: list[float | None] = []
        for b in between:
            (x0, y0), (x1, y1) = centre[b["group_a"]], centre[b["group_b"]]
            bx.extend([x0, x1, None])
            by.extend([y0, y1, None])
        data.append({
            "type": "scatter", "mode": "lines", "name": "links between groups", "legendgroup": "between", "hoverinfo": "skip",
            "x": bx, "y": by, "line": {"color": "#94a3b8", "width": 1, "dash": "dot"}, "opacity": 0.6,
        })
        data.append({
            "type": "scatter", "mode": "markers", "name": "links between groups", "legendgroup": "between", "showlegend": False,
            "x": [(centre[b["group_a"]][0] + centre[b["group_b"]][0]) / 2 for b in between],
            "y": [(centre[b["group_a"]][1] + centre[b["group_b"]][1]) / 2 for b in between],
            "text": [f"groups {b['group_a']} and {b['group_b']}: {b['n_pairs']:,} significant pairs, {b['n_evidence']:,} evidence pairs"
                     for b in between],
            "hovertemplate": "%{text}<extra></extra>", "marker": {"size": 8, "color": "#94a3b8", "opacity": 0.6},
        })
    for key in sorted(lines, key=str):
        lx, ly = lines[key]
        data.append({
            "type": "scatter", "mode": "lines", "name": f"group {key} links", "showlegend": False, "legendgroup": f"g{key}",
            "hoverinfo": "skip", "x": lx, "y": ly, "line": {"color": color[key], "width": 1.2}, "opacity": 0.45,
        })
    n_all = len(nodes)
    base = 11.0 if n_all <= 150 else (8.0 if n_all <= 500 else 6.0)
    for g in groups:
        ms = [n for n in nodes if n["group_id"] == g["group_id"]]
        data.append({
            "type": "scatter", "mode": "markers", "meta": "nodes", "legendgroup": f"g{g['group_id']}",
            "name": esc(f"group {g['group_id']} · {g['verdict'] or '–'} · {g['size']:,}"),
            "x": [n["x"] for n in ms], "y": [n["y"] for n in ms],
            "customdata": [n.get("page") or "" for n in ms],
            "text": [
                f"<b>@{esc(short(n.get('screen_name') or n['account_id'], 40))}</b>"
                + (f"<br>{esc(short(n.get('display_name'), 40))}" if n.get("display_name") else "")
                + f"<br>group {g['group_id']} · score {float(n.get('score') or 0):.2f}{' · flagged' if n.get('flagged') else ''}"
                + f"<br>{int(n.get('strength') or 0):,} evidence pairs" + ("<br><i>click to open</i>" if n.get("page") else "")
                for n in ms
            ],
            "hovertemplate": "%{text}<extra></extra>",
            "marker": {"size": [round(base * (0.8 + 0.5 * float(n.get("score") or 0)), 1) for n in ms], "color": color[g["group_id"]],
                       "line": {"color": ["#111827" if n.get("flagged") else "#ffffff" for n in ms],
                                "width": [1.6 if n.get("flagged") else 0.8 for n in ms]}},
        })
    height = int(min(900, max(420, 140 * math.sqrt(max(1, len(nodes))) / 3)))
    xs = [g["cx"] - g["r"] for g in groups] + [g["cx"] + g["r"] for g in groups]
    ys = [g["cy"] - g["r"] for g in groups] + [g["cy"] + g["r"] * 1.35 for g in groups]
    pad = 0.6
    xr, yr = (min(xs) - pad, max(xs) + pad), (min(ys) - pad, max(ys) + pad)
    # layout units per pixel of a drawing ~1,150 px wide (the y axis is anchored to x)
    unit = max((xr[1] - xr[0]) / 1150, (yr[1] - yr[0]) / max(1, height - 16))
    hubs = _pick_hubs(nodes, groups, label_w=110 * unit, label_h=18 * unit)
    if hubs:
        data.append(_hub_labels(hubs))
    annotations = [
        {"x": g["cx"], "y": g["cy"] + g["r"] * 1.08, "text": esc(f"group {g['group_id']} · {g['size']:,} · {g['verdict'] or '–'}"), "showarrow": False,
         "font": {"size": 11, "color": color[g["group_id"]]}, "yanchor": "bottom", "xanchor": "center"}
        for g in groups if g["n_drawn"] >= 3
    ]
    axis = {"visible": False, "showgrid": False, "zeroline": False}
    layout = _base_layout(
        xaxis={**axis, "range": list(xr)},
        yaxis={**axis, "range": list(yr), "scaleanchor": "x"},
        height=height, dragmode="pan", hovermode="closest", margin={"l": 8, "r": 8, "t": 8, "b": 8},
        legend=LEGEND_BELOW, annotations=annotations,
    )
    return {"data": data, "layout": layout, "config": {"scrollZoom": True}}


def timeline_figure(card: Mapping[str, Any], colors: Mapping[str, str]) -> dict[str, Any]:
    """Each evidence pair as a point at its first post's time, one row per layer."""
    per_layer: dict[str, list[Mapping[str, Any]]] = {}
    for t in card["timeline"]:
        per_layer.setdefault(t["layer"], []).append(t)
    data = []
    for layer in sorted(per_layer):
        pts = per_layer[layer]
        data.append(
            {
                "type": "scatter", "mode": "markers", "name": esc(layer),
                "x": [min(p["at_a"] or p["at_b"], p["at_b"] or p["at_a"]) for p in pts],
                "y": [esc(layer)] * len(pts),
                "text": [
                    f"{esc(short(p['name_a'], 24))} ↔ {esc(short(p['name_b'], 24))}<br>"
                    f"{_secs(p['seconds_apart'])} apart · {esc(short(p['shared_item'], 48))}"
                    for p in pts
                ],
                "hovertemplate": "%{x|%Y-%m-%d %H:%M:%S} UTC<br>%{text}<extra></extra>",
                "marker": {"color": colors.get(layer, "#94a3b8"), "size": 9, "opacity": 0.7, "symbol": "line-ns-open",
                           "line": {"width": 2, "color": colors.get(layer, "#94a3b8")}},
            }
        )
    layout = _base_layout(
        height=max(120, 50 + 34 * len(per_layer)), showlegend=False,
        xaxis={"type": "date", "gridcolor": "#eef2f7", "automargin": True},
        yaxis={"automargin": True, "gridcolor": "#eef2f7"},
        margin={"l": 8, "r": 16, "t": 8, "b": 8},
    )
    return {"data": data, "layout": layout}


def _secs(v: Any) -> str:
    if v is None:
        return "?"
    v = float(v)
    if v < 120:
        return f"{v:.3g} s"
    if v < 7200:
        return f"{v / 60:.1f} min"
    return f"{v / 3600:.1f} h"


# -- dataset-wide plots ----------------------------------------------------------------------------
VERDICT_COLORS = {"operation": "#b91c1c", "coordinated": "#2563eb", "chance": "#94a3b8"}


def null_figure(ns: Mapping[str, Any]) -> dict[str, Any]:
    """How strong chance groups get in this case: the null copies' groups as a histogram of
    internal evidence (log scale: log10(1 + evidence)), every real group as a mark above it,
    coloured by its verdict."""
    null = [float(v) for v in ns["null"]]
    x = [math.log10(1.0 + v) for v in null]
    top = max([0.0] + x + [math.log10(1.0 + float(r["statistic"] or 0.0)) for r in ns["real"]])
    data: list[dict[str, Any]] = [{
        "type": "histogram", "x": x, "name": f"null groups ({ns['replicates']} copies)", "marker": {"color": "#cbd5e1"},
        "xbins": {"start": 0, "end": top + 0.1, "size": max(0.05, (top + 0.1) / 40)},
        "hovertemplate": "%{y} null group(s)<extra></extra>",
    }]
    for verdict in ("operation", "coordinated", "chance"):
        rows = [r for r in ns["real"] if r["verdict"] == verdict]
        if not rows:
            continue
        data.append({
            "type": "scatter", "mode": "markers", "name": f"real groups: {verdict}", "yaxis": "y2",
            "x": [math.log10(1.0 + float(r["statistic"] or 0.0)) for r in rows],
            "y": [1 + (i % 5) * 0.15 for i, _ in enumerate(rows)],
            "marker": {"color": VERDICT_COLORS[verdict], "size": 9, "symbol": "diamond"},
            "text": [esc(f"group {r['group_id']}: {r['size']} accounts, internal evidence {float(r['statistic'] or 0):.1f}, "
                         f"E={float(r['e_value'] or 0):.2g}, q={float(r['q_value'] or 0):.2g}") for r in rows],
            "hovertemplate": "%{text}<extra></extra>",
        })
    layout = _base_layout(
        height=260, bargap=0.05,
        xaxis={"title": {"text": "internal evidence of a group, log10(1 + evidence)"}, "zeroline": False},
        yaxis={"title": {"text": "null groups"}, "gridcolor": "#eef2f7", "rangemode": "tozero"},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 2], "visible": False},
    )
    return {"data": data, "layout": layout, "config": STATIC}


def creation_figure(series: Mapping[str, Any]) -> dict[str, Any]:
    label = series["label"]
    data = []
    for g, name, color in (("o", "others", OTHER_COLOR), ("c", label, CLAIMED_COLOR)):
        rows = [r for r in series["creation"] if r["g"] == g]
        data.append(
            {
                "type": "bar", "name": name, "x": [r["month"] for r in rows], "y": [r["n"] for r in rows],
                "marker": {"color": color}, "hovertemplate": "%{x|%b %Y}: %{y:,} accounts<extra>" + name + "</extra>",
            }
        )
    layout = _base_layout(
        barmode="stack", height=300, xaxis={"type": "date", "title": {"text": "account created (month, UTC)"}},
        yaxis={"title": {"text": "accounts"}, "gridcolor": "#eef2f7", "tickformat": ",d"},
    )
    return {"data": data, "layout": layout, "config": STATIC}


def _split_bars(label: str, split: bool, x: list[Any], claimed: list[int], others: list[int], what: str, **layout: Any) -> dict[str, Any]:
    """Bars of the claimed (or flagged) accounts stacked on the others; one series when there is no split."""
    data = []
    if split:
        data.append({"type": "bar", "name": "others", "x": x, "y": others, "marker": {"color": OTHER_COLOR},
                     "hovertemplate": "%{x}: %{y:,} " + what + "<extra>others</extra>"})
        data.append({"type": "bar", "name": esc(label), "x": x, "y": claimed, "marker": {"color": CLAIMED_COLOR},
                     "hovertemplate": "%{x}: %{y:,} " + what + "<extra>" + esc(label) + "</extra>"})
    else:  # no split: every account is in ``claimed`` (data.account_view)
        data.append({"type": "bar", "name": "accounts", "x": x, "y": [c + o for c, o in zip(claimed, others)],
                     "marker": {"color": OTHER_COLOR}, "hovertemplate": "%{x}: %{y:,} " + what + "<extra></extra>"})
    return {"data": data, "layout": _base_layout(barmode="stack", showlegend=split, **layout), "config": STATIC}


def creation_years_figure(view: Mapping[str, Any]) -> dict[str, Any]:
    """Accounts created per year (UTC): claimed on top of the others."""
    ys = view["years"]
    return _split_bars(
        view["label"], view["split"], [str(r["year"]) for r in ys], [r["claimed"] for r in ys], [r["others"] for r in ys], "accounts",
        height=280, xaxis={"type": "category", "title": {"text": "account created (year, UTC)"}},
        yaxis={"title": {"text": "accounts"}, "gridcolor": "#eef2f7", "tickformat": ",d"},
    )


def followers_figure(view: Mapping[str, Any]) -> dict[str, Any]:
    """Accounts by follower count (bins of the account-metadata view)."""
    fs = view["followers"]
    return _split_bars(
        view["label"], view["split"], [r["bin"] for r in fs], [r["claimed"] for r in fs], [r["others"] for r in fs], "accounts",
        height=280, xaxis={"type": "category", "title": {"text": "followers (as recorded in the data)"}},
        yaxis={"title": {"text": "accounts"}, "gridcolor": "#eef2f7", "tickformat": ",d"},
    )


def creation_months_figure(view: Mapping[str, Any]) -> dict[str, Any]:
    """Accounts created per month (UTC), from the account-metadata view."""
    ms = view["months"]
    return _split_bars(
        view["label"], view["split"], [r["month"] for r in ms], [r["claimed"] for r in ms], [r["others"] for r in ms], "accounts",
        height=280, xaxis={"type": "date", "title": {"text": "account created (month, UTC)"}},
        yaxis={"title": {"text": "accounts"}, "gridcolor": "#eef2f7", "tickformat": ",d"},
    )


def heatmap_figure(series: Mapping[str, Any]) -> dict[str, Any]:
    """Hour-of-day x weekday, as the share of each side's posts, claimed left, others right."""
    label = series["label"]
    hours = list(range(24))
    zmax = max([v for g in ("c", "o") for row in series["heatmap"][g] for v in row] + [0.1])
    data = []
    for i, (g, name, scale) in enumerate(
        (("c", label, [[0, "#fff7ed"], [1, CLAIMED_COLOR]]), ("o", "others", [[0, "#f8fafc"], [1, "#334155"]]))
    ):
        data.append(
            {
                "type": "heatmap", "name": name, "z": series["heatmap"][g], "x": hours, "y": list(WEEKDAYS),
                "xaxis": "x" if i == 0 else "x2", "yaxis": "y" if i == 0 else "y2",
                "colorscale": scale, "zmin": 0, "zmax": zmax, "showscale": False, "xgap": 1, "ygap": 1,
                "hovertemplate": "%{y} %{x}:00–%{x}:59 UTC<br>%{z:.2f}% of " + name + " posts<extra></extra>",
            }
        )
    xa = {"title": {"text": "hour of day (UTC)"}, "dtick": 3, "fixedrange": True}
    ya = {"autorange": "reversed", "fixedrange": True}
    n_c, n_o = series["heatmap_posts"]["c"], series["heatmap_posts"]["o"]
    layout = _base_layout(
        height=290,
        xaxis={**xa, "domain": [0, 0.47]}, yaxis={**ya},
        xaxis2={**xa, "domain": [0.53, 1], "anchor": "y2"}, yaxis2={**ya, "anchor": "x2"},
        margin={"l": 40, "r": 8, "t": 30, "b": 40},
        annotations=[
            {"text": f"<b>{esc(label)}</b> · {n_c:,} posts", "x": 0, "y": 1.02, "xref": "paper", "yref": "paper",
             "xanchor": "left", "yanchor": "bottom", "showarrow": False},
            {"text": f"<b>others</b> · {n_o:,} posts", "x": 0.53, "y": 1.02, "xref": "paper", "yref": "paper",
             "xanchor": "left", "yanchor": "bottom", "showarrow": False},
        ],
    )
    return {"data": data, "layout": layout, "config": STATIC}


def activity_figure(series: Mapping[str, Any]) -> dict[str, Any]:
    label = series["label"]
    unit = series["activity_unit"]
    data = []
    for g, name, color in (("o", "others", OTHER_COLOR), ("c", label, CLAIMED_COLOR)):
        rows = [r for r in series["activity"] if r["g"] == g]
        data.append(
            {
                "type": "scatter", "mode": "lines", "name": name, "x": [r["t"] for r in rows], "y": [r["n"] for r in rows],
                "line": {"color": color, "width": 2, "shape": "hv"},
                "hovertemplate": "%{x|%Y-%m-%d}: %{y:,} posts<extra>" + name + "</extra>",
            }
        )
    layout = _base_layout(
        height=300, xaxis={"type": "date", "title": {"text": f"posts per {unit} (UTC)"}},
        yaxis={"title": {"text": "posts"}, "gridcolor": "#eef2f7", "tickformat": ",d", "rangemode": "tozero"},
        hovermode="x unified",
    )
    return {"data": data, "layout": layout, "config": STATIC}


# -- account page ----------------------------------------------------------------------------------
def waterfall_figure(contributions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The score's named contributions stacked left to right, with their sum at the end."""
    names = [esc(c["contribution"]) for c in contributions] + ["sum"]
    values = [float(c["value"] or 0) for c in contributions]
    total = sum(values)
    spec = {
        "type": "waterfall", "orientation": "v", "x": names,
        "measure": ["relative"] * len(values) + ["total"], "y": values + [total],
        "text": [f"{v:+.2f}" for v in values] + [f"{total:.2f}"], "textposition": "outside", "width": [0.5] * (len(values) + 1),
        "connector": {"line": {"color": "#cbd5e1", "width": 1}},
        "increasing": {"marker": {"color": "#c2410c"}}, "decreasing": {"marker": {"color": "#0f766e"}},
        "totals": {"marker": {"color": "#1f2937"}},
        "hovertemplate": "%{x}: %{y:+.3f}<extra></extra>", "cliponaxis": False,
    }
    layout = _base_layout(
        height=320, showlegend=False,
        yaxis={"title": {"text": "contribution"}, "gridcolor": "#eef2f7", "zeroline": True, "automargin": True},
        xaxis={"automargin": True}, margin={"l": 56, "r": 16, "t": 24, "b": 60},
    )
    return {"data": [spec], "layout": layout, "config": STATIC}

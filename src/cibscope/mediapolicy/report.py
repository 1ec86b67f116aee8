"""The media-policy report: one offline HTML page (``index.html``) next to the CSV outputs.

Same approach as the case report (:mod:`cibscope.report`): Jinja2 with autoescape, plotly
figure specs embedded as JSON (``json_embed``) and drawn by the report's own script, the same
assets folder and Content-Security-Policy, no network at view time. Its template is its own
(``mediapolicy/templates/media_policy.j2``). Citations link out only to http(s) URLs.

Sections: outlets by typology and policy outcome; the policies x outlets matrix; observed
treatment classified; the inconsistency groups with the evidence on each side; skew by
region; the case's accounts that are outlets (when a case was given); each policy as
encoded, with its sources; the data problems.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from .. import __version__
from ..report import _copy_assets, json_embed
from ..report.figures import FONT, STATIC, esc
from .decide import DECISIONS
from .observed import CLASSES
from .outlets import CRITERIA, typology_table

if TYPE_CHECKING:
    from . import MediaPolicyResult

__all__ = ["render_media_policy_report"]

DECISION_COLORS = {
    "applies": "#b91c1c", "exempt": "#0f766e", "does not apply": "#64748b", "out of scope": "#d97706",
    "undetermined": "#a8a29e", "not in force": "#d1d5db",
}
CLASS_STYLE = {
    "applied as written": "ok", "missed": "bad", "over-applied": "bad", "wording inconsistent": "warn",
    "undetermined": "muted", "not in force": "muted", "unmatched": "muted", "ambiguous": "warn", "policy not loaded": "muted",
}
DECISION_STYLE = {"applies": "bad", "exempt": "ok", "does not apply": "muted", "out of scope": "warn", "undetermined": "muted", "not in force": "muted"}
TYPOLOGY_ORDER = ("SC", "CaPu", "CaPr", "ISFM", "ISF", "ISM", "IP")


def _safe_url(url: Any) -> str:
    s = str(url or "").strip()
    return s if s.lower().startswith(("http://", "https://")) else ""


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.PackageLoader("cibscope.mediapolicy", "templates"),
            jinja2.PackageLoader("cibscope.report", "templates"),  # macros.j2
        ]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from ..report import _environment as report_environment

    env.filters.update(report_environment().filters)  # the shared macros.j2 uses the report's filters
    env.filters.update(json_embed=json_embed, safe_url=_safe_url, num=lambda v: "–" if v is None else f"{int(v):,}")
    return env


def decision_figure(pid: str, decisions: list[Any]) -> dict[str, Any]:
    """Stacked bars: outlets per typology, split by the policy's decision."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for d in decisions:
        counts[d.decision][d.typology or "?"] += 1
    typs = [t for t in TYPOLOGY_ORDER if any(t in c for c in counts.values())]
    typs += sorted({t for c in counts.values() for t in c} - set(typs))
    data = [
        {
            "type": "bar", "name": dec, "x": typs, "y": [counts[dec].get(t, 0) for t in typs],
            "marker": {"color": DECISION_COLORS[dec]},
            "hovertemplate": f"{esc(dec)}: %{{y:,}} %{{x}} outlets<extra></extra>",
        }
        for dec in DECISIONS if counts.get(dec)
    ]
    layout = {
        "barmode": "stack", "font": {"family": FONT, "size": 12, "color": "#1f2937"},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "height": 260,
        "margin": {"l": 44, "r": 8, "t": 28, "b": 36}, "title": {"text": esc(pid), "font": {"size": 13}, "x": 0},
        "legend": {"orientation": "h", "y": -0.18}, "yaxis": {"title": {"text": "outlets"}, "gridcolor": "#eef0f3"},
    }
    return {"data": data, "layout": layout, "config": STATIC}


def _typology_rows(result: MediaPolicyResult) -> list[dict[str, Any]]:
    table = typology_table()["code"]
    rows = []
    for t in TYPOLOGY_ORDER:
        per = {pid: Counter(d.decision for d in ds if d.typology == t) for pid, ds in result.decisions.items()}
        n = max((sum(c.values()) for c in per.values()), default=0)
        if n:
            rows.append({"code": t, "name": table[t]["name"], "n": n, "per": per})
    return rows


def _matrix(result: MediaPolicyResult) -> list[dict[str, Any]]:
    """The outlets of the observed table and of the case, under every policy."""
    ids: dict[str, None] = {}
    for c in result.classified:
        for o in c.outlets:
            ids.setdefault(o.outlet_id, None)
    for r in result.case_accounts:
        ids.setdefault(r["outlet_id"], None)
    by = {row["outlet_id"]: row for row in result.compare}
    rows = [by[i] for i in ids if i in by]
    return sorted(rows, key=lambda r: (TYPOLOGY_ORDER.index(r["typology"]) if r["typology"] in TYPOLOGY_ORDER else 99, r["country"], r["outlet"]))


def _compare_table(result: MediaPolicyResult) -> dict[str, Any]:
    cols = [
        {"key": "outlet", "title": "outlet", "type": "text"}, {"key": "country", "title": "country", "type": "text"},
        {"key": "typology", "title": "typology", "type": "text"},
        *({"key": pid, "title": pid, "type": "badge"} for pid in result.decisions),
        {"key": "policies_agree", "title": "agree", "type": "bool"},
    ]
    rows = [{c["key"]: r.get(c["key"]) for c in cols} for r in result.compare]
    return {"columns": cols, "rows": rows}


def _skew_tables(result: MediaPolicyResult) -> list[dict[str, Any]]:
    """Per policy: observed verdicts and designations by region."""
    out = []
    for pid in result.decisions:
        for basis, cats in (("observed", [c for c in CLASSES if c not in ("policy not loaded",)]), ("designation", list(DECISIONS))):
            rows: dict[str, Counter[str]] = defaultdict(Counter)
            for r in result.skew:
                if r["policy"] == pid and r["basis"] == basis and r["level"] == "region":
                    rows[r["group"]][r["category"]] += r["n"]
            used = [c for c in cats if any(rows[g].get(c) for g in rows)]
            if rows and used:
                out.append({"policy": pid, "basis": basis, "categories": used, "rows": sorted(rows.items())})
    return out


def render_media_policy_report(result: MediaPolicyResult, out_dir: str | Path) -> Path:
    """Write ``out_dir/index.html`` (and ``out_dir/assets``); return the page's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _copy_assets(out)
    env = _environment()
    blocks: dict[str, Any] = {f"fig-dec-{i}": decision_figure(pid, ds) for i, (pid, ds) in enumerate(result.decisions.items())}
    blocks["tbl-compare"] = _compare_table(result)
    summary = result.summary()
    html = env.get_template("media_policy.j2").render(
        version=__version__, root="", r=result, s=summary, policies=list(result.policies.values()),
        typology_rows=_typology_rows(result), matrix=_matrix(result), skew_tables=_skew_tables(result),
        observed=[c.as_row() for c in result.classified], inconsistencies=result.inconsistencies,
        criteria=CRITERIA, class_style=CLASS_STYLE, decision_style=DECISION_STYLE,
        figures=[f"fig-dec-{i}" for i in range(len(result.decisions))], json_blocks=blocks,
        problems=[p.as_dict() for p in result.problems[:200]], n_problems=len(result.problems),
    )
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    return index

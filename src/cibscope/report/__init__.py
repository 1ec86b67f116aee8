"""The offline HTML report: ``render_report(case, out_dir)`` -> ``out_dir/index.html``.

Layout of ``out_dir``::

    index.html            overview, traces, audit, group cards, flagged accounts, dataset plots
    accounts/a-<hash>.html one small page per top-N flagged account (score waterfall + evidence)
    assets/               report.css, report.js, plotly.min.js (copied from the plotly package)
    exports/              CSV / Parquet / JSON tables and the network as GEXF (by layer, fused) and GraphML (fused)

Why this shape: the report must open from a file:// URL with no network (no CDN), stay small
for million-post cases (top-N pages, capped networks, client-side paging of embedded JSON,
plots drawn lazily as they scroll into view), and never execute anything an operation wrote
into its profiles or posts (Jinja autoescape everywhere; JSON embedded with <, > and &
escaped; the browser script builds the DOM with ``textContent`` only; a strict
Content-Security-Policy that forbids inline scripts as a second line of defence).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .. import __version__
from ..case import Case, open_case
from ..export import out_dir as _out_dir
from ..errors import ParameterError
from ..export import DEFAULT_EXPORT_FORMATS, EXPORT_FORMATS
from ..params import Interval, IsBool, Options, validate
from ..progress import Progress, step
from . import data as D
from . import figures as F
from .lang import text_lang

__all__ = ["render_report", "json_embed"]

PARAMETER_CONSTRAINTS = {
    "top_n": Interval(int, 0, None),
    "top_groups": Interval(int, 0, None),
    "max_evidence": Interval(int, 1, None),
    "exports": IsBool(),
    "max_network": Interval(int, 0, None),
}


# -- Jinja environment and filters -------------------------------------------------------------
def json_embed(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block, safe against ``</script>``.

    ``<``, ``>`` and ``&`` become ``\\u003c`` etc., so no byte sequence inside can close the
    script element or open a comment; ``JSON.parse`` reads them back as the same characters.
    The result is marked safe because HTML entities are *not* decoded inside script elements:
    autoescaping it would corrupt the JSON rather than protect it.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = (
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )
    return Markup(text)


def _num(v: Any) -> str:
    if v is None:
        return "–"
    try:
        return f"{int(v):,}"
    except (TypeError, ValueError):
        return str(v)


def _fixed(digits: int):  # noqa: ANN202 - a filter factory
    def f(v: Any) -> str:
        if v is None:
            return "–"
        try:
            x = float(v)
        except (TypeError, ValueError):
            return str(v)
        return "–" if math.isnan(x) else f"{x:,.{digits}f}"

    return f


def _sci(v: Any) -> str:
    if v is None:
        return "–"
    x = float(v)
    return f"{x:.1e}" if x < 0.001 else f"{x:.3f}"


def _signed(v: Any) -> str:
    return "–" if v is None else f"{float(v):+.2f}"


def _seconds(v: Any) -> str:
    if v is None:
        return "?"
    x = float(v)
    if x < 120:
        return f"{x:.3g} s"
    if x < 7200:
        return f"{x / 60:.1f} min"
    return f"{x / 3600:.1f} h"


def _bytes(v: Any) -> str:
    x = float(v or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if x < 1024 or unit == "GB":
            return f"{x:,.0f} {unit}" if unit == "B" else f"{x:,.1f} {unit}"
        x /= 1024
    return str(v)


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _verdict_class(v: Any) -> str:
    k = re.sub(r"[^a-z]+", "_", str(v or "").lower()).strip("_")
    if k.startswith("no_") and "evidence" in k:
        k = "none"
    if k.startswith("not_testable"):
        k = "not_testable"
    return {
        "strong": "v-strong", "moderate": "v-moderate", "weak": "v-weak", "none": "v-none",
        "supported": "c-supported", "contradicted": "c-contradicted", "not_testable": "c-untestable",
    }.get(k, "")


def _truncate_text(v: Any, n: int = 80) -> str:
    s = "" if v is None else str(v)
    return s if len(s) <= n else s[: n - 1] + "…"


def _lang_attr(text: Any, hint: Any = None, text_hint: bool = False) -> Markup:
    """`` lang="..."`` for an element showing ``text`` from the data (see :mod:`.lang`);
    ``lang=""`` (unknown) when nothing tells, never the page's English."""
    from markupsafe import escape

    return Markup(f' lang="{escape(text_lang(text, hint, hint_is_the_texts=text_hint))}"')


def _measure(r: dict[str, Any]) -> Markup:
    """A claim's measure with its numbers kept whole: ``214`` of ``744 accounts`` (``28.8%``)."""
    from markupsafe import escape

    count, n = r.get("count"), r.get("n")
    if count is None or n is None:
        return Markup(escape(r.get("measured_text") or "–"))
    share = r.get("share")
    parts = [f'<b class="nowrap">{escape(_cell(int(count) if float(count).is_integer() else count))}</b>',
             f'<span class="nowrap">of {int(n):,}</span> {escape(r.get("unit") or "")}']
    if share is not None:
        parts.append(f'<span class="nowrap">({100 * float(share):.1f}%)</span>')
    return Markup(" ".join(parts))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cibscope.report", "templates"),
        autoescape=True,  # on for every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        json_embed=json_embed, num=_num, num1=_fixed(1), num2=_fixed(2), sci=_sci, signed=_signed,
        seconds=_seconds, bytes=_bytes, cell=_cell, verdict_class=_verdict_class, truncate_text=_truncate_text,
        lang_attr=_lang_attr, measure=_measure,
    )
    return env


# -- assets ------------------------------------------------------------------------------------
def _copy_assets(out: Path) -> None:
    """Copy report.css/js and plotly.min.js into ``out/assets`` (plotly only when changed)."""
    assets = out / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    static = resources.files("cibscope.report") / "static"
    for name in ("report.css", "report.js"):
        (assets / name).write_bytes((static / name).read_bytes())
    plotly_js = resources.files("plotly") / "package_data" / "plotly.min.js"
    target = assets / "plotly.min.js"
    src_bytes = plotly_js.read_bytes()
    if not target.exists() or target.stat().st_size != len(src_bytes):
        target.write_bytes(src_bytes)


# -- table specs for the browser script ---------------------------------------------------------
def _account_col(label_key: str = "_label", page_key: str = "_page") -> dict[str, Any]:
    """The account column: @handle (linked to its page when it has one) over its display name."""
    return {"key": label_key, "title": "account", "type": "account", "label_key": label_key, "page_key": page_key,
            "lang_key": "_lang_label", "sub_key": "display_name", "sub_lang_key": "_lang_name"}


def _flagged_table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    cols = [
        _account_col("screen_name", "page"),
        {"key": "score", "title": "score", "type": "score"},
        {"key": "group_id", "title": "group", "type": "int"},
        {"key": "n_evidence", "title": "evidence", "type": "int"},
        {"key": "top_reasons", "title": "top reasons", "type": "text"},
        {"key": "created_at", "title": "created (UTC)", "type": "nowrap"},
    ]
    for r in rows:
        r["screen_name"] = r.get("screen_name") or r["account_id"]
        r["_lang_label"] = text_lang(r["screen_name"], r.get("account_language"))
        r["_lang_name"] = text_lang(r.get("display_name"), r.get("account_language"))
        r["top_reasons"] = _truncate_text(r.get("top_reasons"), TEXT_CAP) if r.get("top_reasons") else None
        r["display_name"] = _truncate_text(r.get("display_name"), 60) if r.get("display_name") else None
        if isinstance(r.get("score"), float):
            r["score"] = round(r["score"], 3)
        for k in ("follower_count", "account_language"):
            r.pop(k, None)
    # a column the data leaves empty for every account (no creation dates, say) is not shown
    cols = [c for c in cols if c["type"] == "account" or any(r.get(c["key"]) is not None for r in rows)]
    return {"columns": cols, "rows": rows}


# Verdict columns embedded in the index (the rest are in exports/verdicts.*), and text cap.
TEXT_CAP = 160
_VERDICT_TYPES = {"verdict": "badge", "claimed": "bool", "score": "score", "group_id": "int", "n_layers": "int", "n_evidence": "int"}
_KEEP = ("account_id", "_label", "_page", "_lang_label", "_lang_name", "display_name")


def _verdict_table(verdicts: dict[str, Any]) -> dict[str, Any]:
    shown = list(verdicts["columns"])
    cols: list[dict[str, Any]] = [_account_col()]
    if verdicts.get("has_hashed"):
        cols.append({"key": "hashed", "title": "hashed", "type": "bool"})
    for c in shown:
        cols.append({"key": c, "title": c.replace("n_", "").replace("_", " "), "type": _VERDICT_TYPES.get(c, "text")})
    rows = []
    for r in verdicts["rows"]:
        row = {c: r.get(c) for c in (*shown, *_KEEP, "hashed")}
        for c in shown:
            if isinstance(row[c], float):
                row[c] = round(row[c], 3)
            elif isinstance(row[c], str):
                row[c] = _truncate_text(row[c], TEXT_CAP)
        if row.get("display_name"):
            row["display_name"] = _truncate_text(row["display_name"], 60)
        rows.append(row)
    return {"columns": cols, "rows": rows}


def _claim_rows_table(claim: dict[str, Any]) -> dict[str, Any]:
    """The rows behind one claim's measure: account, the post (for post measures), the value read, file:line."""
    rows = claim["rows"]
    cols: list[dict[str, Any]] = [_account_col()]
    if any(r.get("post_id") for r in rows):
        cols.append({"key": "post_id", "title": "post", "type": "mono"})
    values = [r.get("value") for r in rows if r.get("value") is not None]
    numeric = bool(values) and all(isinstance(v, str) and re.fullmatch(r"-?[0-9]{1,15}", v) for v in values)
    if any(v != "in the case" for v in values):
        cols.append({"key": "value", "title": claim.get("rows_label") or "value", "type": "int" if numeric else "text",
                     "lang_key": "_lang_value"})
    cols.append({"key": "source", "title": "source file:line", "type": "mono"})
    out = []
    for r in rows:
        v = r.get("value")
        out.append({**{k: r.get(k) for k in _KEEP}, "post_id": r.get("post_id"), "source": r.get("source"),
                    "_lang_value": r.get("_lang_value"), "value": int(v) if numeric and v is not None else v})
    return {"columns": cols, "rows": out}


# -- the entry point ------------------------------------------------------------------------------
def render_report(
    case: Case | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    top_n: int = 500,
    top_groups: int = 25,
    max_evidence: int = 25,
    exports: bool = True,
    export_formats: Sequence[str] = DEFAULT_EXPORT_FORMATS,
    max_network: int = 1000,
    progress: Progress | None = None,
) -> Path:
    """Write the report of ``case`` into ``out_dir``; return the path of its ``index.html``.

    top_n : how many flagged accounts (highest score first) get their own page; every flagged
        account is still listed (paginated) on the index and in the exports.
    top_groups : how many group cards (largest first).
    max_evidence : evidence pairs shown per account page (closest in time first).
    exports : also write ``exports/``.
    export_formats : the tables' formats in ``exports/``: ``parquet`` (default), ``csv``,
        ``json``; ``graphml`` adds the fused network as GraphML (GEXF is always written).
    max_network : accounts drawn in the network of all groups (highest-scoring of each group
        that does not fit).
    """
    formats = tuple(export_formats)
    validate(
        "render_report", PARAMETER_CONSTRAINTS,
        {"top_n": top_n, "top_groups": top_groups, "max_evidence": max_evidence, "exports": exports, "max_network": max_network},
    )
    if not formats:
        raise ParameterError("The 'export_formats' parameter of render_report must name at least one format. Got () instead.")
    for f in formats:
        validate("render_report", {"export_formats": Options(EXPORT_FORMATS)}, {"export_formats": f})
    own = not isinstance(case, Case)
    c = open_case(case, create=False, read_only=True) if own else case  # type: ignore[arg-type]
    try:
        c.require_full_read("report")
        return _render(c, Path(out_dir), top_n, top_groups, max_evidence, exports, formats, max_network, progress)
    finally:
        if own:
            c.close()


def _written_size(out: Path, page_ids: Sequence[str], export_list: list[dict[str, Any]]) -> tuple[int, int]:
    """(files, bytes) the report wrote besides index.html: assets, account pages, exports
    (only its own files: anything else in the folder is not counted)."""
    paths = [out / "assets" / n for n in ("report.css", "report.js", "plotly.min.js")]
    paths += [out / "accounts" / D.account_page_name(a) for a in page_ids]
    paths += [out / "exports" / f["file"] for e in export_list for f in e["files"]]
    return len(paths), sum(p.stat().st_size for p in paths)


def _render(
    case: Case, out: Path, top_n: int, top_groups: int, max_evidence: int, exports: bool, formats: tuple[str, ...],
    max_network: int, progress: Progress | None,
) -> Path:
    out = _out_dir(out)
    env = _environment()
    with step(progress, "report: reading the case", 6) as h:
        ov = D.overview(case)
        shape = D.case_shape(case)
        h.advance()
        layers = D.layer_summary(case)
        page_ids = D.top_flagged_ids(case, top_n)
        pages = frozenset(page_ids)
        h.advance()
        groups = D.group_cards(case, top_groups=top_groups, pages=pages)
        null = D.null_summary(case)
        network = D.network_overview(case, max_nodes=max_network, pages=pages) if groups else None
        h.advance()
        flagged = D.flagged_accounts(case, pages=pages)
        series = D.dataset_series(case)
        h.advance()
        audit = D.audit_summary(case, pages=pages)
        h.advance()
        view = D.account_view(case)
        h.advance()
    all_layers = [str(x["layer"]) for x in layers] + [str(l) for g in groups for l in g["layers"]]
    contrib_names = [r[0] for r in case.engine.execute("SELECT DISTINCT contribution FROM score_contributions ORDER BY 1").fetchall()]
    colors = F.layer_colors(sorted(set(all_layers)) + [n for n in contrib_names if n not in all_layers])
    common = {
        "version": __version__, "case_name": Path(case.path).name, "colors": colors,
        "has_audit": audit is not None, "shape": shape,
    }
    export_list: list[dict[str, Any]] = []
    if exports:
        from ..export import write_exports

        export_list = write_exports(case, out / "exports", formats=formats, progress=progress)
    _copy_assets(out)

    # account pages first: the index states the size of the whole report
    acc_dir = out / "accounts"
    acc_dir.mkdir(exist_ok=True)
    for old in acc_dir.glob("a-*.html"):  # pages of a previous run (only our own file pattern)
        old.unlink()
    tmpl = env.get_template("account.j2")
    with step(progress, "report: account pages", len(page_ids)) as h:
        details: dict[str, dict[str, Any]] = {}
        for i, aid in enumerate(page_ids):
            if aid not in details:  # fetch in chunks: one set of queries per 500 pages
                details = D.account_details(case, page_ids[i : i + 500], max_evidence=max_evidence, pages=pages)
            acc = details[aid]
            ablocks = {"fig-waterfall": F.waterfall_figure(acc["contributions"])} if acc["contributions"] else {}
            (acc_dir / acc["page"]).write_text(
                tmpl.render(**common, root="../", acc=acc, json_blocks=ablocks), encoding="utf-8"
            )
            h.advance()

    blocks: dict[str, Any] = {}
    if ov["n_flagged"]:
        blocks["tbl-flagged"] = _flagged_table(flagged)
    if shape["has_posts"]:
        blocks["fig-activity"] = F.activity_figure(series)
    if shape["has_timed_posts"]:
        blocks["fig-heatmap"] = F.heatmap_figure(series)
    if view is not None:
        if view["years"]:
            blocks["fig-years"] = F.creation_years_figure(view)
            blocks["fig-months"] = F.creation_months_figure(view)
        if view["followers"]:
            blocks["fig-followers"] = F.followers_figure(view)
    if null is not None:
        blocks["fig-null"] = F.null_figure(null)
    if network is not None and network["nodes"]:
        blocks["fig-network"] = F.overview_network_figure(network)
    for g in groups:
        blocks[f"fig-net-{g['group_id']}"] = F.network_figure(g, colors)
        blocks[f"fig-tl-{g['group_id']}"] = F.timeline_figure(g, colors)
    if audit and audit["verdicts"]:
        blocks["tbl-verdicts"] = _verdict_table(audit["verdicts"])
    if audit and audit["claims"]:
        for r in audit["claims"]["rows"]:
            if r["rows"]:
                blocks[f"tbl-claim-rows-{r['index']}"] = _claim_rows_table(r)
    n_files, n_bytes = _written_size(out, page_ids, export_list)
    index = out / "index.html"
    html = env.get_template("index.j2").render(
        **common, root="", ov=ov, layers=layers, groups=groups, null=null, audit=audit, claimed_label=series["label"],
        n_pages=len(page_ids), exports=export_list, export_formats=formats, json_blocks=blocks, open_groups=3,
        view=view, network=network, size={"files": n_files, "bytes": n_bytes},
        export_bytes=sum(f["size"] for e in export_list for f in e["files"]),
    )
    index.write_text(html, encoding="utf-8")
    return index

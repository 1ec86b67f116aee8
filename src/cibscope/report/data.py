"""Case tables -> view-model dicts (JSON-ready) for the report.

Why a separate, pure layer: the templates and the browser script must never query or compute;
every number the report shows comes from one function here, so tests can check it against
the case directly, and the same figures feed the HTML, the JSON embedded in it and the exports.

Everything returned is made of str/int/float/bool/None/list/dict. Times are strings in UTC
(``YYYY-MM-DD HH:MM:SS``); the templates label them "UTC". Strings that came from the data
(names, descriptions, texts, URLs) are returned raw: escaping is the job of the output layer
(Jinja autoescape, ``textContent`` in the browser, :func:`cibscope.report.figures.esc` for
plotly labels), never of the data layer, so nothing is escaped twice.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..case import Case
from ..evidence.explain import time_apart
from ..evidence.ranking import ranked_evidence_sql
from .lang import text_lang

if TYPE_CHECKING:
    from ..engine.base import Engine

__all__ = [
    "account_page_name",
    "account_view",
    "audit_summary",
    "case_shape",
    "audit_tables_present",
    "claimed_label",
    "dataset_series",
    "flagged_accounts",
    "account_detail",
    "group_cards",
    "layer_summary",
    "network_overview",
    "overview",
]

AUDIT_TABLES = ("signatures", "audit_verdicts", "claim_results")
# Strongest verdict first, whatever the audit's exact wording.
VERDICT_RANK = (
    "CASE WHEN lower({col}) LIKE 'strong%' THEN 0 WHEN lower({col}) LIKE 'moderate%' THEN 1"
    " WHEN lower({col}) LIKE 'weak%' THEN 2 WHEN lower({col}) LIKE 'no%' THEN 3 ELSE 4 END"
)
# The claim table's columns worth a reader's eye, in reading order (the rest is in the exports).
CLAIM_COLUMNS = ("statement", "status", "measured_text", "n", "method")


# -- small helpers ---------------------------------------------------------------------------
def ts(value: Any) -> str | None:
    """A timestamp as 'YYYY-MM-DD HH:MM:SS' (UTC, as stored), or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _plain(value: Any) -> Any:
    """A DuckDB value as a JSON-ready one (timestamps as UTC strings, decimals as floats)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _rows(engine: Engine, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = engine.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    return [{c: _plain(v) for c, v in zip(cols, row)} for row in cur.fetchall()]


def _one(engine: Engine, sql: str, params: Sequence[Any] = ()) -> Any:
    row = engine.execute(sql, list(params)).fetchone()
    return None if row is None else row[0]


def account_page_name(account_id: str) -> str:
    """The file name of an account's page.

    Why a hash: account ids and handles are attacker-chosen strings; a hash gives a safe,
    stable, collision-free (in practice) file name that needs no escaping anywhere.
    """
    return "a-" + hashlib.sha1(account_id.encode("utf-8")).hexdigest()[:16] + ".html"


def _json_list(text: Any) -> list[Any]:
    """Parse a JSON column that should hold a list; tolerate strings and bad JSON."""
    if text is None:
        return []
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return [str(text)]
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [{"item": k, "count": v} for k, v in value.items()]
    return [value]


def _layer_names(text: Any) -> list[str]:
    """``groups.layers``: a JSON list of layer names, or an object layer -> support (most first)."""
    if text is None:
        return []
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return [str(text)]
    if isinstance(value, dict):
        return [str(k) for k, _ in sorted(value.items(), key=lambda kv: (-_num_or_zero(kv[1]), str(kv[0])))]
    if isinstance(value, list):
        return [str(x) for x in value]
    return [str(value)]


def _num_or_zero(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0.0


# -- audit -----------------------------------------------------------------------------------
def audit_tables_present(case: Case) -> dict[str, bool]:
    """Which audit tables exist *and* have rows (the report shows only those)."""
    return {
        t: case.table_exists(t) and _one(case.engine, f"SELECT EXISTS (SELECT 1 FROM {t})") is True for t in AUDIT_TABLES
    }


def _columns(case: Case, table: str) -> list[str]:
    return [r[0] for r in case.engine.execute(f"DESCRIBE {table}").fetchall()]


def claimed_sql(case: Case) -> tuple[str, str]:
    """SQL selecting the 'claimed' account ids, and the label to show.

    Claimed = the audit's claimed accounts when an audit exists, else the flagged accounts, so
    the 'claimed vs others' plots still compare the accounts of interest with the rest.
    """
    if audit_tables_present(case)["audit_verdicts"]:
        cols = _columns(case, "audit_verdicts")
        if "claimed" in cols:
            return "SELECT DISTINCT account_id FROM audit_verdicts WHERE claimed", "claimed"
        return "SELECT DISTINCT account_id FROM audit_verdicts", "claimed"
    return "SELECT account_id FROM scores WHERE flagged", "flagged"


def claimed_label(case: Case) -> str:
    return claimed_sql(case)[1]


#: claim rows embedded per claim (all of them are in exports/claim_rows.* and the audit's claim_rows.csv)
CLAIM_ROWS_SHOWN = 1000
#: the verdict table's columns, when they hold anything
VERDICT_SHOWN = ("claimed", "verdict", "score", "group_id", "n_layers", "n_evidence", "reasons")

_NAMES_SQL = (
    "(SELECT account_id, min(screen_name) AS screen_name, min(display_name) AS display_name, "
    "min(account_language) AS account_language, coalesce(bool_or(is_hashed), false) AS is_hashed FROM accounts GROUP BY account_id)"
)


def _named(r: dict[str, Any], pages: set[str] | frozenset[str]) -> None:
    """Add an account row's label, page and the ``lang`` of its name (in place)."""
    aid = r.get("account_id")
    r["_label"] = r.get("screen_name") or aid
    r["_page"] = account_page_name(str(aid)) if aid is not None and aid in pages else None
    r["_lang_name"] = text_lang(r.get("display_name"), r.get("account_language"))
    r["_lang_label"] = text_lang(r["_label"], r.get("account_language"))


def audit_summary(case: Case, *, max_rows: int = 5000, pages: set[str] | frozenset[str] = frozenset()) -> dict[str, Any] | None:
    """The claims (stated vs measured vs test vs verdict, with the rows behind each measure)
    and per-account verdicts (with handles and names), when the audit tables have rows.

    The audit's columns are read from the table itself rather than assumed, so a case audited
    by an earlier cibscope still renders (without the columns it lacks).
    """
    present = audit_tables_present(case)
    if not (present["audit_verdicts"] or present["claim_results"]):
        return None
    out: dict[str, Any] = {"claims": None, "verdicts": None, "verdict_counts": []}
    engine = case.engine
    if present["claim_results"]:
        cols = _columns(case, "claim_results")
        rows = _rows(engine, "SELECT * FROM claim_results ORDER BY rowid")  # the claims file's order
        with_rows = case.table_exists("claim_rows")
        counts = dict(engine.execute("SELECT claim_id, count(*) FROM claim_rows GROUP BY 1").fetchall()) if with_rows else {}
        for i, r in enumerate(rows):
            if r.get("measured_text") is None and r.get("measured") is not None:
                r["measured_text"] = f"{r['measured']:,.4g}" if isinstance(r["measured"], float) else str(r["measured"])
            r["index"] = i
            r["n_rows"] = int(counts.get(r.get("claim_id"), 0))
            r["rows"] = _claim_rows(engine, str(r.get("claim_id")), pages) if r["n_rows"] else []
        out["claims"] = {"columns": cols, "rows": rows, "rows_shown": CLAIM_ROWS_SHOWN}
    if present["audit_verdicts"]:
        cols = _columns(case, "audit_verdicts")
        keys = []
        if "claimed" in cols:
            keys.append("claimed DESC NULLS LAST")
        if "verdict" in cols:
            keys.append(VERDICT_RANK.format(col="verdict"))
        if "score" in cols:
            keys.append("score DESC NULLS LAST")
        if "account_id" in cols:
            keys.append("account_id")
        order = ("ORDER BY " + ", ".join(keys)) if keys else ""
        join = ""
        select = "v.*"
        if "account_id" in cols:
            join = f"LEFT JOIN {_NAMES_SQL} a USING (account_id)"
            select = "v.*, a.screen_name, a.display_name, a.account_language, a.is_hashed AS hashed"
        rows = _rows(engine, f"SELECT {select} FROM audit_verdicts v {join} {order} LIMIT {int(max_rows)}")
        for r in rows:
            for k in ("reasons", "layers"):
                if isinstance(r.get(k), str) and r[k].startswith("["):
                    r[k] = "; ".join(str(x) for x in _json_list(r[k]))
            _named(r, pages)
        # a first reason every row shares (account files: "not testable without tweets ...") is said once
        firsts = {str(r.get("reasons") or "").split("; ")[0] for r in rows}
        common = firsts.pop() if len(firsts) == 1 and len(rows) > 1 else ""
        if common:
            for r in rows:
                r["reasons"] = str(r["reasons"])[len(common):].lstrip("; ") or None
        # columns that say something in this case (an account-only case has no scores, groups, evidence)
        shown = [c for c in VERDICT_SHOWN if c in cols and any(r.get(c) not in (None, 0, "", False) for r in rows)]
        if "verdict" in cols and "verdict" not in shown:
            shown.insert(0, "verdict")
        has_names = any(r.get("display_name") for r in rows)
        has_hashed = any(r.get("hashed") for r in rows)
        out["verdicts"] = {"columns": shown, "rows": rows, "total": case.count("audit_verdicts"),
                           "has_names": has_names, "has_hashed": has_hashed, "common_reason": common}
        if "verdict" in cols:
            claimed = "count(*) FILTER (WHERE claimed)" if "claimed" in cols else "NULL"
            out["verdict_counts"] = _rows(
                engine,
                f"""SELECT verdict, count(*) AS n, {claimed} AS n_claimed FROM audit_verdicts
                    GROUP BY verdict ORDER BY {VERDICT_RANK.format(col='verdict')}, verdict""",
            )
    return out


def _claim_rows(engine: Engine, claim_id: str, pages: set[str] | frozenset[str]) -> list[dict[str, Any]]:
    """The first rows behind one claim's measure: account (handle, name), the post when the
    measure counts posts, the value it read and the source file:line of the row."""
    rows = _rows(
        engine,
        f"""SELECT r.account_id, a.screen_name, a.display_name, a.account_language, r.post_id, r.value, p.lang AS post_lang,
                   coalesce(p.source_file, a.source_file) AS source_file, coalesce(p.source_line, a.source_line) AS source_line
            FROM claim_rows r
            LEFT JOIN (SELECT account_id, min(screen_name) AS screen_name, min(display_name) AS display_name,
                              min(account_language) AS account_language,
                              arg_min(source_file, (source_file, source_line)) AS source_file,
                              arg_min(source_line, (source_file, source_line)) AS source_line
                       FROM accounts GROUP BY account_id) a USING (account_id)
            LEFT JOIN posts p ON p.post_id = r.post_id
            WHERE r.claim_id = ? ORDER BY r.account_id, r.post_id LIMIT {CLAIM_ROWS_SHOWN}""",
        [claim_id],
    )
    for r in rows:
        _named(r, pages)
        f, line = r.pop("source_file"), r.pop("source_line")
        r["source"] = f"{f}:{line if line is not None else '?'}" if f else None
        r["_lang_value"] = text_lang(r.get("value"), r.pop("post_lang", None), hint_is_the_texts=r.get("post_id") is not None)
    return rows


# -- overview --------------------------------------------------------------------------------
def overview(case: Case) -> dict[str, Any]:
    """Dataset size, time span, groups and flagged accounts: the numbers at the top of the page."""
    engine = case.engine
    first, last = engine.execute("SELECT min(created_at), max(created_at) FROM posts").fetchone() or (None, None)
    kinds = dict(engine.execute("SELECT kind, count(*) FROM posts GROUP BY kind").fetchall())
    run = engine.execute("SELECT run_at FROM detect_runs ORDER BY run_at DESC LIMIT 1").fetchone()
    span_days = None
    if first is not None and last is not None:
        span_days = round((last - first).total_seconds() / 86400, 1)
    return {
        "n_accounts": case.count("accounts"),
        "n_posts": case.count("posts"),
        "n_posts_by_kind": {str(k): int(v) for k, v in kinds.items()},
        "first_post": ts(first),
        "last_post": ts(last),
        "span_days": span_days,
        "n_groups": case.count("groups"),
        "n_flagged": int(_one(engine, "SELECT count(*) FROM scores WHERE flagged") or 0),
        "n_scored": case.count("scores"),
        "n_edges": case.count("edges"),
        "n_evidence": case.count("evidence"),
        "n_sources": int(_one(engine, "SELECT count(DISTINCT source_file) FROM ingest_log") or 0),
        "detected_at": ts(run[0]) if run else None,
        "case_path": case.path,
    }


def case_shape(case: Case) -> dict[str, bool]:
    """What the case holds, so the report shows only what it can draw: posts, posts timed to
    the minute or better (for the hour x weekday heatmap), account creation dates, account
    metadata, detection results. ``account_only``: account files and no posts."""
    engine = case.engine
    has_posts = bool(_one(engine, "SELECT EXISTS (SELECT 1 FROM posts)"))
    return {
        "has_posts": has_posts,
        "account_only": not has_posts and case.count("accounts") > 0,
        "has_timed_posts": bool(_one(engine, "SELECT EXISTS (SELECT 1 FROM posts WHERE created_at IS NOT NULL AND time_precision <> 'day')")),
        "has_creation": bool(_one(engine, "SELECT EXISTS (SELECT 1 FROM accounts WHERE created_at IS NOT NULL)")),
        "has_followers": bool(_one(engine, "SELECT EXISTS (SELECT 1 FROM accounts WHERE follower_count IS NOT NULL)")),
        "detected": bool(_one(engine, "SELECT EXISTS (SELECT 1 FROM detect_runs)")),
    }


#: follower bins of the account-metadata view: (label, lower bound, upper bound exclusive)
FOLLOWER_BINS = (
    ("0", 0, 1), ("1–9", 1, 10), ("10–99", 10, 100), ("100–999", 100, 1000), ("1k–5k", 1000, 5000),
    ("5k–10k", 5000, 10000), ("10k–100k", 10000, 100000), ("100k+", 100000, None),
)


def account_view(case: Case) -> dict[str, Any] | None:
    """What the account metadata shows, the claimed (or flagged) accounts against the others:
    accounts created per year (table and plot) and per month, followers in bins, the creation
    days with the most accounts (bursts and handle shapes, when the audit computed signatures),
    interface languages and, when accounts are hashed, the hashing rule's cross-table.

    The view a case of account files only gets instead of activity charts; None when the
    accounts carry neither creation dates nor follower counts."""
    shape = case_shape(case)
    if not (shape["has_creation"] or shape["has_followers"]):
        return None
    engine = case.engine
    sql, label = claimed_sql(case)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _rep_claimed AS {sql}")
    n_claimed = int(_one(engine, "SELECT count(*) FROM _rep_claimed WHERE account_id IN (SELECT account_id FROM accounts)") or 0)
    n_accounts = int(_one(engine, "SELECT count(DISTINCT account_id) FROM accounts") or 0)
    split = 0 < n_claimed < n_accounts  # every account claimed (an archive release): one series
    if not split:
        engine.execute("CREATE OR REPLACE TEMP TABLE _rep_claimed AS SELECT DISTINCT account_id FROM accounts")
    with_sig = audit_tables_present(case)["signatures"] and "creation_burst" in _columns(case, "signatures")
    burst = "s.creation_burst" if with_sig else "NULL"
    sig_join = "LEFT JOIN (SELECT account_id, bool_or(creation_burst) AS creation_burst FROM signatures GROUP BY 1) s USING (account_id)" if with_sig else ""
    acc = f"""(SELECT a.*, a.account_id IN (SELECT account_id FROM _rep_claimed) AS c, {burst} AS burst FROM {_ACCOUNTS_ONE} a {sig_join})"""
    years = _rows(
        engine,
        f"""SELECT year(created_at) AS year, count(*) FILTER (WHERE c) AS claimed, count(*) FILTER (WHERE NOT c) AS others,
                   count(*) FILTER (WHERE c AND follower_count > 10000) AS claimed_over_10000,
                   {'count(*) FILTER (WHERE c AND burst)' if with_sig else 'NULL'} AS claimed_in_burst
            FROM {acc} WHERE created_at IS NOT NULL GROUP BY 1 ORDER BY 1""",
    )
    months = _rows(
        engine,
        f"""SELECT strftime(date_trunc('month', created_at), '%Y-%m') AS month, count(*) FILTER (WHERE c) AS claimed,
                   count(*) FILTER (WHERE NOT c) AS others
            FROM {acc} WHERE created_at IS NOT NULL GROUP BY 1 ORDER BY 1""",
    )
    bins = []
    for name, lo, hi in FOLLOWER_BINS:
        cond = f"follower_count >= {lo}" + ("" if hi is None else f" AND follower_count < {hi}")
        c, o = engine.execute(f"SELECT count(*) FILTER (WHERE c AND {cond}), count(*) FILTER (WHERE NOT c AND {cond}) FROM {acc}").fetchone() or (0, 0)
        bins.append({"bin": name, "claimed": int(c), "others": int(o)})
    langs = _rows(
        engine,
        f"""SELECT lower(account_language) AS language, count(*) FILTER (WHERE c) AS claimed, count(*) FILTER (WHERE NOT c) AS others
            FROM {acc} WHERE account_language IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 12""",
    )
    days: list[dict[str, Any]] = []
    if audit_tables_present(case)["signatures"] and "creation_day_p" in _columns(case, "signatures"):
        days = _rows(
            engine,
            f"""SELECT strftime(s.created_at, '%Y-%m-%d') AS day, count(*) AS accounts, count(*) FILTER (WHERE s.creation_burst) AS in_burst,
                       min(s.creation_day_p) AS poisson_p, min(s.creation_day_expected) AS expected
                FROM signatures s WHERE s.created_at IS NOT NULL AND s.account_id IN (SELECT account_id FROM _rep_claimed)
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10""",
        )
        shapes = _rows(
            engine,
            """SELECT strftime(created_at, '%Y-%m-%d') AS day, handle_shape, count(*) AS n FROM signatures
               WHERE handle_shape IS NOT NULL AND creation_burst GROUP BY 1, 2 HAVING count(*) >= 3 ORDER BY 1, 3 DESC, 2""",
        )
        by_day: dict[str, list[str]] = {}
        for r in shapes:
            by_day.setdefault(r["day"], []).append(f"{r['handle_shape']} ({r['n']})")
        for d in days:
            d["shapes"] = ", ".join(by_day.get(d["day"], [])[:3])
    from ..audit import hashing_table

    hashing = hashing_table(case, "_rep_claimed")
    engine.execute("DROP TABLE IF EXISTS _rep_claimed")
    return {
        "label": label if split else "accounts",
        "split": split,
        "n_claimed": n_claimed,
        "n_accounts": n_accounts,
        "with_bursts": with_sig,
        "years": years,
        "months": months,
        "followers": bins if shape["has_followers"] else [],
        "languages": langs,
        "top_days": days,
        "hashing": hashing,
    }


_ACCOUNTS_ONE = (
    "(SELECT account_id, min(created_at) AS created_at, max(follower_count) AS follower_count, "
    "min(account_language) AS account_language FROM accounts GROUP BY account_id)"
)


def layer_summary(case: Case) -> list[dict[str, Any]]:
    """What each trace found: edges, distinct accounts and evidence rows per layer."""
    return _rows(
        case.engine,
        """
        WITH e AS (
            SELECT layer, count(*) AS n_edges, sum(n_shared) AS n_shared, min(p_value) AS min_p
            FROM edges GROUP BY layer),
        acc AS (
            SELECT layer, count(DISTINCT account_id) AS n_accounts FROM (
                SELECT layer, account_a AS account_id FROM edges
                UNION ALL SELECT layer, account_b FROM edges) GROUP BY layer),
        ev AS (
            SELECT layer, count(*) AS n_evidence,
                   median(seconds_apart) FILTER (WHERE coalesce(precision, 'second') = 'second') AS median_seconds,
                   count(*) FILTER (WHERE precision IN ('minute', 'day')) AS n_coarse
            FROM evidence GROUP BY layer)
        SELECT coalesce(e.layer, ev.layer) AS layer,
               coalesce(e.n_edges, 0) AS n_edges, coalesce(acc.n_accounts, 0) AS n_accounts,
               coalesce(ev.n_evidence, 0) AS n_evidence, ev.median_seconds, coalesce(ev.n_coarse, 0) AS n_coarse, e.min_p
        FROM e FULL OUTER JOIN ev ON e.layer = ev.layer
        LEFT JOIN acc ON acc.layer = coalesce(e.layer, ev.layer)
        ORDER BY n_edges DESC, layer
        """,
    )


# -- groups ----------------------------------------------------------------------------------
def _layout(n: int, edges: list[tuple[int, int, float]], seed: int) -> list[tuple[float, float]]:
    """Deterministic force-directed positions (igraph), normalised to [-1, 1].

    igraph draws its randomness from Python's ``random`` module; we swap in a seeded
    generator for the call and put the global one back, so the layout is reproducible and no
    one else's randomness is disturbed.
    """
    import igraph as ig

    if n == 0:
        return []
    if n == 1:
        return [(0.0, 0.0)]
    g = ig.Graph(n=n, edges=[(a, b) for a, b, _ in edges])
    weights = [w for _, _, w in edges] or None
    rng = random.Random(seed)
    ig.set_random_number_generator(rng)
    try:
        start = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
        lay = g.layout_fruchterman_reingold(weights=weights, seed=start, niter=500)
    finally:
        ig.set_random_number_generator(random)
    coords = lay.coords
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [(round(2 * (x - cx) / span, 4), round(2 * (y - cy) / span, 4)) for x, y in coords]


def _keep_edges(edges: list[dict[str, Any]], budget: int, per_node: int = 3) -> list[dict[str, Any]]:
    """At most ``budget`` edges (given strongest first): every member's ``per_node`` strongest
    edges first, then the strongest of the rest.

    Why not simply the strongest: in a dense group the strongest edges pile up among a dozen
    members and everyone else would be drawn as an isolated dot, which misrepresents the group.
    """
    if len(edges) <= budget:
        return edges
    seen: dict[str, int] = {}
    first: list[int] = []
    for i, e in enumerate(edges):
        a, b = e["account_a"], e["account_b"]
        if seen.get(a, 0) < per_node or seen.get(b, 0) < per_node:
            first.append(i)
            seen[a] = seen.get(a, 0) + 1
            seen[b] = seen.get(b, 0) + 1
    keep = set(first[:budget])
    for i in range(len(edges)):
        if len(keep) >= budget:
            break
        keep.add(i)
    return [e for i, e in enumerate(edges) if i in keep]


def group_cards(
    case: Case,
    *,
    top_groups: int,
    max_nodes: int = 120,
    max_edges: int = 600,
    max_timeline: int = 400,
    max_items: int = 10,
    pages: set[str] | frozenset[str] = frozenset(),
    seed: int = 7,
) -> list[dict[str, Any]]:
    """One card per group (flagged operations first, then coordinated, then the rest; largest
    first within each, then by id), capped at ``top_groups``.

    A card holds the group's facts and decision (verdict, the inauthenticity traits that fired
    with their figures, the null comparison), its members (highest score first, at most
    ``max_nodes`` drawn), its edges between drawn members per layer (strongest ``max_edges``), a
    layout, the timeline of its synchronized actions from evidence and its defining items (with
    their evidence pairs; median seconds apart over second-precision pairs only).
    """
    engine = case.engine
    groups = _rows(
        engine,
        f"""SELECT g.group_id, g.size, g.layers, g.start_at, g.end_at, g.cohesion, g.top_items,
                   g.core_size, g.verdict, coalesce(g.flagged, false) AS group_flagged, g.statistic, g.e_value, g.q_value,
                   g.signals, g.median_seconds, g.precision_mix,
                   (SELECT count(*) FROM scores s JOIN group_members m USING (account_id)
                    WHERE m.group_id = g.group_id AND s.flagged) AS n_flagged
            FROM groups g
            ORDER BY coalesce(g.flagged, false) DESC, CASE g.verdict WHEN 'operation' THEN 0 WHEN 'coordinated' THEN 1 ELSE 2 END,
                     g.size DESC, g.group_id LIMIT {int(top_groups)}""",
    )
    cards = []
    from ..platforms import group_platform_cards  # platforms of each group, on a case of several

    platforms = group_platform_cards(engine, [int(g["group_id"]) for g in groups])
    for g in groups:
        gid = g["group_id"]
        members = _rows(
            engine,
            f"""SELECT m.account_id, a.screen_name, a.display_name, a.account_language, a.platform, s.score,
                       coalesce(s.flagged, false) AS flagged, m.role
                FROM group_members m LEFT JOIN (SELECT account_id, min(screen_name) AS screen_name, min(display_name) AS display_name,
                                                       min(account_language) AS account_language,
                                                       min(platform) AS platform FROM accounts GROUP BY 1) a USING (account_id)
                LEFT JOIN scores s USING (account_id)
                WHERE m.group_id = ? ORDER BY s.score DESC NULLS LAST, m.account_id LIMIT {int(max_nodes)}""",
            [gid],
        )
        index = {m["account_id"]: i for i, m in enumerate(members)}
        for m in members:
            m["page"] = account_page_name(m["account_id"]) if m["account_id"] in pages else None
            m["lang_name"] = text_lang(m.get("display_name"), m.get("account_language"))
            m["lang_handle"] = text_lang(m.get("screen_name") or m["account_id"], m.get("account_language"))
        engine.execute("CREATE OR REPLACE TEMP TABLE _rep_members AS SELECT account_id FROM group_members WHERE group_id = ?", [gid])
        edges = _rows(
            engine,
            f"""SELECT layer, account_a, account_b, n_shared, weight, p_value FROM edges
                WHERE account_a IN (SELECT account_id FROM _rep_members)
                  AND account_b IN (SELECT account_id FROM _rep_members)
                ORDER BY weight DESC NULLS LAST, layer, account_a, account_b""",
        )
        n_edges_total = len(edges)
        # a readable drawing: each member's strongest edges first, about 3 a member at most
        edges = _keep_edges([e for e in edges if e["account_a"] in index and e["account_b"] in index],
                            min(max_edges, 3 * len(members)), per_node=2)
        degree: dict[str, float] = {}
        for e in edges:
            for k in ("account_a", "account_b"):
                degree[e[k]] = degree.get(e[k], 0.0) + float(e["weight"] or 1.0)
        for m in members:  # the figure names the members with the strongest links
            m["degree"] = round(degree.get(m["account_id"], 0.0), 4)
        fused: dict[tuple[int, int], float] = {}
        for e in edges:
            key = (index[e["account_a"]], index[e["account_b"]])
            fused[key] = fused.get(key, 0.0) + float(e["weight"] or 1.0)
        coords = _layout(len(members), [(a, b, w) for (a, b), w in sorted(fused.items())], seed + int(gid or 0))
        for m, (x, y) in zip(members, coords):
            m["x"], m["y"] = x, y
        ev_where = """FROM evidence WHERE account_a IN (SELECT account_id FROM _rep_members)
                      AND account_b IN (SELECT account_id FROM _rep_members)"""
        timeline = _rows(
            engine,
            f"""SELECT layer, account_a, account_b, at_a, at_b, seconds_apart, shared_item {ev_where}
                ORDER BY least(at_a, at_b), evidence_id LIMIT {int(max_timeline)}""",
        )
        n_evidence = int(_one(engine, f"SELECT count(*) {ev_where}") or 0)
        top_items = _rows(
            engine,
            f"""WITH ev AS (SELECT key_layer, key, count(*) AS n_pairs,
                                 median(seconds_apart) FILTER (WHERE coalesce(precision, 'second') = 'second') AS median_seconds,
                                 count(*) FILTER (WHERE precision IN ('minute', 'day')) AS n_coarse
                          {ev_where} GROUP BY 1, 2)
                SELECT i.rank, i.layer, i.item, i.members, i.accounts, i.actions, i.log10_p,
                       coalesce(ev.n_pairs, 0) AS n_pairs, ev.median_seconds, coalesce(ev.n_coarse, 0) AS n_coarse
                FROM group_items i LEFT JOIN ev ON ev.key_layer = i.layer AND ev.key = i.key
                WHERE i.group_id = ? ORDER BY i.rank LIMIT {int(max_items)}""",
            [gid],
        )
        signals = _rows(
            engine,
            """SELECT signal, k, n, base_rate, lift, q_value, detail FROM group_signals
               WHERE group_id = ? AND fired ORDER BY q_value, signal""",
            [gid],
        )
        names = {m["account_id"]: m["screen_name"] or m["account_id"] for m in members}
        for t in timeline:
            t["name_a"] = names.get(t["account_a"], t["account_a"])
            t["name_b"] = names.get(t["account_b"], t["account_b"])
        for e in platforms.get(int(gid), {}).get("cross_edges", []):  # the cross-platform links, by handle too
            e["name_a"] = names.get(e["account_a"])
            e["name_b"] = names.get(e["account_b"])
        mix = g.get("precision_mix")
        cards.append(
            {
                **{k: g[k] for k in ("group_id", "size", "start_at", "end_at", "cohesion", "n_flagged", "core_size", "verdict",
                                     "group_flagged", "statistic", "e_value", "q_value", "median_seconds")},
                "signals": signals,
                "precision_mix": json.loads(mix) if isinstance(mix, str) and mix else {},
                "n_joined": int(g["size"] or 0) - int(g["core_size"] if g["core_size"] is not None else g["size"] or 0),
                "layers": _layer_names(g["layers"]),
                "declared_top_items": _json_list(g["top_items"]),
                "members": members,
                "n_members_drawn": len(members),
                "edges": edges,
                "n_edges_total": n_edges_total,
                "timeline": timeline,
                "n_evidence": n_evidence,
                "top_items": top_items,
                **platforms.get(int(gid), {}),
            }
        )
    engine.execute("DROP TABLE IF EXISTS _rep_members")
    return cards


def _thin_by_evidence(pairs: list[dict[str, Any]], per_node: int) -> list[dict[str, Any]]:
    """Each account's ``per_node`` pairs with the most evidence (then weight), given sorted so:
    at most ``per_node`` x accounts edges, and every account keeps its strongest links (a
    hairball of every significant pair hides who is at the centre)."""
    seen: dict[str, int] = {}
    kept = []
    for e in pairs:
        a, b = e["account_a"], e["account_b"]
        if seen.get(a, 0) < per_node or seen.get(b, 0) < per_node:
            kept.append(e)
            seen[a] = seen.get(a, 0) + 1
            seen[b] = seen.get(b, 0) + 1
    return kept


def network_overview(
    case: Case, *, max_nodes: int = 1000, per_node: int = 2, max_groups: int = 40,
    pages: set[str] | frozenset[str] = frozenset(), seed: int = 7,
) -> dict[str, Any] | None:
    """The groups as one network a person can read at 100-1,000 accounts.

    * **Layout by group**: each group is laid out on its own (force-directed on its kept
      edges, seeded) in a disc whose area grows with its size, and the discs are packed in rows,
      largest first, so groups never overlap and their members stay together.
    * **Edges thinned by evidence**: of the significant pairs between drawn accounts (all
      layers fused), each account keeps its ``per_node`` pairs with the most evidence rows.
    * **Labelled hubs**: each account's ``strength`` (evidence pairs with drawn accounts); the
      figure names the strongest of each group (:func:`cibscope.report.figures.overview_network_figure`).

    Groups in the order of the group cards (operations, coordinated, the rest; largest first),
    at most ``max_groups`` and ``max_nodes`` accounts (a group that does not fit is drawn with
    its highest-scoring members). None when the case has no groups.
    """
    engine = case.engine
    groups = _rows(
        engine,
        f"""SELECT group_id, size, verdict, coalesce(flagged, false) AS flagged FROM groups
            ORDER BY coalesce(flagged, false) DESC, CASE verdict WHEN 'operation' THEN 0 WHEN 'coordinated' THEN 1 ELSE 2 END,
                     size DESC, group_id LIMIT {int(max_groups)}""",
    )
    beyond = [g for g in groups if g["verdict"] in ("operation", "coordinated")]
    n_chance = len(groups) - len(beyond)
    if beyond:  # groups not beyond chance are in the table, not in the drawing
        groups = beyond
    if not groups:
        return None
    members = _rows(
        engine,
        f"""SELECT m.group_id, m.account_id, a.screen_name, a.display_name, a.account_language, s.score,
                   coalesce(s.flagged, false) AS flagged
            FROM group_members m LEFT JOIN {_NAMES_SQL} a USING (account_id) LEFT JOIN scores s USING (account_id)
            WHERE m.group_id IN (SELECT unnest(?::INTEGER[]))
            ORDER BY m.group_id, s.score DESC NULLS LAST, m.account_id""",
        [[int(g["group_id"]) for g in groups]],
    )
    by_group: dict[int, list[dict[str, Any]]] = {}
    for m in members:
        by_group.setdefault(int(m["group_id"]), []).append(m)
    budget = int(max_nodes)
    drawn: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for g in groups:
        if budget <= 0:
            break
        ms = by_group.get(int(g["group_id"]), [])[:budget]
        budget -= len(ms)
        if ms:
            g["members"] = ms
            drawn.append(g)
            nodes.extend(ms)
    seen_ids: set[str] = set()
    nodes = [n for n in nodes if not (n["account_id"] in seen_ids or seen_ids.add(n["account_id"]))]  # one group each
    gid_of = {n["account_id"]: int(n["group_id"]) for n in nodes}
    engine.execute("CREATE OR REPLACE TEMP TABLE _rep_net AS SELECT unnest(?::VARCHAR[]) AS account_id", [list(gid_of)])
    pairs = _rows(
        engine,
        """WITH e AS (SELECT account_a, account_b, sum(weight) AS weight, list(DISTINCT layer ORDER BY layer) AS layers FROM edges
                     WHERE account_a IN (SELECT account_id FROM _rep_net) AND account_b IN (SELECT account_id FROM _rep_net)
                     GROUP BY 1, 2),
                v AS (SELECT account_a, account_b, count(*) AS n_evidence FROM evidence
                     WHERE account_a IN (SELECT account_id FROM _rep_net) AND account_b IN (SELECT account_id FROM _rep_net)
                     GROUP BY 1, 2)
           SELECT e.account_a, e.account_b, e.weight, e.layers, coalesce(v.n_evidence, 0) AS n_evidence
           FROM e LEFT JOIN v USING (account_a, account_b)
           ORDER BY n_evidence DESC, weight DESC, account_a, account_b""",
    )
    engine.execute("DROP TABLE IF EXISTS _rep_net")
    strength: dict[str, int] = {}
    for e in pairs:
        for k in ("account_a", "account_b"):
            strength[e[k]] = strength.get(e[k], 0) + int(e["n_evidence"] or 0)
    # within a group: each account's strongest pairs; between groups: one line per pair of groups
    inner_pairs = [e for e in pairs if gid_of[e["account_a"]] == gid_of[e["account_b"]]]
    kept = _thin_by_evidence(inner_pairs, per_node)
    for e in kept:
        e["cross"] = False
    between: dict[tuple[int, int], dict[str, Any]] = {}
    for e in pairs:
        ga, gb = gid_of[e["account_a"]], gid_of[e["account_b"]]
        if ga != gb:
            key = (min(ga, gb), max(ga, gb))
            b = between.setdefault(key, {"group_a": key[0], "group_b": key[1], "n_pairs": 0, "n_evidence": 0})
            b["n_pairs"] += 1
            b["n_evidence"] += int(e["n_evidence"] or 0)
    # each group's own layout, in a disc of radius sqrt(size)
    placed = []
    for g in drawn:
        ms = [n for n in g["members"] if gid_of.get(n["account_id"]) == int(g["group_id"])]
        index = {n["account_id"]: i for i, n in enumerate(ms)}
        inner = [(index[e["account_a"]], index[e["account_b"]], float(e["n_evidence"] or 0) + 1.0)
                 for e in kept if not e["cross"] and e["account_a"] in index and e["account_b"] in index]
        coords = _layout(len(ms), inner, seed + int(g["group_id"]))
        placed.append((g, ms, coords, max(1.0, math.sqrt(len(ms)))))
    # shelf packing: rows of discs, largest first, about as wide as the total is tall
    gap = 1.2
    width = 1.6 * math.sqrt(sum((2 * r + gap) ** 2 for *_, r in placed))
    x = y = row_h = 0.0
    out_groups = []
    per_char = 6.8 * width / 1150  # a title character (~6.8 px of a drawing ~1,150 px wide), in layout units
    for g, ms, coords, r in placed:
        title = len(f"group {g['group_id']} · {int(g['size'] or 0):,} · {g['verdict'] or '-'}")
        slot = max(2 * r, title * per_char)  # room for the disc and for its title above it
        if x > 0 and x + slot > width:
            x, y, row_h = 0.0, y - row_h - gap, 0.0
        cx, cy = x + slot / 2, y - r
        x += slot + gap
        row_h = max(row_h, 2 * r)
        for n, (px, py) in zip(ms, coords):
            n["x"], n["y"] = round(cx + r * px, 4), round(cy + r * py, 4)
        out_groups.append({"group_id": int(g["group_id"]), "verdict": g["verdict"], "size": int(g["size"] or 0),
                           "n_drawn": len(ms), "cx": round(cx, 4), "cy": round(cy, 4), "r": round(r, 4)})
    for n in nodes:
        n["strength"] = strength.get(n["account_id"], 0)
        n["page"] = account_page_name(n["account_id"]) if n["account_id"] in pages else None
        n["group_id"] = int(n["group_id"])
    return {
        "nodes": [n for n in nodes if "x" in n],
        "edges": kept,
        "between": [between[k] for k in sorted(between)],
        "groups": out_groups,
        "n_chance_groups": n_chance,
        "n_pairs": len(pairs),
        "n_members": int(_one(engine, "SELECT count(DISTINCT account_id) FROM group_members") or 0),
        "n_groups": case.count("groups"),
        "per_node": per_node,
    }


def null_summary(case: Case) -> dict[str, Any] | None:
    """The null copies the groups were compared with: every null group's internal evidence,
    every real group's with its verdict, and how the copies were made (None before detect or
    without copies)."""
    engine = case.engine
    row = engine.execute("SELECT stats FROM detect_runs ORDER BY run_at DESC LIMIT 1").fetchone()
    if row is None:
        return None
    info = json.loads(row[0]).get("null") if row[0] else None
    if not isinstance(info, dict) or not info.get("replicates"):
        return None
    null = [float(r[0]) for r in engine.execute("SELECT evidence FROM null_groups ORDER BY evidence").fetchall()]
    real = _rows(engine, "SELECT group_id, size, statistic, e_value, q_value, verdict FROM groups WHERE statistic IS NOT NULL ORDER BY statistic DESC, group_id")
    return {
        "replicates": int(info.get("replicates", 0)), "unit": info.get("unit", "week"), "null": null,
        "max_null": max(null) if null else 0.0, "real": real,
        "n_beyond": sum(1 for r in real if r["verdict"] in ("operation", "coordinated")),
    }


# -- accounts --------------------------------------------------------------------------------
def flagged_accounts(case: Case, *, pages: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Every flagged account (highest score first), for the paginated table on the index."""
    rows = _rows(
        case.engine,
        """WITH n AS (
               SELECT account_id, count(*) AS n_evidence FROM (
                   SELECT account_a AS account_id FROM evidence UNION ALL SELECT account_b FROM evidence)
               GROUP BY account_id)
           SELECT s.account_id, a.screen_name, a.display_name, a.account_language, s.score, s.group_id, s.top_reasons,
                  a.created_at, a.follower_count, coalesce(n.n_evidence, 0) AS n_evidence
           FROM scores s LEFT JOIN accounts a USING (account_id) LEFT JOIN n USING (account_id)
           WHERE s.flagged ORDER BY s.score DESC, s.account_id""",
    )
    for r in rows:
        r["page"] = account_page_name(r["account_id"]) if r["account_id"] in pages else None
    return rows


def top_flagged_ids(case: Case, top_n: int) -> list[str]:
    """The ``top_n`` flagged accounts by score that get their own page."""
    return [
        str(r[0])
        for r in case.engine.execute(
            f"SELECT account_id FROM scores WHERE flagged ORDER BY score DESC, account_id LIMIT {int(top_n)}"
        ).fetchall()
    ]


SIGNATURE_FIELDS = (
    "flags", "created_at", "age_days_first_post", "creation_burst", "creation_day_count", "peak_hour_utc",
    "inferred_utc_offset", "office_hours_share", "office_hours_share_dataset", "office_hours", "top_client",
    "top_client_share", "client_homogeneous", "engagement_mismatch", "max_gap_days", "reactivated",
    "changepoint_at", "political_share_before", "political_share_after", "repurposed", "top_lang", "lang_shift",
)


def account_detail(case: Case, account_id: str, *, max_evidence: int = 25, pages: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """Everything one account's page shows (see :func:`account_details`)."""
    return account_details(case, [account_id], max_evidence=max_evidence, pages=pages)[account_id]


def account_details(
    case: Case, account_ids: Sequence[str], *, max_evidence: int = 25, pages: frozenset[str] | set[str] = frozenset()
) -> dict[str, dict[str, Any]]:
    """Everything the account pages show: profile, score, named contributions, evidence pairs.

    One query per kind of fact for all pages at once (not per account: 500 pages x 8 small
    queries over a million posts cost minutes). Evidence is oriented so the account's own post
    is always on the left; the partner's post is on the right with its own time and file:line;
    the first ``max_evidence`` pairs in :mod:`cibscope.evidence.ranking`'s order are kept per
    account (the group's defining items, then fellow members, then the closest in time).
    """
    engine = case.engine
    ids = [str(a) for a in account_ids]
    engine.execute("CREATE OR REPLACE TEMP TABLE _rep_pages AS SELECT unnest(?::VARCHAR[]) AS account_id", [ids])
    out: dict[str, dict[str, Any]] = {
        a: {
            "account_id": a, "page": account_page_name(a), "profile": {"account_id": a}, "score": None,
            "contributions": [], "n_evidence": 0, "evidence_layers": [], "evidence": [], "verdict": None,
            "signatures": None, "posts": {"n": 0, "first": None, "last": None},
        }
        for a in ids
    }
    for r in _rows(engine, "SELECT a.* FROM accounts a JOIN _rep_pages USING (account_id)"):
        hint = r.get("account_language")
        r["lang"] = {k: text_lang(r.get(k), hint) for k in ("screen_name", "display_name", "description", "location")}
        out[r["account_id"]]["profile"] = r
    for r in _rows(engine, "SELECT s.* FROM scores s JOIN _rep_pages USING (account_id)"):
        out[r["account_id"]]["score"] = r
    for r in _rows(
        engine,
        """SELECT account_id, contribution, value, n_evidence, detail FROM score_contributions JOIN _rep_pages USING (account_id)
           ORDER BY account_id, abs(value) DESC, contribution""",
    ):
        out[r.pop("account_id")]["contributions"].append(r)
    for r in _rows(
        engine,
        """SELECT account_id, layer, count(*) AS n FROM (
               SELECT account_a AS account_id, layer FROM evidence WHERE account_a IN (SELECT account_id FROM _rep_pages)
               UNION ALL
               SELECT account_b, layer FROM evidence WHERE account_b IN (SELECT account_id FROM _rep_pages))
           GROUP BY ALL ORDER BY account_id, n DESC, layer""",
    ):
        acc = out[r.pop("account_id")]
        acc["evidence_layers"].append(r)
        acc["n_evidence"] += r["n"]
    evidence = _rows(
        engine,
        f"""WITH e AS (
              SELECT * FROM ({ranked_evidence_sql("SELECT account_id FROM _rep_pages")}) AS r WHERE r.rk <= {int(max_evidence)})
            SELECT e.evidence_id, e.layer, e.seconds_apart, e.shared_item, e.me, e.my_post, e.other_post, e.my_at, e.other_at,
                   e.my_source, e.other_source, e.other AS other_account, e.precision, e.item_rank, e.rk AS rn,
                   pm.text AS my_text, pm.kind AS my_kind, pm.lang AS my_lang, po.text AS other_text, po.kind AS other_kind,
                   po.lang AS other_lang, oa.screen_name AS other_name, oa.display_name AS other_display_name,
                   oa.account_language AS other_account_language
            FROM e LEFT JOIN posts pm ON pm.post_id = e.my_post
                   LEFT JOIN posts po ON po.post_id = e.other_post
                   LEFT JOIN {_NAMES_SQL} oa ON oa.account_id = e.other
            ORDER BY e.me, e.rk""",
    )
    for ev in evidence:
        ev["apart"] = time_apart(ev["seconds_apart"], ev["precision"], ev["my_at"], ev["other_at"])
        ev["my_lang"] = text_lang(ev["my_text"], ev["my_lang"], hint_is_the_texts=True)
        ev["other_lang"] = text_lang(ev["other_text"], ev["other_lang"], hint_is_the_texts=True)
        ev["other_name_lang"] = text_lang(ev["other_display_name"], ev["other_account_language"])
    for ev in evidence:
        ev["other_page"] = account_page_name(ev["other_account"]) if ev["other_account"] in pages else None
        out[ev.pop("me")]["evidence"].append(ev)
    for r in _rows(
        engine,
        """SELECT account_id, count(*) AS n, min(created_at) AS first, max(created_at) AS last FROM posts
           WHERE account_id IN (SELECT account_id FROM _rep_pages) GROUP BY account_id""",
    ):
        out[r.pop("account_id")]["posts"] = r
    present = audit_tables_present(case)
    if present["audit_verdicts"] and "account_id" in _columns(case, "audit_verdicts"):
        for r in _rows(engine, "SELECT v.* FROM audit_verdicts v JOIN _rep_pages USING (account_id)"):
            # the reasons (and the layers) are JSON lists: a list for the page, never its JSON text
            for k in ("reasons", "layers"):
                if isinstance(r.get(k), str):
                    r[k] = [str(x) for x in _json_list(r[k])]
            out[r["account_id"]]["verdict"] = r
    if present["signatures"] and "account_id" in _columns(case, "signatures"):
        cols = [c for c in SIGNATURE_FIELDS if c in _columns(case, "signatures")]
        if cols:
            for r in _rows(engine, f"SELECT account_id, {', '.join(cols)} FROM signatures JOIN _rep_pages USING (account_id)"):
                if isinstance(r.get("flags"), str):
                    r["flags"] = [str(x) for x in _json_list(r["flags"])] or None
                out[r.pop("account_id")]["signatures"] = r
    engine.execute("DROP TABLE IF EXISTS _rep_pages")
    return out


# -- dataset-wide series ---------------------------------------------------------------------
def dataset_series(case: Case) -> dict[str, Any]:
    """Account creation per month, posting hour x weekday (shares) and posts per day,
    each split into the claimed (or flagged) accounts and the others."""
    engine = case.engine
    sql, label = claimed_sql(case)
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _rep_claimed AS {sql}")
    grp = "CASE WHEN account_id IN (SELECT account_id FROM _rep_claimed) THEN 'c' ELSE 'o' END"
    creation = _rows(
        engine,
        f"""SELECT {grp} AS g, strftime(date_trunc('month', created_at), '%Y-%m') AS month, count(*) AS n
            FROM accounts WHERE created_at IS NOT NULL GROUP BY ALL ORDER BY month, g""",
    )
    heat = _rows(
        engine,
        f"""SELECT {grp} AS g, isodow(created_at) - 1 AS dow, hour(created_at) AS hour, count(*) AS n
            FROM posts WHERE created_at IS NOT NULL AND time_precision <> 'day' GROUP BY ALL""",
    )
    span = _one(engine, "SELECT date_diff('day', min(created_at), max(created_at)) FROM posts")
    unit = "day" if span is None or span <= 400 else "week"
    activity = _rows(
        engine,
        f"""SELECT {grp} AS g, strftime(date_trunc('{unit}', created_at), '%Y-%m-%d') AS t, count(*) AS n
            FROM posts WHERE created_at IS NOT NULL GROUP BY ALL ORDER BY t, g""",
    )
    engine.execute("DROP TABLE IF EXISTS _rep_claimed")
    heatmaps: dict[str, list[list[float]]] = {}
    totals: dict[str, int] = {}
    for g in ("c", "o"):
        grid = [[0.0] * 24 for _ in range(7)]
        tot = 0
        for r in heat:
            if r["g"] == g:
                grid[int(r["dow"])][int(r["hour"])] += r["n"]
                tot += r["n"]
        if tot:
            grid = [[round(100.0 * v / tot, 3) for v in row] for row in grid]
        heatmaps[g] = grid
        totals[g] = tot
    return {
        "label": label,
        "creation": creation,
        "heatmap": heatmaps,
        "heatmap_posts": totals,
        "activity": activity,
        "activity_unit": unit,
    }

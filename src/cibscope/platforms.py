"""Cases of several platforms: which platforms, which groups span them, on what evidence.

>>> summary = platform_summary(case)                 # doctest: +SKIP
>>> spanning = [g for g in group_platforms(case).values() if g["spans"]]   # doctest: +SKIP

Read-only views over the case tables after ``detect``. An account's platform is
``accounts.platform`` (else that of its posts). A *cross-platform edge* is a significant edge
whose two accounts are on different platforms -- on a case of several platforms only the
``xp_*`` layers make them (the other traces pair accounts of one platform). A group *spans*
platforms when its members are on more than one.

:func:`platform_lags` checks the platforms' clocks against each other: the time differences
of cross-platform actions on rarely shared items pile up around the true cross-posting lag; a
sharp pile far from zero (hours) is more likely a time-zone error in one platform's export
than people cross-posting hours later, always by the same delay.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .case import engine_of

if TYPE_CHECKING:
    from .case import Case
    from .engine.base import Engine

__all__ = [
    "ACCOUNT_PLATFORM_SQL",
    "case_platforms",
    "platform_summary",
    "group_platforms",
    "cross_platform_edges",
    "platform_lags",
]

#: SELECT (account_id, platform): each account's platform, from accounts, else from its posts
ACCOUNT_PLATFORM_SQL = (
    "SELECT coalesce(a.account_id, p.account_id) AS account_id, coalesce(a.platform, p.platform, '') AS platform FROM "
    "(SELECT account_id, min(platform) AS platform FROM accounts WHERE platform IS NOT NULL AND platform <> '' GROUP BY 1) AS a "
    "FULL JOIN (SELECT account_id, min(platform) AS platform FROM posts WHERE platform IS NOT NULL AND platform <> '' GROUP BY 1) AS p "
    "ON p.account_id = a.account_id"
)


def _rows(engine: Engine, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = engine.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _with_platforms(engine: Engine) -> None:
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _cib_plat AS {ACCOUNT_PLATFORM_SQL}")


def case_platforms(case: Case | Engine) -> list[dict[str, Any]]:
    """Per platform of the posts: accounts that posted and posts, most posts first."""
    engine = engine_of(case)
    return _rows(
        engine,
        "SELECT coalesce(platform, '') AS platform, count(DISTINCT account_id) AS accounts, count(*) AS posts "
        "FROM posts GROUP BY 1 ORDER BY posts DESC, platform",
    )


def platform_summary(case: Case | Engine) -> list[dict[str, Any]]:
    """Per pair of platforms (a <= b, the same platform included): the accounts of each
    platform in significant edges of that pair, the edges per layer, and the groups whose
    members include both (for a pair of one platform: groups entirely on it)."""
    engine = engine_of(case)
    _with_platforms(engine)
    try:
        edges = _rows(
            engine,
            "SELECT least(pa.platform, pb.platform) AS platform_a, greatest(pa.platform, pb.platform) AS platform_b, "
            "e.layer, count(*) AS edges, "
            "count(DISTINCT CASE WHEN pa.platform <= pb.platform THEN e.account_a ELSE e.account_b END) AS n_a, "
            "count(DISTINCT CASE WHEN pa.platform <= pb.platform THEN e.account_b ELSE e.account_a END) AS n_b "
            "FROM edges e JOIN _cib_plat pa ON pa.account_id = e.account_a JOIN _cib_plat pb ON pb.account_id = e.account_b "
            "GROUP BY ALL ORDER BY ALL",
        )
        accounts = _rows(
            engine,
            "WITH x AS (SELECT least(pa.platform, pb.platform) AS platform_a, greatest(pa.platform, pb.platform) AS platform_b, "
            "e.account_a AS acc, pa.platform AS plat FROM edges e JOIN _cib_plat pa ON pa.account_id = e.account_a "
            "JOIN _cib_plat pb ON pb.account_id = e.account_b UNION ALL "
            "SELECT least(pa.platform, pb.platform), greatest(pa.platform, pb.platform), e.account_b, pb.platform "
            "FROM edges e JOIN _cib_plat pa ON pa.account_id = e.account_a JOIN _cib_plat pb ON pb.account_id = e.account_b) "
            "SELECT platform_a, platform_b, count(DISTINCT acc) FILTER (WHERE plat = platform_a) AS accounts_a, "
            "count(DISTINCT acc) FILTER (WHERE plat = platform_b) AS accounts_b, count(DISTINCT acc) AS accounts "
            "FROM x GROUP BY ALL ORDER BY ALL",
        )
        groups = group_platforms(engine)
    finally:
        engine.execute("DROP TABLE IF EXISTS _cib_plat")
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in accounts:
        key = (r["platform_a"], r["platform_b"])
        acc_b = r["accounts_b"] if key[0] != key[1] else 0
        out[key] = {"platform_a": key[0], "platform_b": key[1], "accounts_a": int(r["accounts_a"]), "accounts_b": int(acc_b),
                    "edges": 0, "layers": {}, "groups": 0, "group_ids": []}
    for r in edges:
        d = out[(r["platform_a"], r["platform_b"])]
        d["edges"] += int(r["edges"])
        d["layers"][r["layer"]] = int(r["edges"])
    for gid, g in sorted(groups.items()):
        plats = [p for p, _ in g["platforms"]]
        pairs = [(a, b) for i, a in enumerate(plats) for b in plats[i + 1:]] if len(plats) > 1 else [(plats[0], plats[0])] if plats else []
        for a, b in pairs:
            key = (min(a, b), max(a, b))
            d = out.setdefault(key, {"platform_a": key[0], "platform_b": key[1], "accounts_a": 0, "accounts_b": 0,
                                     "edges": 0, "layers": {}, "groups": 0, "group_ids": []})
            d["groups"] += 1
            d["group_ids"].append(gid)
    return [out[k] for k in sorted(out)]


def group_platforms(case: Case | Engine, *, max_items: int = 5) -> dict[int, dict[str, Any]]:
    """Per group: ``platforms`` [(platform, members)] (most members first), ``spans`` (more than
    one platform), ``cross_edges`` (significant edges between members of different platforms),
    ``cross_layers`` {layer: edges} and ``cross_items`` (the items most often in those edges'
    evidence: [(layer, item, pairs)])."""
    engine = engine_of(case)
    own = not _has_temp(engine, "_cib_plat")
    if own:
        _with_platforms(engine)
    try:
        members = engine.execute(
            "SELECT m.group_id, coalesce(p.platform, '') AS platform, count(*) FROM group_members m "
            "LEFT JOIN _cib_plat p USING (account_id) GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"
        ).fetchall()
        out: dict[int, dict[str, Any]] = {}
        for gid, plat, n in members:
            g = out.setdefault(int(gid), {"platforms": [], "spans": False, "cross_edges": 0, "cross_layers": {}, "cross_items": []})
            g["platforms"].append((str(plat), int(n)))
        for g in out.values():
            g["spans"] = len(g["platforms"]) > 1
        cross = (
            "FROM edges e JOIN group_members ma ON ma.account_id = e.account_a JOIN group_members mb "
            "ON mb.account_id = e.account_b AND mb.group_id = ma.group_id "
            "JOIN _cib_plat pa ON pa.account_id = e.account_a JOIN _cib_plat pb ON pb.account_id = e.account_b "
            "WHERE pa.platform <> pb.platform"
        )
        for gid, layer, n in engine.execute(f"SELECT ma.group_id, e.layer, count(*) {cross} GROUP BY 1, 2 ORDER BY 1, 2").fetchall():
            g = out[int(gid)]
            g["cross_layers"][str(layer)] = int(n)
            g["cross_edges"] += int(n)
        items = engine.execute(
            "SELECT ma.group_id, v.layer, v.shared_item, count(*) AS n FROM evidence v JOIN group_members ma ON ma.account_id = v.account_a "
            "JOIN group_members mb ON mb.account_id = v.account_b AND mb.group_id = ma.group_id "
            "JOIN _cib_plat pa ON pa.account_id = v.account_a JOIN _cib_plat pb ON pb.account_id = v.account_b "
            "WHERE pa.platform <> pb.platform AND v.shared_item IS NOT NULL GROUP BY ma.group_id, v.layer, v.shared_item "
            f"QUALIFY row_number() OVER (PARTITION BY ma.group_id ORDER BY count(*) DESC, v.layer, v.shared_item) <= {int(max_items)} "
            "ORDER BY 1, 4 DESC, 2, 3"
        ).fetchall()
        for gid, layer, item, n in items:
            out[int(gid)]["cross_items"].append((str(layer), str(item), int(n)))
        return out
    finally:
        if own:
            engine.execute("DROP TABLE IF EXISTS _cib_plat")


def _has_temp(engine: Engine, name: str) -> bool:
    row = engine.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]).fetchall()[0]
    return bool(row[0])


def cross_platform_edges(
    case: Case | Engine, *, group_id: int | None = None, evidence_per_edge: int = 3, limit: int | None = None
) -> list[dict[str, Any]]:
    """Significant edges between accounts of different platforms (of one group's members, or
    all), strongest first, each with up to ``evidence_per_edge`` evidence rows (closest first):
    the two posts, their times, the seconds apart, the shared item and both ``file:line``."""
    engine = engine_of(case)
    own = not _has_temp(engine, "_cib_plat")
    if own:
        _with_platforms(engine)
    try:
        where = ""
        params: list[Any] = []
        if group_id is not None:
            where = (" AND e.account_a IN (SELECT account_id FROM group_members WHERE group_id = ?)"
                     " AND e.account_b IN (SELECT account_id FROM group_members WHERE group_id = ?)")
            params = [group_id, group_id]
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        edges = _rows(
            engine,
            "SELECT e.layer, e.account_a, pa.platform AS platform_a, e.account_b, pb.platform AS platform_b, "
            "e.n_shared, e.weight, e.p_value, e.first_at, e.last_at FROM edges e "
            "JOIN _cib_plat pa ON pa.account_id = e.account_a JOIN _cib_plat pb ON pb.account_id = e.account_b "
            f"WHERE pa.platform <> pb.platform{where} ORDER BY e.p_value, e.weight DESC, e.layer, e.account_a, e.account_b{lim}",
            params,
        )
    finally:
        if own:
            engine.execute("DROP TABLE IF EXISTS _cib_plat")
    if not edges or evidence_per_edge <= 0:
        for e in edges:
            e["evidence"] = []
        return edges
    import pyarrow as pa

    keys = pa.table({
        "layer": pa.array([e["layer"] for e in edges], pa.string()),
        "account_a": pa.array([e["account_a"] for e in edges], pa.string()),
        "account_b": pa.array([e["account_b"] for e in edges], pa.string()),
    })
    engine.register_arrow("_cib_xp_keys", keys)
    try:
        ev = _rows(
            engine,
            "SELECT v.layer, v.account_a, v.account_b, v.post_a, v.post_b, v.at_a, v.at_b, v.seconds_apart, v.shared_item, "
            "v.source_a, v.source_b FROM evidence v SEMI JOIN _cib_xp_keys k ON k.layer = v.layer AND k.account_a = v.account_a "
            "AND k.account_b = v.account_b QUALIFY row_number() OVER (PARTITION BY v.layer, v.account_a, v.account_b "
            f"ORDER BY v.seconds_apart, v.evidence_id) <= {int(evidence_per_edge)} "
            "ORDER BY v.layer, v.account_a, v.account_b, v.seconds_apart, v.evidence_id",
        )
    finally:
        engine.unregister("_cib_xp_keys")
    by: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in ev:
        by.setdefault((r.pop("layer"), r.pop("account_a"), r.pop("account_b")), []).append(r)
    for e in edges:
        e["evidence"] = by.get((e["layer"], e["account_a"], e["account_b"]), [])
    return edges


def platform_lags(
    case: Case | Engine, *, max_accounts: int = 10, bin_minutes: int = 15, horizon_hours: int = 12
) -> list[dict[str, Any]]:
    """The platforms' clocks checked against each other, per pair of platforms (a < b).

    For every item (URL, domain-less link, hashtag, image hash) shared by at most
    ``max_accounts`` accounts, on both platforms, each pair of an account of ``a`` and one of
    ``b`` gives the signed time difference ``time(b) - time(a)`` of their closest posts of it.
    Differences within ``horizon_hours`` are binned (``bin_minutes``); the peak bin and how far
    it stands above the median bin are returned, with the histogram. Cross-posting makes a
    peak near 0; a sharp peak hours away says one platform's times are shifted (a time-zone
    error in an export), and cross-platform windows should be read against that shift.
    """
    engine = engine_of(case)
    _with_platforms(engine)
    try:
        items = (
            "SELECT 'url:' || u.url AS k, u.post_id FROM post_urls u WHERE u.url IS NOT NULL "
            "UNION ALL SELECT 'tag:' || h.hashtag, h.post_id FROM post_hashtags h WHERE h.hashtag IS NOT NULL "
            "UNION ALL SELECT 'img:' || i.image_hash, i.post_id FROM post_images i WHERE i.image_hash IS NOT NULL"
        )
        h_s = int(horizon_hours) * 3600
        rows = engine.execute(
            f"""
            WITH a AS (SELECT DISTINCT x.k, p.account_id, pl.platform, epoch(p.created_at) AS t
                       FROM ({items}) x JOIN posts p ON p.post_id = x.post_id JOIN _cib_plat pl ON pl.account_id = p.account_id
                       WHERE p.repost_of IS NULL),
                 rare AS (SELECT k FROM a GROUP BY k HAVING count(DISTINCT account_id) <= {int(max_accounts)}
                          AND count(DISTINCT platform) > 1),
                 d AS (SELECT a1.platform AS pa, a2.platform AS pb, a1.k, a1.account_id AS x, a2.account_id AS y,
                              arg_min(a2.t - a1.t, abs(a2.t - a1.t)) AS dt
                       FROM a a1 JOIN a a2 ON a2.k = a1.k AND a1.platform < a2.platform
                       WHERE a1.k IN (SELECT k FROM rare) GROUP BY ALL)
            SELECT pa, pb, CAST(floor(dt / {int(bin_minutes) * 60}) AS BIGINT) AS bin, count(*) AS n
            FROM d WHERE abs(dt) < {h_s} GROUP BY ALL ORDER BY ALL
            """
        ).fetchall()
    finally:
        engine.execute("DROP TABLE IF EXISTS _cib_plat")
    import numpy as np

    by: dict[tuple[str, str], dict[int, int]] = {}
    for pa_, pb_, b, n in rows:
        by.setdefault((str(pa_), str(pb_)), {})[int(b)] = int(n)
    out = []
    n_bins = 2 * int(horizon_hours) * 60 // int(bin_minutes)
    for (pa_, pb_), hist in sorted(by.items()):
        lo = -n_bins // 2
        counts = np.array([hist.get(b, 0) for b in range(lo, lo + n_bins)], dtype=np.int64)
        peak = int(np.argmax(counts))
        median = float(np.median(counts))
        out.append(
            {
                "platform_a": pa_,
                "platform_b": pb_,
                "pairs": int(counts.sum()),
                "peak_minutes": (lo + peak) * int(bin_minutes),  # the peak bin's start: b - a in [peak, peak + bin)
                "peak_pairs": int(counts[peak]),
                "median_pairs": median,
                "peak_ratio": float(counts[peak] / median) if median > 0 else float("inf"),
                "histogram": json.dumps({str((lo + i) * int(bin_minutes)): int(c) for i, c in enumerate(counts) if c}),
            }
        )
    return out


#: colours of platforms in the report's networks (others: PLATFORM_FALLBACK, in name order)
PLATFORM_COLORS: dict[str, str] = {
    "twitter": "#0284c7",
    "facebook": "#7c3aed",
    "instagram": "#db2777",
    "telegram": "#0d9488",
    "youtube": "#dc2626",
    "tiktok": "#ca8a04",
    "reddit": "#ea580c",
    "vk": "#4338ca",
}
PLATFORM_FALLBACK = ("#65a30d", "#be123c", "#0f766e", "#a16207", "#475569", "#9333ea")


def platform_colors(platforms: Sequence[str]) -> dict[str, str]:
    """A colour per platform: fixed for the known ones, then a fallback palette in name order."""
    out = {p: PLATFORM_COLORS[p] for p in platforms if p in PLATFORM_COLORS}
    for i, p in enumerate(sorted(p for p in set(platforms) if p not in PLATFORM_COLORS)):
        out[p] = PLATFORM_FALLBACK[i % len(PLATFORM_FALLBACK)]
    return out


def group_platform_cards(
    case: Case | Engine, group_ids: Sequence[int], *, max_edges: int = 15, evidence_per_edge: int = 2
) -> dict[int, dict[str, Any]]:
    """What the report's group cards show about platforms, per group id: ``platforms``
    [(platform, members)], ``spans_platforms``, ``case_platforms`` (every platform of the case,
    for consistent colours), ``platform_colors``, ``n_cross_edges``, ``cross_layers`` and, for
    a group that spans platforms, ``cross_edges``: its strongest ``max_edges`` cross-platform
    edges with their evidence (:func:`cross_platform_edges`)."""
    engine = engine_of(case)
    plats = [str(r["platform"]) for r in case_platforms(engine)]
    if len(plats) < 2:
        return {}
    _with_platforms(engine)  # once for every group (the helpers below reuse it)
    try:
        return _platform_cards(engine, group_ids, plats, max_edges, evidence_per_edge)
    finally:
        engine.execute("DROP TABLE IF EXISTS _cib_plat")


def _platform_cards(
    engine: Engine, group_ids: Sequence[int], plats: list[str], max_edges: int, evidence_per_edge: int
) -> dict[int, dict[str, Any]]:
    info = group_platforms(engine)
    colors = platform_colors(plats)
    out: dict[int, dict[str, Any]] = {}
    for gid in group_ids:
        g = info.get(int(gid), {"platforms": [], "spans": False, "cross_edges": 0, "cross_layers": {}})
        out[int(gid)] = {
            "platforms": g["platforms"],
            "spans_platforms": g["spans"],
            "case_platforms": plats,
            "platform_colors": colors,
            "n_cross_edges": g["cross_edges"],
            "cross_layers": g["cross_layers"],
            "cross_edges": cross_platform_edges(engine, group_id=int(gid), evidence_per_edge=evidence_per_edge, limit=max_edges)
            if g["spans"] else [],
        }
    return out

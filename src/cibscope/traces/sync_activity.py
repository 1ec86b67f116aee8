"""Synchronised activity: accounts active in the same short time bins, again and again."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import NULL_SHIFT_TABLE, NULL_TEXT, Interval, Trace, shifted_time_sql, source_expr, tolerance_expr


class SyncActivity(Trace):
    """Key: the time bin of a post (``bin_seconds`` wide, UTC epoch aligned).

    After Pacheco et al. (case study 5, 30-minute bins) but with fine bins and the shared
    significance test instead of a top-0.5% cut: accounts driven by one scheduler post in the
    same seconds far more often than their activity levels explain.

    Why 10-s bins and 10 neighbours: the number of co-occurring post pairs grows with the
    posts per bin, i.e. with the bin width times the data's density. At 10M tweets from 50,000
    accounts a 60-s bin holds 5 posts (median; 43 at the 99th percentile) and the layer had
    80M post pairs and needed more than 12 GB; 10-s bins with 10 neighbours give 15M. On the
    1M-tweet benchmark case (seed 101) the finer bins also made the layer more precise: 97.8%
    of its kept edges join two members of one operation (94.9% with 60-s bins), edges
    touching organic accounts fell from 769 to 218, operation accounts covered from 473 to 450.
    """

    name: ClassVar[str] = "sync_activity"
    description: ClassVar[str] = (
        "Accounts that post in the same `bin_seconds`-wide time bins (any post kind) more often than their "
        "activity explains. Only accounts with at least `min_posts` posts take part."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "Everyone is active at peak hours and during live events (busy bins get a low rarity weight).",
        "Scheduling tools (e.g. posting on the hour) used by unrelated professional accounts.",
        "Accounts of one organisation posting during its office hours.",
    )
    windowed: ClassVar[bool] = False
    own_constraints: ClassVar[dict[str, Any]] = {
        "bin_seconds": Interval(int, 1, None),
        "min_posts": Interval(int, 1, None),
    }
    own_defaults: ClassVar[dict[str, Any]] = {"bin_seconds": 10, "min_posts": 10}
    builder_overrides: ClassVar[dict[str, Any]] = {"min_shared": 3, "max_neighbors": 10}

    def sql(self) -> str:
        b = int(self.params["bin_seconds"])
        n = int(self.params["min_posts"])
        # accounts with enough posts: a grouped semi-join (a hash aggregate), not a window
        # partitioned by account over every post, which sorts them all
        return (
            "SELECT s.account_id, CAST(s.bin AS VARCHAR) AS key, s.at, s.post_id, s.source, "
            # the bin start as DuckDB prints a TIMESTAMPTZ (the item text is the same on every engine)
            f"CAST(make_timestamp(s.bin * {b * 1_000_000}) AS VARCHAR) || '+00' AS item, s.tolerance FROM ("
            f"SELECT p.account_id, CAST(floor(epoch(p.created_at) / {b}) AS BIGINT) AS bin, p.created_at AS at, "
            f"p.post_id, {source_expr('p')} AS source, {tolerance_expr('p')} AS tolerance "
            f"FROM posts AS p WHERE p.created_at IS NOT NULL AND {tolerance_expr('p')} < {b} "
            "AND p.account_id IN (SELECT c.account_id FROM posts AS c WHERE c.created_at IS NOT NULL "
            f"AND {tolerance_expr('c')} < {b} GROUP BY c.account_id HAVING count(*) >= {n})) AS s"
        )

    def null_sql(self, rows: str, origin_us: int, period_us: int) -> str:
        """The key is the time bin: recomputed from the shifted time."""
        b = int(self.params["bin_seconds"])
        at = shifted_time_sql("r.at", "sh.shift_us", origin_us, period_us)
        return (
            f"SELECT x.account_id, CAST(CAST(floor(epoch(x.at) / {b}) AS BIGINT) AS VARCHAR) AS key, x.at, x.post_id, "
            "x.source, x.item, x.tolerance FROM ("
            f"SELECT r.account_id, {at} AS at, r.post_id, {NULL_TEXT} AS source, {NULL_TEXT} AS item, r.tolerance FROM {rows} AS r "
            f"JOIN {NULL_SHIFT_TABLE} AS sh ON sh.account_id = r.account_id) AS x"
        )

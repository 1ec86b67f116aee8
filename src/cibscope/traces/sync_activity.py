"""Synchronised activity: accounts active in the same short time bins, again and again."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import Interval, Trace, source_expr, tolerance_expr


class SyncActivity(Trace):
    """Key: the time bin of a post (``bin_seconds`` wide, UTC epoch aligned).

    After Pacheco et al. (case study 5, 30-minute bins) but with fine bins and the shared
    significance test instead of a top-0.5% cut: accounts driven by one scheduler post in the
    same minutes far more often than their activity levels explain.
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
    own_defaults: ClassVar[dict[str, Any]] = {"bin_seconds": 60, "min_posts": 10}
    builder_overrides: ClassVar[dict[str, Any]] = {"min_shared": 3, "max_neighbors": 50}

    def sql(self) -> str:
        b = int(self.params["bin_seconds"])
        n = int(self.params["min_posts"])
        return (
            "SELECT s.account_id, CAST(s.bin AS VARCHAR) AS key, s.at, s.post_id, s.source, "
            f"CAST(to_timestamp(s.bin * {b}) AS VARCHAR) AS item, s.tolerance FROM ("
            f"SELECT p.account_id, CAST(floor(epoch(p.created_at) / {b}) AS BIGINT) AS bin, p.created_at AS at, "
            f"p.post_id, {source_expr('p')} AS source, {tolerance_expr('p')} AS tolerance, "
            "count(*) OVER (PARTITION BY p.account_id) AS n_posts "
            f"FROM posts AS p WHERE p.created_at IS NOT NULL AND {tolerance_expr('p')} < {b}) AS s "
            f"WHERE s.n_posts >= {n}"
        )

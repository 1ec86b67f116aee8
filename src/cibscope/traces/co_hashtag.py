"""Co-hashtag within a window, and identical hashtag sequences per account-day."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import NULL_SHIFT_TABLE, NULL_TEXT, Interval, IsBool, Trace, shifted_time_sql, source_expr, tolerance_expr


class CoHashtag(Trace):
    """Key: the case-folded hashtag."""

    name: ClassVar[str] = "co_hashtag"
    description: ClassVar[str] = (
        "Accounts that use the same hashtag within `window` seconds of each other "
        "(hashtag pushing to make a tag trend). Retweets are left out: their hashtags are the original's. "
        "A tag written twice in one post is one use."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "Trending and event hashtags used by thousands at once (low rarity weight).",
        "Live-tweeting a TV show, sports match or conference with its official tag.",
    )
    default_window: ClassVar[float | None] = 60.0
    own_constraints: ClassVar[dict[str, Any]] = {"include_reposts": IsBool()}
    own_defaults: ClassVar[dict[str, Any]] = {"include_reposts": False}

    def sql(self) -> str:
        rep = "" if self.params["include_reposts"] else " AND p.repost_of IS NULL"
        # one action per (post, hashtag): a tag written twice in a post is one use (the builder
        # would collapse the identical rows anyway, at the cost of building its tables twice)
        return (
            f"SELECT p.account_id, h.hashtag AS key, p.created_at AS at, p.post_id, {source_expr('p')} AS source, "
            f"'#' || h.hashtag AS item, {tolerance_expr('p')} AS tolerance "
            "FROM (SELECT DISTINCT x.post_id, x.hashtag FROM post_hashtags AS x "
            "WHERE x.hashtag IS NOT NULL AND x.hashtag <> '') AS h JOIN posts AS p ON p.post_id = h.post_id"
            f"{' WHERE p.repost_of IS NULL' if rep else ''}"
        )


class HashtagSequence(Trace):
    """Key: the UTC day and the account's ordered sequence of hashtags that day.

    After Pacheco et al. (ICWSM 2021, case study 3): accounts posting the *same ordered
    sequence* of many hashtags on the same day are very unlikely to do so independently.
    """

    name: ClassVar[str] = "hashtag_sequence"
    description: ClassVar[str] = (
        "Accounts whose ordered sequence of hashtags over one UTC day is identical, with at least "
        "`min_hashtags` hashtags (retweets left out). Copy-paste scripts posting the same tag lists."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "Accounts that post one tweet a day with the same fixed hashtag block (e.g. a daily campaign signature copied from a template by real activists).",
        "Cross-posting tools run by one person on several of their own accounts.",
    )
    windowed: ClassVar[bool] = False
    own_constraints: ClassVar[dict[str, Any]] = {"min_hashtags": Interval(int, 1, None)}
    own_defaults: ClassVar[dict[str, Any]] = {"min_hashtags": 5}
    builder_overrides: ClassVar[dict[str, Any]] = {"min_shared": 1}

    def sql(self) -> str:
        n = int(self.params["min_hashtags"])
        return (
            "SELECT s.account_id, CAST(s.day AS VARCHAR) || '|' || s.seq AS key, s.first_at AS at, s.first_post AS post_id, "
            "s.first_source AS source, CAST(s.day AS VARCHAR) || ' #' || replace(s.seq, ' ', ' #') AS item, s.tolerance "
            "FROM (SELECT p.account_id, CAST(p.created_at AS DATE) AS day, "
            "string_agg(h.hashtag, ' ' ORDER BY p.created_at, p.post_id, h.position) AS seq, "
            "count(*) AS n, min(p.created_at) AS first_at, "
            "min(p.post_id) AS first_post, min(" + source_expr("p") + ") AS first_source, "
            f"max({tolerance_expr('p')}) AS tolerance "
            "FROM post_hashtags AS h JOIN posts AS p ON p.post_id = h.post_id "
            "WHERE h.hashtag IS NOT NULL AND h.hashtag <> '' AND p.repost_of IS NULL "
            "AND p.time_precision <> 'day' "
            f"GROUP BY p.account_id, CAST(p.created_at AS DATE)) AS s WHERE s.n >= {n}"
        )

    def null_sql(self, rows: str, origin_us: int, period_us: int) -> str:
        """The key starts with the day: recomputed from the shifted time of the day's first post."""
        at = shifted_time_sql("r.at", "sh.shift_us", origin_us, period_us)
        return (
            "SELECT x.account_id, CAST(CAST(x.at AS DATE) AS VARCHAR) || '|' || x.seq AS key, x.at, x.post_id, "
            "x.source, x.item, x.tolerance FROM ("
            f"SELECT r.account_id, {at} AS at, substr(r.key, strpos(r.key, '|') + 1) AS seq, r.post_id, {NULL_TEXT} AS source, "
            f"{NULL_TEXT} AS item, r.tolerance FROM {rows} AS r JOIN {NULL_SHIFT_TABLE} AS sh ON sh.account_id = r.account_id) AS x"
        )

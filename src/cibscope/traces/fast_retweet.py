"""Fast retweet: retweets of the same original within seconds of the original's posting."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import NULL_SHIFT_TABLE, NULL_TEXT, Interval, Trace, shifted_time_sql, source_expr

#: Twitter's snowflake epoch (ms): time = (id >> 22) + this.
SNOWFLAKE_EPOCH_MS = 1288834974657
#: Ids below 2^22 * one day cannot be snowflakes (pre-Nov-2010 sequential ids).
MIN_SNOWFLAKE = (1 << 22) * 86_400_000


def snowflake_seconds_sql(col: str) -> str:
    """SQL: epoch seconds encoded in a snowflake id held as text, NULL when it is not one."""
    as_int = f"TRY_CAST({col} AS BIGINT)"
    return (
        f"(CASE WHEN {as_int} >= {MIN_SNOWFLAKE} "
        f"THEN (({as_int} >> 22) + {SNOWFLAKE_EPOCH_MS}) / 1000.0 END)"
    )


class FastRetweet(Trace):
    """Key: the retweeted original; only retweets posted at most ``max_delay`` seconds after it.

    The original's time comes from the original itself when it is in the case with second
    precision, else from its snowflake id (Luceri et al. WWW 2024), so the original need not
    be in the data. Only retweets with second-precision times take part.
    """

    name: ClassVar[str] = "fast_retweet"
    description: ClassVar[str] = (
        "Accounts that retweet the same original within `max_delay` seconds of the original's own posting "
        "time (decoded from its snowflake id when the original is not in the data). Scripted amplification "
        "reacts faster than people do."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "Fans with notifications on, and auto-retweet apps following a popular account.",
        "Accounts run by the same newsroom or brand retweeting their own flagship account.",
    )
    windowed: ClassVar[bool] = False
    own_constraints: ClassVar[dict[str, Any]] = {"max_delay": Interval(float, 0, None)}
    own_defaults: ClassVar[dict[str, Any]] = {"max_delay": 10.0}

    def sql(self) -> str:
        d = float(self.params["max_delay"])
        orig = (
            "coalesce(CASE WHEN o.time_precision = 'second' THEN epoch(o.created_at) END, "
            f"{snowflake_seconds_sql('p.repost_of')})"
        )
        return (
            "SELECT r.account_id, r.key, r.at, r.post_id, r.source, r.item, 0.0 AS tolerance FROM ("
            f"SELECT p.account_id, p.repost_of AS key, p.created_at AS at, p.post_id, {source_expr('p')} AS source, "
            f"epoch(p.created_at) - {orig} AS delay, "
            f"p.repost_of || ' (retweeted ' || CAST(round(epoch(p.created_at) - {orig}, 1) AS VARCHAR) || ' s after posting)' AS item "
            "FROM posts AS p LEFT JOIN posts AS o ON o.post_id = p.repost_of "
            "WHERE p.repost_of IS NOT NULL AND p.time_precision = 'second') AS r "
            f"WHERE r.delay >= -1.0 AND r.delay <= {d!r}"
        )

    def null_sql(self, rows: str, origin_us: int, period_us: int) -> str:
        """A retweet stays fast only if its original moved with it: the original's author is in
        the case and was shifted by the same amount (an original outside the case does not move)."""
        at = shifted_time_sql("r.at", "sh.shift_us", origin_us, period_us)
        return (
            f"SELECT r.account_id, r.key, {at} AS at, r.post_id, {NULL_TEXT} AS source, {NULL_TEXT} AS item, r.tolerance FROM {rows} AS r "
            f"JOIN {NULL_SHIFT_TABLE} AS sh ON sh.account_id = r.account_id "
            "JOIN posts AS p ON p.post_id = r.post_id "
            f"JOIN {NULL_SHIFT_TABLE} AS so ON so.account_id = p.repost_of_account AND so.shift_us = sh.shift_us"
        )

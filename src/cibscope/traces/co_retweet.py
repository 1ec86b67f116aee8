"""Co-retweet: two accounts retweet the same original within a short window."""

from __future__ import annotations

from typing import ClassVar

from .base import Trace, source_expr, tolerance_expr


class CoRetweet(Trace):
    """Key: the retweeted (original) post id; time: the retweet's time (second precision when
    recovered from the snowflake id at ingest)."""

    name: ClassVar[str] = "co_retweet"
    description: ClassVar[str] = (
        "Accounts that retweet the same original post within `window` seconds of each other. "
        "The classic amplification trace: operators push a post by having many accounts retweet it at once."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "Fans with notifications on retweet a popular account within seconds (popular originals get a low rarity weight).",
        "Retweet bots or 'auto-RT' services used by unrelated people.",
        "Breaking news: many people retweet the first report at once.",
    )
    default_window: ClassVar[float | None] = 60.0

    def sql(self) -> str:
        return (
            f"SELECT p.account_id, p.repost_of AS key, p.created_at AS at, p.post_id, {source_expr('p')} AS source, "
            f"p.repost_of AS item, {tolerance_expr('p')} AS tolerance "
            "FROM posts AS p WHERE p.repost_of IS NOT NULL"
        )

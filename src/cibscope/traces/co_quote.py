"""Co-quote: two accounts quote the same post within a short window."""

from __future__ import annotations

from typing import ClassVar

from .base import Trace, source_expr, tolerance_expr


class CoQuote(Trace):
    """Key: the quoted post id."""

    name: ClassVar[str] = "co_quote"
    description: ClassVar[str] = (
        "Accounts that quote the same post within `window` seconds of each other "
        "(amplification with a comment, often a slogan)."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "A viral post quoted by many people reacting to it at once.",
        "Quote-tweet 'dunking' on a controversial post.",
    )
    default_window: ClassVar[float | None] = 60.0

    def sql(self) -> str:
        return (
            f"SELECT p.account_id, p.quote_of AS key, p.created_at AS at, p.post_id, {source_expr('p')} AS source, "
            f"p.quote_of AS item, {tolerance_expr('p')} AS tolerance "
            "FROM posts AS p WHERE p.quote_of IS NOT NULL"
        )

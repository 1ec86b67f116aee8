"""Co-link (same canonical URL) and co-domain (same site, a weaker layer)."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import IsBool, Trace, source_expr, tolerance_expr


class CoLink(Trace):
    """Key: the canonical URL (post_urls.url, canonicalised at ingest)."""

    name: ClassVar[str] = "co_link"
    description: ClassVar[str] = (
        "Accounts that post the same canonical URL within `window` seconds of each other "
        "(link-sharing campaigns pushing a site or article). Retweets are left out: their URLs are the original's."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "A viral article shared by many readers at once; news-site share buttons.",
        "Automated cross-posting (RSS-to-Twitter) by the same publisher's several accounts.",
        "Unresolved link shorteners: different shortened links to the same page do not match (missed pairs, not false ones).",
    )
    default_window: ClassVar[float | None] = 60.0
    own_constraints: ClassVar[dict[str, Any]] = {"include_reposts": IsBool()}
    own_defaults: ClassVar[dict[str, Any]] = {"include_reposts": False}

    key_column: ClassVar[str] = "u.url"
    extra_where: ClassVar[str] = ""

    def sql(self) -> str:
        rep = "" if self.params["include_reposts"] else " AND p.repost_of IS NULL"
        return (
            f"SELECT p.account_id, {self.key_column} AS key, p.created_at AS at, p.post_id, {source_expr('p')} AS source, "
            f"{self.key_column} AS item, {tolerance_expr('p')} AS tolerance "
            "FROM post_urls AS u JOIN posts AS p ON p.post_id = u.post_id "
            f"WHERE {self.key_column} IS NOT NULL{rep}{self.extra_where}"
        )


class CoDomain(CoLink):
    """Key: the URL's domain. Weaker than co_link: many unrelated people link to the same big sites."""

    name: ClassVar[str] = "co_domain"
    description: ClassVar[str] = (
        "Accounts that link to the same site (domain) within `window` seconds of each other: a weaker "
        "layer than co_link that catches campaigns rotating article URLs on one outlet."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "Big sites (news outlets, YouTube) are linked by everyone all the time (low rarity weight).",
        "Link shorteners' domains say nothing about the target (left out unless include_shorteners).",
    )
    own_constraints: ClassVar[dict[str, Any]] = {"include_reposts": IsBool(), "include_shorteners": IsBool()}
    own_defaults: ClassVar[dict[str, Any]] = {"include_reposts": False, "include_shorteners": False}
    key_column: ClassVar[str] = "u.domain"

    def sql(self) -> str:
        base = super().sql()
        if not self.params["include_shorteners"]:
            base += " AND coalesce(u.is_shortener, FALSE) = FALSE"
        return base

"""Co-mention: two accounts mention the same account within a short window."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import IsBool, Trace, source_expr, tolerance_expr


class CoMention(Trace):
    """Key: the mentioned account (id, possibly hashed, or lower-cased handle)."""

    name: ClassVar[str] = "co_mention"
    description: ClassVar[str] = (
        "Accounts that mention the same account within `window` seconds of each other: coordinated "
        "targeting (harassment, tagging journalists or officials). Retweets are left out; by default so is "
        "the mention a reply carries of the account it answers (co_reply covers that)."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "Mentioning a celebrity, a brand or an official during a live event.",
        "Conversations among friends who tag each other.",
    )
    default_window: ClassVar[float | None] = 60.0
    own_constraints: ClassVar[dict[str, Any]] = {"include_reply_target": IsBool()}
    own_defaults: ClassVar[dict[str, Any]] = {"include_reply_target": False}

    def sql(self) -> str:
        reply = "" if self.params["include_reply_target"] else (
            " AND (p.reply_to_account IS NULL OR m.mentioned <> p.reply_to_account)"
        )
        return (
            f"SELECT p.account_id, m.mentioned AS key, p.created_at AS at, p.post_id, {source_expr('p')} AS source, "
            f"m.mentioned AS item, {tolerance_expr('p')} AS tolerance "
            "FROM post_mentions AS m JOIN posts AS p ON p.post_id = m.post_id "
            f"WHERE m.mentioned IS NOT NULL AND m.mentioned <> p.account_id AND p.repost_of IS NULL{reply}"
        )

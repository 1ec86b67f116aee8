"""Co-reply: two accounts reply to the same post (or account) within a short window."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import Options, Trace, source_expr, tolerance_expr


class CoReply(Trace):
    """Key: the replied-to post id (``target='post'``) or account (``target='account'``)."""

    name: ClassVar[str] = "co_reply"
    description: ClassVar[str] = (
        "Accounts that reply to the same post (or, with target='account', the same account) within "
        "`window` seconds of each other: coordinated reply campaigns that flood a target's replies."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "A popular post's reply section fills quickly with organic replies.",
        "Conversation threads where the same people answer each other.",
        "With target='account': replying to a popular account is common.",
    )
    default_window: ClassVar[float | None] = 60.0
    own_constraints: ClassVar[dict[str, Any]] = {"target": Options({"post", "account"})}
    own_defaults: ClassVar[dict[str, Any]] = {"target": "post"}

    def sql(self) -> str:
        col = "reply_to_post" if self.params["target"] == "post" else "reply_to_account"
        return (
            f"SELECT p.account_id, p.{col} AS key, p.created_at AS at, p.post_id, {source_expr('p')} AS source, "
            f"p.{col} AS item, {tolerance_expr('p')} AS tolerance "
            f"FROM posts AS p WHERE p.{col} IS NOT NULL AND (p.reply_to_account IS NULL OR p.reply_to_account <> p.account_id)"
        )

"""Which evidence rows of an account come first: the ones about its group's operation.

An account's evidence (its post next to another account's post) is ordered the same way in
``cibscope explain``, the audit's examples and the report's account pages:

1. rows on its group's **defining items** (``group_items``: what the group pushes that the rest
   of the case does not), by the item's rank -- a #KochFarms account's first rows are its
   #KochFarms posts, not a hashtag everybody used in August;
2. then rows with fellow members of its group;
3. then the closest in time, then the row id (a stable order).
"""

from __future__ import annotations

__all__ = ["ranked_evidence_sql", "EVIDENCE_SIDE_COLUMNS"]

#: columns of every row of :func:`ranked_evidence_sql`, seen from the account (``me``)
EVIDENCE_SIDE_COLUMNS = (
    "evidence_id", "layer", "key_layer", "key", "precision", "seconds_apart", "shared_item", "me", "other", "my_post",
    "other_post", "my_at", "other_at", "my_source", "other_source",
)


def ranked_evidence_sql(accounts: str) -> str:
    """SELECT of the evidence rows of the accounts in ``accounts`` (a SELECT of ``account_id``),
    each seen from the account (``me``), with ``item_rank`` (the defining item's rank or NULL),
    ``same_group``, ``rk`` (the account's order, from 1) and ``layer_rk`` (the same order
    within the layer)."""
    side = (
        "SELECT evidence_id, layer, key_layer, key, precision, seconds_apart, shared_item, {me} AS me, {other} AS other, "
        "{mp} AS my_post, {op} AS other_post, {ma} AS my_at, {oa} AS other_at, {ms} AS my_source, {os} AS other_source "
        "FROM evidence WHERE {me} IN ({accounts})"
    )
    a = side.format(me="account_a", other="account_b", mp="post_a", op="post_b", ma="at_a", oa="at_b", ms="source_a",
                    os="source_b", accounts=accounts)
    b = side.format(me="account_b", other="account_a", mp="post_b", op="post_a", ma="at_b", oa="at_a", ms="source_b",
                    os="source_a", accounts=accounts)
    order = "gi.rank NULLS LAST, (gm.account_id IS NOT NULL) DESC, abs(coalesce(s.seconds_apart, 1e18)), s.evidence_id"
    return (
        f"WITH s AS ({a} UNION ALL {b}), "
        "g AS (SELECT account_id, group_id FROM scores WHERE group_id IS NOT NULL) "
        "SELECT s.*, gi.rank AS item_rank, (gm.account_id IS NOT NULL) AS same_group, "
        f"row_number() OVER (PARTITION BY s.me ORDER BY {order}) AS rk, "
        f"row_number() OVER (PARTITION BY s.me, s.layer ORDER BY {order}) AS layer_rk "
        "FROM s LEFT JOIN g ON g.account_id = s.me "
        "LEFT JOIN group_items gi ON gi.group_id = g.group_id AND gi.layer = s.key_layer AND gi.key = s.key "
        "LEFT JOIN group_members gm ON gm.group_id = g.group_id AND gm.account_id = s.other"
    )

"""Account creation batches: same creation day and a similar handle pattern."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import IsBool, Trace, source_expr


def handle_shape_sql(col: str) -> str:
    """SQL: a handle's shape: letter runs -> 'a', each digit -> '9' (digit counts kept).

    'maria_lopez4821' -> 'a_a9999'; generated handles ('name' + 8 random digits) share a shape.
    """
    return f"regexp_replace(regexp_replace(lower({col}), '[a-z]+', 'a', 'g'), '[0-9]', '9', 'g')"


class AccountBatch(Trace):
    """Account-level key: UTC creation day (+ handle shape unless hashed or ``handle_shape=False``)."""

    name: ClassVar[str] = "account_batch"
    level: ClassVar[str] = "account"
    description: ClassVar[str] = (
        "Accounts created on the same UTC day whose handles have the same shape (letter runs as 'a', "
        "digits as '9'), e.g. a batch of 'name12345678' accounts. Hashed handles (IO archive accounts "
        "under 5,000 followers) have no shape: the day alone is the key."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "Sign-up waves after news events or a platform's launch in a country.",
        "Plain letter-only handles are common; a busy day with shape 'a' is shared by many organic accounts (low rarity weight).",
        "Organisations creating accounts for their staff on one day.",
    )
    windowed: ClassVar[bool] = False
    own_constraints: ClassVar[dict[str, Any]] = {"handle_shape": IsBool()}
    own_defaults: ClassVar[dict[str, Any]] = {"handle_shape": True}
    builder_overrides: ClassVar[dict[str, Any]] = {"min_shared": 1}

    def sql(self) -> str:
        if self.params["handle_shape"]:
            shape = (
                "CASE WHEN coalesce(a.is_hashed, FALSE) OR a.screen_name IS NULL THEN '*' "
                f"ELSE {handle_shape_sql('a.screen_name')} END"
            )
        else:
            shape = "'*'"
        return (
            "SELECT a.account_id, CAST(CAST(a.created_at AS DATE) AS VARCHAR) || '|' || "
            f"{shape} AS key, CAST(CAST(a.created_at AS DATE) AS TIMESTAMP) AS at, CAST(NULL AS VARCHAR) AS post_id, "
            f"{source_expr('a')} AS source, 'created ' || CAST(CAST(a.created_at AS DATE) AS VARCHAR) || ', handle shape ' || "
            f"{shape} AS item, 0.0 AS tolerance "
            "FROM accounts AS a WHERE a.created_at IS NOT NULL"
        )

"""Identical or templated profile descriptions and display names."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import Interval, Options, Trace, source_expr


def template_sql(col: str) -> str:
    """SQL: a text's template: lower case, digit runs -> '0', punctuation dropped, spaces collapsed."""
    return (
        "trim(regexp_replace(regexp_replace(regexp_replace(lower(" + col + "), '[0-9]+', '0', 'g'), "
        "'[^\\w\\s]', ' ', 'g'), '\\s+', ' ', 'g'))"
    )


class ProfileTemplate(Trace):
    """Account-level keys: the description template, and the display-name template."""

    name: ClassVar[str] = "profile_template"
    level: ClassVar[str] = "account"
    description: ClassVar[str] = (
        "Accounts whose profile description is identical after templating (lower case, numbers masked, "
        "punctuation dropped), or whose display names follow one numbered template ('Patriot Voice 12' / "
        "'Patriot Voice 87'). Batch-made personas reuse bios and name patterns."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "Stock bios ('Proud mom', 'Official account') and bios copied from a popular template.",
        "Several accounts of one organisation (branches, departments) with the same bio.",
        "With names='all': common names shared by unrelated people.",
    )
    windowed: ClassVar[bool] = False
    own_constraints: ClassVar[dict[str, Any]] = {
        "min_length": Interval(int, 1, None),
        "names": Options({"numbered", "all", "none"}),
    }
    own_defaults: ClassVar[dict[str, Any]] = {"min_length": 12, "names": "numbered"}
    builder_overrides: ClassVar[dict[str, Any]] = {"min_shared": 1}

    def sql(self) -> str:
        n = int(self.params["min_length"])
        src = source_expr("a")
        at = "CAST(a.created_at AS TIMESTAMP)"
        desc = (
            f"SELECT a.account_id, 'description:' || {template_sql('a.description')} AS key, {at} AS at, "
            f"CAST(NULL AS VARCHAR) AS post_id, {src} AS source, 'bio: ' || a.description AS item, 0.0 AS tolerance "
            f"FROM accounts AS a WHERE a.description IS NOT NULL AND length({template_sql('a.description')}) >= {n}"
        )
        names = self.params["names"]
        if names == "none":
            return desc
        cond = "regexp_matches(a.display_name, '[0-9]')" if names == "numbered" else "TRUE"
        name = (
            f"SELECT a.account_id, 'display_name:' || {template_sql('a.display_name')} AS key, {at} AS at, "
            f"CAST(NULL AS VARCHAR) AS post_id, {src} AS source, 'name: ' || a.display_name AS item, 0.0 AS tolerance "
            "FROM accounts AS a WHERE a.display_name IS NOT NULL AND NOT coalesce(a.is_hashed, FALSE) "
            f"AND length({template_sql('a.display_name')}) >= 3 AND {cond}"
        )
        return f"{desc} UNION ALL {name}"

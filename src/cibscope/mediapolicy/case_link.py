"""Which accounts of a case are state or public media, and what each policy would do with them.

The outlets' social-media handles (the State Media Matrix has links for ten platforms; an
outlets CSV has a ``handles`` column) are matched to the case's accounts: the platform and
the screen name, case-insensitively (a YouTube channel id also matches the account id). The
result is stored in the case table ``state_media_accounts`` (one row per account, outlet and
policy) so a detection or audit report can show which flagged or claimed accounts are state
media and how each policy would treat them; :func:`case_accounts` joins it with the case's
scores and audit verdicts when those exist.

A handle match says the account is the one the outlet list names, nothing more: the lists
are hand-made (the State Media Matrix README warns its links are "prone to mistakes and
omissions"), and a handle can change owner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from ..audit._util import fetch_dicts, replace_rows
from ..case import Case
from ..schema import STATE_MEDIA_ACCOUNTS
from .decide import Decision
from .outlets import OutletSet

__all__ = ["case_accounts", "link_case"]


def _handle_table(outlets: OutletSet) -> pa.Table:
    rows: list[tuple[str, str, str, str]] = []
    for o in outlets:
        for h in o.handles:
            plat, key = h.key
            rows.append((plat, key, h.handle, o.outlet_id))
    rows.sort()
    return pa.table({
        "platform": pa.array([r[0] for r in rows], pa.string()),
        "handle_key": pa.array([r[1] for r in rows], pa.string()),
        "handle": pa.array([r[2] for r in rows], pa.string()),
        "outlet_id": pa.array([r[3] for r in rows], pa.string()),
    })


def link_case(case: Case, outlets: OutletSet, decisions: Mapping[str, Sequence[Decision]]) -> list[dict[str, Any]]:
    """Match the case's accounts to outlets; store and return one row per account, outlet and policy."""
    engine = case.engine
    engine.register_arrow("_mp_handles", _handle_table(outlets))
    try:
        matches = fetch_dicts(
            engine,
            """
            SELECT DISTINCT a.account_id, a.platform, a.screen_name, h.outlet_id,
                   h.platform || ':' || h.handle AS matched_on
            FROM accounts a JOIN _mp_handles h
              ON lower(coalesce(a.platform, '')) = h.platform
             AND (lower(a.screen_name) = lower(h.handle_key) OR a.account_id = h.handle)
            ORDER BY a.account_id, h.outlet_id, matched_on
            """,
        )
    finally:
        engine.unregister("_mp_handles")
    by_outlet: dict[str, dict[str, Decision]] = {}
    for pid, ds in decisions.items():
        for d in ds:
            by_outlet.setdefault(d.outlet_id, {})[pid] = d
    rows: list[dict[str, Any]] = []
    for m in matches:
        o = outlets.get(m["outlet_id"])
        for pid in decisions:
            d = by_outlet.get(m["outlet_id"], {}).get(pid)
            rows.append({
                **m, "outlet": o.name if o else "", "country": o.country if o else "",
                "typology": d.typology if d else None, "policy": pid,
                "as_of": d.as_of.isoformat() if d else None, "decision": d.decision if d else None,
                "wording": d.wording if d else None,
            })
    replace_rows(engine, STATE_MEDIA_ACCOUNTS, rows)
    return rows


def case_accounts(case: Case) -> list[dict[str, Any]]:
    """``state_media_accounts`` with each account's detection score/flag and audit verdict, where present."""
    engine = case.engine
    if not case.table_exists("state_media_accounts"):
        return []
    has_scores = case.table_exists("scores")
    has_verdicts = case.table_exists("audit_verdicts")
    cols = ["m.*"]
    joins = []
    if has_scores:
        cols += ["s.score", "s.flagged", "s.group_id"]
        joins.append("LEFT JOIN scores s ON s.account_id = m.account_id")
    if has_verdicts:
        cols += ["v.claimed", "v.verdict"]
        joins.append("LEFT JOIN audit_verdicts v ON v.account_id = m.account_id")
    return fetch_dicts(engine, f"SELECT {', '.join(cols)} FROM state_media_accounts m {' '.join(joins)} ORDER BY m.account_id, m.outlet_id, m.policy")

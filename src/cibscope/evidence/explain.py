"""Why is this account scored the way it is? The breakdown and the concrete evidence.

Everything here is read back from the case tables the score was computed from
(``scores``, ``score_contributions``, ``evidence``, ``posts``), so the explanation cannot
disagree with the score: ``score == 1 - exp(-sum(contribution values))`` holds by construction
(see :mod:`cibscope.evidence.score`), and each evidence row names both posts, their times, how
many seconds apart they were, the shared item and each post's ``source_file:source_line``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..case import engine_or_connection
from ..errors import CaseStateError, UnknownAccountError
from .ranking import ranked_evidence_sql

if TYPE_CHECKING:
    from ..case import Case
    from ..engine.base import Engine

__all__ = ["Contribution", "EvidenceRow", "Explanation", "explain_account", "time_apart"]


@dataclass(frozen=True)
class Contribution:
    name: str
    value: float
    n_evidence: int
    detail: str


@dataclass(frozen=True)
class EvidenceRow:
    layer: str
    other_account: str
    post: str | None
    other_post: str | None
    at: datetime | None
    other_at: datetime | None
    seconds_apart: float | None
    shared_item: str | None
    source: str | None
    other_source: str | None
    text: str | None
    other_text: str | None
    same_group: bool
    #: the coarser time precision of the two posts: 'second', 'minute' or 'day'
    precision: str = "second"
    #: rank of the shared item among the account's group's defining items (None: not one of them)
    item_rank: int | None = None
    platform: str | None = None  # of this account's post
    other_platform: str | None = None

    @property
    def cross_platform(self) -> bool:
        """True when the two posts are on different platforms (the xp_* layers' evidence)."""
        return bool(self.platform and self.other_platform and self.platform != self.other_platform)

    @property
    def apart(self) -> str:
        """How far apart the two posts were, as precisely as the data knows it."""
        return time_apart(self.seconds_apart, self.precision, self.at, self.other_at)


def time_apart(seconds: float | None, precision: str | None, at: datetime | str | None = None,
               other_at: datetime | str | None = None) -> str:
    """'12.3 s', or for minute-precision times 'same minute' / '3 min apart' (the data does not know
    the seconds), or 'same day' / '2 days apart' for day precision."""
    if seconds is None:
        return ""
    at = datetime.fromisoformat(at) if isinstance(at, str) else at
    other_at = datetime.fromisoformat(other_at) if isinstance(other_at, str) else other_at
    if precision == "minute":
        if at is not None and other_at is not None:
            mins = abs(int((at.replace(second=0, microsecond=0) - other_at.replace(second=0, microsecond=0)).total_seconds()) // 60)
        else:
            mins = int(round(seconds / 60.0))
        return "same minute" if mins == 0 else f"{mins} min apart (minute precision)"
    if precision == "day":
        days = int(round(seconds / 86400.0))
        return "same day" if days == 0 else f"{days} days apart (day precision)"
    return f"{seconds:.1f} s"


@dataclass
class Explanation:
    account_id: str
    screen_name: str | None
    score: float
    flagged: bool
    group_id: int | None
    top_reasons: str
    contributions: list[Contribution] = field(default_factory=list)
    #: 'core' (found by Leiden) or 'joined' (by the group-membership test); None without a group
    group_role: str | None = None
    #: the group's decision in words (see cibscope.evidence.decision.verdict_text)
    group_verdict: str | None = None
    evidence: list[EvidenceRow] = field(default_factory=list)
    #: one sentence per outlet and policy where the account is a state or public media outlet's
    #: own account (table ``state_media_accounts``, written by ``cibscope media-policy --case``)
    state_media: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        """Sum of the named terms; ``score == 1 - exp(-total)``."""
        return sum(c.value for c in self.contributions)


def _resolve(engine: Engine, account: str) -> str:
    """Accept an account id, or a screen name (with or without '@') when it is unambiguous."""
    row = engine.execute(
        "SELECT account_id FROM scores WHERE account_id = ? UNION SELECT account_id FROM accounts WHERE account_id = ?",
        [account, account],
    ).fetchone()
    if row is not None:
        return str(row[0])
    name = account.lstrip("@").lower()
    rows = engine.execute(
        "SELECT DISTINCT account_id FROM accounts WHERE lower(screen_name) = ? ORDER BY 1 LIMIT 2", [name]
    ).fetchall()
    if len(rows) == 1:
        return str(rows[0][0])
    if len(rows) > 1:
        raise UnknownAccountError(f"screen name {account!r} matches several accounts", hint="give the account id instead")
    raise UnknownAccountError(
        f"no account {account!r} in this case",
        hint="account ids are listed in OUT/accounts.csv (or query the scores table)",
    )


def explain_account(
    case: Case | Engine | Any, account_id: str, *, evidence_per_layer: int = 5
) -> Explanation:
    """The score breakdown of one account and up to ``evidence_per_layer`` evidence rows per layer.

    Rows are in the order of :mod:`cibscope.evidence.ranking`: the account's group's defining
    items first, then fellow group members, then the closest in time.
    Raises :class:`CaseStateError` before ``detect`` and :class:`UnknownAccountError` for an
    id (or screen name) not in the case. ``case``: the case (or an engine over it); a bare
    DuckDB connection is still accepted, as compatibility (issue 15) for tests.
    """
    engine = engine_or_connection(case)
    n_runs = engine.execute("SELECT count(*) FROM detect_runs").fetchone()
    if not n_runs or not n_runs[0]:
        raise CaseStateError("this case has not been through detection yet", hint="run `cibscope detect --case FILE` first")
    acc = _resolve(engine, account_id)
    srow = engine.execute("SELECT score, flagged, group_id, top_reasons FROM scores WHERE account_id = ?", [acc]).fetchone()
    name_row = engine.execute("SELECT screen_name FROM accounts WHERE account_id = ? LIMIT 1", [acc]).fetchone()
    if srow is None:  # in accounts but not scored (e.g. added after detect): no evidence
        srow = (0.0, False, None, "")
    contributions = [
        Contribution(str(n), float(v), int(k or 0), str(d or ""))
        for n, v, k, d in engine.execute(
            "SELECT contribution, value, n_evidence, detail FROM score_contributions WHERE account_id = ? ORDER BY value DESC, contribution",
            [acc],
        ).fetchall()
    ]
    group_id = None if srow[2] is None else int(srow[2])
    role_row = engine.execute("SELECT role FROM group_members WHERE account_id = ? AND group_id = ?", [acc, group_id]).fetchone()
    group_verdict = _group_verdict(engine, group_id)
    rows = engine.execute(
        f"""
        SELECT r.layer, r.other, r.my_post, r.other_post, r.my_at, r.other_at, r.seconds_apart, r.shared_item,
               r.my_source, r.other_source, pa.text, pb.text, r.same_group, r.precision, r.item_rank, pa.platform, pb.platform
        FROM ({ranked_evidence_sql("SELECT CAST($1 AS VARCHAR)")}) r
        LEFT JOIN posts pa ON pa.post_id = r.my_post
        LEFT JOIN posts pb ON pb.post_id = r.other_post
        WHERE r.layer_rk <= $2
        ORDER BY r.rk
        """,
        [acc, int(evidence_per_layer)],
    ).fetchall()
    evidence = [
        EvidenceRow(
            layer=str(r[0]), other_account=str(r[1]), post=r[2], other_post=r[3], at=r[4], other_at=r[5],
            seconds_apart=None if r[6] is None else float(r[6]), shared_item=r[7], source=r[8], other_source=r[9],
            text=r[10], other_text=r[11], same_group=bool(r[12]), precision=str(r[13] or "second"),
            item_rank=None if r[14] is None else int(r[14]), platform=r[15], other_platform=r[16],
        )
        for r in rows
    ]
    return Explanation(
        account_id=acc,
        screen_name=None if name_row is None else name_row[0],
        score=float(srow[0]),
        flagged=bool(srow[1]),
        group_id=group_id,
        top_reasons=str(srow[3] or ""),
        contributions=contributions,
        evidence=evidence,
        group_role=None if role_row is None else str(role_row[0]),
        group_verdict=group_verdict,
        state_media=_state_media(engine, acc),
    )


def _state_media(engine: Engine, acc: str) -> list[str]:
    """The account's outlet and each policy's decision, where the media-policy audit matched it."""
    has = engine.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'state_media_accounts' AND table_schema = 'main'"
    ).fetchone()
    if not has or not has[0]:
        return []
    out = []
    for outlet, country, typology, policy, as_of, decision, matched in engine.execute(
        "SELECT outlet, country, typology, policy, as_of, decision, matched_on FROM state_media_accounts "
        "WHERE account_id = ? ORDER BY outlet_id, policy", [acc],
    ).fetchall():
        what = f"{outlet or '?'} ({country or 'country unknown'}; matched on {matched})"
        if decision is None:
            out.append(f"account of {what}; policy {policy}: no decision")
        else:
            out.append(f"account of {what}; policy {policy} as of {as_of}: {decision}" + (f" (typology {typology})" if typology else ""))
    return out


def _group_verdict(engine: Engine, group_id: int | None) -> str | None:
    """The group's decision in a sentence, from the groups table."""
    if group_id is None:
        return None
    row = engine.execute("SELECT verdict, statistic, e_value, q_value, signals, size, core_size FROM groups WHERE group_id = ?", [group_id]).fetchone()
    if row is None or row[0] is None:
        return None
    import json

    verdict, stat, e, q, signals, size, core = row
    null = f"internal evidence {stat:.1f}, E={e:.2g}, q={q:.2g} against the case's null copies"
    sig = ", ".join(json.loads(signals or "[]"))
    who = f"{size} accounts" + (f", {size - core} joined by the group-membership test" if core is not None and size != core else "")
    if verdict == "operation":
        return f"flagged: coordinated ({null}), with inauthenticity signals: {sig} ({who})"
    if verdict == "coordinated":
        return f"coordinated ({null}), no inauthenticity signal: not flagged ({who})"
    return f"not beyond chance ({null}) ({who})"

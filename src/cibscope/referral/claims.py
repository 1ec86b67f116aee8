"""Published traffic claims as data: supported / contradicted / not testable, and how strong their own evidence is.

Why: "Google cut our search traffic by 74%" is a claim about a series nobody outside can see,
often measured by a third-party panel (SEMrush, SimilarWeb, Alexa) that *models* traffic from
keyword ranks, search volumes and click-through curves. Writing each claim down as data -- the
site, the source, the periods compared, the stated change and the kind of measurement -- makes
it checkable against first-party data when someone has it, and makes plain when nobody does.

File format (TOML)::

    [document]
    title = "Google's new search protocol is restricting access to 13 leading ... web sites"
    by = "World Socialist Web Site"
    date = 2017-08-02
    url = "https://..."

    [[claim]]
    id = "wsws-apr-jul"
    statement = "wsws.org search traffic fell 67% from April to July 2017"
    by = "WSWS"
    site = "wsws.org"
    sources = ["google search", "external (search engine)", "Organic Search"]  # names the source may have in an export
    before = [2017-04-01, 2017-04-30]
    after = [2017-07-01, 2017-07-31]
    stated_change = -0.67
    measurement = "panel estimate"        # "first-party log", "panel estimate" or "unknown"
    tool = "SEMrush"
    tolerance = 0.10                      # |measured - stated| for "supported" (default 0.10)

A claim with ``testable = false`` and a ``reason`` is never tested (rank tracking, statements
about an algorithm). Every answer carries the measured change, the same periods a year earlier
when the data reaches back, and the strength of the claim's own evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..tomlfile import read_toml
from .series import SeriesData

__all__ = ["ClaimAnswer", "ReferralClaim", "answer_claims", "answer_claimed_effect", "load_claims", "EVIDENCE"]

MEASUREMENTS = ("first-party log", "panel estimate", "unknown")
EVIDENCE = {
    "first-party log": "strong: the site's own logs or analytics (if released)",
    "panel estimate": ("weak: a third-party panel estimate, modelled from keyword ranks x search volume x click-through, "
                       "not measured; such estimates are often off by around half, and keyword-database changes make drops that never happened"),
    "unknown": "unverified: the claim does not say how the figure was measured",
}
KEYS = ("id", "statement", "by", "site", "sources", "before", "after", "stated_change", "measurement", "tool",
        "tolerance", "testable", "reason", "metric", "note")


@dataclass
class ReferralClaim:
    id: str
    statement: str
    by: str = ""
    site: str = ""
    sources: list[str] = field(default_factory=list)
    before: tuple[date, date] | None = None
    after: tuple[date, date] | None = None
    stated_change: float | None = None
    measurement: str = "unknown"
    tool: str = ""
    tolerance: float = 0.10
    testable: bool = True
    reason: str = ""
    metric: str = ""
    note: str = ""


@dataclass
class ClaimAnswer:
    claim_id: str
    statement: str
    by: str
    status: str  # supported / contradicted / not testable
    evidence: str  # the strength of the claim's own measurement
    measurement: str
    stated_change: float | None
    measured_change: float | None = None
    same_periods_year_before: float | None = None
    how: str = ""

    def as_dict(self) -> dict[str, Any]:
        r = lambda v: None if v is None or not math.isfinite(v) else round(float(v), 6)  # noqa: E731
        return {
            "claim": self.claim_id, "statement": self.statement, "by": self.by, "status": self.status,
            "measurement": self.measurement, "evidence": self.evidence, "stated_change": r(self.stated_change),
            "measured_change": r(self.measured_change), "same_periods_year_before": r(self.same_periods_year_before),
            "how": self.how,
        }


def _as_date(v: Any, where: str, source: str) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v))
    except ValueError as e:
        raise InputError(f"{where}: not a date: {v!r}", file=source, hint="write dates as 2017-04-01") from e


def _period(v: Any, where: str, source: str) -> tuple[date, date] | None:
    if v is None:
        return None
    if not isinstance(v, list) or len(v) != 2:
        raise InputError(f"{where}: a period is [first day, last day]", file=source)
    a, b = _as_date(v[0], where, source), _as_date(v[1], where, source)
    if b < a:
        raise InputError(f"{where}: the period ends before it starts", file=source)
    return a, b


def load_claims(path: str | Path) -> tuple[dict[str, Any], list[ReferralClaim]]:
    """Read a referral claims TOML file; InputError names the file and the bad claim."""
    p = Path(path)
    data = read_toml(p, "claims file", hint="a referral claims TOML file (docs/referral-audit.md, Claims files)")
    doc = data.get("document", {})
    raw = data.get("claim", [])
    if not isinstance(raw, list) or not raw:
        raise InputError("no [[claim]] entries", file=str(p), hint="each claim is a [[claim]] table; see docs/referral-audit.md")
    out: list[ReferralClaim] = []
    for i, c in enumerate(raw, 1):
        cid = str(c.get("id") or f"claim{i}")
        unknown = sorted(set(c) - set(KEYS))
        if unknown:
            raise InputError(f"claim {cid!r}: unknown key(s) {', '.join(unknown)}", file=str(p), hint="known: " + ", ".join(KEYS))
        m = str(c.get("measurement", "unknown"))
        if m not in MEASUREMENTS:
            raise InputError(f"claim {cid!r}: measurement must be one of {', '.join(MEASUREMENTS)}; got {m!r}", file=str(p))
        testable = bool(c.get("testable", True))
        before, after = _period(c.get("before"), f"claim {cid!r} before", str(p)), _period(c.get("after"), f"claim {cid!r} after", str(p))
        if testable and (before is None or after is None or c.get("stated_change") is None or not c.get("site")):
            raise InputError(f"claim {cid!r}: a testable claim needs site, before, after and stated_change", file=str(p),
                             hint="or write testable = false with a reason")
        out.append(ReferralClaim(
            id=cid, statement=str(c.get("statement", "")), by=str(c.get("by", "")), site=str(c.get("site", "")),
            sources=[str(x) for x in c.get("sources", [])], before=before, after=after,
            stated_change=None if c.get("stated_change") is None else float(c["stated_change"]), measurement=m,
            tool=str(c.get("tool", "")), tolerance=float(c.get("tolerance", 0.10)), testable=testable,
            reason=str(c.get("reason", "")), metric=str(c.get("metric", "")), note=str(c.get("note", "")),
        ))
    return doc, out


def _period_mean(series: dict[date, float], period: tuple[date, date]) -> float | None:
    a, b = period
    n = (b - a).days + 1
    vals = [v for d, v in series.items() if a <= d <= b]
    if len(vals) < 0.8 * n:  # most of the period must be covered
        return None
    return float(np.mean(vals))


def _shift_year(p: tuple[date, date]) -> tuple[date, date] | None:
    try:
        return p[0].replace(year=p[0].year - 1), p[1].replace(year=p[1].year - 1)
    except ValueError:  # 29 February
        return None


def answer_claims(claims: list[ReferralClaim], data: SeriesData | None) -> list[ClaimAnswer]:
    """Each claim answered against ``data`` (None: no series given, so nothing is testable)."""
    out = []
    for c in claims:
        ev = EVIDENCE[c.measurement] + (f" ({c.tool})" if c.tool else "")
        base = dict(claim_id=c.id, statement=c.statement, by=c.by, evidence=ev, measurement=c.measurement, stated_change=c.stated_change)
        if not c.testable:
            out.append(ClaimAnswer(status="not testable", how=c.reason or "marked not testable", **base))
            continue
        series = None
        if data is not None:
            names = {s.lower() for s in (c.sources or [])}
            for (site, src), vals in sorted(data.values.items()):
                if site == c.site and (not names or src.lower() in names):
                    series = vals
                    break
        if series is None:
            what = f"{c.site} ({' / '.join(c.sources) or 'any source'})"
            why = (f"no first-party data for {what} in the input" if data is not None
                   else f"not testable without first-party data of {what} (no series given)")
            if c.measurement == "panel estimate":
                why += "; a panel estimate can only be checked against the site's own logs or Search Console/analytics export"
            out.append(ClaimAnswer(status="not testable", how=why, **base))
            continue
        assert c.before is not None and c.after is not None and c.stated_change is not None
        m0, m1 = _period_mean(series, c.before), _period_mean(series, c.after)
        if m0 is None or m1 is None or m0 <= 0:
            out.append(ClaimAnswer(status="not testable", how=f"the data covers less than 80% of {c.before[0]}..{c.before[1]} or {c.after[0]}..{c.after[1]}", **base))
            continue
        measured = m1 / m0 - 1
        prev = None
        pb, pa = _shift_year(c.before), _shift_year(c.after)
        if pb and pa:
            q0, q1 = _period_mean(series, pb), _period_mean(series, pa)
            if q0 and q1 is not None:
                prev = q1 / q0 - 1
        ok = abs(measured - c.stated_change) <= c.tolerance
        how = (f"mean per day {c.before[0]}..{c.before[1]} vs {c.after[0]}..{c.after[1]}: {m0:,.0f} -> {m1:,.0f} ({measured:+.1%}); "
               f"stated {c.stated_change:+.1%}, tolerance +-{c.tolerance:.0%}")
        if prev is not None:
            how += f"; the same periods a year earlier: {prev:+.1%}"
        out.append(ClaimAnswer(status="supported" if ok else "contradicted", measured_change=measured, same_periods_year_before=prev, how=how, **base))
    return out


def answer_claimed_effect(claimed: float, effect: Any, naive: float | None) -> ClaimAnswer:
    """A claimed effect of the event (``--claimed-effect``) against the adjusted effect's interval."""
    ev = "as given on the command line"
    base = dict(claim_id="claimed_effect", statement=f"the event changed the target by {claimed:+.1%}", by="(--claimed-effect)",
                evidence=ev, measurement="unknown", stated_change=claimed)
    if effect is None:
        return ClaimAnswer(status="not testable", how="no adjusted effect: too little data before the event", **base)
    inside = effect.lo <= claimed <= effect.hi
    how = (f"adjusted effect {effect.relative:+.1%} [{effect.lo:+.1%}, {effect.hi:+.1%}] ({effect.method})"
           + (f"; the naive change was {naive:+.1%}" if naive is not None else "")
           + ("; the claim lies inside the interval" if inside else "; the claim lies outside the interval"))
    return ClaimAnswer(status="supported" if inside else "contradicted", measured_change=effect.relative, how=how, **base)

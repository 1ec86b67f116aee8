"""Search-referral suppression audit: was a drop real, specific to one source, and beyond seasonality?

>>> from cibscope.referral import run_referral_audit                                   # doctest: +SKIP
>>> r = run_referral_audit(["daily.csv"], target="search", event=date(2017, 4, 25), out="out/")  # doctest: +SKIP
>>> r.audits[0].verdict.word                                                           # doctest: +SKIP
'seasonal'

Steps, each its own module: read daily counts by source (:mod:`.series`, presets for Search
Console, Google Analytics and Wikimedia exports), check the data for tracking changes and spikes
(:mod:`.anomalies`), find change points (:mod:`.changepoints`), estimate the effect against a
counterfactual from the controls with placebo-calibrated intervals (:mod:`.model`), cross-check
it (:mod:`.crosscheck`), decide (:mod:`.verdict`), answer claims (:mod:`.claims`) and write the
outputs (:mod:`.outputs`). See docs/referral-audit.md.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from ..progress import Progress
from .audit import AuditParams, ReferralAudit, SiteAudit, audit_referrals, audit_site
from .claims import load_claims
from .series import Panel, SeriesData, list_presets, load_preset, read_series

__all__ = [
    "AuditParams", "Panel", "ReferralAudit", "SeriesData", "SiteAudit", "audit_referrals", "audit_site", "list_presets",
    "load_claims", "load_preset", "read_series", "run_referral_audit",
]


def run_referral_audit(
    series: list[str | os.PathLike[str]] | None,
    *,
    target: str | None = None,
    controls: list[str] | None = None,
    site: str | None = None,
    peers: list[str] | str | None = None,
    event: date | None = None,
    event_end: date | None = None,
    pre: tuple[date, date] | None = None,
    post: tuple[date, date] | None = None,
    claimed_effect: float | None = None,
    claims: str | os.PathLike[str] | None = None,
    preset: str | None = None,
    filters: list[str] | dict[str, str] | None = None,
    metric: str | None = None,
    params: AuditParams | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> ReferralAudit:
    """Read, audit, answer claims and (with ``out``) write every output. With no series, only the claims are answered."""
    from ..errors import InputError
    from .claims import answer_claims

    doc: dict[str, Any] = {}
    claim_list = None
    if claims is not None:
        doc, claim_list = load_claims(claims)
    if not series:
        if claim_list is None:
            raise InputError("nothing to audit", hint="pass --series FILE (daily counts by source) and --target, or --claims FILE")
        result = ReferralAudit(audits=[], claims=answer_claims(claim_list, None), claims_document=doc)
    else:
        if target is None:
            raise InputError("no target source", hint="pass --target SOURCE (e.g. the search referrer class)")
        data = read_series([Path(s) for s in series], preset=preset, filters=filters, metric=metric)
        result = audit_referrals(
            data, target=target, controls=controls, site=site, peers=peers, event=event, event_end=event_end, pre=pre,
            post=post, claimed_effect=claimed_effect, claims=claim_list, claims_document=doc, params=params, progress=progress,
        )
    if out is not None:
        from .outputs import write_outputs

        write_outputs(result, out)
    return result

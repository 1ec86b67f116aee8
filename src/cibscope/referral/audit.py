"""One site's referral audit: data checks, change points, the adjusted effect, cross-checks, verdict.

:func:`audit_site` is pure over a :class:`~cibscope.referral.series.Panel` (and the peers'
panels); :func:`audit_referrals` runs it for every site asked for and answers the claims.
Nothing here reads or writes files (see :mod:`.outputs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ..errors import InputError
from ..params import Interval, Options, validate
from ..progress import Progress, step
from .anomalies import Spike, TrackingChange, flag_days, find_spikes, find_tracking_changes, log_counts
from .changepoints import YOY_LAG, ChangePoints, change_points
from .claims import ClaimAnswer, ReferralClaim, answer_claimed_effect, answer_claims
from .crosscheck import DiD, SynthControl, WindowChange, did, synthetic_control, window_change
from .model import Effect, Placebo, counterfactual_effect, search_factor
from .series import Panel, SeriesData
from .verdict import Verdict, ci, decide, pct

__all__ = ["AuditParams", "ReferralAudit", "SiteAudit", "audit_referrals", "audit_site"]

PARAMETER_CONSTRAINTS = {
    "window": Interval(int, 7, 366),
    "min_segment": Interval(int, 7, 180),
    "placebos": Interval(int, 0, 52),
    "seed": Interval(int, 0, None),
    "design": Options({"referrers", "ab"}),
}
ARTEFACT_MARGIN = 7  # days around the windows in which a tracking change makes the comparison an artefact
PART_MATERIAL = 0.01  # a part of a summed source under 1% of its volume cannot explain a drop worth auditing


@dataclass(frozen=True)
class AuditParams:
    """window: days compared on each side of the event (when --pre/--post are not given);
    min_segment: shortest segment between change points; placebos: placebo dates for the
    interval calibration (0 = none: the drifting model, uncalibrated); seed: of every random
    draw; design: "referrers" (controls are other sources of the site) or "ab" (target and
    control are randomised halves: the pre-event balance is checked)."""

    window: int = 28
    min_segment: int = 14
    placebos: int = 12
    seed: int = 0
    design: str = "referrers"

    def __post_init__(self) -> None:
        validate("referral-audit", PARAMETER_CONSTRAINTS, {k: getattr(self, k) for k in PARAMETER_CONSTRAINTS})


@dataclass
class SiteAudit:
    site: str
    target: str
    controls: list[str]
    panel: Panel
    params: AuditParams
    peers: list[str] = field(default_factory=list)
    event: date | None = None
    event_end: date | None = None
    event_source: str = ""  # "claimed", "change point" or "" (none)
    pre: tuple[date, date] | None = None  # inclusive days
    post: tuple[date, date] | None = None
    tracking: list[TrackingChange] = field(default_factory=list)
    spikes: list[Spike] = field(default_factory=list)
    changepoints: list[ChangePoints] = field(default_factory=list)
    naive: WindowChange | None = None
    naive_shift: DiD | None = None
    seasonal_years: list[WindowChange] = field(default_factory=list)
    controls_naive: WindowChange | None = None
    site_change: DiD | None = None
    effect: Effect | None = None
    placebos: list[Placebo] = field(default_factory=list)
    did: DiD | None = None
    did_yoy: DiD | None = None
    scm: SynthControl | None = None
    balance: dict[str, Any] | None = None
    verdict: Verdict | None = None
    claimed_effect: ClaimAnswer | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    peer_series: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def seasonal(self) -> float | None:
        logs = [w.log_change for w in self.seasonal_years if math.isfinite(w.log_change)]
        return math.expm1(float(np.mean(logs))) if logs else None

    def as_dict(self) -> dict[str, Any]:
        iso = lambda d: None if d is None else d.isoformat()  # noqa: E731
        return {
            "site": self.site, "target": self.target, "controls": self.controls, "peers": self.peers,
            "design": self.params.design,
            "verdict": self.verdict.as_dict() if self.verdict else None,
            "event": {"date": iso(self.event), "end": iso(self.event_end), "source": self.event_source},
            "windows": {"pre": [iso(x) for x in self.pre] if self.pre else None, "post": [iso(x) for x in self.post] if self.post else None},
            "naive": self.naive.as_dict() if self.naive else None,
            "naive_log_shift": self.naive_shift.as_dict() if self.naive_shift else None,
            "same_windows_earlier_years": [w.as_dict() for w in self.seasonal_years],
            "seasonal_change": None if self.seasonal is None else round(self.seasonal, 6),
            "controls_naive": self.controls_naive.as_dict() if self.controls_naive else None,
            "site_wide_change": self.site_change.as_dict() if self.site_change else None,
            "effect": self.effect.as_dict() if self.effect else None,
            "placebos": [{"event": iso(self.panel.date_at(p.event)), "relative_effect": round(p.relative, 6),
                          "ci95": [round(p.lo, 6), round(p.hi, 6)], "z": round(p.z, 4)} for p in self.placebos],
            "did": self.did.as_dict() if self.did else None,
            "did_yoy": self.did_yoy.as_dict() if self.did_yoy else None,
            "synthetic_control": self.scm.as_dict() if self.scm else None,
            "balance": self.balance,
            "claimed_effect": self.claimed_effect.as_dict() if self.claimed_effect else None,
            "changepoints": [c.as_dict() for c in self.changepoints],
            "tracking_changes": [t.as_dict() for t in self.tracking],
            "spikes": [s.as_dict() for s in self.spikes],
            "warnings": self.warnings, "notes": self.notes,
            "data": {"first_day": iso(self.panel.start), "last_day": iso(self.panel.date_at(self.panel.n_days - 1)),
                     "days": self.panel.n_days, "sources": self.panel.sources},
        }


@dataclass
class ReferralAudit:
    audits: list[SiteAudit]
    claims: list[ClaimAnswer] = field(default_factory=list)
    claims_document: dict[str, Any] = field(default_factory=dict)
    data: SeriesData | None = None
    files: dict[str, str] = field(default_factory=dict)


def _index_or_error(panel: Panel, d: date, what: str) -> int:
    i = panel.index(d)
    if i < 0 or i >= panel.n_days:
        raise InputError(f"{what} {d} is outside the data ({panel.start} .. {panel.date_at(panel.n_days - 1)})",
                         hint="pass a date inside the series, or leave --event out to find the largest break")
    return i


def _default_controls(panel: Panel, target: str, bot_classes: set[str]) -> tuple[list[str], list[str]]:
    others = [s for s in panel.sources if s != target]
    bots = [s for s in others if s.lower() in bot_classes]
    return [s for s in others if s not in bots], bots


def _series_sum(panel: Panel, names: list[str]) -> np.ndarray:
    if not names:
        return np.full(panel.n_days, np.nan)
    M = np.column_stack([panel.column(n) for n in names])
    out = M.sum(axis=1)  # NaN where any control is missing: a partial sum is not the same series
    return out


def _align(peer: Panel, source: str, panel: Panel) -> np.ndarray | None:
    if source not in peer.sources:
        return None
    out = np.full(panel.n_days, np.nan)
    col = peer.column(source)
    off = (peer.start - panel.start).days
    for i in range(peer.n_days):
        j = i + off
        if 0 <= j < panel.n_days:
            out[j] = col[i]
    return out


@dataclass
class _Arrays:
    """The series one audit works on (one value per panel day; NaN = no data or left out)."""

    ycount: np.ndarray  # the target's counts
    y: np.ndarray  # log(1 + count)
    X: np.ndarray | None  # the controls' log counts, one column each
    csum: np.ndarray  # the controls' total
    share: np.ndarray  # log share of the target in all (non-bot) traffic
    share_name: str
    exclude: np.ndarray  # spike days of the target or a control: left out of the model fit
    target_spikes: np.ndarray
    last: int  # last usable day (the export's incomplete days are cut)


def audit_site(
    panel: Panel,
    *,
    target: str,
    controls: list[str] | None = None,
    peers: dict[str, Panel] | None = None,
    event: date | None = None,
    event_end: date | None = None,
    pre: tuple[date, date] | None = None,
    post: tuple[date, date] | None = None,
    claimed_effect: float | None = None,
    bot_classes: set[str] | frozenset[str] = frozenset(),
    params: AuditParams | None = None,
    progress: Progress | None = None,
) -> SiteAudit:
    """Audit the ``target`` source of one site; see docs/referral-audit.md for every figure."""
    params = params or AuditParams()
    for name, w in (("pre", pre), ("post", post)):
        if w is not None and w[1] < w[0]:
            raise InputError(f"the {name} window ends ({w[1]}) before it starts ({w[0]})", hint=f"write --{name} FIRST:LAST")
    bots = {b.lower() for b in bot_classes}
    a = _start(panel, target, controls, bots, params)
    with step(progress, f"referral-audit {panel.site or 'site'}: data checks", 1):
        arr = _arrays(a, bots)
    with step(progress, "referral-audit: change points", 1):
        _change_points(a, arr)
    windows = _event_and_windows(a, arr, event, event_end, pre, post)
    if windows is None:
        return a
    (p0, p1), (q0, q1) = windows
    scan = 1
    if a.event_source == "change point":  # the date is the best of the breaks the search could find
        scan = max(1, (a.changepoints[0].n_used - 2 * params.min_segment) // (q1 - q0))
        a.notes.append(f"every interval is widened for the search over dates (Bonferroni over {scan} post windows)")
    with step(progress, "referral-audit: windows and differences", 1):
        _compare_windows(a, arr, (p0, p1), (q0, q1), scan)
    ei = panel.index(a.event)
    # One BLAS thread: the state-space filter multiplies tiny matrices, and threads fighting over
    # two cores made the fits 3-4x slower (same numbers either way).
    with step(progress, "referral-audit: counterfactual and placebos", 1), threadpool_limits(1):
        a.effect, a.placebos = counterfactual_effect(
            arr.y, arr.X, list(a.controls), event=ei, post_start=q0, post_end=q1, exclude=arr.exclude,
            post_spikes=arr.target_spikes, max_placebos=params.placebos, scan_windows=scan, seed=params.seed,
        )
    if peers:
        with step(progress, "referral-audit: synthetic control", 1):
            _peers(a, arr, peers, ei, (q0, q1))
    if params.design == "ab":
        a.balance = _balance(arr.y, arr.X, (p0, p1), a.effect)
        if a.balance and a.balance["warn"]:
            a.warnings.append(a.balance["text"])
    artefacts = _artefacts(a, p0, q1)
    _cross_check_notes(a)
    summary = {
        "naive": a.naive.change if a.naive else None,
        "naive_ci": (a.naive_shift.lo, a.naive_shift.hi) if a.naive_shift else None,
        "effect": a.effect, "n_placebos": len(a.placebos), "artefacts": artefacts, "did": a.did_yoy or a.did,
        "site_change": ((a.site_change.estimate, a.site_change.lo, a.site_change.hi,
                         "year over year" if a.site_change.kind == "did_yoy" else "after vs before") if a.site_change else None),
        "seasonal": a.seasonal, "seasonal_years": [w.shift // YOY_LAG for w in a.seasonal_years],
    }
    a.verdict = decide(summary, design=params.design)
    if claimed_effect is not None:
        a.claimed_effect = answer_claimed_effect(claimed_effect, a.effect, a.naive.change if a.naive else None)
    return a


def _start(panel: Panel, target: str, controls: list[str] | None, bots: set[str], params: AuditParams) -> SiteAudit:
    """Check the target and controls; the audit record with its first notes."""
    where = panel.site or "(unnamed)"
    sources = ", ".join(repr(s) for s in panel.sources)
    if target not in panel.sources:
        raise InputError(f"no source {target!r} in site {where}", hint="sources: " + sources)
    excluded: list[str] = []
    if controls is None:
        controls, excluded = _default_controls(panel, target, bots)
    for c in controls:
        if c not in panel.sources:
            raise InputError(f"no control source {c!r} in site {where}", hint="sources: " + sources)
        if c == target:
            raise InputError(f"the target {target!r} cannot be its own control")
    if params.design == "ab" and len(controls) != 1:
        raise InputError("the A/B design needs exactly one control (the other test group)", hint="pass --controls control")
    present = np.flatnonzero(~np.isnan(panel.column(target)))
    if len(present) >= 3 and float(np.median(np.diff(present))) > 1:
        raise InputError(f"{target!r} is not daily: a median of {np.median(np.diff(present)):.0f} days between rows",
                         hint="the audit needs one row per day and source (weekly or monthly totals hide the weekday pattern and the event's timing)")
    a = SiteAudit(site=panel.site, target=target, controls=list(controls), panel=panel, params=params)
    if excluded:
        a.notes.append(f"left out of the default controls as bot-prone: {', '.join(excluded)} (pass --controls to include them)")
    if not controls:
        a.warnings.append("no control sources: the counterfactual rests on the target's own history and seasonality only")
    if panel.incomplete_last_days:
        a.notes.append(f"the last {panel.incomplete_last_days} day(s) are left out: the export marks them incomplete (reporting lag)")
    return a


def _arrays(a: SiteAudit, bots: set[str]) -> _Arrays:
    """Tracking changes and spikes (recorded on ``a``), and the series the rest works on."""
    panel, target, controls = a.panel, a.target, a.controls
    n = panel.n_days
    last = n - 1 - panel.incomplete_last_days
    a.tracking = find_tracking_changes(panel)
    a.spikes = find_spikes(panel, bots)
    _, _, flags = flag_days(panel)

    def cut(x: np.ndarray) -> np.ndarray:
        x = np.array(x, dtype=float)
        x[last + 1:] = np.nan
        return x

    ycount = cut(panel.column(target))
    y = log_counts(ycount)
    X = log_counts(cut(np.column_stack([panel.column(c) for c in controls]))) if controls else None
    # The share's denominator leaves out bot-prone classes: automated bursts in 'none' (3x its
    # usual volume on some itwiki days) would move the share of every other source.
    human = [j for j, src in enumerate(panel.sources) if src.lower() not in bots or src == target]
    tot = np.nansum(panel.values[:, human], axis=1)
    tot[np.all(np.isnan(panel.values[:, human]), axis=1)] = np.nan
    cols = [panel.sources.index(s) for s in [target, *controls]]
    return _Arrays(
        ycount=ycount, y=y, X=X, csum=cut(_series_sum(panel, controls)), share=cut(y - log_counts(tot)),
        share_name="share of all traffic" + (" (bot-prone classes left out)" if len(human) < len(panel.sources) else ""),
        exclude=flags[:, cols].any(axis=1), target_spikes=flags[:, panel.sources.index(target)], last=last,
    )


def _change_points(a: SiteAudit, arr: _Arrays) -> None:
    """Breaks in the target and its share: year over year with a year of history, plus the raw target's."""
    p = a.params
    use_yoy = int(np.sum(~np.isnan(arr.y))) >= YOY_LAG + 3 * p.min_segment
    a.changepoints.append(change_points(arr.y, a.panel.start, series="target", yoy=use_yoy, min_size=p.min_segment, seed=p.seed))
    a.changepoints.append(change_points(arr.share, a.panel.start, series=arr.share_name, yoy=use_yoy, min_size=p.min_segment, seed=p.seed))
    if not use_yoy:
        a.notes.append("under a year of history: change points are on the weekday-adjusted series, so a seasonal turn can look like a break")
        return
    raw = change_points(arr.y, a.panel.start, series="target (raw)", yoy=False, min_size=p.min_segment, seed=p.seed)
    a.changepoints.append(raw)
    rec = [b for b in raw.breaks if b.recurs]
    if rec:
        a.notes.append(f"the raw target series breaks at the same time of year in several years ({len(rec)} of {len(raw.breaks)} raw breaks recur): "
                       "seasonality, which the year-over-year breaks leave out")


def _event_and_windows(a: SiteAudit, arr: _Arrays, event: date | None, event_end: date | None,
                       pre: tuple[date, date] | None, post: tuple[date, date] | None) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The event (claimed, implied by the windows, or the strongest downward break) and the windows
    compared, as [start, end) day indexes; None (with a "no change" verdict) when there is nothing to compare."""
    panel = a.panel
    if event is not None:
        ei = _index_or_error(panel, event, "the event")
        ee = _index_or_error(panel, event_end, "the event end") if event_end is not None else ei
        if ee < ei:
            raise InputError(f"the event ends ({event_end}) before it starts ({event})")
        a.event_source = "claimed"
    elif pre is not None and post is not None:
        ei = _index_or_error(panel, pre[1], "the pre window's end") + 1
        ee = _index_or_error(panel, post[0], "the post window's start") - 1
        a.event_source = "windows given"
    else:
        drops = [b for b in a.changepoints[0].breaks if b.change < 0]
        if not drops and a.changepoints[0].note.startswith("too short"):
            a.verdict = Verdict("inconclusive", f"inconclusive: no event date given, and the target is too short to search for a break "
                                                f"({a.changepoints[0].note}, 3 x --min-segment); give the claimed date with --event")
            _finish_without_event(a)
            return None
        if not drops:
            a.verdict = Verdict("no change", "no change: no drop found among the target's change points, and no event date given")
            a.notes.append("no event given and no downward break in the target" + (" (year over year)" if len(a.changepoints) > 2 else ""))
            _finish_without_event(a)
            return None
        best = max(drops, key=lambda b: b.strength)
        ei = ee = panel.index(best.date)
        a.event_source = "change point"
        a.warnings.append(f"no event given: the date {best.date} is the strongest downward break, chosen from the data; "
                          "give the claimed date with --event for a sharper test")
    a.event, a.event_end = panel.date_at(ei), panel.date_at(ee)
    first_y = int(np.argmax(~np.isnan(arr.y)))
    if pre is not None:
        p0, p1 = _index_or_error(panel, pre[0], "the pre window's start"), _index_or_error(panel, pre[1], "the pre window's end") + 1
    else:
        p0, p1 = max(first_y, ei - a.params.window), ei
    if post is not None:
        q0, q1 = _index_or_error(panel, post[0], "the post window's start"), _index_or_error(panel, post[1], "the post window's end") + 1
    else:
        q0, q1 = ee + 1, min(arr.last + 1, ee + 1 + a.params.window)
    if p1 - p0 < 7 or q1 - q0 < 7:
        raise InputError(f"too little data around the event {a.event}: {max(0, p1 - p0)} day(s) before and {max(0, q1 - q0)} after (need 7 each)",
                         hint="choose an event further from the series' ends, or give --pre/--post")
    if p1 > ei or q0 <= ee:
        raise InputError("the pre window must end before the event and the post window start after it")
    a.pre, a.post = (panel.date_at(p0), panel.date_at(p1 - 1)), (panel.date_at(q0), panel.date_at(q1 - 1))
    return (p0, p1), (q0, q1)


def _compare_windows(a: SiteAudit, arr: _Arrays, preW: tuple[int, int], postW: tuple[int, int], scan: int) -> None:
    """Naive change, the same windows in earlier years, the controls' change and the DiDs."""
    zeros = np.zeros(a.panel.n_days)
    a.naive = window_change(arr.ycount, preW, postW)
    a.naive_shift = did(arr.ycount, zeros, preW, postW, yoy=False)
    k = 1
    while (w := window_change(arr.ycount, preW, postW, shift=YOY_LAG * k)) is not None:
        a.seasonal_years.append(w)
        k += 1
    if a.controls:
        a.controls_naive = window_change(arr.csum, preW, postW)
        if a.seasonal_years:
            a.site_change = did(arr.csum, zeros, preW, postW, yoy=True)
            a.did_yoy = did(arr.ycount, arr.csum, preW, postW, yoy=True)
        if a.site_change is None:
            a.site_change = did(arr.csum, zeros, preW, postW, yoy=False)
        a.did = did(arr.ycount, arr.csum, preW, postW, yoy=False)
    if scan > 1:
        f = search_factor(scan)
        a.naive_shift, a.site_change, a.did, a.did_yoy = (None if d is None else d.widened(f) for d in (a.naive_shift, a.site_change, a.did, a.did_yoy))
    if a.naive is not None and a.naive.pre_mean <= 0:
        a.warnings.append(f"{a.target!r} has no traffic in the window before the event: there is nothing to have dropped")


def _peers(a: SiteAudit, arr: _Arrays, peers: dict[str, Panel], ei: int, postW: tuple[int, int]) -> None:
    """The synthetic control from the peers' same source."""
    series = {name: s for name, pp in sorted(peers.items()) if (s := _align(pp, a.target, a.panel)) is not None}
    missing = sorted(set(peers) - set(series))
    if missing:
        a.warnings.append(f"peer site(s) without a {a.target!r} source, left out: {', '.join(missing)}")
    a.peers = sorted(series)
    a.peer_series = series
    a.scm = synthetic_control(arr.ycount, series, event=ei, post=postW, weekday0=a.panel.start.weekday())
    if a.scm is None and series:
        a.warnings.append("synthetic control needs at least two peers with 28 common days before the event")


def _finish_without_event(a: SiteAudit) -> None:
    """Artefacts are still worth reporting when there is nothing to compare."""
    for t in a.tracking:
        if t.source in (a.target, *a.controls) and t.kind in ("starts", "stops"):
            a.notes.append(f"{t.source!r} {t.kind} on {t.start}: {t.detail}")


def _artefacts(a: SiteAudit, p0: int, q1: int) -> list[str]:
    """Tracking changes within ARTEFACT_MARGIN days of the compared windows, in words."""
    lo = a.panel.date_at(p0) - timedelta(days=ARTEFACT_MARGIN)
    hi = a.panel.date_at(q1 - 1) + timedelta(days=ARTEFACT_MARGIN)
    out = []
    for t in a.tracking:
        if t.end < lo or t.start > hi:
            continue
        if t.kind.startswith("part") and t.shifts.get("part share", 1.0) < PART_MATERIAL:
            a.notes.append(f"immaterial: {t.detail}")
            continue
        shifts = ", ".join(f"{k} {pct(v)}" for k, v in t.shifts.items() if k != "part share")
        text = f"{t.source!r} {t.kind} {t.start}" + (f" .. {t.end}" if t.end != t.start else "") + f" ({t.detail}" + (f"; across it: {shifts}" if shifts else "") + ")"
        out.append(text)
    return out


def _balance(y: np.ndarray, X: np.ndarray | None, preW: tuple[int, int], eff: Effect | None) -> dict[str, Any] | None:
    """A/B design: the target/control ratio before the event, and whether it exceeds what the test resolves."""
    if X is None:
        return None
    d = y[preW[0]:preW[1]] - X[preW[0]:preW[1], 0]
    d = d[np.isfinite(d)]
    if len(d) < 3:
        return None
    ratio = math.exp(float(d.mean()))
    resolve = None
    if eff is not None:
        m = math.log1p(eff.relative)
        resolve = max(m - math.log1p(eff.lo), math.log1p(eff.hi) - m)
    warn = resolve is not None and abs(math.log(ratio)) > resolve
    text = (f"imbalanced before the event: target/control = {ratio:.3f} over {len(d)} pre-event day(s)"
            + (f", a gap larger than the effect this test can resolve (+-{math.expm1(resolve):.1%})" if warn and resolve is not None else "")
            + ": randomisation or assignment may have failed, and the estimate leans on the two groups keeping their ratio")
    return {"ratio": round(ratio, 4), "pre_days": len(d), "resolvable": None if resolve is None else round(math.expm1(resolve), 4),
            "warn": bool(warn), "text": text}


def _cross_check_notes(a: SiteAudit) -> None:
    eff = a.effect
    if eff is None:
        return
    if not eff.converged:
        a.warnings.append("the model's optimiser did not converge: read the effect with care")
    for d in (a.did_yoy, a.did):
        if d is None:
            continue
        if d.significant and eff.significant and (d.estimate < 0) != (eff.relative < 0):
            a.warnings.append(f"cross-checks disagree: {d.kind} {pct(d.estimate)} {ci(d.lo, d.hi)} vs the model {pct(eff.relative)}")
        elif d.significant != eff.significant:
            why = (f"the model's interval is widened to match how far its estimates strayed at {len(a.placebos)} earlier dates; the DiD's rests on "
                   "the compared days alone" if a.placebos and eff.widen > 1 else
                   "the DiD assumes the target-to-controls ratio would have stayed at its pre-event mean; the model lets it drift as it did before the event")
            a.notes.append(f"{d.kind} {pct(d.estimate)} {ci(d.lo, d.hi)} is {'' if d.significant else 'not '}significant, the model's effect "
                           f"{'is' if eff.significant else 'is not'} ({why})")
        break
    if a.scm is not None:
        s = a.scm
        if s.p_value <= 0.1:
            a.notes.append(f"peers: the target site's {a.target!r} departs from its synthetic control ({pct(s.effect)}) more than "
                           f"any peer's placebo (p = {s.p_value:.2f} over {1 + len(s.placebo_effects)} sites)")
        else:
            a.notes.append(f"peers: the synthetic control from {', '.join(a.peers)} gives {pct(s.effect)}, not unusual among the peers' placebos "
                           f"(p = {s.p_value:.2f}): what changed may have changed at the peers too")
    if eff.significant and a.placebos:
        hits = sum(1 for p in a.placebos if p.lo * eff.widen > 0 or p.hi * eff.widen < 0)
        if hits:
            a.notes.append(f"{hits} of {len(a.placebos)} placebo dates gave a model interval excluding 0 before calibration")


def audit_referrals(
    data: SeriesData,
    *,
    target: str,
    controls: list[str] | None = None,
    site: str | None = None,
    peers: list[str] | str | None = None,
    event: date | None = None,
    event_end: date | None = None,
    pre: tuple[date, date] | None = None,
    post: tuple[date, date] | None = None,
    claimed_effect: float | None = None,
    claims: list[ReferralClaim] | None = None,
    claims_document: dict[str, Any] | None = None,
    params: AuditParams | None = None,
    progress: Progress | None = None,
) -> ReferralAudit:
    """Audit ``target`` in each site asked for (``site``; every site when None) and answer ``claims``.

    peers : site names whose ``target`` source is the between-site control, or "all" (every
        other site in the data).
    """
    params = params or AuditParams()
    sites = data.sites
    if site is not None and site not in sites:
        if "" in sites:  # the rows without a site column (one's own export): --site names them
            ren = lambda x: site if x == "" else x  # noqa: E731
            data.values = {(ren(a), s): v for (a, s), v in data.values.items()}
            data.components = {(ren(a), s, d): v for (a, s, d), v in data.components.items()}
            data.dim_names = {ren(a): v for a, v in data.dim_names.items()}
            data.incomplete_last_days = {ren(a): v for a, v in data.incomplete_last_days.items()}
            sites = data.sites
        else:
            raise InputError(f"no site {site!r} in the input", hint="sites: " + ", ".join(repr(s) for s in sites))
    chosen = [site] if site is not None else sites
    peer_names: list[str] = []
    if peers == "all":
        peer_names = list(sites)
    elif peers:
        peer_names = list(peers)
        for p in peer_names:
            if p not in sites:
                raise InputError(f"no peer site {p!r} in the input", hint="sites: " + ", ".join(repr(s) for s in sites))
    audits = []
    for s in chosen:
        panel = data.panel(s)
        pp = {p: data.panel(p) for p in peer_names if p != s}
        audits.append(audit_site(panel, target=target, controls=controls, peers=pp or None, event=event, event_end=event_end,
                                 pre=pre, post=post, claimed_effect=claimed_effect, bot_classes=data.bot_classes,
                                 params=params, progress=progress))
    answers = answer_claims(claims, data) if claims else []
    return ReferralAudit(audits=audits, claims=answers, claims_document=claims_document or {}, data=data)

"""Data problems that look like drops: tracking changes, gaps, outages, spikes.

Why before any model: the commonest "drop" in referral data is not a drop at all. A referrer
class that appears mid-series takes traffic from the class that used to hold it (Wikimedia's
``external (search engine)`` class from 2016-02-03, out of ``external``); an analytics
migration or a referrer-stripping change moves traffic from one class to another; an outage
leaves zeros; automated traffic ("user" agents that are bots) spikes the unknown/``none``
class. Each is reported with its date and the figures, and the verdict calls a change that
coincides with one a tracking or data artefact, not a drop.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .series import Panel

__all__ = ["Spike", "TrackingChange", "find_spikes", "flag_days", "find_tracking_changes", "log_counts", "rolling_median", "weekday_adjusted"]

SPIKE_Z = 5.0  # robust z of a day against its neighbours (see find_spikes)
SPIKE_MIN_RATIO = 0.25  # and at least +-25% off the baseline
SHIFT_WINDOW = 14  # days on each side used to size the shift at a tracking change


@dataclass
class TrackingChange:
    """A source (or a part of its sum) that starts, stops or has missing days mid-series."""

    source: str
    kind: str  # "starts", "stops", "gap", "zeros", "part starts", "part stops"
    start: date
    end: date
    detail: str
    part: str = ""  # the dimension values of the part ("mobile app"), for part starts/stops
    shifts: dict[str, float] = field(default_factory=dict)  # other sources' relative change across the date

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        return d


@dataclass
class Spike:
    """A run of days far above (or below) the source's local baseline."""

    source: str
    start: date
    end: date
    peak: date
    peak_value: float
    baseline: float
    ratio: float  # peak / baseline
    z: float
    direction: str  # "spike" or "dip"
    bot_like: bool
    coincident: list[str] = field(default_factory=list)  # other sources off baseline on the same days

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("start", "end", "peak"):
            d[k] = getattr(self, k).isoformat()
        return d


def log_counts(x: np.ndarray) -> np.ndarray:
    """log(1 + count): defined at zero, equal to log(count) for the counts that matter."""
    return np.log1p(np.asarray(x, dtype=float))


def rolling_median(x: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling median ignoring NaN (shorter at the ends)."""
    n = len(x)
    half = window // 2
    pad = np.concatenate([np.full(half, np.nan), x, np.full(half, np.nan)])
    win = sliding_window_view(pad, 2 * half + 1)
    out = np.full(n, np.nan)
    ok = np.sum(~np.isnan(win), axis=1) >= max(3, half // 2)
    if ok.any():
        out[ok] = np.nanmedian(win[ok], axis=1)
    return out


def weekday_adjusted(x: np.ndarray, start: date) -> np.ndarray:
    """Residual of x from its centred 15-day median, less the weekday's median residual."""
    r = x - rolling_median(x, 15)
    dow = (np.arange(len(x)) + start.weekday()) % 7
    for k in range(7):
        m = dow == k
        if np.any(~np.isnan(r[m])):
            r[m] -= np.nanmedian(r[m])
    return r


def _robust_scale(r: np.ndarray) -> float:
    v = r[~np.isnan(r)]
    if len(v) < 5:
        return math.nan
    return float(1.4826 * np.median(np.abs(v - np.median(v))))


def flag_days(panel: Panel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per source (columns): residual log values, robust z and the flagged days (|z| >= 5 and >= 25% off)."""
    x = log_counts(panel.values)
    res = np.full_like(x, np.nan)
    z = np.full_like(x, np.nan)
    for j in range(x.shape[1]):
        r = weekday_adjusted(x[:, j], panel.start)
        s = _robust_scale(r)
        res[:, j] = r
        if s and s > 0 and math.isfinite(s):
            z[:, j] = r / s
    with np.errstate(invalid="ignore"):
        flag = (np.abs(z) >= SPIKE_Z) & (np.abs(np.expm1(res)) >= SPIKE_MIN_RATIO)
    return res, z, flag


def find_spikes(panel: Panel, bot_classes: set[str] | frozenset[str] = frozenset()) -> list[Spike]:
    """Runs of days whose value is far from the local baseline (a centred 15-day median, weekday-adjusted).

    A day is flagged when its robust z-score (residual over 1.4826 MAD of the source's residuals) is
    at least 5 *and* it is at least 25% off the baseline. Under Gaussian noise a |z| >= 5 day comes
    once in ~1.7 million days, so what is flagged is a real departure: a holiday, an event, an outage
    or automated traffic. The 25% floor keeps very smooth series (a large wiki's total) from flagging
    blips too small to matter for any drop worth auditing. Spikes in a bot-prone class (``none``,
    Direct, ...) are marked ``bot_like``; ``coincident`` lists the other sources flagged on the same days.
    """
    res, z, flag = flag_days(panel)
    x = panel.values
    out: list[Spike] = []
    bots = {b.lower() for b in bot_classes}
    for j, src in enumerate(panel.sources):
        f = flag[:, j]
        i = 0
        n = len(f)
        while i < n:
            if not f[i]:
                i += 1
                continue
            sign = np.sign(res[i, j])
            k = i
            while k + 1 < n and f[k + 1] and np.sign(res[k + 1, j]) == sign:
                k += 1
            seg = np.arange(i, k + 1)
            p = int(seg[np.argmax(np.abs(z[seg, j]))])
            base = float(np.expm1(np.log1p(x[p, j]) - res[p, j]))
            coinc = [panel.sources[m] for m in range(len(panel.sources)) if m != j and flag[i : k + 1, m].any()]
            out.append(Spike(
                source=src, start=panel.date_at(i), end=panel.date_at(k), peak=panel.date_at(p),
                peak_value=float(x[p, j]), baseline=round(base, 1), ratio=round(float(x[p, j]) / base, 3) if base > 0 else math.inf,
                z=round(float(z[p, j]), 1), direction="spike" if sign > 0 else "dip",
                bot_like=bool(src.lower() in bots and sign > 0), coincident=coinc,
            ))
            i = k + 1
    out.sort(key=lambda s: (s.start, s.source))
    return out


def _mean_change(x: np.ndarray, i: int, window: int = SHIFT_WINDOW) -> float | None:
    """Relative change of the mean of x over `window` days from i versus `window` days before i."""
    a = x[max(0, i - window) : i]
    b = x[i : i + window]
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 3 or len(b) < 3 or a.mean() <= 0:
        return None
    return float(b.mean() / a.mean() - 1)


def _shifts(panel: Panel, i: int, exclude: str) -> dict[str, float]:
    out = {}
    for j, src in enumerate(panel.sources):
        if src == exclude:
            continue
        c = _mean_change(panel.values[:, j], i)
        if c is not None:
            out[src] = round(c, 4)
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    out, i, n = [], 0, len(mask)
    while i < n:
        if mask[i]:
            k = i
            while k + 1 < n and mask[k + 1]:
                k += 1
            out.append((i, k))
            i = k + 1
        else:
            i += 1
    return out


def find_tracking_changes(panel: Panel) -> list[TrackingChange]:
    """Sources (and parts of a summed source) that start or stop mid-series, gaps and runs of zeros.

    ``shifts`` gives every other source's change in mean (14 days after vs before the date): when
    a class appears and another falls by a similar volume the same day, traffic was re-labelled,
    not lost.
    """
    out: list[TrackingChange] = []
    n = panel.n_days
    end = panel.date_at(n - 1)
    for j, src in enumerate(panel.sources):
        v = panel.values[:, j]
        ok = ~np.isnan(v)
        first, last = int(np.argmax(ok)), int(n - 1 - np.argmax(ok[::-1]))
        if first > 0:
            out.append(TrackingChange(src, "starts", panel.date_at(first), panel.date_at(first),
                                      f"no rows before {panel.date_at(first)} ({first} day(s) after the series start {panel.start})",
                                      shifts=_shifts(panel, first, src)))
        if last < n - 1:
            out.append(TrackingChange(src, "stops", panel.date_at(last + 1), end,
                                      f"no rows after {panel.date_at(last)} ({n - 1 - last} day(s) before the series end {end})",
                                      shifts=_shifts(panel, last + 1, src)))
        for a, b in _runs(~ok[first : last + 1]):
            out.append(TrackingChange(src, "gap", panel.date_at(first + a), panel.date_at(first + b), f"{b - a + 1} day(s) without rows"))
        med = np.nanmedian(v) if ok.any() else 0.0
        if med >= 100:  # a zero day in a series that is never near zero is an outage, not a count
            for a, b in _runs(ok & (np.nan_to_num(v, nan=1.0) == 0)):
                out.append(TrackingChange(src, "zeros", panel.date_at(a), panel.date_at(b), f"{b - a + 1} day(s) of 0 in a series with median {med:,.0f}"))
    out.extend(_part_changes(panel))
    out.sort(key=lambda t: (t.start, t.source, t.kind, t.part))
    return out


def _part_changes(panel: Panel) -> list[TrackingChange]:
    """Parts of a summed source (dimension values) whose coverage starts/stops inside the source's span.

    ``shifts`` holds the source's own change across the date and ``part share`` the part's share
    of the source's volume over the 14 days on its side of the date (how much of a jump it explains).
    """
    out = []
    by_source: dict[str, list[tuple[tuple[str, ...], dict[date, float]]]] = {}
    for (src, dims), days in panel.components.items():
        if dims:
            by_source.setdefault(src, []).append((dims, days))
    for src, parts in by_source.items():
        if len(parts) < 2 or src not in panel.sources:
            continue
        col = panel.column(src)
        ok = ~np.isnan(col)
        s_first, s_last = panel.date_at(int(np.argmax(ok))), panel.date_at(int(len(ok) - 1 - np.argmax(ok[::-1])))
        for dims, days in sorted(parts):
            first, last = min(days), max(days)
            label = "/".join(dims)
            what = f"{', '.join(panel.dim_names) or 'part'} {label!r} of {src!r}"
            if first > s_first + timedelta(days=1):
                i = panel.index(first)
                share = _part_share(days, col, panel, i, i + SHIFT_WINDOW)
                shifts = {src: c} if (c := _mean_change(col, i)) is not None else {}
                shifts["part share"] = share
                out.append(TrackingChange(src, "part starts", first, first,
                                          f"{what} has rows only from {first} ({len(days)} day(s)), {share:.1%} of the sum's volume after it",
                                          part=label, shifts=shifts))
            if last < s_last - timedelta(days=1):
                i = panel.index(last) + 1
                share = _part_share(days, col, panel, i - SHIFT_WINDOW, i)
                shifts = {src: c} if (c := _mean_change(col, i)) is not None else {}
                shifts["part share"] = share
                out.append(TrackingChange(src, "part stops", last + timedelta(days=1), s_last,
                                          f"{what} has no rows after {last}, {share:.1%} of the sum's volume before it",
                                          part=label, shifts=shifts))
    return out


def _part_share(days: dict[date, float], col: np.ndarray, panel: Panel, a: int, b: int) -> float:
    a, b = max(0, a), min(panel.n_days, b)
    tot = np.nansum(col[a:b])
    part = sum(days.get(panel.date_at(i), 0.0) for i in range(a, b))
    return round(float(part / tot), 4) if tot > 0 else 0.0

"""Cross-checks of the model: plain window comparisons, difference-in-differences, synthetic control.

Each answers the same question with fewer assumptions than the state-space model, so a verdict
that rests on the model alone can be seen to rest on it alone:

* **naive**: mean per day after vs before the event. What a dashboard shows, and what most
  published claims compare.
* **same windows in earlier years** (52 weeks back, weekday-aligned): how much of the naive change
  recurs every year, i.e. is seasonal.
* **difference-in-differences** of the target against the controls' total (log scale): within the
  site, this year (``did``) and, with last year's same windows, the year-over-year version
  (``did_yoy``, a triple difference) that also removes what is seasonal about the target alone.
  Standard errors are heteroskedasticity- and autocorrelation-robust (Newey-West, 7 lags), since
  daily traffic residuals are correlated for days.
* **synthetic control** (with peer sites): the target site's series as a weighted mix of the
  same source on peer sites (weights >= 0, summing to 1, fitted on the pre-event days of the
  weekday-adjusted, demeaned log series), and in-space placebos -- each peer treated as if it
  were the target -- to say how unusual the target's post/pre error ratio is (Abadie et al.).
  Written here on scipy's NNLS rather than taken from pysyncon, which pulls in matplotlib for
  the same simplex-weighted fit; the weights are unique for a given input, so the result is
  deterministic.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .anomalies import rolling_median
from .changepoints import YOY_LAG

__all__ = ["DiD", "SynthControl", "WindowChange", "did", "synthetic_control", "window_change"]

HAC_LAGS = 7


def _r(v: float | None, nd: int = 6) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), nd)


@dataclass
class WindowChange:
    """Mean per day over a post window vs a pre window of one series."""

    pre_mean: float
    post_mean: float
    pre_days: int
    post_days: int
    shift: int = 0  # days back (0 = the event's year, 364 = a year earlier)

    @property
    def change(self) -> float:
        return self.post_mean / self.pre_mean - 1 if self.pre_mean > 0 else math.nan

    @property
    def log_change(self) -> float:
        return math.log(self.post_mean / self.pre_mean) if self.pre_mean > 0 and self.post_mean > 0 else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {"pre_mean": _r(self.pre_mean, 2), "post_mean": _r(self.post_mean, 2), "change": _r(self.change),
                "pre_days": self.pre_days, "post_days": self.post_days, "days_back": self.shift}


def window_change(x: np.ndarray, pre: tuple[int, int], post: tuple[int, int], shift: int = 0) -> WindowChange | None:
    """Means of x over [pre) and [post) shifted `shift` days back; None without data on either side."""
    a0, a1, b0, b1 = pre[0] - shift, pre[1] - shift, post[0] - shift, post[1] - shift
    if a0 < 0 or b1 > len(x):
        return None
    a, b = x[a0:a1], x[b0:b1]
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    # Most of each window must have data: a window half-missing compares different weekdays.
    if len(a) < max(3, (a1 - a0) * 0.8) or len(b) < max(3, (b1 - b0) * 0.8):
        return None
    return WindowChange(float(a.mean()), float(b.mean()), len(a), len(b), shift)


@dataclass
class DiD:
    """A difference-in-differences on the log scale, with a HAC interval."""

    kind: str  # "did" (this year) or "did_yoy" (triple difference with last year's windows)
    estimate: float  # exp(coefficient) - 1
    lo: float
    hi: float
    p_value: float
    days: int

    @property
    def significant(self) -> bool:
        return self.lo > 0 or self.hi < 0

    def widened(self, factor: float) -> DiD:
        """The same estimate with its interval `factor` times wider on the log scale (for a data-chosen date)."""
        m = math.log1p(self.estimate)
        lo, hi = m - factor * (m - math.log1p(self.lo)), m + factor * (math.log1p(self.hi) - m)
        return DiD(self.kind, self.estimate, math.expm1(lo), math.expm1(hi), self.p_value, self.days)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "estimate": _r(self.estimate), "ci95": [_r(self.lo), _r(self.hi)],
                "p_value": _r(self.p_value, 6), "days": self.days, "significant": self.significant}


def did(target: np.ndarray, control: np.ndarray, pre: tuple[int, int], post: tuple[int, int], *, yoy: bool) -> DiD | None:
    """DiD of log(target) - log(control) after vs before; with ``yoy`` also minus the same a year earlier."""
    import statsmodels.api as sm

    d = np.log1p(target) - np.log1p(control)
    rows: list[tuple[float, float, float]] = []  # (value, post, this_year)
    years = (0, YOY_LAG) if yoy else (0,)
    for shift in years:
        for (a, b), is_post in ((pre, 0.0), (post, 1.0)):
            a, b = a - shift, b - shift
            if a < 0:
                return None
            for v in d[a:b]:
                if math.isfinite(v):
                    rows.append((float(v), is_post, 1.0 if shift == 0 else 0.0))
    arr = np.array(rows)
    if len(arr) < 10:
        return None
    if yoy:
        X = np.column_stack([np.ones(len(arr)), arr[:, 1], arr[:, 2], arr[:, 1] * arr[:, 2]])
    else:
        X = np.column_stack([np.ones(len(arr)), arr[:, 1]])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        return None
    # HAC over the stacked windows: the lag structure is approximate at the joins, which only
    # matters for a handful of the ~100 day pairs.
    fit = sm.OLS(arr[:, 0], X).fit(cov_type="HAC", cov_kwds={"maxlags": HAC_LAGS})
    k = X.shape[1] - 1
    coef, se = float(fit.params[k]), float(fit.bse[k])
    return DiD(kind="did_yoy" if yoy else "did", estimate=math.expm1(coef), lo=math.expm1(coef - 1.959963984540054 * se),
               hi=math.expm1(coef + 1.959963984540054 * se), p_value=float(fit.pvalues[k]), days=len(arr))


@dataclass
class SynthControl:
    """Synthetic control from peer sites, with in-space placebos."""

    effect: float  # exp(mean post gap) - 1
    weights: dict[str, float]
    pre_rmspe: float
    post_rmspe: float
    ratio: float  # post / pre RMSPE
    p_value: float  # rank of the target's ratio among all units (target + peers)
    placebo_effects: dict[str, float] = field(default_factory=dict)
    placebo_ratios: dict[str, float] = field(default_factory=dict)
    days_index: list[int] = field(default_factory=list)
    synthetic: list[float] = field(default_factory=list)  # on the count scale, for the plot

    def as_dict(self) -> dict[str, Any]:
        return {
            "effect": _r(self.effect), "weights": {k: _r(v, 4) for k, v in self.weights.items()},
            "pre_rmspe": _r(self.pre_rmspe), "post_rmspe": _r(self.post_rmspe), "rmspe_ratio": _r(self.ratio, 4),
            "p_value": _r(self.p_value, 4), "placebo_effects": {k: _r(v) for k, v in self.placebo_effects.items()},
            "placebo_rmspe_ratios": {k: _r(v, 4) for k, v in self.placebo_ratios.items()},
            "units": 1 + len(self.placebo_effects),
        }


def _weekday_adjust(x: np.ndarray, weekday0: int) -> np.ndarray:
    r = x - rolling_median(x, 15)
    out = x.copy()
    dow = (np.arange(len(x)) + weekday0) % 7
    for k in range(7):
        m = dow == k
        if np.any(~np.isnan(r[m])):
            out[m] -= np.nanmedian(r[m])
    return out


def _simplex_weights(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """argmin ||A w - b|| with w >= 0 and sum(w) = 1 (NNLS with a heavily weighted sum row)."""
    from scipy.optimize import nnls

    lam = 1e3 * max(1.0, float(np.abs(A).max()))
    A2 = np.vstack([A, lam * np.ones(A.shape[1])])
    b2 = np.concatenate([b, [lam]])
    w, _ = nnls(A2, b2, maxiter=50 * A.shape[1] + 100)
    s = w.sum()
    return w / s if s > 0 else np.full(A.shape[1], 1.0 / A.shape[1])


def _fit_unit(Y: np.ndarray, j: int, donors: list[int], pre: np.ndarray, post: np.ndarray) -> tuple[float, float, float, np.ndarray, np.ndarray]:
    """Synthetic control of unit j: (effect, pre RMSPE, post RMSPE, weights, gap over all days)."""
    y = Y[:, j]
    D = Y[:, donors]
    w = _simplex_weights(D[pre], y[pre])
    gap = y - D @ w
    pre_rmspe = float(np.sqrt(np.mean(gap[pre] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[post] ** 2)))
    return math.expm1(float(np.mean(gap[post]))), pre_rmspe, post_rmspe, w, gap


def synthetic_control(target: np.ndarray, peers: dict[str, np.ndarray], *, event: int, post: tuple[int, int],
                      weekday0: int, train_start: int = 0) -> SynthControl | None:
    """Synthetic control of ``target`` (counts, one per panel day) from ``peers`` (same source, other sites).

    Pre period: [train_start, event) where the target and every peer have data; post: [post).
    Needs at least two peers (a one-donor "mix" is just a comparison) and 28 common pre days.
    """
    names = sorted(peers)
    if len(names) < 2:
        return None
    Y = np.column_stack([np.log1p(target)] + [np.log1p(peers[n]) for n in names])
    Y = np.column_stack([_weekday_adjust(Y[:, j], weekday0) for j in range(Y.shape[1])])
    ok = ~np.isnan(Y).any(axis=1)
    idx = np.arange(len(Y))
    pre = ok & (idx >= train_start) & (idx < event)
    post_m = ok & (idx >= post[0]) & (idx < post[1])
    if pre.sum() < 28 or post_m.sum() < 3:
        return None
    Y = Y - np.where(pre[:, None], Y, np.nan)[pre].mean(axis=0)  # demeaned: levels differ between sites
    Yf = np.nan_to_num(Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eff, pre_r, post_r, w, gap = _fit_unit(Yf, 0, list(range(1, Y.shape[1])), pre, post_m)
        ratios = {"": post_r / pre_r if pre_r > 0 else math.inf}
        peffects: dict[str, float] = {}
        for j, name in enumerate(names, start=1):
            donors = [k for k in range(1, Y.shape[1]) if k != j]
            pe, pr, po, _, _ = _fit_unit(Yf, j, donors, pre, post_m)
            peffects[name] = pe
            ratios[name] = po / pr if pr > 0 else math.inf
    mine = ratios[""]
    p = sum(1 for v in ratios.values() if v >= mine) / len(ratios)
    synth = np.log1p(target) - gap  # back on the target's log scale (weekday-adjusted mix + the target's own weekday pattern)
    days = [int(i) for i in np.flatnonzero(ok & (idx >= train_start))]
    return SynthControl(
        effect=eff, weights={n: float(v) for n, v in zip(names, w, strict=True)}, pre_rmspe=pre_r, post_rmspe=post_r,
        ratio=mine, p_value=p, placebo_effects=peffects, placebo_ratios={k: v for k, v in ratios.items() if k},
        days_index=days, synthetic=[float(np.expm1(synth[i])) for i in days],
    )

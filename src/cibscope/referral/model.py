"""How big was it? The effect against a counterfactual from the controls (CausalImpact-style, statsmodels).

The counterfactual is what the target source would have sent after the event had nothing
happened, predicted from (a) the same site's other sources on the same days (a change that hits
every source is site-wide, not a suppression of one) and (b) the target's own seasonality.

Model. A structural time-series model (statsmodels ``UnobservedComponents``) of the log counts:
a level, an AR(1) term (deviations that fade over days), the controls as regressors held in the
state vector (so their coefficients' uncertainty is in the interval), and seasonality:

* with a year of history before the event, the model is fitted to **year-over-year
  differences** (today's log count minus the same weekday 52 weeks earlier, for the target and
  each control). That removes weekly *and* annual seasonality, holidays included, with no
  seasonal terms to estimate: two or three years of daily data cannot pin down a Fourier
  annual cycle sharp enough for Christmas, Easter or the mid-August holiday (on itwiki such a
  model put placebo "effects" of +40% to +70% after Christmas), and it calls the summer dip a
  drop. The counterfactual is last year's count times the predicted year-over-year ratio;
* with less history, the model is fitted to the log counts, with a weekday term once there are
  eight weeks; annual seasonality then rests on the controls, and the verdict says so.

Days flagged as spikes (anomalies.find_spikes) are left out of the fit, so a blackout or a bot
burst does not teach the model that the level jumps.

Intervals. 2,000 paths are drawn from the fitted model from the last day before the event
(state uncertainty, the controls' coefficients, AR and noise; fixed seed, so the same input
gives the same interval), and the effect is the ratio of actual to counterfactual *sums* over
the post window, as CausalImpact reports it. The level is held fixed in this model, and the
interval is then checked against **placebo events** at up to 12 earlier dates (same window
lengths, only data before each placebo): if the placebo estimates, which should be 0, scatter
more than the model's intervals say -- because the series drifts, or holidays move -- every
interval is widened by that factor (never narrowed; :func:`calibration_factor`). With fewer
than four placebo dates the model lets the level drift (a local level) instead, which is slower
and wider but needs no calibration. The placebo figures are reported, so the calibration can be
read as well as trusted.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .changepoints import YOY_LAG, yoy_difference

__all__ = ["Effect", "Placebo", "calibration_factor", "counterfactual_effect", "estimate_effect", "placebo_in_time"]

REPS = 2000
MIN_TRAIN = 10  # model days before an event (or placebo) to fit at all
LONG_TRAIN = 56  # days of history before weekday effects and an AR(1) term are fitted
Z95 = 1.959963984540054


@dataclass
class Effect:
    """The effect over the post window: actual vs counterfactual sums, with a 95% interval."""

    method: str  # "year-over-year UC" or "level UC"
    relative: float  # sum(actual) / sum(counterfactual) - 1 (median over draws)
    lo: float
    hi: float
    p_drop: float  # share of draws with a negative effect
    actual_mean: float
    counterfactual_mean: float
    days: int  # post days in the sums
    train_days: int
    controls: list[str]
    coefficients: dict[str, float] = field(default_factory=dict)
    converged: bool = True
    note: str = ""
    without_spikes: tuple[float, float, float] | None = None  # (estimate, lo, hi) leaving out the target's spike days
    lo_model: float = math.nan  # before the placebo calibration
    hi_model: float = math.nan
    widen: float = 1.0
    # per-day counterfactual for the plot: index (into the panel), median, 2.5%, 97.5%
    days_index: list[int] = field(default_factory=list)
    cf_median: list[float] = field(default_factory=list)
    cf_lo: list[float] = field(default_factory=list)
    cf_hi: list[float] = field(default_factory=list)

    @property
    def significant(self) -> bool:
        return self.lo > 0 or self.hi < 0

    def widened(self, factor: float) -> None:
        """Widen the interval by `factor` on the log scale, around the estimate (factor >= 1)."""
        self.lo_model, self.hi_model = self.lo, self.hi
        self.widen = factor
        if factor <= 1 or min(self.lo, self.relative) <= -1:
            return
        m = math.log1p(self.relative)
        self.lo = math.expm1(m - factor * (m - math.log1p(self.lo)))
        self.hi = math.expm1(m + factor * (math.log1p(self.hi) - m))
        if self.without_spikes is not None and min(self.without_spikes) > -1:
            e, lo, hi = self.without_spikes
            me = math.log1p(e)
            self.without_spikes = (e, math.expm1(me - factor * (me - math.log1p(lo))), math.expm1(me + factor * (math.log1p(hi) - me)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method, "relative_effect": _r(self.relative), "ci95": [_r(self.lo), _r(self.hi)],
            "ci95_model": [_r(self.lo_model), _r(self.hi_model)], "placebo_widening": _r(self.widen, 4),
            "p_drop": _r(self.p_drop, 4), "significant": self.significant,
            "without_spike_days": None if self.without_spikes is None else {"relative_effect": _r(self.without_spikes[0]), "ci95": [_r(self.without_spikes[1]), _r(self.without_spikes[2])]},
            "actual_mean_per_day": _r(self.actual_mean, 2), "counterfactual_mean_per_day": _r(self.counterfactual_mean, 2),
            "post_days": self.days, "train_days": self.train_days, "controls": self.controls,
            "coefficients": {k: _r(v) for k, v in self.coefficients.items()}, "converged": self.converged, "note": self.note,
        }


def _r(v: float | None, nd: int = 6) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return round(float(v), nd)


def _fit(y: np.ndarray, X: np.ndarray | None, *, weekly: bool, drift: bool = True, ar: bool = True) -> Any:
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    kw: dict[str, Any] = {}
    if weekly:
        kw.update(seasonal=7, stochastic_seasonal=False)
    mod = UnobservedComponents(y, level="llevel" if drift else "fixed intercept", autoregressive=1 if ar else None, exog=X,
                               mle_regression=False, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is recorded on the result, not printed
        res = mod.fit(disp=False, maxiter=300, method="lbfgs")
    return res


def _simulate(res: Any, Xf: np.ndarray | None, h: int, reps: int, seed: int) -> np.ndarray:
    """h x reps draws of the model's observations after the sample (from the filtered state)."""
    fr = res.filter_results
    a = np.asarray(fr.predicted_state[:, -1])
    P = np.asarray(fr.predicted_state_cov[:, :, -1])
    Z = np.array(fr.design[0, :, -1])
    T = np.asarray(fr.transition[:, :, 0])
    R = np.asarray(fr.selection[:, :, 0])
    Q = np.asarray(fr.state_cov[:, :, 0])
    H = float(fr.obs_cov[0, 0, 0])
    rng = np.random.default_rng(seed)
    k = len(a)

    def root(M: np.ndarray) -> np.ndarray:
        w, V = np.linalg.eigh((M + M.T) / 2)
        return V * np.sqrt(np.clip(w, 0, None))

    st = a[:, None] + root(P) @ rng.standard_normal((k, reps))
    LQ = root(Q)
    kx = 0 if Xf is None else Xf.shape[1]
    out = np.empty((h, reps))
    for t in range(h):
        if kx:
            Z[-kx:] = Xf[t]
        out[t] = Z @ st + math.sqrt(max(H, 0.0)) * rng.standard_normal(reps)
        st = T @ st + R @ (LQ @ rng.standard_normal((LQ.shape[1], reps)))
    return out


def _interp(x: np.ndarray) -> np.ndarray:
    """Fill NaN by linear interpolation (ends held flat); all-NaN stays NaN."""
    ok = ~np.isnan(x)
    if ok.all() or not ok.any():
        return x
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])


def estimate_effect(
    y: np.ndarray,
    X: np.ndarray | None,
    control_names: list[str],
    *,
    event: int,
    post_start: int,
    post_end: int,
    yoy: bool | None = None,
    exclude: np.ndarray | None = None,
    post_spikes: np.ndarray | None = None,
    train_start: int = 0,
    drift: bool = True,
    reps: int = REPS,
    seed: int = 0,
) -> Effect | None:
    """The target's effect over days [post_start, post_end) against a counterfactual fitted on [train_start, event).

    y, X : log counts of the target and the controls (NaN = no data), one row per panel day.
    exclude : days left out of the fit (spikes); the post-window sums still use every day with data.
    post_spikes : the target's spike days; when any fall in the post window, the effect is also given without them.
    yoy : fit year-over-year differences (None: when there is a year of history plus MIN_TRAIN days).
    Returns None when there is too little data to fit.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    X = None if X is None or X.size == 0 else np.asarray(X, dtype=float).reshape(n, -1)
    first = train_start + int(np.argmax(~np.isnan(y[train_start:])))
    if yoy is None:
        yoy = event - max(first, train_start) >= YOY_LAG + MIN_TRAIN
    if yoy:
        yt = yoy_difference(y)
        Xt = None if X is None else np.column_stack([yoy_difference(X[:, j]) for j in range(X.shape[1])])
        base = np.full(n, np.nan)
        base[YOY_LAG:] = y[:-YOY_LAG]
    else:
        yt, Xt, base = y.copy(), (None if X is None else X.copy()), np.zeros(n)
    lo_i = max(train_start, int(np.argmax(~np.isnan(yt))) if np.any(~np.isnan(yt)) else n)
    if Xt is not None:  # start where every control has data
        starts = [int(np.argmax(~np.isnan(Xt[:, j]))) for j in range(Xt.shape[1])]
        lo_i = max(lo_i, *starts)
    ytr = yt[lo_i:event].copy()
    if np.sum(~np.isnan(ytr)) < MIN_TRAIN:
        return None
    Xtr = None
    if Xt is not None:
        Xtr = Xt[lo_i:event].copy()
        miss = np.isnan(Xtr).any(axis=1)
        ytr[miss] = np.nan
        Xtr = np.column_stack([_interp(Xtr[:, j]) for j in range(Xtr.shape[1])])
    if exclude is not None:
        ytr[np.asarray(exclude[lo_i:event], dtype=bool)] = np.nan
    ntrain = int(np.sum(~np.isnan(ytr)))
    # Parsimony on short histories: below eight weeks neither a weekday pattern nor an AR(1)
    # term can be told apart from the level's drift (13 days gave a zero drift variance and an
    # interval far too narrow on the Wikimedia A/B test), so only the level and noise are fitted.
    weekly = not yoy and ntrain >= LONG_TRAIN
    res = _fit(ytr, Xtr, weekly=weekly, drift=drift, ar=ntrain >= LONG_TRAIN or not drift)
    h = post_end - event
    Xf = None
    if Xt is not None:
        Xf = Xt[event:post_end]
    sims = _simulate(res, None if Xf is None else np.nan_to_num(Xf), h, reps, seed) + base[event:post_end, None]
    post = np.arange(post_start, post_end)
    rows = post - event
    valid = ~np.isnan(y[post]) & ~np.isnan(base[post])
    if Xf is not None:
        valid &= ~np.isnan(Xf[rows]).any(axis=1)
    if valid.sum() == 0:
        return None
    actual = np.expm1(y[post][valid])
    cf = np.maximum(np.expm1(sims[rows[valid]]), 0.0)  # a count is never negative (log1p scale near 0)
    cf_sum = cf.sum(axis=0)
    if actual.sum() <= 0 or np.median(cf_sum) <= 0:
        return None  # nothing to compare: no traffic on either side (an outage, or an empty source)
    rel = actual.sum() / np.maximum(cf_sum, 1e-9) - 1.0
    q = np.quantile(rel, [0.5, 0.025, 0.975])
    without = None
    if post_spikes is not None:
        keep = ~np.asarray(post_spikes, dtype=bool)[post][valid]
        if 0 < keep.sum() < len(keep):
            rel2 = actual[keep].sum() / np.maximum(cf[keep].sum(axis=0), 1e-9) - 1.0
            q2 = np.quantile(rel2, [0.5, 0.025, 0.975])
            without = (float(q2[0]), float(q2[1]), float(q2[2]))
    day_q = np.quantile(np.maximum(np.expm1(sims), 0.0), [0.5, 0.025, 0.975], axis=1)
    kx = 0 if Xt is None else Xt.shape[1]
    coefs = {}
    if kx:
        beta = np.asarray(res.smoothed_state[-kx:, -1])
        coefs = {name: float(b) for name, b in zip(control_names, beta, strict=True)}
    params = dict(zip(res.model.param_names, np.asarray(res.params, dtype=float), strict=True))
    coefs.update({f"param {k}": v for k, v in params.items()})
    note = []
    if not yoy:
        note.append("under a year of history before the event: annual seasonality rests on the controls")
    if int(valid.sum()) < len(post):
        note.append(f"{len(post) - int(valid.sum())} post day(s) without data left out of the sums")
    return Effect(
        method="year-over-year UC" if yoy else "level UC",
        relative=float(q[0]), lo=float(q[1]), hi=float(q[2]), p_drop=float(np.mean(rel < 0)),
        actual_mean=float(actual.mean()), counterfactual_mean=float(np.median(cf_sum) / valid.sum()),
        days=int(valid.sum()), train_days=ntrain, controls=list(control_names), coefficients=coefs,
        converged=bool(res.mle_retvals.get("converged", True)) if isinstance(res.mle_retvals, dict) else True,
        note="; ".join(note), lo_model=float(q[1]), hi_model=float(q[2]), without_spikes=without,
        days_index=[int(i) for i in range(event, post_end)],
        cf_median=[float(v) for v in day_q[0]], cf_lo=[float(v) for v in day_q[1]], cf_hi=[float(v) for v in day_q[2]],
    )


@dataclass
class Placebo:
    event: int  # panel index of the placebo event
    relative: float
    lo: float
    hi: float

    @property
    def z(self) -> float:
        """The placebo estimate over the model's standard error (log scale); ~N(0,1) if calibrated."""
        if min(self.lo, self.relative) <= -1:
            return math.nan
        se = (math.log1p(self.hi) - math.log1p(self.lo)) / (2 * Z95)
        return math.log1p(self.relative) / se if se > 0 else math.nan


def placebo_in_time(
    y: np.ndarray,
    X: np.ndarray | None,
    control_names: list[str],
    *,
    event: int,
    gap: int,
    post_len: int,
    yoy: bool,
    exclude: np.ndarray | None = None,
    drift: bool = False,
    max_placebos: int = 12,
    seed: int = 0,
) -> list[Placebo]:
    """The same estimate at earlier dates, where nothing happened (as far as anyone claims).

    Placebo events step back from the real one by (gap + post_len) days, so their post windows
    do not overlap each other or the real event's.
    """
    out: list[Placebo] = []
    step = gap + post_len
    p = event - step
    while p > 0 and len(out) < max_placebos:
        e = estimate_effect(y, X, control_names, event=p, post_start=p + gap, post_end=p + gap + post_len, yoy=yoy,
                            exclude=exclude, drift=drift, reps=500, seed=seed + len(out) + 1)
        if e is None:
            break
        out.append(Placebo(event=p, relative=e.relative, lo=e.lo, hi=e.hi))
        p -= step
    out.reverse()
    return out


MIN_PLACEBOS = 4


def calibration_factor(placebos: list[Placebo]) -> float:
    """How much to widen the model's interval so it matches the placebo scatter (>= 1).

    The placebos' z-scores (estimate over the model's standard error) should be N(0, 1). Their
    root mean square estimates the factor the model is off by; with k placebos the estimate is
    itself uncertain, so the interval uses Student's t with k degrees of freedom instead of the
    normal 1.96 (the factor is multiplied by t_k / 1.96). Never below 1: a handful of calm
    placebos is no reason to trust a narrower interval than the model's.
    """
    from scipy.stats import t as student_t

    zs = [p.z for p in placebos if math.isfinite(p.z)]
    if len(zs) < MIN_PLACEBOS:
        return 1.0
    rms = math.sqrt(float(np.mean(np.square(zs))))
    return max(1.0, rms * float(student_t.ppf(0.975, len(zs))) / Z95)


def search_factor(k: int) -> float:
    """Bonferroni widening for the largest of k estimates: z(1 - 0.025 / k) / z(0.975)."""
    from scipy.stats import norm

    return float(norm.ppf(1 - 0.025 / max(1, k)) / Z95)


def counterfactual_effect(
    y: np.ndarray,
    X: np.ndarray | None,
    control_names: list[str],
    *,
    event: int,
    post_start: int,
    post_end: int,
    exclude: np.ndarray | None = None,
    post_spikes: np.ndarray | None = None,
    max_placebos: int = 12,
    scan_windows: int = 1,
    seed: int = 0,
) -> tuple[Effect | None, list[Placebo]]:
    """The calibrated estimate: the model without drift, its interval widened to the placebos' scatter.

    Why two steps: a local-level (drifting) model gives honest but often very wide intervals,
    and it is slow; the model without drift is fast and sharp but can be overconfident when the
    series does drift. Placebo events measure how far off it actually is on *this* series, and
    the interval is widened by that much. Without enough history for four placebos, the drifting
    model is used as it is (the conservative choice).

    scan_windows : when the event date was *chosen from the data* (the strongest break), how many
        distinct post windows the search could have picked; the interval is then a Bonferroni
        interval over that many (z at 1 - 0.025 / scan_windows instead of 1.96), since the
        largest of many estimates is biased away from 0 and a placebo at a random date does
        not see that bias.
    """
    scan = search_factor(scan_windows)
    first = int(np.argmax(~np.isnan(y))) if np.any(~np.isnan(y)) else len(y)
    yoy = event - first >= YOY_LAG + MIN_TRAIN
    gap = post_start - event
    placebos = placebo_in_time(y, X, control_names, event=event, gap=gap, post_len=post_end - post_start, yoy=yoy,
                               exclude=exclude, drift=False, max_placebos=max_placebos, seed=seed)
    if len(placebos) >= MIN_PLACEBOS:
        eff = estimate_effect(y, X, control_names, event=event, post_start=post_start, post_end=post_end, yoy=yoy,
                              exclude=exclude, post_spikes=post_spikes, drift=False, seed=seed)
        if eff is not None:
            eff.widened(calibration_factor(placebos) * scan)
        return eff, placebos
    eff = estimate_effect(y, X, control_names, event=event, post_start=post_start, post_end=post_end, yoy=yoy,
                          exclude=exclude, post_spikes=post_spikes, drift=True, seed=seed)
    if eff is not None:
        eff.widened(scan)
        eff.note = "; ".join(x for x in (eff.note, f"only {len(placebos)} placebo date(s) fit before the event: drifting-level model, interval not calibrated") if x)
    return eff, placebos

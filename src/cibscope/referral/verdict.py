"""The verdict: which explanation the figures support, and the figures behind each word.

Words, in the order they are tried (the first that holds is the verdict; every other finding
that holds is listed with it):

* **tracking or data artefact** -- the target or a control starts, stops, has gaps or zeros, or
  gains/loses a part of its sum within a week of the windows compared; or the adjusted effect is
  significant only because of spike days. A change there is a change in what is counted.
* **source-specific drop / rise** -- the adjusted effect (counterfactual from the controls and
  the target's own seasonality, placebo-calibrated 95% interval) excludes 0, *and* the
  difference-in-differences against the controls' total (year over year when possible) agrees
  in sign and significance. Both are needed: the model's coefficients on the controls are
  estimated from their day-to-day co-movement and shrink towards 0 when the controls are noisy,
  so on its own it would call a drop of the whole site a drop of the target; the DiD alone
  assumes the ratio to the controls never drifts.
* **site-wide decline / rise** -- the controls' own change (year over year when a year of history
  exists) is significant and the target's adjusted effect is not, or is smaller.
* **seasonal** -- the target's naive change is significant, but at least half of it recurs in the
  same weekday-aligned windows a year (or two) earlier.
* **inconclusive** -- the target's naive change is significant, yet neither seasonality, the
  site, nor the adjusted effect accounts for it with confidence (typically: too little history).
* **no change** -- nothing above holds.

With the A/B design (target and control are randomised halves of the same site), the question
is the treatment effect alone: the words are tracking or data artefact, source-specific
drop/rise (treatment effect) or no change, and the common change of both groups is context.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Finding", "Verdict", "VERDICTS", "decide"]

VERDICTS = (
    "tracking or data artefact", "source-specific drop", "source-specific rise", "site-wide decline", "site-wide rise",
    "seasonal", "inconclusive", "no change",
)


@dataclass
class Finding:
    word: str
    holds: bool
    text: str
    figures: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"word": self.word, "holds": self.holds, "text": self.text, "figures": self.figures}


@dataclass
class Verdict:
    word: str
    headline: str
    findings: list[Finding] = field(default_factory=list)
    mostly_seasonal: bool = False
    seasonal_share: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.word, "headline": self.headline, "mostly_seasonal": self.mostly_seasonal,
            "seasonal_share": None if self.seasonal_share is None else round(self.seasonal_share, 4),
            "findings": [f.as_dict() for f in self.findings],
        }


def pct(v: float | None, signed: bool = True) -> str:
    if v is None or not math.isfinite(v):
        return "n/a"
    return f"{v * 100:+.1f}%" if signed else f"{v * 100:.1f}%"


def ci(lo: float | None, hi: float | None) -> str:
    return f"[{pct(lo)}, {pct(hi)}]"


def _log(v: float | None) -> float | None:
    if v is None or not math.isfinite(v) or v <= -1:
        return None
    return math.log1p(v)


def decide(s: dict[str, Any], *, design: str = "referrers") -> Verdict:
    """Decide from the summary figures ``s`` (built by audit.audit_site; keys documented there)."""
    f: list[Finding] = []
    naive, naive_ci = s.get("naive"), s.get("naive_ci")
    eff = s.get("effect")  # model.Effect or None
    artefacts = s.get("artefacts", [])

    # 1. tracking or data artefacts near the windows
    spike_only = False
    if eff is not None and eff.significant and eff.without_spikes is not None:
        e2, lo2, hi2 = eff.without_spikes
        spike_only = lo2 <= 0 <= hi2
    art_text = "; ".join(artefacts)
    if spike_only:
        e2, lo2, hi2 = eff.without_spikes
        art_text = "; ".join(x for x in (art_text, f"the effect {pct(eff.relative)} {ci(eff.lo, eff.hi)} loses significance without the target's spike days ({pct(e2)} {ci(lo2, hi2)})") if x)
    f.append(Finding("tracking or data artefact", bool(artefacts) or spike_only, art_text or "no tracking change, gap or outage near the windows",
                     {"artefacts": artefacts, "spike_driven": spike_only}))

    # 2. the adjusted (source-specific) effect, confirmed by the difference-in-differences
    dd = s.get("did")  # crosscheck.DiD (year over year when possible) or None
    if eff is not None:
        word = "source-specific drop" if eff.relative < 0 else "source-specific rise"
        text = (f"against the counterfactual from {', '.join(eff.controls) or 'its own history'} and seasonality "
                f"({eff.method}): {pct(eff.relative)} {ci(eff.lo, eff.hi)}"
                + (f", interval widened x{eff.widen:.2f} to match {s.get('n_placebos', 0)} placebo dates" if eff.widen > 1 else ""))
        holds = eff.significant
        if holds and dd is not None:
            agree = dd.significant and (dd.estimate < 0) == (eff.relative < 0)
            text += (f"; the difference-in-differences against the controls' total agrees: {pct(dd.estimate)} {ci(dd.lo, dd.hi)}" if agree else
                     f"; but the difference-in-differences against the controls' total does not: {pct(dd.estimate)} {ci(dd.lo, dd.hi)}, "
                     "so the target did not fall more than the rest of the site (the model's control coefficients are below 1)")
            holds = agree
        f.append(Finding(word, holds, text, {"effect": eff.relative, "ci95": [eff.lo, eff.hi], "method": eff.method,
                                             "did": None if dd is None else [dd.estimate, dd.lo, dd.hi]}))
    else:
        f.append(Finding("source-specific drop", False, "no counterfactual: too little data before the event to fit the model", {}))

    # 3. site-wide change (the controls' own change, seasonally adjusted where possible)
    site = s.get("site_change")  # (estimate, lo, hi, kind) or None
    if design != "ab" and site is not None:
        est, lo, hi, kind = site
        sig = lo > 0 or hi < 0
        word = "site-wide decline" if est < 0 else "site-wide rise"
        f.append(Finding(word, sig, f"the controls' total ({kind}): {pct(est)} {ci(lo, hi)}", {"change": est, "ci95": [lo, hi], "kind": kind}))

    # 4. seasonal share of the naive change
    share = None
    seas = s.get("seasonal")  # mean relative change of the same windows in earlier years, or None
    ln, lsea = _log(naive), _log(seas)
    if ln is not None and lsea is not None and ln != 0:
        share = lsea / ln
    naive_sig = naive_ci is not None and (naive_ci[0] > 0 or naive_ci[1] < 0)
    mostly = share is not None and share >= 0.5
    if design != "ab":
        if seas is None:
            f.append(Finding("seasonal", False, "no earlier year covers the same windows: seasonality cannot be measured directly", {}))
        else:
            f.append(Finding("seasonal", bool(naive_sig and mostly),
                             f"the naive change {pct(naive)} vs {pct(seas)} in the same windows of earlier year(s): "
                             f"{pct(share, signed=False) if share is not None else 'n/a'} of it recurs",
                             {"naive": naive, "same_windows_earlier": seas, "seasonal_share": share, "years": s.get("seasonal_years", [])}))

    # decide
    by = {x.word: x for x in f}
    word = "no change"
    if by["tracking or data artefact"].holds:
        word = "tracking or data artefact"
    else:
        spec = next((x for x in f if x.word.startswith("source-specific") and x.holds), None)
        wide = next((x for x in f if x.word.startswith("site-wide") and x.holds), None)
        if spec is not None and (wide is None or abs(_log(spec.figures["effect"]) or 0) >= abs(_log(wide.figures["change"]) or 0)):
            word = spec.word
        elif wide is not None:
            word = wide.word
        elif design != "ab" and "seasonal" in by and by["seasonal"].holds:
            word = "seasonal"
        elif design != "ab" and naive_sig:
            word = "inconclusive"
    headline = _headline(word, s, f, share, design)
    return Verdict(word=word, headline=headline, findings=f, mostly_seasonal=mostly, seasonal_share=share)


def _headline(word: str, s: dict[str, Any], f: list[Finding], share: float | None, design: str) -> str:
    eff = s.get("effect")
    naive = s.get("naive")
    parts = []
    if naive is not None:
        parts.append(f"naive change {pct(naive)}")
    if share is not None and design != "ab":
        parts.append(f"{pct(share, signed=False)} of it seasonal" if share > 0 else "none of it seasonal")
    if eff is not None:
        parts.append(f"adjusted effect {pct(eff.relative)} {ci(eff.lo, eff.hi)}")
    if word == "tracking or data artefact":
        arts = s.get("artefacts") or []
        lead = "a tracking or data artefact, not a drop" + (f": {arts[0]}" if arts else "")
    elif word == "seasonal":
        lead = "seasonal: the change recurs in the same weeks of earlier years"
    elif word == "inconclusive":
        lead = "inconclusive: the target changed, but the adjusted effect's interval includes 0"
    elif word == "no change":
        lead = "no change beyond what seasonality and the controls explain" if design != "ab" else "no treatment effect"
    else:
        lead = word
    return lead + (" (" + "; ".join(parts) + ")" if parts else "")

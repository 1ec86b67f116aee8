"""The group decision: coordinated beyond this case's chance, and inauthentic -- both named.

A group is

* ``operation`` (**flagged**) -- coordinated (its internal evidence beats the null copies of the
  case at the stated false discovery rate, :mod:`cibscope.groups.null`) *and* at least
  ``min_signals`` inauthenticity traits fire for it (:mod:`cibscope.evidence.signals`):
  "coordinated, with inauthenticity signals copy_paste, no_engagement";
* ``coordinated`` -- coordinated, no inauthenticity trait: what a fan club, an activist
  campaign or a newsroom's accounts look like. Listed, not flagged by default;
* ``chance`` -- not beyond what the null copies produce.

Nothing here is a threshold learned on data: the coordination cut is a false discovery rate
against a null made from the case itself, the traits are tested against the case's own base
rates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..groups.null import Calibration
from .signals import GroupSignal

__all__ = ["OPERATION", "COORDINATED", "CHANCE", "GroupDecision", "decide_groups", "verdict_text"]

OPERATION = "operation"
COORDINATED = "coordinated"
CHANCE = "chance"


@dataclass(frozen=True)
class GroupDecision:
    group_id: int
    verdict: str
    calibration: Calibration
    signals: tuple[str, ...] = ()
    #: trait -> the members showing it (for the fired traits)
    trait_members: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        return self.verdict == OPERATION


def decide_groups(
    calibration: Mapping[int, Calibration], signals: Sequence[GroupSignal], *, min_signals: int = 1
) -> dict[int, GroupDecision]:
    """One decision per calibrated group."""
    fired: dict[int, list[GroupSignal]] = {}
    for s in signals:
        if s.fired:
            fired.setdefault(s.group_id, []).append(s)
    out: dict[int, GroupDecision] = {}
    for g, cal in sorted(calibration.items()):
        fs = fired.get(g, [])
        if not cal.coordinated:
            verdict = CHANCE
        elif len(fs) >= max(1, int(min_signals)):
            verdict = OPERATION
        else:
            verdict = COORDINATED
        out[g] = GroupDecision(
            group_id=g, verdict=verdict, calibration=cal, signals=tuple(s.signal for s in fs),
            trait_members={s.signal: frozenset(s.members) for s in fs},
        )
    return out


def _fmt(x: float) -> str:
    return f"{x:.2g}" if x else "0"


def verdict_text(d: GroupDecision) -> str:
    """One line a reader can act on."""
    c = d.calibration
    null = f"internal evidence {c.statistic:.1f}, E={_fmt(c.e_value)}, q={_fmt(c.q_value)} against the case's null copies"
    if d.verdict == OPERATION:
        return f"coordinated ({null}), with inauthenticity signals: {', '.join(d.signals)}"
    if d.verdict == COORDINATED:
        return f"coordinated ({null}), no inauthenticity signal (as organic communities are); not flagged"
    return f"not beyond chance ({null})"

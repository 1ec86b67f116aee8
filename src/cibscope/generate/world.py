"""The knobs of a generated world: how strong, how quiet, how organic, how precise.

The defaults are the world the generator has always made (the same arguments give the same
bytes as before the knobs existed). The benchmark sweep (``bench/bench_sweep.py``) draws them
at random, so that no default of the detector is chosen by looking at one world.

============================  =========  ====================================================
knob                          default    what it changes
============================  =========  ====================================================
``io_share``                  0.12       share of accounts in operations
``group_size``                120        operation accounts per group (sets the number of groups, 3-12)
``weak_share``                0.2        share of each group's members that are quiet (2-5 actions)
``participation_lo/hi``       0.3, 0.85  range of a strong member's chance of joining an event
``coord_share``               0.55       share of operation tweets that are coordinated actions
``rt_delay_hi``               60         co-retweet bursts: members retweet 5..this many seconds after
``rt_fast_share``             0.85       ... the share of retweets in the burst (the rest: 1-15 min)
``trait_strength``            1.0        how many members carry the account-level tactics (batch
                                         creation, repurposing, the group's client, office hours)
``io_engagement``             0.02       operation accounts' engagement (organic accounts: 1)
``fan_rate``                  0.12       share of a fandom retweeting each post of its star
``fan_cohesion``              0.0        chance that a fan event is joined by the fandom's fixed
                                         core instead of a fresh draw: fan clubs that really act together
``drop_tactic``               ""         remove one tactic from every archetype (leave-one-out runs)
``minute_only``               False      tweet ids are not snowflakes: times known to the minute only
============================  =========  ====================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from ..errors import ParameterError
from ..params import Interval, IsBool, Options, validate

__all__ = ["World", "parse_world"]

TACTICS = (
    "co_retweet", "copy_paste_zh", "copy_paste_en", "shared_links", "hashtag_campaign",
    "batch_created", "repurposed", "office_hours", "same_client",
)

CONSTRAINTS = {
    "io_share": Interval(float, 0.01, 0.5),
    "group_size": Interval(int, 10, 10_000),
    "weak_share": Interval(float, 0.0, 0.9),
    "participation_lo": Interval(float, 0.01, 1.0),
    "participation_hi": Interval(float, 0.01, 1.0),
    "coord_share": Interval(float, 0.05, 0.95),
    "rt_delay_hi": Interval(float, 6.0, 3600.0),
    "rt_fast_share": Interval(float, 0.0, 1.0),
    "trait_strength": Interval(float, 0.0, 1.0),
    "io_engagement": Interval(float, 0.0, 5.0),
    "fan_rate": Interval(float, 0.01, 0.9),
    "fan_cohesion": Interval(float, 0.0, 1.0),
    "drop_tactic": Options(("",) + TACTICS),
    "minute_only": IsBool(),
}


@dataclass(frozen=True)
class World:
    io_share: float = 0.12
    group_size: int = 120
    weak_share: float = 0.2
    participation_lo: float = 0.3
    participation_hi: float = 0.85
    coord_share: float = 0.55
    rt_delay_hi: float = 60.0
    rt_fast_share: float = 0.85
    trait_strength: float = 1.0
    io_engagement: float = 0.02
    fan_rate: float = 0.12
    fan_cohesion: float = 0.0
    drop_tactic: str = ""
    minute_only: bool = False

    def validate(self) -> None:
        validate("World", CONSTRAINTS, asdict(self))
        if self.participation_lo > self.participation_hi:
            raise ParameterError(
                f"participation_lo ({self.participation_lo}) must not exceed participation_hi ({self.participation_hi})"
            )

    def is_default(self) -> bool:
        return self == World()


def parse_world(knobs: Mapping[str, Any] | None) -> World:
    """``{"weak_share": 0.4, ...}`` -> a validated :class:`World` (unknown names are an error)."""
    names = [f.name for f in fields(World)]
    values: dict[str, Any] = {}
    for k, v in (knobs or {}).items():
        if k not in names:
            raise ParameterError(f"Unknown knob {k!r}. Knobs: {', '.join(names)}.")
        typ = type(getattr(World(), k))
        if typ is bool and isinstance(v, str):
            v = v.strip().lower() in ("1", "true", "yes")
        elif typ is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        values[k] = v
    w = World(**values)
    w.validate()
    return w

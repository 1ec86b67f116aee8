"""Generated referral series with a planted drop of known size: the ground truth for the audit's calibration.

Each seed draws its own *world*, so a sweep over seeds is a sweep over worlds, not over noise
in one world (the house rule: never tune on one synthetic world). A world has

* a site-wide factor shared by every source: a random-walk trend, an annual cycle (three
  harmonics of random amplitude), two fixed-date holidays (sharp dips of random depth) and a
  weekday pattern;
* a search-engine factor shared by the target source and the same source on peer sites (its
  own annual cycle and weekday pattern);
* the target ("search"): the site factor with a random loading, the search factor, its own
  weekday pattern, its own slow drift and AR(1) noise of random persistence (0.2-0.85) and size
  (2-8% a day);
* controls ("internal", "external") loading on the site factor with their own AR(1) noise, and a
  bot-prone class ("none") with automated bursts;
* optional peer sites whose "search" shares the search factor but not the site's.

The planted effect multiplies the target by (1 + effect) from the event day on, so over any
post window the true relative effect -- actual over counterfactual sums -- is exactly ``effect``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .series import SeriesData

__all__ = ["PlantedWorld", "planted_world"]

START = date(2016, 1, 4)  # a Monday


@dataclass
class PlantedWorld:
    data: SeriesData
    site: str
    target: str
    controls: list[str]
    peers: list[str]
    event: date
    effect: float


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    e = rng.standard_normal(n) * sd
    u = np.empty(n)
    u[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        u[t] = phi * u[t - 1] + e[t]
    return u


def planted_world(seed: int, effect: float = 0.0, *, days: int = 1000, n_peers: int = 0, site_wide: float = 0.0) -> PlantedWorld:
    """One generated world; ``effect`` on the target from the event on, ``site_wide`` on every source of the site."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    dow = (t + START.weekday()) % 7
    doy = np.array([(START + timedelta(days=int(i))).timetuple().tm_yday for i in t], dtype=float)

    def annual(amp: float) -> np.ndarray:
        s = np.zeros(days)
        for k in (1, 2, 3):
            s += amp / k * (rng.normal() * np.sin(2 * np.pi * k * doy / 365.25) + rng.normal() * np.cos(2 * np.pi * k * doy / 365.25))
        return s

    def holidays(n: int, depth: tuple[float, float]) -> np.ndarray:
        s = np.zeros(days)
        for _ in range(n):
            h = rng.integers(1, 366)
            s -= rng.uniform(*depth) * np.exp(-0.5 * ((doy - h) / rng.uniform(1, 4)) ** 2)
        return s

    def weekly(sd: float) -> np.ndarray:
        return rng.normal(0, sd, 7)[dow]

    site = np.cumsum(rng.normal(0, rng.uniform(0.002, 0.006), days)) + annual(rng.uniform(0.05, 0.2)) + holidays(2, (0.1, 0.4)) + weekly(0.1)
    search = annual(rng.uniform(0.02, 0.1)) + weekly(0.05)
    event_i = int(rng.integers(days - 200, days - 40))
    ev = START + timedelta(days=event_i)
    step_wide = np.where(t >= event_i, np.log1p(site_wide), 0.0)
    logs = {
        "search": (13 + rng.uniform(0.6, 1.2) * site + search + weekly(0.05) + np.cumsum(rng.normal(0, rng.uniform(0, 0.002), days))
                   + _ar1(rng, days, rng.uniform(0.2, 0.85), rng.uniform(0.02, 0.08)) + np.where(t >= event_i, np.log1p(effect), 0.0)),
        "internal": 12.5 + rng.uniform(0.7, 1.1) * site + weekly(0.03) + _ar1(rng, days, rng.uniform(0.2, 0.8), rng.uniform(0.02, 0.06)),
        "external": 10.5 + rng.uniform(0.7, 1.1) * site + weekly(0.05) + _ar1(rng, days, rng.uniform(0.2, 0.8), rng.uniform(0.03, 0.08)),
    }
    bots = np.zeros(days)
    for _ in range(int(rng.integers(3, 10))):
        i = int(rng.integers(days))
        bots[i : i + int(rng.integers(1, 3))] += np.log(rng.uniform(1.8, 4.0))
    logs["none"] = 12 + site + weekly(0.02) + _ar1(rng, days, 0.5, 0.04) + bots
    data = SeriesData(bot_classes={"none"})
    for src, lg in logs.items():
        lg = lg + step_wide
        data.values[("site", src)] = {START + timedelta(days=int(i)): float(np.round(np.exp(v))) for i, v in enumerate(lg)}
    peers = []
    for k in range(n_peers):
        name = f"peer{k + 1}"
        own = np.cumsum(rng.normal(0, rng.uniform(0.002, 0.005), days)) + annual(rng.uniform(0.05, 0.15)) + weekly(0.08)
        lg = 11 + rng.uniform(0.8, 1.2) * search + own + _ar1(rng, days, rng.uniform(0.2, 0.8), rng.uniform(0.02, 0.06))
        data.values[(name, "search")] = {START + timedelta(days=int(i)): float(np.round(np.exp(v))) for i, v in enumerate(lg)}
        peers.append(name)
    return PlantedWorld(data=data, site="site", target="search", controls=["internal", "external"], peers=peers, event=ev, effect=effect)

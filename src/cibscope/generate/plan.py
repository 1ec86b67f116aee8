"""Planted behaviour: the operations' coordinated actions and the organic look-alikes.

Every planted action is one future tweet row: who, when (to the millisecond), which event it
belongs to, and whether it is the event's originating post (a seed post, a celebrity's post)
or a participant's. Rows are planned for the whole time span up front (a few arrays, small
next to the tweets) so the number of background tweets can be set to make the total exact;
their text is rendered later, chunk by chunk.

Operations (label io): co-retweet bursts (members retweet a seed post 5-60 s after it),
copy-paste messages with small edits, dedicated link domains with many article URLs and
varying tracking parameters, identical hashtag sequences per day, all in UTC+8 office hours
for groups with that tactic. Weak members join only 2-5 events: the hard positives.

Hard negatives (label organic): fans retweet a celebrity within seconds, many users use a
news hashtag within the hour, many users share the same news link (often with the identical
text a share button pre-fills). Participants are drawn afresh for every event, so no pair of
organic accounts co-occurs more than chance given how active each is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from . import clock
from . import text as tx
from .population import (
    GUO_KEY_DATES,
    HK_KEY_DATES,
    HK_PIVOT_DAY,
    ROLE_CELEB,
    ROLE_ORGANIC,
    Group,
    Population,
)

E_IO_RT, E_IO_COPY, E_IO_LINK, E_IO_TAG, E_HN_FAN, E_HN_TAG, E_HN_LINK = range(7)
N_EVENT_TYPES = 7

IO_SHARE = 0.22  # of all tweets, by operation accounts
IO_COORD_SHARE = 0.55  # of operation tweets, planted coordinated actions
HN_FAN_SHARE, HN_TAG_SHARE, HN_LINK_SHARE = 0.03, 0.02, 0.02

EXT_CELEB, EXT_NEWS, EXT_STATE, EXT_GENERAL = range(4)
_STATE_MEDIA = ["ChinaDailyView", "CNNewsWire", "AsiaTodayCN", "PRCVoiceNews", "SilkRoadWire", "HarmonyTimesCN"]
_OUTLETS = {
    "www.scmp.com": "SCMPNews", "www.bbc.com": "BBCWorld", "www.reuters.com": "Reuters", "www.theguardian.com": "guardian",
    "www.nytimes.com": "nytimes", "hongkongfp.com": "HongKongFP", "news.rthk.hk": "rthk_enews", "www.hk01.com": "hk01news",
}


@dataclass
class Externals:
    """Accounts outside the dataset whose tweets get retweeted, quoted or replied to."""

    userid: list[str]
    screen: list[str]
    kind: np.ndarray
    topic: np.ndarray
    lang: np.ndarray


@dataclass
class Plan:
    etype: np.ndarray
    event: np.ndarray
    uidx: np.ndarray
    t_ms: np.ndarray
    role: np.ndarray  # 0 originating post, 1 participant
    anchor_day: np.ndarray
    events: list[dict[str, Any]] = field(default_factory=list)  # per event type
    externals: Externals | None = None
    io_background: int = 0  # background tweets for strong operation accounts, shared by weight
    weak_background: np.ndarray | None = None  # fixed background tweets per account (weak members)

    def __len__(self) -> int:
        return len(self.uidx)


class _Rows:
    def __init__(self) -> None:
        self.parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]] = []

    def add(self, etype: int, eid: int, uidx: np.ndarray, t_ms: np.ndarray, role: np.ndarray | int, anchor: int) -> None:
        u = np.asarray(uidx, np.int64)
        if not len(u):
            return
        r = np.full(len(u), role, np.int8) if np.isscalar(role) else np.asarray(role, np.int8)
        self.parts.append((etype, np.full(len(u), eid, np.int32), u, np.asarray(t_ms, np.int64), r, anchor))


def _day_weights(start: int, key_dates: list[date], end: int = clock.N_DAYS) -> np.ndarray:
    w = np.zeros(clock.N_DAYS)
    days = np.arange(clock.N_DAYS)
    w[start:end] = 1.0
    for d in key_dates:
        k = clock.day_of(d)
        w += 5.0 * np.exp(-0.5 * ((days - k) / 2.0) ** 2) * (days >= start)
    return w


def _sample_days(rng: np.random.Generator, w: np.ndarray, n: int, weekdays_only: bool) -> np.ndarray:
    w = w.copy()
    if weekdays_only:
        w *= clock.weekday(np.arange(len(w))) < 5
    return np.sort(rng.choice(len(w), n, p=w / w.sum()))


def build_externals(rng: np.random.Generator, pop: Population) -> Externals:
    names = tx.vocab().raw["names"]
    userid: list[str] = []
    screen: list[str] = []
    kind: list[int] = []
    topic: list[int] = []
    lang: list[int] = []
    used = {s.lower() for s in pop.screen}

    def add(s: str, k: int, t: int, lg: int) -> None:
        while s.lower() in used:
            s = s[:12] + str(int(rng.integers(10, 99)))
        used.add(s.lower())
        userid.append(str(int(rng.integers(10**7, 4 * 10**9))))
        screen.append(s)
        kind.append(k)
        topic.append(t)
        lang.append(lg)

    for i in range(12):
        f = names["en_first"][int(rng.integers(0, len(names["en_first"])))]
        add(f"{f.title()}{['Music', 'Official', 'TV', 'Star', 'Live'][i % 5]}", EXT_CELEB, [tx.T_KPOP, tx.T_SPORTS, tx.T_DAILY][i % 3], [tx.L_EN, tx.L_KO, tx.L_ZH][i % 3])
    for domain, handle in _OUTLETS.items():
        add(handle, EXT_NEWS, tx.T_HK if domain in ("hongkongfp.com", "news.rthk.hk", "www.hk01.com", "www.scmp.com") else tx.T_WORLD, tx.L_ZH if domain == "www.hk01.com" else tx.L_EN)
    for s in _STATE_MEDIA:
        add(s, EXT_STATE, tx.T_IO_HK, tx.L_ZH if "CN" in s else tx.L_EN)
    for i in range(24):
        t = int(tx.NONPOLITICAL[i % len(tx.NONPOLITICAL)])
        w = names["handle_words"][int(rng.integers(0, len(names["handle_words"])))]
        add(f"{tx.TOPICS[t].title()}{w.title()}", EXT_GENERAL, t, [tx.L_EN, tx.L_ZH, tx.L_EN, tx.L_JA, tx.L_KO, tx.L_ES][i % 6])
    return Externals(userid, screen, np.array(kind), np.array(topic), np.array(lang))


def build_plan(rng: np.random.Generator, pop: Population, n_tweets: int) -> Plan:
    """Plan every planted row for the whole span (operations first, then hard negatives)."""
    ext = build_externals(rng, pop)
    rows = _Rows()
    events: list[dict[str, Any]] = [dict() for _ in range(N_EVENT_TYPES)]
    for e in events:
        e["n"] = 0
    n_io = int(pop.is_io.sum())
    io_budget = IO_SHARE * n_tweets
    io_background = 0
    weak_bg = np.zeros(pop.n, np.int64)
    for g in pop.groups:
        b_group = io_budget * len(g.members) / n_io
        coord = pop.world.coord_share
        _plan_group(rng, pop, g, b_group * coord, rows, events, ext)
        weak_bg[g.weak] = rng.integers(0, 7, len(g.weak))  # weak members: a handful of own posts
        io_background += int(round(b_group * (1 - coord)))
    _plan_fans(rng, pop, ext, n_tweets * HN_FAN_SHARE, rows, events)
    engaged = news_engaged(rng, pop)
    _plan_news_tags(rng, pop, engaged, n_tweets * HN_TAG_SHARE, rows, events)
    _plan_links(rng, pop, engaged, n_tweets * HN_LINK_SHARE, rows, events)

    if rows.parts:
        etype = np.concatenate([np.full(len(p[2]), p[0], np.int8) for p in rows.parts])
        event = np.concatenate([p[1] for p in rows.parts])
        uidx = np.concatenate([p[2] for p in rows.parts])
        t_ms = np.concatenate([p[3] for p in rows.parts])
        role = np.concatenate([p[4] for p in rows.parts])
        anchor = np.concatenate([np.full(len(p[2]), p[5], np.int32) for p in rows.parts])
    else:
        etype = event = anchor = np.zeros(0, np.int32)
        uidx = t_ms = np.zeros(0, np.int64)
        role = np.zeros(0, np.int8)
    order = np.argsort(anchor, kind="stable")
    plan = Plan(etype[order], event[order], uidx[order], t_ms[order], role[order], anchor[order], events, ext)
    plan.io_background = io_background
    plan.weak_background = weak_bg
    _finish_events(plan.events)
    _tag(pop, plan)
    return plan


def _tag(pop: Population, plan: Plan) -> None:
    """Record in truth which planted behaviours each account actually shows."""
    names = {E_IO_RT: "co_retweet", E_IO_LINK: "shared_links", E_IO_TAG: "hashtag_campaign",
             E_HN_FAN: "hn_fan_retweets", E_HN_TAG: "hn_news_hashtag_burst", E_HN_LINK: "hn_popular_link"}
    copy_lang = plan.events[E_IO_COPY].get("lang", np.zeros(0, np.int64))
    part = plan.role == 1
    for et, name in names.items():
        for u in np.unique(plan.uidx[part & (plan.etype == et)]):
            pop.tags[int(u)].add(name)
    m = part & (plan.etype == E_IO_COPY)
    for u, ev in zip(plan.uidx[m], plan.event[m]):
        pop.tags[int(u)].add("copy_paste_zh" if copy_lang[int(ev)] == tx.L_ZH else "copy_paste_en")
    m = (plan.role == 0) & (plan.etype == E_IO_RT)
    for u in np.unique(plan.uidx[m]):
        pop.tags[int(u)].add("co_retweet_seed")


def _new_event(events: list[dict[str, Any]], et: int, **attrs: Any) -> int:
    e = events[et]
    eid = e["n"]
    e["n"] += 1
    for k, val in attrs.items():
        e.setdefault(k, []).append(val)
    return eid


def _finish_events(events: list[dict[str, Any]]) -> None:
    for e in events:
        for k, val in list(e.items()):
            if k != "n" and isinstance(val, list) and val and isinstance(val[0], (int, np.integer, float, bool, np.bool_)):
                e[k] = np.asarray(val)


def _plan_group(rng: np.random.Generator, pop: Population, g: Group, budget: float, rows: _Rows,
                events: list[dict[str, Any]], ext: Externals) -> None:
    tactics = g.coord_tactics
    strong = np.concatenate([g.seeds, g.strong]).astype(np.int64)
    key = GUO_KEY_DATES + HK_KEY_DATES if g.start_day < HK_PIVOT_DAY - 300 else HK_KEY_DATES
    wdays = _day_weights(g.start_day, key)
    state = np.flatnonzero(ext.kind == EXT_STATE)
    vocab = tx.vocab()
    io_tags = vocab.raw["io_hashtags"]["zh" if g.lang == tx.L_ZH else "en"]
    rhythm = clock.RHYTHM_OFFICE if g.office else clock.RHYTHM_ORGANIC
    group_events: list[tuple[int, int, int]] = []  # (etype, eid, day) for weak members to join
    b = budget / max(len(tactics), 1)
    for tactic in tactics:
        p = rng.uniform(pop.world.participation_lo, pop.world.participation_hi, len(strong))
        per_event = p.sum() * (2.0 if tactic == "hashtag_campaign" else 1.0) + (0.6 if tactic == "co_retweet" else 0.0)
        n_ev = max(4, int(round(b / max(per_event, 1.0))))
        days = _sample_days(rng, wdays, n_ev, g.office)
        t0s = clock.times_on_days(rng, days, np.full(n_ev, rhythm), np.full(n_ev, 480))
        for day, t0 in zip(days, t0s):
            day, t0 = int(day), int(t0)
            topic = tx.T_IO_GUO if day < HK_PIVOT_DAY else tx.T_IO_HK
            lang = g.lang if rng.random() < 0.85 else (tx.L_EN if g.lang == tx.L_ZH else tx.L_ZH)
            part = strong[rng.random(len(strong)) < p]
            if tactic == "co_retweet":
                internal = len(g.seeds) > 0 and rng.random() < 0.6
                seed = int(rng.choice(g.seeds)) if internal else int(rng.choice(state))
                eid = _new_event(events, E_IO_RT, group=g.gid, internal=internal, seed=seed, topic=topic, lang=lang, t0=t0)
                if internal:
                    rows.add(E_IO_RT, eid, [seed], [t0], 0, day)
                    part = part[part != seed]
                hi = pop.world.rt_delay_hi
                delay = np.where(rng.random(len(part)) < pop.world.rt_fast_share, rng.uniform(5, hi, len(part)),
                                 rng.uniform(hi, max(900.0, 2 * hi), len(part)))
                rows.add(E_IO_RT, eid, part, t0 + (delay * 1000).astype(np.int64), 1, day)
                group_events.append((E_IO_RT, eid, day))
            elif tactic in ("copy_paste_zh", "copy_paste_en"):
                clang = tx.L_ZH if tactic == "copy_paste_zh" else tx.L_EN
                master = tx.master_text(rng, topic, clang)
                eid = _new_event(events, E_IO_COPY, group=g.gid, lang=clang, t0=t0,
                                 variants=tx.variants(rng, master, clang, 6, io_tags))
                rows.add(E_IO_COPY, eid, part, t0 + (rng.uniform(0, g.copy_width_s, len(part)) * 1000).astype(np.int64), 1, day)
                group_events.append((E_IO_COPY, eid, day))
            elif tactic == "shared_links":
                dom = g.domains[int(rng.integers(0, len(g.domains)))]
                ymd = clock.date_strings(np.array([day]))[0].replace("-", "/")
                slug = "-".join(w.lower().replace(" ", "-") for w in _en_words(rng, 4))
                url = f"https://{dom}/{ymd}/{slug}-{int(rng.integers(10000, 99999))}.html"
                eid = _new_event(events, E_IO_LINK, group=g.gid, lang=lang, t0=t0, url=url, topic=topic,
                                 master=tx.master_text(rng, topic, lang))
                rows.add(E_IO_LINK, eid, part, t0 + (rng.uniform(0, 7200, len(part)) * 1000).astype(np.int64), 1, day)
                group_events.append((E_IO_LINK, eid, day))
            else:  # hashtag_campaign: the day's sequence, posted 1-3 times by each participant
                k = int(rng.integers(3, 6))
                seq = [io_tags[int(i)] for i in rng.choice(len(io_tags), k, replace=False)]
                eid = _new_event(events, E_IO_TAG, group=g.gid, lang=lang, topic=topic, seq=seq, t0=t0)
                n_posts = rng.integers(1, 4, len(part))
                who = np.repeat(part, n_posts)
                ts = clock.times_on_days(rng, np.full(len(who), day), np.full(len(who), rhythm), np.full(len(who), 480))
                rows.add(E_IO_TAG, eid, who, ts, 1, day)
                group_events.append((E_IO_TAG, eid, day))
    # weak members: a handful of coordinated actions each, nothing else that stands out
    for u in g.weak:
        k = min(int(rng.integers(2, 6)), len(group_events))
        for j in rng.choice(len(group_events), k, replace=False):
            et, eid, day = group_events[int(j)]
            t0 = events[et]["t0"][eid]
            if et == E_IO_RT:
                t = t0 + int(rng.uniform(5, pop.world.rt_delay_hi) * 1000)
            elif et == E_IO_TAG:
                t = int(clock.times_on_days(rng, np.array([day]), np.array([rhythm]), np.array([480]))[0])
            elif et == E_IO_COPY:
                t = t0 + int(rng.uniform(0, g.copy_width_s) * 1000)
            else:
                t = t0 + int(rng.uniform(0, 7200) * 1000)
            rows.add(et, eid, [int(u)], [t], 1, day)


def _en_words(rng: np.random.Generator, k: int) -> list[str]:
    w = tx.vocab().raw["topics"]["io_hk"]["en"]["words"]
    return [w[int(i)] for i in rng.choice(len(w), k, replace=False)]


def _active(pop: Population, cand: np.ndarray, day: int) -> np.ndarray:
    return cand[(pop.active0[cand] <= day) & (pop.active1[cand] >= day) & (pop.creation_day[cand] < day)]


def _plan_fans(rng: np.random.Generator, pop: Population, ext: Externals, budget: float, rows: _Rows,
               events: list[dict[str, Any]]) -> None:
    regular = np.flatnonzero((pop.group < 0) & (pop.role == ROLE_ORGANIC))
    celebs_int = np.flatnonzero(pop.role == ROLE_CELEB)
    celebs_ext = np.flatnonzero(ext.kind == EXT_CELEB)[:4]
    stars = [(True, int(c)) for c in celebs_int] + [(False, int(c)) for c in celebs_ext]
    f = max(6, int(round(0.05 * len(regular))))
    kbar = float(np.clip(pop.world.fan_rate * f, 3, 40))
    cohesion = pop.world.fan_cohesion
    n_ev = max(3, int(round(budget / len(stars) / (kbar + 0.5))))
    for internal, c in stars:
        fandom = rng.choice(regular, min(f, len(regular)), replace=False)
        enthusiasm = rng.lognormal(0, 0.5, len(fandom))
        # fan_cohesion: the fandom's most enthusiastic quarter, a fixed core that acts together
        core = fandom[np.argsort(-enthusiasm, kind="stable")[: max(2, len(fandom) // 4)]] if cohesion > 0 else fandom
        tz = int(pop.tz[c]) if internal else 540
        days = rng.integers(0, clock.N_DAYS, n_ev)
        t0s = clock.times_on_days(rng, days, np.full(n_ev, clock.RHYTHM_ORGANIC), np.full(n_ev, tz))
        for day, t0 in zip(days, t0s):
            day, t0 = int(day), int(t0)
            mask = (pop.active0[fandom] <= day) & (pop.active1[fandom] >= day) & (pop.creation_day[fandom] < day)
            cand = fandom[mask]
            if len(cand) < 2:
                continue
            k = int(np.clip(rng.poisson(kbar), 2, len(cand)))
            w = enthusiasm[mask]
            if cohesion > 0 and rng.random() < cohesion:
                core_now = core[np.isin(core, cand)]
                who = core_now if len(core_now) >= 2 else rng.choice(cand, k, replace=False, p=w / w.sum())
                k = len(who)
            else:
                who = rng.choice(cand, k, replace=False, p=w / w.sum())
            topic = int(pop.topics[c, 0]) if internal else int(ext.topic[c])
            lang = int(pop.lang[c]) if internal else int(ext.lang[c])
            eid = _new_event(events, E_HN_FAN, internal=internal, star=c, t0=t0, topic=topic, lang=lang)
            if internal:
                rows.add(E_HN_FAN, eid, [c], [t0], 0, day)
            delay = np.minimum(2 + rng.exponential(12, k), 180)
            rows.add(E_HN_FAN, eid, who, t0 + (delay * 1000).astype(np.int64), 1, day)


_TAG_TOPIC = {"ChampionsLeague": tx.T_SPORTS, "WorldCup": tx.T_SPORTS, "NBAFinals": tx.T_SPORTS, "SuperBowl": tx.T_SPORTS,
              "AppleEvent": tx.T_TECH, "Oscars": tx.T_DAILY, "GameOfThrones": tx.T_DAILY, "Eurovision": tx.T_DAILY,
              "香港": tx.T_HK, "HongKong": tx.T_HK, "反送中": tx.T_HK, "台风": tx.T_DAILY, "Typhoon": tx.T_DAILY}


def news_engaged(rng: np.random.Generator, pop: Population) -> np.ndarray:
    """The organic users who join news hashtag bursts and share news links (about a quarter)."""
    regular = np.flatnonzero((pop.group < 0) & (pop.role == ROLE_ORGANIC))
    pick = rng.random(len(regular)) < 0.25
    return regular[pick] if pick.sum() >= 8 else regular


def _plan_news_tags(rng: np.random.Generator, pop: Population, regular: np.ndarray, budget: float, rows: _Rows,
                    events: list[dict[str, Any]]) -> None:
    kbar = max(4.0, 0.12 * len(regular))
    n_ev = max(4, int(round(budget / kbar)))
    tags = tx.vocab().raw["news_hashtags"]
    hk_tags = ["香港", "HongKong", "反送中"]
    for i in range(n_ev):
        hk = rng.random() < 0.4
        day = clock.day_of(HK_KEY_DATES[int(rng.integers(0, len(HK_KEY_DATES)))]) + int(rng.integers(-1, 2)) if hk else int(rng.integers(0, clock.N_DAYS))
        tag = hk_tags[int(rng.integers(0, 3))] if hk else tags[int(rng.integers(0, len(tags)))]
        topic = _TAG_TOPIC.get(tag, tx.T_WORLD)
        cand = _active(pop, regular, day)
        if hk:  # mostly people in the region care
            near = cand[pop.tz[cand] == 480]
            cand = near if len(near) >= 4 else cand
        if len(cand) < 2:
            continue
        k = int(np.clip(rng.poisson(kbar), 2, len(cand)))
        who = rng.choice(cand, k, replace=False)
        t0 = clock.START_MS + day * clock.DAY_MS + int(rng.integers(0, clock.DAY_MS))
        eid = _new_event(events, E_HN_TAG, tag=tag, topic=topic, t0=t0)
        rows.add(E_HN_TAG, eid, who, t0 + (np.minimum(rng.exponential(25 * 60, k), 6 * 3600) * 1000).astype(np.int64), 1, day)


def _plan_links(rng: np.random.Generator, pop: Population, regular: np.ndarray, budget: float, rows: _Rows,
                events: list[dict[str, Any]]) -> None:
    kbar = max(4.0, 0.1 * len(regular))
    n_ev = max(4, int(round(budget / kbar)))
    heads = tx.vocab().raw["headlines"]
    domains = list(_OUTLETS)
    for i in range(n_ev):
        dom = domains[int(rng.integers(0, len(domains)))]
        lang = tx.L_ZH if dom == "www.hk01.com" else tx.L_EN
        hl = heads["zh" if lang == tx.L_ZH else "en"]
        headline = hl[int(rng.integers(0, len(hl)))]
        day = int(rng.integers(0, clock.N_DAYS))
        cand = _active(pop, regular, day)
        if len(cand) < 2:
            continue
        k = int(np.clip(rng.poisson(kbar), 2, len(cand)))
        who = rng.choice(cand, k, replace=False)
        t0 = clock.START_MS + day * clock.DAY_MS + int(rng.integers(0, clock.DAY_MS))
        art = int(rng.integers(1_000_000, 3_999_999))
        url = f"https://{dom}/news/article/{art}/" + "-".join(_en_words(rng, 3)).lower().replace(" ", "-")
        eid = _new_event(events, E_HN_LINK, t0=t0, url=url, headline=headline, outlet=_OUTLETS[dom], lang=lang)
        delay = np.minimum(rng.lognormal(np.log(40 * 60), 1.0, k), 2 * 86400)
        rows.add(E_HN_LINK, eid, who, t0 + (delay * 1000).astype(np.int64), 1, day)


__all__ = ["Plan", "Externals", "build_plan", "E_IO_RT", "E_IO_COPY", "E_IO_LINK", "E_IO_TAG",
           "E_HN_FAN", "E_HN_TAG", "E_HN_LINK"]

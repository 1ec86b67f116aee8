"""The accounts of a generated dataset: organic users, popular accounts, and operation members.

Built once per dataset (small: one row per account), before any tweet. Besides the users.csv
columns it decides, per account, the behaviour the tweet renderer needs: text languages,
topics, timezone and daily rhythm, client apps, activity windows ("segments"), and for
operation members their group, role and the account-level tactics (batch creation,
repurposing, office hours, one client app).

Realism notes (from the China 08/2019 release and the ASPI/SIO write-ups):
* accounts under 5,000 followers are hashed: userid = screen name = display name = one
  44-character base64 string; bigger accounts keep a numeric id and real-looking names;
* many operation accounts have 0 followers, yet a large minority have bought or inherited
  thousands (and no engagement), and many are old accounts in other languages, repurposed;
* numeric user ids grow with creation time (snowflake ids from 2016 on).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from . import clock
from . import text as tx
from .world import World

ROLE_ORGANIC, ROLE_CELEB, ROLE_NEWS, ROLE_IO_STRONG, ROLE_IO_WEAK, ROLE_IO_SEED = range(6)

# Segment modes: what an account posts about during an activity window.
MODE_ORGANIC, MODE_ORGANIC_PIVOT, MODE_IO_HISTORY, MODE_IO_POLITICAL, MODE_POPULAR = range(5)

COORD_TACTICS = ("co_retweet", "copy_paste_zh", "copy_paste_en", "shared_links", "hashtag_campaign")
ACCOUNT_TACTICS = ("batch_created", "repurposed", "office_hours", "same_client")

# Operation archetypes, cycled over the groups: each mixes coordination and account tactics.
TEMPLATES: tuple[tuple[str, ...], ...] = (
    ("co_retweet", "office_hours", "same_client", "batch_created"),
    ("copy_paste_zh", "hashtag_campaign", "repurposed", "office_hours"),
    ("shared_links", "copy_paste_en", "batch_created", "same_client"),
    ("hashtag_campaign", "co_retweet", "repurposed", "same_client"),
    ("co_retweet", "shared_links", "copy_paste_zh", "office_hours", "repurposed"),
    ("copy_paste_en", "hashtag_campaign", "batch_created", "office_hours"),
)
# (start date, main language) per archetype. The first one starts with the 2017 campaign
# against Guo Wengui that ASPI traced back to April 2017; the others pivot to Hong Kong in 2019.
_STARTS = (
    (date(2017, 4, 10), tx.L_ZH),
    (date(2019, 6, 3), tx.L_ZH),
    (date(2019, 6, 10), tx.L_EN),
    (date(2018, 9, 3), tx.L_ZH),
    (date(2019, 7, 1), tx.L_ZH),
    (date(2019, 6, 17), tx.L_EN),
)
HK_PIVOT_DAY = clock.day_of(date(2019, 6, 1))
HK_KEY_DATES = [date(2019, 6, 9), date(2019, 6, 12), date(2019, 6, 16), date(2019, 7, 1), date(2019, 7, 21), date(2019, 8, 5), date(2019, 8, 12), date(2019, 8, 31), date(2019, 9, 15)]
GUO_KEY_DATES = [date(2017, 4, 19), date(2017, 6, 1), date(2017, 10, 2), date(2018, 1, 15), date(2018, 11, 20)]

# Regions of organic users: (weight, UTC offset minutes, main language, second language or -1, account_language codes)
_REGIONS = (
    (0.26, (-480, -420, -360, -300), tx.L_EN, tx.L_ES, ("en", "en")),
    (0.15, (0, 60, 60, 120), tx.L_EN, tx.L_ES, ("en", "en-gb", "es")),
    (0.22, (480,), tx.L_ZH, tx.L_EN, ("zh-tw", "zh-cn", "en", "zh-hk")),
    (0.08, (480,), tx.L_ZH, tx.L_EN, ("zh-tw",)),
    (0.06, (480,), tx.L_EN, tx.L_ZH, ("en", "en-gb")),
    (0.07, (540,), tx.L_JA, tx.L_EN, ("ja",)),
    (0.07, (540,), tx.L_KO, tx.L_EN, ("ko",)),
    (0.05, (420,), tx.L_ID, tx.L_EN, ("id", "in")),
    (0.04, (-300, -180), tx.L_ES, tx.L_EN, ("es",)),
)
_LANG_ACCOUNT_CODE = {tx.L_EN: "en", tx.L_ZH: "zh-cn", tx.L_JA: "ja", tx.L_KO: "ko", tx.L_ES: "es", tx.L_ID: "id"}
_LANG_TZ = {tx.L_EN: -300, tx.L_ZH: 480, tx.L_JA: 540, tx.L_KO: 540, tx.L_ES: 60, tx.L_ID: 420}
_LOC_KEY = {tx.L_EN: "en", tx.L_ZH: "zh", tx.L_JA: "ja", tx.L_KO: "ko", tx.L_ES: "es", tx.L_ID: "id"}


@dataclass
class Group:
    """One information operation."""

    gid: int
    name: str
    tactics: tuple[str, ...]
    lang: int
    start_day: int
    members: np.ndarray
    seeds: np.ndarray
    strong: np.ndarray
    weak: np.ndarray
    client: int  # index into the io client list (the group's shared app)
    office: bool
    copy_width_s: float
    domains: list[str]
    batch_days: list[int]

    @property
    def coord_tactics(self) -> list[str]:
        return [t for t in self.tactics if t in COORD_TACTICS]


@dataclass
class Population:
    n: int
    userid: list[str]
    screen: list[str]
    display: list[str]
    location: list[str]
    description: list[str]
    profile_url: list[str]
    followers: np.ndarray
    following: np.ndarray
    creation_day: np.ndarray
    account_language: list[str]
    hashed: np.ndarray
    role: np.ndarray
    group: np.ndarray  # -1 for organic
    lang: np.ndarray  # main text language
    lang2: np.ndarray  # second text language
    lang2_p: np.ndarray
    tz: np.ndarray  # minutes east of UTC (organic / history)
    rhythm: np.ndarray
    topics: np.ndarray  # (n, 3): main, second, political
    clients: list[str]
    client1: np.ndarray
    client2: np.ndarray
    client1_p: np.ndarray
    quoted_style: np.ndarray
    engagement: np.ndarray
    active0: np.ndarray
    active1: np.ndarray
    weight: np.ndarray  # background activity weight
    tags: list[set[str]]
    groups: list[Group] = field(default_factory=list)
    world: World = field(default_factory=World)
    claimed: np.ndarray | None = None
    # segments: activity windows with what is posted in them
    seg_u: np.ndarray | None = None
    seg_d0: np.ndarray | None = None
    seg_d1: np.ndarray | None = None
    seg_mode: np.ndarray | None = None
    seg_share: np.ndarray | None = None
    seg_rhythm: np.ndarray | None = None
    seg_tz: np.ndarray | None = None

    @property
    def is_io(self) -> np.ndarray:
        return self.group >= 0


def _hash_id(seed: int, i: int) -> str:
    """A 44-character base64 SHA-256, the format of the China 08/2019 release."""
    return base64.b64encode(hashlib.sha256(f"cibscope:{seed}:{i}".encode()).digest()).decode()


# Rough anchors of Twitter's sequential user ids before snowflake user ids (2016).
_ID_ANCHORS_DAY = np.array([clock.day_of(date(2007, 1, 1)), clock.day_of(date(2009, 1, 1)), clock.day_of(date(2010, 1, 1)),
                            clock.day_of(date(2012, 1, 1)), clock.day_of(date(2014, 1, 1)), clock.day_of(date(2015, 6, 1)),
                            clock.day_of(date(2016, 6, 1))])
_ID_ANCHORS_VAL = np.array([1e6, 1.8e7, 1e8, 4.5e8, 2.3e9, 3.3e9, 4.3e9])


def _numeric_userid(rng: np.random.Generator, day: int) -> str:
    if day >= clock.day_of(date(2016, 6, 1)):
        ms = clock.START_MS + day * clock.DAY_MS + int(rng.integers(0, clock.DAY_MS))
        return str(int(clock.random_ids(rng, np.array([ms]))[0]))
    base = float(np.interp(day, _ID_ANCHORS_DAY, _ID_ANCHORS_VAL))
    return str(int(base * (1 + 0.002 * rng.standard_normal())) + int(rng.integers(0, 99999)))


def _choice(rng: np.random.Generator, seq: list[str]) -> str:
    return seq[int(rng.integers(0, len(seq)))]


class _Names:
    """Handles and display names for unhashed accounts, unique across the dataset."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.names = tx.vocab().raw["names"]
        self.used: set[str] = set()

    def unique(self, handle: str) -> str:
        handle = handle[:15]
        h = handle
        while h.lower() in self.used:
            h = (handle[:11] + str(int(self.rng.integers(10, 9999))))[:15]
        self.used.add(h.lower())
        return h

    def zh_display(self) -> str:
        n, r = self.names, self.rng
        name = _choice(r, n["zh_surnames"]) + _choice(r, n["zh_given"])
        if r.random() < 0.3:
            name = _choice(r, n["zh_nick"]) + name[-1]
        return name

    def pinyin_batch(self, pattern: int) -> str:
        n, r = self.names, self.rng
        s, g = _choice(r, n["zh_surnames_pinyin"]), _choice(r, n["zh_given_pinyin"])
        if pattern == 0:
            return self.unique(f"{s}{g}{int(r.integers(1000, 9999))}")
        if pattern == 1:
            return self.unique(f"{g}_{s}{int(r.integers(10, 99))}")
        return self.unique(f"{s}{g}{_choice(r, n['zh_given_pinyin'])}{int(r.integers(100, 999))}")

    def personal(self, lang: int) -> tuple[str, str]:
        n, r = self.names, self.rng
        if lang == tx.L_ES:
            f, last = _choice(r, n["es_first"]), _choice(r, n["es_last"])
        elif lang in (tx.L_ZH,):
            f, last = _choice(r, n["zh_given_pinyin"]), _choice(r, n["zh_surnames_pinyin"])
        else:
            f, last = _choice(r, n["en_first"]), _choice(r, n["en_last"])
        style = int(r.integers(0, 4))
        handle = [f"{f}{last}", f"{f}_{last}", f"{f}{last}{int(r.integers(1, 99))}", f"{_choice(r, n['handle_words'])}{f}{int(r.integers(80, 99))}"][style]
        display = f"{f.title()} {last.title()}" if lang != tx.L_ZH or r.random() < 0.5 else self.zh_display()
        return self.unique(handle), display

    def celebrity(self) -> tuple[str, str]:
        n, r = self.names, self.rng
        f = _choice(r, n["en_first"])
        w = _choice(r, n["handle_words"])
        handle = self.unique(f"{f}{w}" if r.random() < 0.5 else f"{w}_{f}")
        return handle, f"{f.title()} {_choice(r, ['✨', '⭐', '', '🎤', '🏀', 'Official'])}".strip()

    def newsroom(self, hk: bool) -> tuple[str, str]:
        r = self.rng
        a = _choice(r, ["HK", "Harbour", "Pearl", "Kowloon", "Victoria"] if hk else ["Global", "Metro", "City", "World", "Daily", "Asia"])
        b = _choice(r, ["News", "Wire", "Post", "Times", "Desk", "Now", "Live", "Report", "Herald"])
        handle = self.unique(f"{a}{b}{_choice(r, ['', '', 'HQ', 'Online'])}")
        return handle, f"{a} {b}"


def build_population(rng: np.random.Generator, n_accounts: int, seed: int, world: World | None = None) -> Population:
    """Draw every account: who it is, when it was created, how it behaves (``world``: the knobs)."""
    w = world or World()
    v = tx.vocab()
    N = n_accounts
    D = clock.N_DAYS
    n_io = max(12, int(round(w.io_share * N)))
    n_groups = int(np.clip(round(n_io / w.group_size), 3, 12))
    n_groups = max(2, min(n_groups, n_io // 6))
    sizes = 6 + rng.multinomial(n_io - 6 * n_groups, rng.dirichlet(np.full(n_groups, 4.0)))

    order = rng.permutation(N)  # users.csv order: operations interleaved with everyone else
    io_idx = order[:n_io]
    org_idx = order[n_io:]

    role = np.full(N, ROLE_ORGANIC, np.int8)
    group = np.full(N, -1, np.int32)
    lang = np.zeros(N, np.int64)
    lang2 = np.zeros(N, np.int64)
    lang2_p = np.full(N, 0.1)
    tz = np.zeros(N, np.int64)
    rhythm = np.zeros(N, np.int64)
    topics = np.zeros((N, 3), np.int64)
    followers = np.zeros(N, np.int64)
    following = np.zeros(N, np.int64)
    creation = np.zeros(N, np.int64)
    acct_lang = [""] * N
    engagement = np.ones(N)
    weight = np.zeros(N)
    active0 = np.zeros(N, np.int64)
    active1 = np.full(N, D - 1, np.int64)
    tags: list[set[str]] = [set() for _ in range(N)]
    quoted = rng.random(N) < 0.7
    clients_all = list(v.raw["clients"]["organic"]) + list(v.raw["clients"]["news"]) + list(v.raw["clients"]["io"])
    c_org = np.arange(len(v.raw["clients"]["organic"]))
    c_news = len(c_org) + np.arange(len(v.raw["clients"]["news"]))
    c_io = len(c_org) + len(c_news) + np.arange(len(v.raw["clients"]["io"]))
    org_w = np.asarray(v.raw["clients"]["organic_weights"], float)
    org_w = org_w / org_w.sum()
    client1 = rng.choice(c_org, N, p=org_w)
    client2 = rng.choice(c_org, N, p=org_w)
    client1_p = rng.uniform(0.7, 0.97, N)

    # per-account text repurposed-history language for IO (old owner); political language later
    kind = {}  # uidx -> "repurposed" | "batch" | "other"
    segs: list[tuple[int, int, int, int, float, int, int]] = []  # u, d0, d1, mode, share, rhythm, tz

    # ---------------- organic (vectorised: this is most of the accounts) ----------------
    n_org = len(org_idx)
    o = org_idx
    reg_w = np.array([r[0] for r in _REGIONS])
    region = rng.choice(len(_REGIONS), n_org, p=reg_w / reg_w.sum())
    r_tz = np.zeros(n_org, np.int64)
    r_acct = np.empty(n_org, dtype=object)
    for ri, reg in enumerate(_REGIONS):
        m = region == ri
        r_tz[m] = np.asarray(reg[1])[rng.integers(0, len(reg[1]), int(m.sum()))]
        r_acct[m] = np.asarray(reg[4], dtype=object)[rng.integers(0, len(reg[4]), int(m.sum()))]
    tz[o] = r_tz
    lang[o] = np.array([r[2] for r in _REGIONS])[region]
    lang2[o] = np.array([r[3] for r in _REGIONS])[region]
    lang2_p[o] = rng.uniform(0.0, 0.25, n_org)
    for k, u in enumerate(o):
        acct_lang[u] = r_acct[k]
    nonpol = np.array(tx.NONPOLITICAL)
    i1 = rng.integers(0, len(nonpol), n_org)
    i2 = (i1 + rng.integers(1, len(nonpol), n_org)) % len(nonpol)
    topics[o, 0] = nonpol[i1]
    topics[o, 1] = nonpol[i2]
    topics[o, 2] = np.where((r_tz == 480) & (rng.random(n_org) < 0.6), tx.T_HK, tx.T_WORLD)
    rhythm[o] = np.where(rng.random(n_org) < 0.2, clock.RHYTHM_NIGHT_OWL, clock.RHYTHM_ORGANIC)
    years = np.arange(2007, 2020)
    year_start = np.array([clock.day_of(date(int(y), 1, 1)) for y in years])
    creation[o] = np.minimum(year_start[rng.choice(len(years), n_org, p=_year_p())] + rng.integers(0, 365, n_org), D - 40)
    a0 = np.maximum(0, creation[o] + 1) + rng.integers(0, 20, n_org)
    churn_lo = np.minimum(a0 + 60, D - 1)
    a1 = np.where(rng.random(n_org) < 0.12, churn_lo + (rng.random(n_org) * (D - churn_lo)).astype(np.int64), D - 1)
    active0[o] = a0
    active1[o] = np.maximum(a1, a0)
    followers[o] = np.where(rng.random(n_org) < 0.985, np.minimum(rng.lognormal(5.0, 1.5, n_org), 4999),
                            10 ** rng.uniform(3.7, 4.6, n_org)).astype(np.int64)
    following[o] = rng.lognormal(5.5, 1.1, n_org).astype(np.int64)
    engagement[o] = rng.lognormal(0, 0.6, n_org)
    weight[o] = rng.lognormal(0, 1.3, n_org)

    n_pop = max(3, int(round(0.025 * n_org)))
    is_pop = np.zeros(n_org, bool)
    is_pop[rng.choice(n_org, n_pop, replace=False)] = True
    pu = o[is_pop]
    news = rng.random(n_pop) < 0.4
    role[pu] = np.where(news, ROLE_NEWS, ROLE_CELEB)
    followers[pu] = (10 ** rng.uniform(3.75, 6.5, n_pop)).astype(np.int64)
    following[pu] = rng.lognormal(5, 1.5, n_pop).astype(np.int64)
    creation[pu] = year_start[rng.integers(1, 7, n_pop)] + rng.integers(0, 365, n_pop)
    active0[pu] = 0
    active1[pu] = D - 1
    weight[pu] = rng.lognormal(1.6, 0.5, n_pop)
    engagement[pu] = rng.lognormal(0.5, 0.5, n_pop)
    nu = pu[news]
    topics[nu, 0] = tx.T_WORLD
    topics[nu, 1] = np.where(tz[nu] == 480, tx.T_HK, tx.T_WORLD)
    topics[nu, 2] = tx.T_WORLD
    rhythm[nu] = clock.RHYTHM_NEWS
    c1 = rng.integers(0, len(c_news), len(nu))
    client1[nu] = c_news[c1]
    client2[nu] = c_news[(c1 + rng.integers(1, len(c_news), len(nu))) % len(c_news)]
    client1_p[nu] = 0.9
    for u in nu[tz[nu] == 480]:
        tags[u].add("hn_scheduled_news")  # weekday daytime schedule in UTC+8: not an operation
    cu = pu[~news]
    topics[cu, 0] = np.array([tx.T_KPOP, tx.T_SPORTS, tx.T_DAILY])[rng.integers(0, 3, len(cu))]
    topics[cu, 2] = tx.T_WORLD

    # real Hong Kongers who start posting about the protests in June 2019
    pivot = (~is_pop & (r_tz == 480) & np.isin(lang[o], (tx.L_ZH, tx.L_EN)) & (rng.random(n_org) < 0.18)
             & (active0[o] < HK_PIVOT_DAY - 60) & (active1[o] == D - 1))
    piv_day = HK_PIVOT_DAY + rng.integers(-5, 20, n_org)
    for u in o[pivot]:
        tags[u].add("hn_organic_pivot")
    weight[o[pivot]] *= 1.5
    single = ~pivot
    mode0 = np.where(is_pop, MODE_POPULAR, MODE_ORGANIC)
    org_segs = [
        np.column_stack([o[single], active0[o[single]], active1[o[single]], mode0[single], np.ones(single.sum()),
                         rhythm[o[single]], tz[o[single]]]),
        np.column_stack([o[pivot], active0[o[pivot]], piv_day[pivot] - 1, np.full(pivot.sum(), MODE_ORGANIC),
                         np.full(pivot.sum(), 0.55), rhythm[o[pivot]], tz[o[pivot]]]),
        np.column_stack([o[pivot], piv_day[pivot], active1[o[pivot]], np.full(pivot.sum(), MODE_ORGANIC_PIVOT),
                         np.full(pivot.sum(), 0.45), rhythm[o[pivot]], tz[o[pivot]]]),
    ]
    org_seg = np.concatenate(org_segs).astype(np.float64)

    # organic accounts created on the same day by chance (e.g. a sign-up wave after a news event)
    regular = o[~is_pop]
    n_clusters = max(1, int(round(0.004 * n_org)))
    for _ in range(n_clusters):
        k = int(rng.integers(3, 7))
        members = rng.choice(regular, k, replace=False)
        day = clock.day_of(date(int(rng.integers(2012, 2019)), 1, 1)) + int(rng.integers(0, 365))
        creation[members] = day
        for u in members:
            tags[u].add("hn_same_creation_day")
        m = np.isin(org_seg[:, 0], members)
        org_seg[m, 1] = np.maximum(org_seg[m, 1], max(0, day + 1))
        org_seg[m, 2] = np.maximum(org_seg[m, 2], max(0, day + 1))
        active0[members] = np.maximum(active0[members], max(0, day + 1))
        active1[members] = np.maximum(active1[members], active0[members])

    # ---------------- operations ----------------
    groups: list[Group] = []
    pos = 0
    for g in range(n_groups):
        members = io_idx[pos : pos + sizes[g]]
        pos += sizes[g]
        tactics = tuple(t for t in TEMPLATES[g % len(TEMPLATES)] if t != w.drop_tactic)
        start_date, glang = _STARTS[g % len(_STARTS)]
        start = clock.day_of(start_date) + (int(rng.integers(-20, 21)) if g >= len(TEMPLATES) else 0)
        m = len(members)
        n_seed = int(np.clip(round(m / 25), 1, 4)) if "co_retweet" in tactics else 0
        n_weak = max(1 if w.weak_share > 0 else 0, int(round(w.weak_share * m)))
        perm = rng.permutation(members)
        seeds, weak, strong = perm[:n_seed], perm[n_seed : n_seed + n_weak], perm[n_seed + n_weak :]
        office = "office_hours" in tactics
        gclient = int(rng.choice(c_io[:4]))
        domains = list(v.raw["io_domains"][g % len(v.raw["io_domains"])])
        if g >= len(v.raw["io_domains"]):
            domains = [d.replace(".", f"{g}.", 1) for d in domains]
        batch_days = [start - int(rng.integers(25, 300)) for _ in range(int(rng.integers(1, 3)))]
        grp = Group(g, f"io_{g + 1}", tactics, glang, start, members, seeds, strong, weak, gclient, office,
                    float(rng.choice([900.0, 3600.0, 4 * 3600.0])), domains, batch_days)
        groups.append(grp)
        pattern = int(rng.integers(0, 3))
        for u in members:
            group[u] = g
            role[u] = ROLE_IO_SEED if u in seeds else (ROLE_IO_WEAK if u in weak else ROLE_IO_STRONG)
            s = w.trait_strength
            if "repurposed" in tactics and rng.random() < 0.7 * s:
                kind[u] = "repurposed"
                old = int(rng.choice([tx.L_ZH, tx.L_EN, tx.L_ES, tx.L_KO, tx.L_ID, tx.L_JA], p=[0.4, 0.25, 0.1, 0.1, 0.08, 0.07]))
                lang[u] = old
                acct_lang[u] = _LANG_ACCOUNT_CODE[old] if old != tx.L_ZH else str(rng.choice(["zh-cn", "zh-CN", "zh-tw"]))
                tz[u] = _LANG_TZ[old]
                creation[u] = clock.day_of(date(int(rng.integers(2010, 2017)), 1, 1)) + int(rng.integers(0, 300))
                creation[u] = min(creation[u], start - 400)
                t1, t2 = rng.choice(nonpol, 2, replace=False)
                topics[u] = (t1, t2, tx.T_IO_HK)
            elif "batch_created" in tactics and rng.random() < 0.8 * s:
                kind[u] = "batch"
                creation[u] = batch_days[int(rng.integers(0, len(batch_days)))]
                lang[u] = glang
                acct_lang[u] = "zh-cn" if glang == tx.L_ZH else "en"
                tz[u] = 480
            else:
                kind[u] = "other"
                creation[u] = start - int(rng.integers(30, 900))
                lang[u] = glang
                acct_lang[u] = str(rng.choice(["zh-cn", "zh-CN", "en"])) if glang == tx.L_ZH else "en"
                tz[u] = 480
            lang2[u] = tx.L_EN if glang == tx.L_ZH else tx.L_ZH
            lang2_p[u] = 0.15
            # followers: mostly none, a large minority bought or inherited (no engagement)
            big = rng.random() < {"repurposed": 0.5, "batch": 0.2, "other": 0.15}[kind[u]] + (0.5 if role[u] == ROLE_IO_SEED else 0)
            followers[u] = int(10 ** rng.uniform(3.7, 4.6)) if big else (0 if rng.random() < 0.6 else int(min(rng.lognormal(2, 1.5), 4999)))
            following[u] = int(min(rng.lognormal(3.5, 1.2), 4000))
            engagement[u] = w.io_engagement
            client_u = "same_client" in tactics and (s >= 1 or rng.random() < s)
            if client_u:
                client1[u], client2[u], client1_p[u] = gclient, int(rng.choice(c_io)), 0.96
            else:
                client1[u], client2[u], client1_p[u] = int(rng.choice(c_io)), int(rng.choice(c_io)), 0.8
            pivot = start - int(rng.integers(0, 15))
            pivot = max(pivot, int(creation[u]) + 10, 0)
            office_u = office and (s >= 1 or rng.random() < s)
            prhythm = clock.RHYTHM_OFFICE if office_u else clock.RHYTHM_ORGANIC
            if kind[u] == "repurposed":
                a0 = max(0, int(creation[u]) + 30)
                dormant = int(rng.integers(20, 250))
                if pivot - dormant > a0 + 30:
                    segs.append((u, a0, pivot - dormant, MODE_IO_HISTORY, 0.35, clock.RHYTHM_ORGANIC, int(tz[u])))
                    active0[u] = a0
                else:
                    active0[u] = pivot
                segs.append((u, pivot, D - 1, MODE_IO_POLITICAL, 0.65, prhythm, 480))
            else:
                active0[u] = pivot
                segs.append((u, pivot, D - 1, MODE_IO_POLITICAL, 1.0, prhythm, 480))
            rhythm[u] = prhythm
            weight[u] = rng.lognormal(0.3, 0.5) * (1.5 if role[u] == ROLE_IO_SEED else 1.0)
            if office_u:
                tags[u].add("office_hours")
            if client_u:
                tags[u].add("same_client")
            if kind[u] == "repurposed":
                tags[u].add("repurposed")
            if kind[u] == "batch":
                tags[u].add("batch_created")
            if role[u] == ROLE_IO_WEAK:
                tags[u].add("weak")
                weight[u] = 0.0

    # ---------------- names, ids, profile strings ----------------
    names = _Names(rng)
    hashed = followers < 5000
    userid = [""] * N
    screen = [""] * N
    display = [""] * N
    location = [""] * N
    description = [""] * N
    profile_url = [""] * N
    topic_words = v.raw["topics"]
    for u in range(N):
        if hashed[u]:
            h = _hash_id(seed, u)
            userid[u] = screen[u] = display[u] = h
        else:
            userid[u] = _numeric_userid(rng, int(creation[u]))
            if role[u] == ROLE_NEWS:
                screen[u], display[u] = names.newsroom(tz[u] == 480)
            elif role[u] == ROLE_CELEB:
                screen[u], display[u] = names.celebrity()
            elif group[u] >= 0 and kind.get(u) == "batch":
                screen[u] = names.pinyin_batch(pattern=groups[group[u]].gid % 3)
                display[u] = names.zh_display()
            elif group[u] >= 0 and kind.get(u) == "repurposed":
                screen[u], display[u] = names.personal(int(lang[u]))
                if rng.random() < 0.5:
                    display[u] = names.zh_display()  # renamed after the account changed hands
            elif group[u] >= 0:
                screen[u] = names.pinyin_batch(pattern=int(rng.integers(0, 3)))
                display[u] = names.zh_display()
            else:
                screen[u], display[u] = names.personal(int(lang[u]))
        loc_key = _LOC_KEY[int(lang[u])]
        if group[u] < 0:
            if rng.random() < 0.55:
                location[u] = _choice(rng, v.raw["locations"][loc_key])
            if rng.random() < 0.5 or role[u] in (ROLE_NEWS, ROLE_CELEB):
                description[u] = _bio(rng, topic_words, int(topics[u, 0]), int(topics[u, 1]), int(lang[u]), v.raw["emoji"])
            if rng.random() < (0.9 if role[u] == ROLE_NEWS else 0.1):
                profile_url[u] = "https://t.co/" + "".join(_choice(rng, list("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789")) for _ in range(10))
        else:
            if kind.get(u) == "batch" and rng.random() < 0.5:
                # templated profiles: one template per group, small variations per account
                tpl = _BIO_TEMPLATES[int(group[u]) % len(_BIO_TEMPLATES)]
                description[u] = tpl.format(e=_choice(rng, ["", " 🇨🇳", " ❤️", " 🙏", "!"]), n=int(rng.integers(1, 99)))
            if kind.get(u) == "repurposed" and rng.random() < 0.4:
                description[u] = _bio(rng, topic_words, int(topics[u, 0]), int(topics[u, 1]), int(lang[u]), v.raw["emoji"])
            if rng.random() < 0.08:
                location[u] = _choice(rng, ["香港", "Hong Kong", "中国", "北京"])

    pop = Population(
        N, userid, screen, display, location, description, profile_url, followers, following, creation, acct_lang,
        hashed, role, group, lang, lang2, lang2_p, tz, rhythm, topics, clients_all, client1, client2, client1_p,
        quoted, engagement, active0, active1, weight, tags, groups, world=w,
    )
    seg = np.concatenate([org_seg, np.array(segs, dtype=np.float64).reshape(-1, 7)])
    order_s = np.lexsort((seg[:, 1], seg[:, 0]))
    seg = seg[order_s]
    pop.seg_u = seg[:, 0].astype(np.int64)
    pop.seg_d0 = seg[:, 1].astype(np.int64)
    pop.seg_d1 = np.maximum(seg[:, 2].astype(np.int64), pop.seg_d0)
    pop.seg_mode = seg[:, 3].astype(np.int64)
    pop.seg_share = seg[:, 4]
    pop.seg_rhythm = seg[:, 5].astype(np.int64)
    pop.seg_tz = seg[:, 6].astype(np.int64)
    return pop


_BIO_TEMPLATES = (
    "热爱祖国，热爱香港{e}",
    "守护香港 | 支持警察 | 反对暴力{e}",
    "Love Hong Kong, love peace{e} #{n}",
    "中国人，为香港加油{e}",
    "Truth seeker. Hong Kong is China{e}",
    "和平 · 稳定 · 繁荣{e}",
)


def _year_p() -> np.ndarray:
    w = np.array([1, 2, 4, 6, 8, 9, 9, 8, 7, 6, 5, 5, 3], float)  # sign-ups per year 2007..2019
    return w / w.sum()


def _bio(rng: np.random.Generator, topic_words: dict, t1: int, t2: int, lang: int, emo: list[str]) -> str:
    key = "zh" if lang == tx.L_ZH else "en"
    w1 = topic_words[tx.TOPICS[t1]][key]["words"]
    w2 = topic_words[tx.TOPICS[t2]][key]["words"]
    sep = " | " if rng.random() < 0.5 else " · "
    parts = [_choice(rng, w1), _choice(rng, w2), _choice(rng, w1)]
    if rng.random() < 0.5:
        parts.append(_choice(rng, emo))
    return sep.join(parts)

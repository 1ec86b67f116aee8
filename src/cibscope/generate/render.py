"""Rendering tweet rows, one chunk of days at a time, fully vectorised (numpy + Arrow compute).

A chunk gets (a) how many background tweets each activity segment posts in its days, and
(b) the planted rows whose event falls in its days. It renders originals first (they feed
the pool of tweets that can be retweeted or quoted), then planted events, then retweets,
replies and quotes, and finally assembles the 31 archive columns, sorted by time.

Retweets point at real originals: popular accounts of the dataset (current and previous
chunk) and accounts outside it, chosen by drawing a delay (seconds to days, log-normal) back
from the retweet's own time, so organic retweets spread over minutes to days. Planted bursts
instead follow their seed post within seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import clock
from . import text as tx
from .plan import (
    E_HN_FAN,
    E_HN_LINK,
    E_HN_TAG,
    E_IO_COPY,
    E_IO_LINK,
    E_IO_RT,
    E_IO_TAG,
    EXT_CELEB,
    EXT_NEWS,
    EXT_STATE,
    Plan,
)
from .population import (
    HK_PIVOT_DAY,
    MODE_IO_HISTORY,
    MODE_IO_POLITICAL,
    MODE_ORGANIC_PIVOT,
    MODE_POPULAR,
    ROLE_CELEB,
    ROLE_NEWS,
    Population,
)

TWEET_COLUMNS = (
    "tweetid", "userid", "user_display_name", "user_screen_name", "user_reported_location",
    "user_profile_description", "user_profile_url", "follower_count", "following_count",
    "account_creation_date", "account_language", "tweet_language", "tweet_text", "tweet_time",
    "tweet_client_name", "in_reply_to_userid", "in_reply_to_tweetid", "quoted_tweet_tweetid",
    "is_retweet", "retweet_userid", "retweet_tweetid", "latitude", "longitude", "quote_count",
    "reply_count", "like_count", "retweet_count", "hashtags", "urls", "user_mentions", "poll_choices",
)
USER_COLUMNS = TWEET_COLUMNS[1:11]

K_ORIG, K_RT, K_REPLY, K_QUOTE = range(4)
# kind probabilities (original, retweet, reply, quote) per segment mode
_KIND_P = np.array([
    [0.50, 0.32, 0.15, 0.03],  # organic
    [0.45, 0.40, 0.12, 0.03],  # organic pivot (retweeting protest news)
    [0.60, 0.28, 0.10, 0.02],  # operation account's old history
    [0.55, 0.40, 0.05, 0.00],  # operation account's political posting
    [0.88, 0.07, 0.03, 0.02],  # popular (celebrity, newsroom)
])
_KIND_CDF = np.cumsum(_KIND_P, axis=1)
_URL_P = np.array([0.12, 0.15, 0.08, 0.06, 0.5])
_TAG_P = np.array([0.22, 0.35, 0.2, 0.35, 0.3])
_UTM = np.array(["", "?utm_source=twitter", "?utm_source=tw&utm_medium=social", "?from=timeline&isappinstalled=0",
                 "?utm_source=twitter&utm_medium=social&utm_campaign=", "?utm_source=fb&utm_campaign="], dtype=object)
_SECTIONS = np.array(["news", "world", "asia", "article", "video", "sport", "tech", "life", "p", "watch"], dtype=object)


@dataclass
class Rows:
    """Rendered rows before the final column assembly."""

    uidx: np.ndarray
    t_ms: np.ndarray
    tweetid: np.ndarray
    kind: np.ndarray
    lang: np.ndarray
    text: pa.Array
    reply_uid: pa.Array
    reply_tid: pa.Array
    quote_tid: pa.Array
    rt_uid: pa.Array
    rt_tid: pa.Array
    hashtags: pa.ListArray
    urls: pa.ListArray
    mentions: pa.ListArray

    @staticmethod
    def make(uidx: np.ndarray, t_ms: np.ndarray, tweetid: np.ndarray, kind: int | np.ndarray, lang: np.ndarray,
             text: pa.Array, **kw: pa.Array) -> Rows:
        n = len(uidx)
        empty = tx.const("", n)
        el = tx.empty_lists(n)
        return Rows(
            np.asarray(uidx, np.int64), np.asarray(t_ms, np.int64), np.asarray(tweetid, np.int64),
            np.broadcast_to(np.asarray(kind, np.int8), (n,)).copy(), np.asarray(lang, np.int64), text,
            kw.get("reply_uid", empty), kw.get("reply_tid", empty), kw.get("quote_tid", empty),
            kw.get("rt_uid", empty), kw.get("rt_tid", empty),
            kw.get("hashtags", el), kw.get("urls", el), kw.get("mentions", el),
        )

    def take(self, order: np.ndarray) -> Rows:
        ix = pa.array(order)
        return Rows(self.uidx[order], self.t_ms[order], self.tweetid[order], self.kind[order], self.lang[order],
                    self.text.take(ix), self.reply_uid.take(ix), self.reply_tid.take(ix), self.quote_tid.take(ix),
                    self.rt_uid.take(ix), self.rt_tid.take(ix), self.hashtags.take(ix), self.urls.take(ix),
                    self.mentions.take(ix))

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        parts = [p for p in parts if len(p.uidx)]
        if not parts:
            return Rows.make(np.zeros(0), np.zeros(0), np.zeros(0), 0, np.zeros(0), pa.array([], pa.string()))
        f = {}
        for name in ("uidx", "t_ms", "tweetid", "kind", "lang"):
            f[name] = np.concatenate([getattr(p, name) for p in parts])
        for name in ("text", "reply_uid", "reply_tid", "quote_tid", "rt_uid", "rt_tid", "hashtags", "urls", "mentions"):
            f[name] = pa.concat_arrays([getattr(p, name) for p in parts])
        return Rows(**f)


@dataclass
class Pool:
    """Originals that can be retweeted or quoted, sorted by time."""

    t: np.ndarray
    id: np.ndarray
    uid: pa.Array
    screen: pa.Array
    text: pa.Array
    lang: np.ndarray
    hashtags: pa.ListArray
    urls: pa.ListArray

    def sorted(self) -> Pool:
        o = np.argsort(self.t, kind="stable")
        ix = pa.array(o)
        return Pool(self.t[o], self.id[o], self.uid.take(ix), self.screen.take(ix), self.text.take(ix), self.lang[o],
                    self.hashtags.take(ix), self.urls.take(ix))

    @staticmethod
    def concat(parts: list[Pool]) -> Pool:
        parts = [p for p in parts if p is not None and len(p.t)]
        return Pool(
            np.concatenate([p.t for p in parts]), np.concatenate([p.id for p in parts]),
            pa.concat_arrays([p.uid for p in parts]), pa.concat_arrays([p.screen for p in parts]),
            pa.concat_arrays([p.text for p in parts]), np.concatenate([p.lang for p in parts]),
            pa.concat_arrays([p.hashtags for p in parts]), pa.concat_arrays([p.urls for p in parts]),
        ).sorted()


def _ids_str(ids: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(ids, np.int64)).cast(pa.string())


#: minute_only worlds flip these bits of every tweet id (a bijection, so ids stay unique and
#: references consistent): the ids no longer decode to their tweet's time (~3 years off), so a
#: reader knows the time only to the minute of tweet_time.
ID_SCRAMBLE = np.int64(0x2AAAA << 41)


def _tweet_ids_str(ids: np.ndarray, minute_only: bool) -> pa.Array:
    a = np.asarray(ids, np.int64)
    return _ids_str(a ^ ID_SCRAMBLE if minute_only else a)


class Renderer:
    """Turns segment counts and planted rows into archive rows, chunk after chunk."""

    def __init__(self, pop: Population, plan: Plan) -> None:
        self.pop = pop
        self.plan = plan
        self.ext = plan.externals
        assert self.ext is not None
        self.ids = clock.IdAllocator()
        self.minute_only = bool(pop.world.minute_only)
        self.u_userid = pa.array(pop.userid, pa.string())
        self.u_screen = pa.array(pop.screen, pa.string())
        self.ext_uid = pa.array(self.ext.userid, pa.string())
        self.ext_screen = pa.array(self.ext.screen, pa.string())
        self.user_cols = {
            "userid": self.u_userid,
            "user_display_name": pa.array(pop.display, pa.string()),
            "user_screen_name": self.u_screen,
            "user_reported_location": pa.array(pop.location, pa.string()),
            "user_profile_description": pa.array(pop.description, pa.string()),
            "user_profile_url": pa.array(pop.profile_url, pa.string()),
            "follower_count": _ids_str(pop.followers),
            "following_count": _ids_str(pop.following),
            "account_creation_date": pa.array(clock.date_strings(pop.creation_day), pa.string()),
            "account_language": pa.array(pop.account_language, pa.string()),
        }
        self.clients = pa.array(pop.clients, pa.string())
        self.lang_codes = pa.array(list(tx.TWEET_LANG_CODES) + ["und"], pa.string())
        self.true_false = pa.array(["false", "true"], pa.string())
        self.io_lang = np.array([pop.groups[g].lang if g >= 0 else 0 for g in pop.group], np.int64)
        self.popular = np.flatnonzero((pop.role == ROLE_CELEB) | (pop.role == ROLE_NEWS))
        self.ext_general = np.flatnonzero(self.ext.kind != EXT_STATE)
        self.ext_state = np.flatnonzero(self.ext.kind == EXT_STATE)
        self.ext_popular = np.flatnonzero((self.ext.kind == EXT_CELEB) | (self.ext.kind == EXT_NEWS))
        self.news_domains = pa.array(tx.vocab().raw["news_domains"])
        self.shorteners = pa.array(tx.vocab().raw["shorteners"])
        self.prev_internal: Pool | None = None
        outlet_ix = {s: i for i, s in enumerate(self.ext.screen)}
        self.outlet_index = outlet_ix

    # ------------------------------------------------------------------ chunk
    def rows(self, rng: np.random.Generator, day0: int, day1: int, seg_idx: np.ndarray, seg_n: np.ndarray,
             planted: slice) -> Rows:
        """Render one chunk's rows (sequential: it allocates ids and keeps the retweet pool)."""
        pop = self.pop
        # ---- background rows: who, when, what kind
        u = np.repeat(pop.seg_u[seg_idx], seg_n)
        mode = np.repeat(pop.seg_mode[seg_idx], seg_n)
        lo = np.repeat(np.maximum(pop.seg_d0[seg_idx], day0), seg_n)
        hi = np.repeat(np.minimum(pop.seg_d1[seg_idx], day1 - 1), seg_n)
        rhythm = np.repeat(pop.seg_rhythm[seg_idx], seg_n)
        tz = np.repeat(pop.seg_tz[seg_idx], seg_n)
        day = lo + (rng.random(len(u)) * (hi - lo + 1)).astype(np.int64)
        t = clock.times_on_days(rng, day, rhythm, tz, shift_weekends=rhythm == clock.RHYTHM_OFFICE)
        kind = (rng.random(len(u))[:, None] > _KIND_CDF[mode]).sum(axis=1).astype(np.int8)
        kind = np.minimum(kind, 3)
        lang, topic = self._lang_topic(rng, u, mode, day)

        parts: list[Rows] = []
        o = kind == K_ORIG
        orig = self._originals(rng, u[o], t[o], topic[o], lang[o], mode[o])
        parts.append(orig)
        # planted events of this chunk
        planted_rows, fan_seeds = self._planted(rng, planted)
        parts.extend(planted_rows)
        # pool of retweetable originals: internal popular (this and the previous chunk) + outside accounts
        is_pop = np.isin(orig.uidx, self.popular)
        internal = self._pool_from_rows(orig, is_pop)
        if fan_seeds is not None:
            internal = Pool.concat([internal, fan_seeds])
        ext_pool, state_pool = self._external_pools(rng, day0, day1, int((kind == K_RT).sum() + (kind == K_QUOTE).sum()),
                                                    int(((kind == K_RT) & (mode == MODE_IO_POLITICAL)).sum()))
        pool = Pool.concat([self.prev_internal, internal, ext_pool])
        self.prev_internal = internal
        rt = kind == K_RT
        political = mode == MODE_IO_POLITICAL
        parts.append(self._retweets(rng, u[rt & ~political], t[rt & ~political], pool))
        parts.append(self._retweets(rng, u[rt & political], t[rt & political], state_pool))
        q = kind == K_QUOTE
        parts.append(self._quotes(rng, u[q], t[q], topic[q], lang[q], pool))
        r = kind == K_REPLY
        parts.append(self._replies(rng, u[r], t[r], topic[r], lang[r]))
        return Rows.concat(parts)

    # ------------------------------------------------------------------ pieces
    def _lang_topic(self, rng: np.random.Generator, u: np.ndarray, mode: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pop = self.pop
        n = len(u)
        pol = mode == MODE_IO_POLITICAL
        base = np.where(pol, self.io_lang[u], pop.lang[u])
        alt = np.where(pol, np.where(self.io_lang[u] == tx.L_ZH, tx.L_EN, tx.L_ZH), pop.lang2[u])
        p_alt = np.where(pol, 0.15, pop.lang2_p[u])
        lang = np.where(rng.random(n) < p_alt, alt, base)
        r = rng.random(n)
        t1, t2, t3 = pop.topics[u, 0], pop.topics[u, 1], pop.topics[u, 2]
        topic = np.where(r < 0.55, t1, np.where(r < 0.85, t2, t3))
        topic = np.where(mode == MODE_ORGANIC_PIVOT, np.where(r < 0.65, tx.T_HK, np.where(r < 0.85, t1, t2)), topic)
        topic = np.where(mode == MODE_IO_HISTORY, np.where(r < 0.6, t1, t2), topic)
        topic = np.where(mode == MODE_POPULAR, np.where(r < 0.7, t1, t2), topic)
        topic = np.where(pol, np.where(day < HK_PIVOT_DAY, tx.T_IO_GUO, tx.T_IO_HK), topic)
        return lang, topic

    def _originals(self, rng: np.random.Generator, u: np.ndarray, t: np.ndarray, topic: np.ndarray, lang: np.ndarray,
                   mode: np.ndarray) -> Rows:
        pop = self.pop
        n = len(u)
        body = tx.bodies(rng, topic, lang)
        emo = rng.random(n) < 0.18
        k = np.where(rng.random(n) < _TAG_P[mode], rng.integers(1, 4, n), 0)
        tags = tx.hashtag_lists(rng, topic, lang, k)
        news = pop.role[u] == ROLE_NEWS
        has_url = rng.random(n) < np.where(news, 0.8, _URL_P[mode])
        urls = tx.singletons(self._urls(rng, int(has_url.sum())), has_url)
        has_m = rng.random(n) < 0.08
        m_uid, m_screen = self._popular_targets(rng, n)
        # real text has line breaks and double quotes: a reader must parse CSV, not split lines
        seps = pa.array([" ", "\n", "\n\n"], pa.string())
        sep = seps.take(pa.array(np.where(rng.random(n) < 0.04, rng.integers(1, 3, n), 0)))
        sep2 = seps.take(pa.array(np.where(rng.random(n) < 0.04, 1, 0)))
        quoted_body = rng.random(n) < 0.03
        body = pc.if_else(pa.array(quoted_body), tx.join('"', body, '"'), body)
        text = tx.join(
            body,
            tx.optional(emo, tx.emoji(rng, n)),
            tx.optional(has_m, m_screen, " @"),
            pc.if_else(pa.array(k > 0), tx.join(sep, tx.hashtag_text(tags)), tx.const("", n)),
            pc.if_else(pa.array(has_url), tx.join(sep2, tx.tco(rng, n)), tx.const("", n)),
        )
        ids = self.ids.ids(t)
        return Rows.make(u, t, ids, K_ORIG, lang, text, hashtags=tags, urls=urls, mentions=tx.singletons(m_uid, has_m))

    def _urls(self, rng: np.random.Generator, n: int) -> pa.Array:
        if n == 0:
            return pa.array([], pa.string())
        short = rng.random(n) < 0.2
        dom = self.news_domains.take(pa.array(rng.integers(0, len(self.news_domains), n)))
        sec = pa.array(_SECTIONS[rng.integers(0, len(_SECTIONS), n)], pa.string())
        long_url = tx.join("https://", dom, "/", sec, "/", tx.base36(rng, n, 10))
        sh = self.shorteners.take(pa.array(rng.integers(0, len(self.shorteners), n)))
        short_url = tx.join("http://", sh, "/", tx.base36(rng, n, 7))
        return pc.if_else(pa.array(short), short_url, long_url)

    def _popular_targets(self, rng: np.random.Generator, n: int) -> tuple[pa.Array, pa.Array]:
        """Accounts people mention: the dataset's popular ones and famous outside accounts."""
        n_int, n_ext = len(self.popular), len(self.ext_popular)
        pick = rng.integers(0, n_int + n_ext, n)
        internal = pick < n_int
        ui = self.popular[np.minimum(pick, max(n_int - 1, 0))] if n_int else np.zeros(n, np.int64)
        ei = self.ext_popular[np.clip(pick - n_int, 0, n_ext - 1)]
        uid = pc.if_else(pa.array(internal), self.u_userid.take(pa.array(ui)), self.ext_uid.take(pa.array(ei)))
        scr = pc.if_else(pa.array(internal), self.u_screen.take(pa.array(ui)), self.ext_screen.take(pa.array(ei)))
        return uid, scr

    def _pool_from_rows(self, rows: Rows, mask: np.ndarray) -> Pool:
        ix = pa.array(np.flatnonzero(mask))
        u = rows.uidx[mask]
        return Pool(rows.t_ms[mask], rows.tweetid[mask], self.u_userid.take(pa.array(u)), self.u_screen.take(pa.array(u)),
                    rows.text.take(ix), rows.lang[mask], rows.hashtags.take(ix), rows.urls.take(ix))

    def _external_pools(self, rng: np.random.Generator, day0: int, day1: int, n_rt: int, n_state_rt: int) -> tuple[Pool, Pool]:
        ndays = day1 - day0 + 6
        out = []
        for accounts, n in ((self.ext_general, max(30 * ndays, n_rt // 6)), (self.ext_state, max(4 * ndays, n_state_rt // 5))):
            who = accounts[rng.integers(0, len(accounts), n)]
            t = clock.START_MS + (day0 - 6) * clock.DAY_MS + rng.integers(0, ndays * clock.DAY_MS, n)
            topic = self.ext.topic[who]
            lang = self.ext.lang[who]
            body = tx.bodies(rng, topic, lang)
            k = np.where(rng.random(n) < 0.3, rng.integers(1, 3, n), 0)
            tags = tx.hashtag_lists(rng, topic, lang, k)
            has_url = rng.random(n) < np.where(self.ext.kind[who] == EXT_NEWS, 0.8, 0.15)
            urls = tx.singletons(self._urls(rng, int(has_url.sum())), has_url)
            text = tx.join(body, pc.if_else(pa.array(k > 0), tx.join(" ", tx.hashtag_text(tags)), tx.const("", n)),
                           tx.optional(has_url, tx.tco(rng, n)))
            wi = pa.array(who)
            out.append(Pool(t, clock.random_ids(rng, t), self.ext_uid.take(wi), self.ext_screen.take(wi), text, lang,
                            tags, urls).sorted())
        return out[0], out[1]

    def _pick(self, rng: np.random.Generator, t: np.ndarray, pool: Pool) -> np.ndarray:
        """An original posted seconds to days before each time (log-normal delay, median 90 min)."""
        d = np.clip(rng.lognormal(np.log(90 * 60), 1.6, len(t)), 20, 4 * 86400)
        idx = np.searchsorted(pool.t, t - (d * 1000).astype(np.int64), side="right") - 1 - rng.integers(0, 4, len(t))
        idx = np.maximum(idx, 0)
        bad = pool.t[idx] >= t
        if bad.any():  # only possible before the pool's first original: take the latest one before t
            idx[bad] = np.maximum(np.searchsorted(pool.t, t[bad], side="left") - 1, 0)
        return idx

    def _retweets(self, rng: np.random.Generator, u: np.ndarray, t: np.ndarray, pool: Pool) -> Rows:
        if len(u) == 0:
            return Rows.make(u, t, t, K_RT, t, pa.array([], pa.string()))
        idx = self._pick(rng, t, pool)
        # a retweet cannot precede its original: keep the few impossible ones just after it
        t = np.maximum(t, pool.t[idx] + 1000)
        ix = pa.array(idx)
        uid = pool.uid.take(ix)
        text = tx.join("RT @", pool.screen.take(ix), ": ", pool.text.take(ix))
        return Rows.make(u, t, self.ids.ids(t), K_RT, pool.lang[idx], text, rt_uid=uid, rt_tid=_tweet_ids_str(pool.id[idx], self.minute_only),
                         hashtags=pool.hashtags.take(ix), urls=pool.urls.take(ix), mentions=tx.singletons(uid))

    def _quotes(self, rng: np.random.Generator, u: np.ndarray, t: np.ndarray, topic: np.ndarray, lang: np.ndarray, pool: Pool) -> Rows:
        n = len(u)
        if n == 0:
            return Rows.make(u, t, t, K_QUOTE, t, pa.array([], pa.string()))
        idx = self._pick(rng, t, pool)
        t = np.maximum(t, pool.t[idx] + 1000)
        ix = pa.array(idx)
        qid = _tweet_ids_str(pool.id[idx], self.minute_only)
        url = tx.join("https://twitter.com/", pool.screen.take(ix), "/status/", qid)
        text = tx.join(tx.bodies(rng, topic, lang), " ", tx.tco(rng, n))
        return Rows.make(u, t, self.ids.ids(t), K_QUOTE, lang, text, quote_tid=qid, urls=tx.singletons(url))

    def _replies(self, rng: np.random.Generator, u: np.ndarray, t: np.ndarray, topic: np.ndarray, lang: np.ndarray) -> Rows:
        n = len(u)
        if n == 0:
            return Rows.make(u, t, t, K_REPLY, t, pa.array([], pa.string()))
        internal = rng.random(n) < 0.4
        ui = rng.integers(0, self.pop.n, n)
        ei = self.ext_general[rng.integers(0, len(self.ext_general), n)]
        uid = pc.if_else(pa.array(internal), self.u_userid.take(pa.array(ui)), self.ext_uid.take(pa.array(ei)))
        scr = pc.if_else(pa.array(internal), self.u_screen.take(pa.array(ui)), self.ext_screen.take(pa.array(ei)))
        before = t - (np.clip(rng.lognormal(np.log(1800), 1.2, n), 10, 3 * 86400) * 1000).astype(np.int64)
        text = tx.join("@", scr, " ", tx.bodies(rng, topic, lang, opener_p=0.05))
        return Rows.make(u, t, self.ids.ids(t), K_REPLY, lang, text, reply_uid=uid,
                         reply_tid=_tweet_ids_str(clock.random_ids(rng, before), self.minute_only), mentions=tx.singletons(uid))

    # ------------------------------------------------------------------ planted
    def _planted(self, rng: np.random.Generator, sl: slice) -> tuple[list[Rows], Pool | None]:
        p = self.plan
        et, ev, u, t, role = p.etype[sl], p.event[sl], p.uidx[sl], p.t_ms[sl], p.role[sl]
        out: list[Rows] = []
        fan_seeds = None
        for etype in (E_IO_RT, E_HN_FAN):
            m = et == etype
            if m.any():
                rows, seeds = self._seeded(rng, etype, ev[m], u[m], t[m], role[m])
                out.extend(rows)
                if etype == E_HN_FAN:
                    fan_seeds = seeds
        m = et == E_IO_COPY
        if m.any():
            out.append(self._copies(rng, ev[m], u[m], t[m]))
        m = et == E_IO_LINK
        if m.any():
            out.append(self._io_links(rng, ev[m], u[m], t[m]))
        m = et == E_IO_TAG
        if m.any():
            out.append(self._io_tags(rng, ev[m], u[m], t[m]))
        m = et == E_HN_TAG
        if m.any():
            out.append(self._news_tags(rng, ev[m], u[m], t[m]))
        m = et == E_HN_LINK
        if m.any():
            out.append(self._news_links(rng, ev[m], u[m], t[m]))
        return out, fan_seeds

    def _seeded(self, rng: np.random.Generator, etype: int, ev: np.ndarray, u: np.ndarray, t: np.ndarray,
                role: np.ndarray) -> tuple[list[Rows], Pool]:
        """A post and its fast retweets: operation amplification, or fans of a celebrity."""
        E = self.plan.events[etype]
        eids, local = np.unique(ev, return_inverse=True)
        internal = np.asarray(E["internal"])[eids].astype(bool)
        seed = np.asarray(E["star" if etype == E_HN_FAN else "seed"])[eids]
        t0 = np.asarray(E["t0"])[eids]
        topic = np.asarray(E["topic"])[eids]
        lang = np.asarray(E["lang"])[eids]
        n = len(eids)
        body = tx.bodies(rng, topic, lang)
        k = np.where(rng.random(n) < (0.6 if etype == E_IO_RT else 0.3), rng.integers(1, 4, n), 0)
        tags = tx.hashtag_lists(rng, topic, lang, k)
        text = tx.join(body, pc.if_else(pa.array(k > 0), tx.join(" ", tx.hashtag_text(tags)), tx.const("", n)))
        seed_ids = clock.random_ids(rng, t0)
        seed_ids[internal] = self.ids.ids(t0[internal])
        si = pa.array(np.where(internal, seed, 0))
        xi = pa.array(np.where(internal, 0, seed))
        suid = pc.if_else(pa.array(internal), self.u_userid.take(si), self.ext_uid.take(xi))
        sscr = pc.if_else(pa.array(internal), self.u_screen.take(si), self.ext_screen.take(xi))
        seeds_pool = Pool(t0[internal], seed_ids[internal], suid.filter(pa.array(internal)), sscr.filter(pa.array(internal)),
                          text.filter(pa.array(internal)), lang[internal], tags.filter(pa.array(internal)),
                          tx.empty_lists(int(internal.sum())))
        rows: list[Rows] = []
        o = role == 0
        if o.any():
            li = local[o]
            ix = pa.array(li)
            rows.append(Rows.make(u[o], t[o], seed_ids[li], K_ORIG, lang[li], text.take(ix), hashtags=tags.take(ix)))
        r = role == 1
        li = local[r]
        ix = pa.array(li)
        uid = suid.take(ix)
        rt_text = tx.join("RT @", sscr.take(ix), ": ", text.take(ix))
        rows.append(Rows.make(u[r], t[r], self.ids.ids(t[r]), K_RT, lang[li], rt_text, rt_uid=uid,
                              rt_tid=_tweet_ids_str(seed_ids[li], self.minute_only), hashtags=tags.take(ix), mentions=tx.singletons(uid)))
        return rows, seeds_pool

    def _copy_event(self, eid: int) -> tuple[pa.Array, pa.ListArray]:
        variants = self.plan.events[E_IO_COPY]["variants"][eid]
        tags = [re.findall(r"#(\w+)", s) for s in variants]
        return pa.array(variants, pa.string()), pa.array(tags, pa.list_(pa.string()))

    def _copies(self, rng: np.random.Generator, ev: np.ndarray, u: np.ndarray, t: np.ndarray) -> Rows:
        E = self.plan.events[E_IO_COPY]
        eids, local = np.unique(ev, return_inverse=True)
        texts, tags = [], []
        for e in eids:
            a, b = self._copy_event(int(e))
            texts.append(a)
            tags.append(b)
        flat_text = pa.concat_arrays(texts)
        flat_tags = pa.concat_arrays(tags)
        starts = np.cumsum([0] + [len(a) for a in texts[:-1]])
        counts = np.array([len(a) for a in texts])
        pick = starts[local] + (rng.random(len(u)) * counts[local]).astype(np.int64)
        ix = pa.array(pick)
        lang = np.asarray(E["lang"])[ev]
        return Rows.make(u, t, self.ids.ids(t), K_ORIG, lang, flat_text.take(ix), hashtags=flat_tags.take(ix))

    def _io_links(self, rng: np.random.Generator, ev: np.ndarray, u: np.ndarray, t: np.ndarray) -> Rows:
        E = self.plan.events[E_IO_LINK]
        n = len(u)
        lang = np.asarray(E["lang"])[ev]
        topic = np.asarray(E["topic"])[ev]
        masters = pa.array([E["master"][int(e)] for e in ev], pa.string())
        own = rng.random(n) < 0.5
        body = pc.if_else(pa.array(own), tx.bodies(rng, topic, lang), masters)
        utm_i = rng.integers(0, len(_UTM), n)
        camp = tx.base36(rng, n, 6)
        utm = pa.array(_UTM[utm_i], pa.string())
        utm = pc.if_else(pa.array(utm_i >= 4), tx.join(utm, camp), utm)
        url = tx.join(pa.array([E["url"][int(e)] for e in ev], pa.string()), utm)
        text = tx.join(body, " ", tx.tco(rng, n))
        return Rows.make(u, t, self.ids.ids(t), K_ORIG, lang, text, urls=tx.singletons(url))

    def _io_tags(self, rng: np.random.Generator, ev: np.ndarray, u: np.ndarray, t: np.ndarray) -> Rows:
        E = self.plan.events[E_IO_TAG]
        lang = np.asarray(E["lang"])[ev]
        topic = np.asarray(E["topic"])[ev]
        eids, local = np.unique(ev, return_inverse=True)
        seqs = pa.array([E["seq"][int(e)] for e in eids], pa.list_(pa.string()))
        tags = seqs.take(pa.array(local))
        text = tx.join(tx.bodies(rng, topic, lang), " ", tx.hashtag_text(tags))
        return Rows.make(u, t, self.ids.ids(t), K_ORIG, lang, text, hashtags=tags)

    def _participant_lang(self, rng: np.random.Generator, u: np.ndarray) -> np.ndarray:
        pop = self.pop
        return np.where(rng.random(len(u)) < pop.lang2_p[u], pop.lang2[u], pop.lang[u])

    def _news_tags(self, rng: np.random.Generator, ev: np.ndarray, u: np.ndarray, t: np.ndarray) -> Rows:
        E = self.plan.events[E_HN_TAG]
        n = len(u)
        lang = self._participant_lang(rng, u)
        topic = np.asarray(E["topic"])[ev]
        tag = pa.array([E["tag"][int(e)] for e in ev], pa.string())
        body = tx.bodies(rng, topic, lang)
        text = tx.join(body, tx.optional(rng.random(n) < 0.15, tx.emoji(rng, n)), " #", tag)
        return Rows.make(u, t, self.ids.ids(t), K_ORIG, lang, text, hashtags=tx.singletons(tag))

    def _news_links(self, rng: np.random.Generator, ev: np.ndarray, u: np.ndarray, t: np.ndarray) -> Rows:
        E = self.plan.events[E_HN_LINK]
        n = len(u)
        share = rng.random(n) < 0.5  # the share button pre-fills the same text for everyone
        ev_lang = np.asarray(E["lang"])[ev]
        lang = np.where(share, ev_lang, self._participant_lang(rng, u))
        head = pa.array([E["headline"][int(e)] for e in ev], pa.string())
        outlet = pa.array([E["outlet"][int(e)] for e in ev], pa.string())
        link = tx.tco(rng, n)
        topic = np.where(ev_lang == tx.L_ZH, tx.T_HK, tx.T_WORLD)
        own = tx.join(tx.bodies(rng, topic, lang), " ", link)
        shared = tx.join(head, " ", link, " via @", outlet)
        text = pc.if_else(pa.array(share), shared, own)
        base = pa.array([E["url"][int(e)] for e in ev], pa.string())
        url = pc.if_else(pa.array(share & (rng.random(n) < 0.6)), tx.join(base, "?utm_source=twitter&utm_medium=social"), base)
        oi = np.array([self.outlet_index.get(E["outlet"][int(e)], 0) for e in ev], np.int64)
        return Rows.make(u, t, self.ids.ids(t), K_ORIG, lang, text, urls=tx.singletons(url),
                         mentions=tx.singletons(self.ext_uid.take(pa.array(oi)), share))

    # ------------------------------------------------------------------ assembly
    def assemble(self, rng: np.random.Generator, rows: Rows) -> pa.Table:
        """The 31 archive columns as strings, sorted by time, ready for Arrow's CSV writer.

        Reads only immutable state, so it can run in a worker thread while the next chunk's
        rows are rendered.
        """
        pop = self.pop
        rows = rows.take(np.argsort(rows.t_ms, kind="stable"))
        u = rows.uidx
        kind = rows.kind
        n = len(u)
        lang = np.where(rng.random(n) < 0.01, len(tx.TWEET_LANG_CODES), rows.lang)
        client = np.where(rng.random(n) < pop.client1_p[u], pop.client1[u], pop.client2[u])
        lam = np.where(kind == K_RT, 0.0, pop.engagement[u] * np.sqrt(pop.followers[u] + 1.0) * 0.15)
        lam = np.where(kind == K_REPLY, lam * 0.2, lam)
        quoted = pop.quoted_style[u]
        ui = pa.array(u)
        absent = tx.const("absent", n)
        cols = [_tweet_ids_str(rows.tweetid, self.minute_only)] + [self.user_cols[c].take(ui) for c in USER_COLUMNS] + [
            self.lang_codes.take(pa.array(lang)),
            rows.text,
            clock.minute_strings(rows.t_ms),
            self.clients.take(pa.array(client)),
            rows.reply_uid, rows.reply_tid, rows.quote_tid,
            self.true_false.take(pa.array((kind == K_RT).astype(np.int8))),
            rows.rt_uid, rows.rt_tid,
            absent, absent,
            _ids_str(rng.poisson(lam * 0.02)), _ids_str(rng.poisson(lam * 0.05)),
            _ids_str(rng.poisson(lam)), _ids_str(rng.poisson(lam * 0.3)),
            tx.lists_to_pylist_strings(rows.hashtags, quoted),
            tx.lists_to_pylist_strings(rows.urls, quoted),
            tx.lists_to_pylist_strings(rows.mentions, quoted),
            tx.const("", n),
        ]
        return pa.table(cols, names=list(TWEET_COLUMNS))

"""A synthetic two-platform dataset (Twitter and Facebook) with a planted cross-platform operation.

>>> r = generate_cross_platform("xp", accounts=600, posts=30_000, seed=1)   # doctest: +SKIP
>>> r.posts_path, r.truth_path                                              # doctest: +SKIP

One CSV of posts of both platforms (``posts.csv``, read by the generic reader through the
shipped preset ``cibscope-cross-platform``, picked by the header) and ``truth.csv`` (which
accounts belong to which planted operation, in the format ``cibscope evaluate`` reads). The
same arguments give byte-identical files.

What is planted (docs/cross-platform.md):

* ``xp_1``, the cross-platform operation: a few Twitter accounts and a few Facebook pages.
  For each of its events a Twitter member posts an article of the operation's site with the
  event's image, campaign hashtag and a templated text; the other Twitter members follow within
  a minute (same-platform coordination) and the Facebook pages cross-post the same article,
  image, tag and text (one word edited) 3 to 45 minutes later, each on its own schedule, so
  two pages are rarely within a minute of each other: what ties the pages to the operation
  is the cross-platform layers.
* ``tw_1``, a Twitter-only operation (a co-sharing group on one platform), which must not
  come out as spanning platforms.
* Organic background on both platforms, Twitter with more accounts and more posts per account:
  news articles shared after publication (viral ones by hundreds on both platforms within
  hours, often with the share button's identical title as text), memes, hashtags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..params import Interval, validate

__all__ = ["CrossPlatformResult", "generate_cross_platform", "POST_COLUMNS", "PRESET"]

POST_COLUMNS = ("post_id", "account_id", "platform", "created_at", "text", "urls", "hashtags", "image", "screen_name", "followers")
TRUTH_COLUMNS = ("account_id", "platform", "label", "group", "tactic")

#: the shipped preset that reads posts.csv (picked by its header: no --mapping needed)
PRESET = "cibscope-cross-platform"

START = datetime(2021, 8, 15, tzinfo=timezone.utc)
DAYS = 28
_DAY_MS = 86_400_000
_MIN_MS = 60_000
# UTC hour weights of a German-speaking audience (activity 05-21 UTC)
_HOURS = np.array([0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 5, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5, 6, 6.5, 7, 7, 6, 4.5, 3, 1.5, 0.6])
_SYLLABLES = ("ka", "ri", "to", "men", "sa", "lo", "vi", "den", "ra", "mu", "ne", "tis", "ba", "gor", "li", "fa", "que", "zen", "do", "pri")


@dataclass
class CrossPlatformResult:
    out_dir: Path
    posts_path: Path
    truth_path: Path
    n_accounts: int
    n_posts: int
    groups: dict[str, list[str]] = field(default_factory=dict)  # group -> member account ids


def _words(n: int) -> np.ndarray:
    """``n`` distinct pseudo-words from syllables (deterministic)."""
    out: list[str] = []
    s = len(_SYLLABLES)
    i = 0
    while len(out) < n:
        a, b, c = i % s, (i // s) % s, (i // (s * s)) % s
        out.append(_SYLLABLES[a] + _SYLLABLES[b] + (_SYLLABLES[c] if i >= s * s else ""))
        i += 1
    return np.array(out, dtype=object)


def _zipf_choice(rng: np.random.Generator, n_items: int, size: int, a: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, n_items + 1) ** a
    return rng.choice(n_items, size=size, p=w / w.sum())


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` post times (ms since START) over the period, on the daily rhythm."""
    day = rng.integers(0, DAYS, n)
    hour = rng.choice(24, size=n, p=_HOURS / _HOURS.sum())
    return day * _DAY_MS + hour * 3_600_000 + rng.integers(0, 3_600_000, n)


def generate_cross_platform(out_dir: str | Path, *, accounts: int, posts: int, seed: int) -> CrossPlatformResult:
    """Write ``posts.csv`` and ``truth.csv`` into ``out_dir``.

    accounts : accounts of both platforms (>= 100; 60% Twitter).
    posts : posts of both platforms, exactly (>= 10 per account).
    seed : the same arguments give byte-identical files.
    """
    validate("generate_cross_platform", {"accounts": Interval(int, 100, 1_000_000), "seed": Interval(int, 0, 2**63 - 1)},
             {"accounts": accounts, "seed": seed})
    validate("generate_cross_platform", {"posts": Interval(int, 10 * accounts, 10**9)}, {"posts": posts})
    rng = np.random.default_rng(np.random.SeedSequence([seed, 18]))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    vocab = _words(600)

    # -- accounts ---------------------------------------------------------------------------
    n_tw = int(round(0.6 * accounts))
    platform = np.array(["twitter"] * n_tw + ["facebook"] * (accounts - n_tw), dtype=object)
    acc_id = np.array([f"tw_{i + 1}" for i in range(n_tw)] + [f"fb_{i + 1}" for i in range(accounts - n_tw)], dtype=object)
    screen = np.array([("user" if p == "twitter" else "page") + f"{k:05d}" for k, p in zip(rng.permutation(accounts), platform)], dtype=object)
    followers = np.round(rng.lognormal(5.5, 1.6, accounts)).astype(np.int64)
    # Twitter accounts post more: 65% of the posts from 60% of the accounts, times each one's activity
    activity = rng.lognormal(0.0, 1.0, accounts) * np.where(platform == "twitter", 0.65 / 0.6, 0.35 / 0.4)
    tw_idx, fb_idx = np.flatnonzero(platform == "twitter"), np.flatnonzero(platform == "facebook")
    pick = rng.permutation(tw_idx)
    k_xp_tw, k_tw1 = max(4, round(0.02 * accounts)), max(4, round(0.015 * accounts))
    xp_tw, tw1 = pick[:k_xp_tw], pick[k_xp_tw:k_xp_tw + k_tw1]
    xp_fb = rng.permutation(fb_idx)[: max(3, round(0.015 * accounts))]
    group = np.full(accounts, "", dtype=object)
    group[np.concatenate([xp_tw, xp_fb])] = "xp_1"
    group[tw1] = "tw_1"

    rows_acc: list[np.ndarray] = []
    rows_t: list[np.ndarray] = []
    rows_text: list[np.ndarray] = []
    rows_url: list[np.ndarray] = []
    rows_tag: list[np.ndarray] = []
    rows_img: list[np.ndarray] = []

    def add(acc: np.ndarray, t: np.ndarray, text: np.ndarray, url: np.ndarray, tag: np.ndarray, img: np.ndarray) -> None:
        rows_acc.append(np.asarray(acc, np.int64))
        rows_t.append(np.asarray(t, np.int64))
        for store, v in ((rows_text, text), (rows_url, url), (rows_tag, tag), (rows_img, img)):
            store.append(np.asarray(v, dtype=object))

    # -- planted operations -----------------------------------------------------------------
    def template(n: int = 14) -> list[str]:
        return [str(w) for w in rng.choice(vocab, n)]

    def edit(words: list[str]) -> str:
        w = list(words)
        w[int(rng.integers(0, len(w)))] = str(rng.choice(vocab))
        return " ".join(w)

    for e, t0 in enumerate(np.sort(_times(rng, 30))):
        url = f"https://heimat-wahrheit.example/artikel/{e + 1:03d}"
        img = f"ph_xp_{e + 1:03d}" if rng.random() < 0.6 else ""
        tags = f"#wahrheit21 #{'wahl' if e % 2 else 'heimat'}jetzt"
        words = template()
        tw = xp_tw[rng.random(len(xp_tw)) < 0.75]
        tw = tw if len(tw) >= 2 else xp_tw[:2]
        dt_tw = np.concatenate([[0], rng.integers(3_000, 60_000, len(tw) - 1)])
        fb = xp_fb[rng.random(len(xp_fb)) < 0.75]
        fb = fb if len(fb) else xp_fb[:1]
        dt_fb = rng.integers(3 * _MIN_MS, 45 * _MIN_MS, len(fb))
        members = np.concatenate([tw, fb])
        n = len(members)
        add(members, t0 + np.concatenate([dt_tw, dt_fb]), [edit(words) for _ in range(n)], [url] * n, [tags] * n, [img] * n)
    for e, t0 in enumerate(np.sort(_times(rng, 25))):
        url = f"https://buergerstimme.example/{e + 1:03d}"
        words = template()
        tw = tw1[rng.random(len(tw1)) < 0.75]
        tw = tw if len(tw) >= 2 else tw1[:2]
        n = len(tw)
        dt = np.concatenate([[0], rng.integers(2_000, 50_000, n - 1)])
        add(tw, t0 + dt, [edit(words) for _ in range(n)], [url] * n, ["#buergerstimme"] * n, [""] * n)
    n_planted = sum(len(a) for a in rows_acc)
    if posts - n_planted < 5 * accounts:
        from ..errors import ParameterError

        raise ParameterError(f"The 'posts' parameter of generate_cross_platform is too small: the operations need {n_planted} posts.")

    # -- organic background -----------------------------------------------------------------
    n_org = posts - n_planted
    # every account posts at least 3 times; the rest by activity
    acc = np.concatenate([np.repeat(np.arange(accounts), 3), rng.choice(accounts, n_org - 3 * accounts, p=activity / activity.sum())])
    rng.shuffle(acc)
    t = _times(rng, n_org)
    text = np.array([" ".join(rng.choice(vocab, int(k))) for k in rng.integers(6, 18, n_org)], dtype=object)
    url = np.full(n_org, "", dtype=object)
    tag = np.full(n_org, "", dtype=object)
    img = np.full(n_org, "", dtype=object)
    # news articles: shared after publication (exponential delay, mean 4 h), popularity Zipf;
    # 30% of the shares carry the share button's text (the title), identical for everyone
    n_art = max(200, n_org // 20)
    domains = [f"news{d + 1}.example" for d in range(60)]
    art_dom = _zipf_choice(rng, len(domains), n_art, 1.0)
    art_pub = _times(rng, n_art)
    art_title = np.array([" ".join(rng.choice(vocab, 12)) for _ in range(n_art)], dtype=object)
    link = np.flatnonzero(rng.random(n_org) < 0.45)
    art = _zipf_choice(rng, n_art, len(link), 1.1)
    url[link] = [f"https://{domains[art_dom[a]]}/story/{a + 1}" for a in art]
    t[link] = art_pub[art] + rng.exponential(4 * 3_600_000, len(link)).astype(np.int64)
    titled = link[rng.random(len(link)) < 0.3]
    text[titled] = art_title[_art_of(link, art, titled)]
    # hashtags (a long tail) and memes (shared after they appear, mean 12 h)
    tagged = np.flatnonzero(rng.random(n_org) < 0.35)
    pool = np.array([f"#{w}" for w in vocab[:400]], dtype=object)
    tag[tagged] = [" ".join(pool[_zipf_choice(rng, len(pool), int(k), 1.05)]) for k in rng.integers(1, 4, len(tagged))]
    memed = np.flatnonzero(rng.random(n_org) < 0.12)
    n_meme = max(100, n_org // 60)
    meme = _zipf_choice(rng, n_meme, len(memed), 1.1)
    meme_pub = _times(rng, n_meme)
    img[memed] = [f"ph_{m + 1:05d}" for m in meme]
    t[memed] = meme_pub[meme] + rng.exponential(12 * 3_600_000, len(memed)).astype(np.int64)
    add(acc, np.clip(t, 0, DAYS * _DAY_MS - 1), text, url, tag, img)

    # -- write --------------------------------------------------------------------------------
    A = np.concatenate(rows_acc)
    T = np.concatenate(rows_t)
    order = np.lexsort((A, T))
    A, T = A[order], T[order]
    start_ms = int(START.timestamp() * 1000)
    stamps = pa.array((T + start_ms).astype("datetime64[ms]")).cast(pa.timestamp("ms"))
    created = pc.strftime(stamps, format="%Y-%m-%d %H:%M:%S")  # with the milliseconds (.920)
    table = pa.table(
        {
            "post_id": pa.array([str(1_400_000_000_000 + i) for i in range(len(A))], pa.string()),
            "account_id": pa.array(acc_id[A].tolist(), pa.string()),
            "platform": pa.array(platform[A].tolist(), pa.string()),
            "created_at": created,
            "text": pa.array(np.concatenate(rows_text)[order].tolist(), pa.string()),
            "urls": pa.array(np.concatenate(rows_url)[order].tolist(), pa.string()),
            "hashtags": pa.array(np.concatenate(rows_tag)[order].tolist(), pa.string()),
            "image": pa.array(np.concatenate(rows_img)[order].tolist(), pa.string()),
            "screen_name": pa.array(screen[A].tolist(), pa.string()),
            "followers": pa.array([str(v) for v in followers[A].tolist()], pa.string()),
        }
    )
    paths = {n: out / n for n in ("posts.csv", "truth.csv")}
    opts = pacsv.WriteOptions(quoting_style="needed")
    pacsv.write_csv(table, str(paths["posts.csv"]), opts)
    label = np.where(group != "", "io", "organic")
    tactic = np.where(group == "xp_1", np.where(platform == "facebook", "cross_platform|cross_posted_page", "cross_platform"),
                      np.where(group == "tw_1", "one_platform", ""))
    truth = pa.table(
        {
            "account_id": pa.array(acc_id.tolist(), pa.string()),
            "platform": pa.array(platform.tolist(), pa.string()),
            "label": pa.array(label.tolist(), pa.string()),
            "group": pa.array(group.tolist(), pa.string()),
            "tactic": pa.array(tactic.tolist(), pa.string()),
        }
    )
    pacsv.write_csv(truth, str(paths["truth.csv"]), opts)
    groups = {g: sorted(acc_id[group == g].tolist()) for g in ("xp_1", "tw_1")}
    return CrossPlatformResult(out, paths["posts.csv"], paths["truth.csv"], accounts, len(A), groups)


def _art_of(link: np.ndarray, art: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The article of each row of ``rows`` (a subset of ``link``, whose articles are ``art``)."""
    return art[np.searchsorted(link, rows)]

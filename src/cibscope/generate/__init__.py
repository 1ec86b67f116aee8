"""A realistic synthetic IO-archive dataset with planted operations and hard negatives.

>>> r = generate_dataset("demo", accounts=300, tweets=20_000, seed=1)   # doctest: +SKIP
>>> r.tweets_path                                                      # doctest: +SKIP

Writes ``users.csv`` and ``tweets.csv`` in Twitter's Information Operations archive format,
``truth.csv`` (which accounts are operation members, which tactics each shows, which organic
accounts are look-alikes, and which are wrongly "claimed") and ``takedown.txt`` (the claimed
list for audits). The same arguments always give byte-identical files. Tweets are produced
and written chunk by chunk (about 100k rows each), so memory does not grow with ``tweets``.
See docs/generator.md for what is planted and how.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..params import Interval, validate
from ..progress import Progress, step
from . import clock
from .plan import Plan, build_plan
from .population import Population, build_population
from .world import World, parse_world
from .render import TWEET_COLUMNS, USER_COLUMNS, Renderer, Rows
from .writer import TRUTH_COLUMNS, TweetWriter, write_takedown, write_truth, write_users

__all__ = [
    "GenerateResult", "generate_dataset", "TWEET_COLUMNS", "USER_COLUMNS", "TRUTH_COLUMNS", "TRUTH_FILE", "TAKEDOWN_FILE",
    "NOT_DATA",
]

#: the files a generated folder holds beside the data: the ground truth and the claimed list
TRUTH_FILE = "truth.csv"
TAKEDOWN_FILE = "takedown.txt"
NOT_DATA = (TRUTH_FILE, TAKEDOWN_FILE)

CHUNK_ROWS = 100_000
MIN_TWEETS_PER_ACCOUNT = 10
CLAIMED_ORGANIC_SHARE = 0.02

_CONSTRAINTS = {
    "accounts": Interval(int, 100, 10_000_000),
    "seed": Interval(int, 0, 2**63 - 1),
}


@dataclass
class GenerateResult:
    out_dir: Path
    users_path: Path
    tweets_path: Path
    truth_path: Path
    takedown_path: Path
    n_accounts: int
    n_tweets: int
    n_io: int
    n_claimed_organic: int
    groups: list[dict[str, object]] = field(default_factory=list)
    n_chunks: int = 0
    seconds: float = 0.0


def _rng(seed: int, *key: int) -> np.random.Generator:
    """Independent streams per component, so changing one part never shifts another's draws."""
    return np.random.default_rng(np.random.SeedSequence([seed, *key]))


def generate_dataset(
    out_dir: str | Path,
    *,
    accounts: int,
    tweets: int,
    seed: int,
    progress: Progress | None = None,
    world: World | None = None,
) -> GenerateResult:
    """Generate a dataset into ``out_dir`` (created if needed; existing files are replaced).

    Parameters
    ----------
    accounts : rows of users.csv (>= 100). About 12% are operation members in 2-12 groups.
    tweets : rows of tweets.csv, exactly; at least 10 per account.
    seed : the same (accounts, tweets, seed) always gives byte-identical files.
    world : the knobs of the world (:class:`cibscope.generate.world.World`); the default is the
        world this generator always made (same bytes).
    """
    validate("generate_dataset", _CONSTRAINTS, {"accounts": accounts, "seed": seed})
    validate("generate_dataset", {"tweets": Interval(int, MIN_TWEETS_PER_ACCOUNT * accounts, 10**10)}, {"tweets": tweets})
    t_start = time.perf_counter()
    from ..export import out_dir as _out_dir

    out = _out_dir(out_dir)

    with step(progress, "planning accounts and operations") as _:
        w = world or World()
        w.validate()
        pop = build_population(_rng(seed, 1), accounts, seed, w)
        plan = build_plan(_rng(seed, 2), pop, tweets)
        _claim(_rng(seed, 3), pop)
        seg_n = _allocate_background(_rng(seed, 4), pop, plan, tweets)
        edges = _chunk_edges(pop, plan, seg_n, tweets)

    paths = {name: out / name for name in ("users.csv", "tweets.csv", TRUTH_FILE, TAKEDOWN_FILE)}
    write_users(pop, paths["users.csv"])
    write_truth(pop, paths[TRUTH_FILE])
    write_takedown(pop, paths[TAKEDOWN_FILE])

    renderer = Renderer(pop, plan)
    writer = TweetWriter(paths["tweets.csv"])
    remaining = seg_n.copy()
    assert pop.seg_d0 is not None and pop.seg_d1 is not None
    # Two-stage pipeline: rows of chunk c+1 are rendered while a worker thread assembles and
    # writes chunk c (Arrow and numpy release the GIL). Each stage has its own random stream,
    # so the bytes do not depend on thread timing.
    pool = ThreadPoolExecutor(max_workers=1)
    pending: Future[int] | None = None
    try:
        with step(progress, "writing tweets", tweets) as bar:
            for c in range(len(edges) - 1):
                a, b = int(edges[c]), int(edges[c + 1])
                rng = _rng(seed, 10, c)
                start = np.maximum(pop.seg_d0, a)
                overlap = np.clip(np.minimum(pop.seg_d1, b - 1) - start + 1, 0, None)
                rem_days = np.clip(pop.seg_d1 - start + 1, 0, None)
                p = np.divide(overlap, rem_days, out=np.zeros(len(overlap)), where=rem_days > 0)
                n_c = rng.binomial(remaining, np.clip(p, 0.0, 1.0))
                remaining -= n_c
                seg_idx = np.flatnonzero(n_c)
                lo, hi = np.searchsorted(plan.anchor_day, [a, b], side="left")
                rows = renderer.rows(rng, a, b, seg_idx, n_c[seg_idx], slice(int(lo), int(hi)))
                if pending is not None:
                    bar.advance(pending.result())
                pending = pool.submit(_assemble_and_write, renderer, writer, _rng(seed, 11, c), rows)
            if pending is not None:
                bar.advance(pending.result())
                pending = None
    finally:
        if pending is not None:
            pending.cancel()
        pool.shutdown(wait=True)
        writer.close()
    if remaining.sum() != 0 or writer.rows != tweets:  # a generator bug, never the user's
        raise AssertionError(f"generator row accounting: wrote {writer.rows} of {tweets}, {remaining.sum()} unplaced")

    groups = [{"group": g.name, "size": len(g.members), "tactics": list(g.tactics)} for g in pop.groups]
    return GenerateResult(
        out, paths["users.csv"], paths["tweets.csv"], paths[TRUTH_FILE], paths[TAKEDOWN_FILE],
        accounts, writer.rows, int(pop.is_io.sum()), int((pop.claimed & ~pop.is_io).sum()) if pop.claimed is not None else 0,
        groups, len(edges) - 1, time.perf_counter() - t_start,
    )


def _assemble_and_write(renderer: Renderer, writer: TweetWriter, rng: np.random.Generator, rows: Rows) -> int:
    table = renderer.assemble(rng, rows)
    writer.write(table)
    return table.num_rows


def _claim(rng: np.random.Generator, pop: Population) -> None:
    """The takedown claim: every operation account plus ~2% organic accounts, wrongly.

    Half of the wrongly claimed accounts are organic look-alikes (the kind of account a
    platform could plausibly sweep up), half are ordinary users.
    """
    claimed = pop.is_io.copy()
    organic = np.flatnonzero(~pop.is_io)
    k = max(1, int(round(CLAIMED_ORGANIC_SHARE * len(organic))))
    lookalike = np.array([u for u in organic if any(t.startswith("hn_") for t in pop.tags[u])], np.int64)
    n_look = min(k // 2, len(lookalike))
    pick_look = rng.choice(lookalike, n_look, replace=False) if n_look else np.zeros(0, np.int64)
    rest = np.setdiff1d(organic, pick_look)
    pick_rest = rng.choice(rest, k - n_look, replace=False)
    claimed[pick_look] = True
    claimed[pick_rest] = True
    pop.claimed = claimed


def _allocate_background(rng: np.random.Generator, pop: Population, plan: Plan, tweets: int) -> np.ndarray:
    """Background tweets per activity segment, so that planted + background = tweets exactly."""
    assert pop.seg_u is not None and pop.seg_share is not None and plan.weak_background is not None
    n_planted = len(plan)
    weak = plan.weak_background
    io_bg = plan.io_background
    org_bg = tweets - n_planted - io_bg - int(weak.sum())
    if org_bg < 0.2 * tweets:
        raise ParameterError(
            f"The 'tweets' parameter of generate_dataset is too small for {pop.n} accounts: planted behaviour "
            f"needs {n_planted + io_bg} tweets. Got {tweets} instead."
        )
    per_account = weak.copy()
    io_w = np.where(pop.is_io, pop.weight, 0.0)
    org_w = np.where(pop.is_io, 0.0, pop.weight)
    per_account += rng.multinomial(io_bg, io_w / io_w.sum())
    per_account += rng.multinomial(org_bg, org_w / org_w.sum())
    # split each account's tweets over its segments (one or two) by their shares
    seg_n = np.zeros(len(pop.seg_u), np.int64)
    first = np.searchsorted(pop.seg_u, np.arange(pop.n), side="left")
    count = np.searchsorted(pop.seg_u, np.arange(pop.n), side="right") - first
    if np.any(count == 0) or np.any(count > 2):
        raise AssertionError("every account has one or two activity segments")
    one = count == 1
    seg_n[first[one]] = per_account[one]
    two = np.flatnonzero(~one)
    s1 = pop.seg_share[first[two]]
    s2 = pop.seg_share[first[two] + 1]
    n1 = rng.binomial(per_account[two], s1 / (s1 + s2))
    seg_n[first[two]] = n1
    seg_n[first[two] + 1] = per_account[two] - n1
    return seg_n


def _chunk_edges(pop: Population, plan: Plan, seg_n: np.ndarray, tweets: int) -> np.ndarray:
    """Day boundaries giving chunks of about CHUNK_ROWS expected rows each."""
    assert pop.seg_d0 is not None and pop.seg_d1 is not None
    D = clock.N_DAYS
    diff = np.zeros(D + 1)
    span = (pop.seg_d1 - pop.seg_d0 + 1).astype(np.float64)
    np.add.at(diff, pop.seg_d0, seg_n / span)
    np.add.at(diff, pop.seg_d1 + 1, -seg_n / span)
    load = np.cumsum(diff)[:D] + np.bincount(np.clip(plan.anchor_day, 0, D - 1), minlength=D)[:D]
    n_chunks = max(1, math.ceil(tweets / CHUNK_ROWS))
    cum = np.cumsum(load)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, n_chunks) / n_chunks, side="right")
    return np.unique(np.concatenate([[0], cuts, [D]]).astype(np.int64))

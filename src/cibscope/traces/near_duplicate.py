"""Near-duplicate text: copy-paste with small edits, by MinHash/LSH, CJK-aware.

Pipeline (all vectorised; no Python loop over posts):

1. SQL: each non-retweet post's text is normalised (lower case, URLs and @mentions removed,
   whitespace collapsed); identical normalised texts collapse to one *distinct text* first, so
   exact copies (the special case) cost nothing extra and are always one cluster.
2. SQL: shingles. CJK runs (Han, Hiragana, Katakana, Hangul) give character ``char_ngram``-grams
   (not single characters: a Jaccard over character *sets* makes any two Chinese texts on one
   topic look alike, the QUT toolkit's trap); other words give word ``word_ngram``-grams. A
   mixed text gets both. Each shingle is hashed once (64-bit).
3. numpy: MinHash with ``bands * rows`` hash functions (multiply-shift hashing of the
   64-bit shingle hashes), one vectorised pass per function. (One-permutation hashing with
   densification was tried first: on short texts most bins are empty and densified bins of
   unrelated texts collide, flooding LSH with candidates.)
4. numpy: LSH banding. Texts agreeing on all ``rows`` bins of a band are candidates; inside a
   bucket each text is compared with its next few neighbours only (a chain suffices for
   clustering), so a huge bucket of copies stays linear.
5. numpy: candidates are verified by the estimated Jaccard similarity (fraction of equal
   signature entries; standard error about 0.06 at J = 0.7 with 64 functions) >= ``threshold``;
   verified pairs are clustered by connected components (scipy).

The trace's key is the cluster: two accounts co-occur when they post texts of one cluster
within the window. Texts shorter than ``min_shingles`` shingles are left out (short replies
like "thank you" are identical by chance).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from ..errors import ParameterError
from .base import Interval, Trace, source_expr, tolerance_expr

CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
_NEIGHBOURS_IN_BUCKET = 4


def normalise_sql(col: str) -> str:
    """SQL: lower case, URLs and @mentions removed, whitespace collapsed, trimmed."""
    return (
        "trim(regexp_replace(regexp_replace(lower(" + col + "), "
        "'https?://\\S+|www\\.\\S+|@\\S+', ' ', 'g'), '\\s+', ' ', 'g'))"
    )


class NearDuplicate(Trace):
    """Key: the near-duplicate text cluster of the post."""

    name: ClassVar[str] = "near_duplicate"
    description: ClassVar[str] = (
        "Accounts that post the same or nearly the same text (estimated Jaccard similarity of shingles >= "
        "`threshold`) within `window` seconds. Chinese, Japanese and Korean text is shingled by character "
        "`char_ngram`-grams, other text by word `word_ngram`-grams. Retweets are left out (their text is the original's)."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "'Share' buttons on websites that prefill the text, and petition or campaign templates real people send.",
        "Quotes, song lyrics, greetings ('good morning', 'happy new year') and memes copied by many.",
        "Automated posts of one service (horoscopes, weather, game scores) used by many unrelated accounts.",
        "Very short texts: kept out by `min_shingles`.",
    )
    default_window: ClassVar[float | None] = 3600.0
    own_constraints: ClassVar[dict[str, Any]] = {
        "threshold": Interval(float, 0, 1, closed="right"),
        "char_ngram": Interval(int, 1, 10),
        "word_ngram": Interval(int, 1, 5),
        "min_shingles": Interval(int, 1, None),
        "bands": Interval(int, 1, 64),
        "rows": Interval(int, 1, 16),
    }
    own_defaults: ClassVar[dict[str, Any]] = {
        "threshold": 0.7,
        "char_ngram": 3,
        "word_ngram": 2,
        "min_shingles": 5,
        "bands": 16,
        "rows": 4,
    }

    def _check(self) -> None:
        if self.params["bands"] * self.params["rows"] > 256:
            raise ParameterError(
                f"The 'bands' x 'rows' parameters of NearDuplicate must be at most 256 bins. "
                f"Got {self.params['bands']} x {self.params['rows']} instead."
            )

    # -- SQL ---------------------------------------------------------------------------
    def texts_sql(self) -> str:
        """Distinct normalised texts of non-retweet posts, numbered deterministically (tid)."""
        # ingest's text_norm is already normalised (NFKC, case-folded, URLs and mentions out);
        # the regex pass runs only for rows without it
        t = f"trim(CASE WHEN p.text_norm IS NOT NULL THEN p.text_norm ELSE {normalise_sql('p.text')} END)"
        return (
            "CREATE OR REPLACE TEMP TABLE _cib_nd_post AS "
            "SELECT q.*, CAST(dense_rank() OVER (ORDER BY q.t) - 1 AS BIGINT) AS tid FROM ("
            f"SELECT p.post_id, p.account_id, p.created_at, {source_expr('p')} AS source, substr(p.text, 1, 140) AS item, "
            f"{tolerance_expr('p')} AS tolerance, {t} AS t "
            "FROM posts AS p WHERE p.repost_of IS NULL AND p.text IS NOT NULL) AS q WHERE q.t <> ''; "
            "CREATE OR REPLACE TEMP TABLE _cib_nd_text AS "
            "SELECT x.tid, min(x.t) AS t FROM _cib_nd_post AS x GROUP BY x.tid"
        )

    def shingles_sql(self) -> str:
        """(tid, 64-bit shingle hash) rows, repeats included (numpy de-duplicates and counts)."""
        n = int(self.params["char_ngram"])
        m = int(self.params["word_ngram"])
        gram = " || ' ' || ".join(f"w[i + {j}]" for j in range(m)) if m > 1 else "w[i]"
        return (
            "CREATE OR REPLACE TEMP TABLE _cib_nd_sh AS "
            "WITH runs AS (SELECT tid, unnest(regexp_extract_all(t, '[" + CJK + "]+')) AS run FROM _cib_nd_text), "
            f"cj AS (SELECT tid, run, unnest(range(1, greatest(length(run) - {n} + 1, 1) + 1)) AS i FROM runs), "
            "wd AS (SELECT tid, regexp_extract_all(t, '[^\\s\\pP\\pS" + CJK + "]+') AS w FROM _cib_nd_text), "
            f"wg AS (SELECT tid, w, unnest(range(1, greatest(len(w) - {m} + 1, 1) + 1)) AS i FROM wd WHERE len(w) > 0) "
            f"SELECT tid, hash('c' || substr(run, i, {n})) AS h FROM cj "
            f"UNION ALL SELECT tid, hash('w' || coalesce({gram}, array_to_string(w, ' '))) AS h FROM wg"
        )

    def sql(self) -> str:
        return (
            "SELECT np.account_id, c.cluster AS key, np.created_at AS at, np.post_id, np.source, np.item, np.tolerance "
            "FROM _cib_nd_cluster AS c JOIN _cib_nd_post AS np ON np.tid = c.tid"
        )

    def sql_statements(self) -> list[str]:
        return [*self.texts_sql().split("; "), self.shingles_sql(), self.sql()]

    # -- numpy part --------------------------------------------------------------------
    def prepare(self, con: Any) -> None:
        for stmt in self.texts_sql().split("; "):
            con.execute(stmt)
        con.execute(self.shingles_sql())
        n_text_row = con.execute("SELECT count(*) FROM _cib_nd_text").fetchall()[0]
        n_text = int(n_text_row[0]) if n_text_row else 0
        arr = con.execute("SELECT tid, h FROM _cib_nd_sh").fetchnumpy()
        tid = np.asarray(arr["tid"], dtype=np.int64)
        h = np.asarray(arr["h"], dtype=np.uint64)
        labels, present = cluster_texts(
            tid,
            h,
            n_text,
            bands=int(self.params["bands"]),
            rows=int(self.params["rows"]),
            threshold=float(self.params["threshold"]),
            min_shingles=int(self.params["min_shingles"]),
        )
        table = pa.table({"tid": pa.array(present), "cluster": pa.array(labels[present].astype(str))})
        con.execute("SELECT 1").fetchall()  # DuckDB 2 refuses register() while a result is unfinished
        con.register("_cib_nd_arrow", table)
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE _cib_nd_cluster AS SELECT tid, cluster FROM _cib_nd_arrow")
        finally:
            con.unregister("_cib_nd_arrow")

    def cleanup(self, con: Any) -> None:
        for t in ("_cib_nd_post", "_cib_nd_text", "_cib_nd_sh", "_cib_nd_cluster"):
            con.execute(f"DROP TABLE IF EXISTS {t}")


_HASH_SEED = 20191001


def minhash_signatures(tid: np.ndarray, h: np.ndarray, n_hashes: int, min_shingles: int) -> tuple[np.ndarray, np.ndarray]:
    """Classic MinHash over distinct shingle hashes: (texts kept, signatures (n_kept, n_hashes) uint32).

    Hash functions are multiply-shift ``(a_i * h + b_i) mod 2^64`` (bits 32..63 and 16..47)
    with fixed odd ``a_i``, so signatures are identical run to run. One vectorised pass per hash function
    (not per text): ``np.minimum.reduceat`` over the shingles grouped by text. Texts with fewer
    than ``min_shingles`` distinct shingles are left out.
    """
    if h.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, n_hashes), dtype=np.uint32)
    # sort by (text, shingle) with one 64-bit key: text id in the top 24+ bits, the shingle
    # hash's top bits below (np.lexsort on two keys is ~15x slower)
    shift = np.uint64(max(int(tid.max()).bit_length(), 1))
    key = (tid.astype(np.uint64) << (np.uint64(64) - shift)) | (h >> shift)
    order = np.argsort(key)
    key = key[order]
    tid = tid[order]
    h = h[order]
    new = np.ones(tid.size, dtype=bool)
    new[1:] = key[1:] != key[:-1]
    del key
    tid = tid[new]
    h = h[new]
    starts = np.flatnonzero(np.r_[True, tid[1:] != tid[:-1]])
    counts = np.diff(np.r_[starts, tid.size])
    ok = counts >= min_shingles
    keep_rows = np.repeat(ok, counts)
    tid = tid[keep_rows]
    h = h[keep_rows]
    texts = tid[np.r_[True, tid[1:] != tid[:-1]]] if tid.size else np.zeros(0, dtype=np.int64)
    if tid.size == 0:
        return texts, np.zeros((0, n_hashes), dtype=np.uint32)
    starts = np.flatnonzero(np.r_[True, tid[1:] != tid[:-1]])
    n_pass = (n_hashes + 1) // 2  # each 64-bit product gives two 32-bit hash values
    rng = np.random.default_rng(_HASH_SEED)
    a = rng.integers(1, 2**63, size=n_pass, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=n_pass, dtype=np.uint64)
    sig = np.empty((texts.size, 2 * n_pass), dtype=np.uint32)
    # work in chunks of whole texts of about 2^18 shingles so the temporaries stay in cache
    bounds = np.searchsorted(starts, np.arange(0, h.size, 1 << 18), side="left")
    bounds = np.unique(np.r_[bounds, starts.size])
    for lo_t, hi_t in zip(bounds[:-1], bounds[1:]):
        lo = starts[lo_t]
        hi = starts[hi_t] if hi_t < starts.size else h.size
        hh = h[lo:hi]
        local = starts[lo_t:hi_t] - lo
        x = np.empty_like(hh)
        for i in range(n_pass):
            # multiply-shift: bits 32..63 and 16..47 of a*h + b are two hash values (h is
            # already a uniform 64-bit hash, so the lower window is as good for our purpose)
            np.multiply(hh, a[i], out=x)
            np.add(x, b[i], out=x)
            sig[lo_t:hi_t, 2 * i] = np.minimum.reduceat(x >> np.uint64(32), local)
            np.right_shift(x, np.uint64(16), out=x)
            np.bitwise_and(x, np.uint64(0xFFFFFFFF), out=x)
            sig[lo_t:hi_t, 2 * i + 1] = np.minimum.reduceat(x, local)
    return texts, sig[:, :n_hashes]


def candidate_pairs(sig: np.ndarray, bands: int, rows: int, valid: np.ndarray) -> np.ndarray:
    """Unique (i, j), i < j, of texts agreeing on all bins of some band (chained in big buckets)."""
    idx_valid = np.flatnonzero(valid)
    if idx_valid.size < 2:
        return np.zeros((0, 2), dtype=np.int64)
    s = sig[idx_valid].astype(np.uint64)
    mults = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5], dtype=np.uint64)
    out = []
    for b in range(bands):
        key = np.zeros(idx_valid.size, dtype=np.uint64)
        for r in range(rows):
            col = s[:, b * rows + r]
            key = (key ^ (col * mults[r % 4] + np.uint64(r + 1))) * np.uint64(0xFF51AFD7ED558CCD)
            key ^= key >> np.uint64(29)
        order = np.argsort(key, kind="stable")
        ks = key[order]
        for d in range(1, _NEIGHBOURS_IN_BUCKET + 1):
            if d >= ks.size:
                break
            same = ks[:-d] == ks[d:]
            if same.any():
                a = idx_valid[order[:-d][same]]
                c = idx_valid[order[d:][same]]
                out.append(np.stack([np.minimum(a, c), np.maximum(a, c)], axis=1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(out).astype(np.int64)
    n = np.int64(sig.shape[0])
    code = np.unique(pairs[:, 0] * n + pairs[:, 1])  # 1-D unique is far faster than axis=0
    return np.stack([code // n, code % n], axis=1)


def cluster_texts(
    tid: np.ndarray, h: np.ndarray, n_text: int, *, bands: int, rows: int, threshold: float, min_shingles: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """(cluster label per text id, the text ids kept). A label is the smallest tid of its component."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    labels = np.arange(n_text, dtype=np.int64)
    texts, sig = minhash_signatures(tid, h, bands * rows, min_shingles)
    if texts.size < 2:
        return labels, texts
    pairs = candidate_pairs(sig, bands, rows, np.ones(texts.size, dtype=bool))
    if pairs.size == 0:
        return labels, texts
    keep = np.zeros(len(pairs), dtype=bool)
    step = 200_000
    for lo in range(0, len(pairs), step):
        p = pairs[lo : lo + step]
        sim = (sig[p[:, 0]] == sig[p[:, 1]]).mean(axis=1)  # unbiased estimate of the Jaccard similarity
        keep[lo : lo + step] = sim >= threshold
    pairs = pairs[keep]
    if pairs.size == 0:
        return labels, texts
    n = texts.size
    g = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    first = np.full(comp.max() + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, comp, texts)  # texts are sorted, so this is the smallest tid
    labels[texts] = first[comp]
    return labels, texts

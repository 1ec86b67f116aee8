"""Near-duplicate text: copy-paste with small edits, by MinHash/LSH, CJK-aware.

Pipeline (all vectorised; no Python loop over posts):

1. SQL: each non-retweet post's text is normalised (lower case, URLs and @mentions removed,
   whitespace collapsed); identical normalised texts collapse to one *distinct text* first, so
   exact copies (the special case) cost nothing extra and are always one cluster.
2. SQL: shingles. CJK runs (Han, Hiragana, Katakana, Hangul) give character ``char_ngram``-grams
   (not single characters: a Jaccard over character *sets* makes any two Chinese texts on one
   topic look alike, the QUT toolkit's trap); other words give word ``word_ngram``-grams. A
   mixed text gets both. Each shingle is hashed once (64-bit).
3. numpy: one-permutation MinHash (Li, Owen & Zhang 2012) with ``bands * rows`` bins and
   rotation densification (Shrivastava & Li 2014): one pass over the shingles instead of one
   pass per hash function.
4. numpy: LSH banding. Texts agreeing on all ``rows`` bins of a band are candidates; inside a
   bucket each text is compared with its next few neighbours only (a chain suffices for
   clustering), so a huge bucket of copies stays linear.
5. numpy: candidates are verified by the estimated Jaccard similarity (fraction of equal bins;
   standard error about 0.06 at J = 0.7 with 64 bins) >= ``threshold``; verified pairs are
   clustered by connected components (scipy).

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
_MAX = np.uint32(0xFFFFFFFF)


def normalise_sql(col: str) -> str:
    """SQL: lower case, URLs and @mentions removed, whitespace collapsed, trimmed."""
    return (
        "trim(regexp_replace(regexp_replace(lower(" + col + "), "
        "'https?://\\S+|www\\.\\S+|@\\w+', ' ', 'g'), '\\s+', ' ', 'g'))"
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
        t = normalise_sql("coalesce(p.text_norm, p.text)")
        return (
            "CREATE OR REPLACE TEMP TABLE _cib_nd_post AS "
            f"SELECT p.post_id, {t} AS t FROM posts AS p WHERE p.repost_of IS NULL AND p.text IS NOT NULL; "
            "CREATE OR REPLACE TEMP TABLE _cib_nd_text AS "
            "SELECT t, row_number() OVER (ORDER BY t) - 1 AS tid FROM (SELECT DISTINCT t FROM _cib_nd_post WHERE t <> '') AS d"
        )

    def shingles_sql(self) -> str:
        """Distinct (tid, 64-bit shingle hash) of every text with at least ``min_shingles`` shingles."""
        n = int(self.params["char_ngram"])
        m = int(self.params["word_ngram"])
        gram = " || ' ' || ".join(f"w[i + {j}]" for j in range(m)) if m > 1 else "w[i]"
        return (
            "CREATE OR REPLACE TEMP TABLE _cib_nd_sh AS "
            "WITH runs AS (SELECT tid, unnest(regexp_extract_all(t, '[" + CJK + "]+')) AS run FROM _cib_nd_text), "
            f"cj AS (SELECT tid, run, unnest(range(1, greatest(length(run) - {n} + 1, 1) + 1)) AS i FROM runs), "
            "wd AS (SELECT tid, regexp_extract_all(t, '[^\\s\\pP\\pS" + CJK + "]+') AS w FROM _cib_nd_text), "
            f"wg AS (SELECT tid, w, unnest(range(1, greatest(len(w) - {m} + 1, 1) + 1)) AS i FROM wd WHERE len(w) > 0), "
            f"sh AS (SELECT tid, hash('c' || substr(run, i, {n})) AS h FROM cj "
            f"UNION SELECT tid, hash('w' || coalesce({gram}, array_to_string(w, ' '))) AS h FROM wg) "
            "SELECT tid, h FROM sh WHERE tid IN (SELECT tid FROM sh GROUP BY tid "
            f"HAVING count(DISTINCT h) >= {int(self.params['min_shingles'])})"
        )

    def sql(self) -> str:
        return (
            f"SELECT p.account_id, c.cluster AS key, p.created_at AS at, p.post_id, {source_expr('p')} AS source, "
            f"substr(p.text, 1, 140) AS item, {tolerance_expr('p')} AS tolerance "
            "FROM _cib_nd_cluster AS c JOIN _cib_nd_text AS x ON x.tid = c.tid "
            "JOIN _cib_nd_post AS np ON np.t = x.t JOIN posts AS p ON p.post_id = np.post_id"
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
        labels = cluster_texts(
            tid,
            h,
            n_text,
            bands=int(self.params["bands"]),
            rows=int(self.params["rows"]),
            threshold=float(self.params["threshold"]),
        )
        present = np.unique(tid)
        table = pa.table({"tid": pa.array(present), "cluster": pa.array(labels[present].astype(str))})
        con.register("_cib_nd_arrow", table)
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE _cib_nd_cluster AS SELECT tid, cluster FROM _cib_nd_arrow")
        finally:
            con.unregister("_cib_nd_arrow")

    def cleanup(self, con: Any) -> None:
        for t in ("_cib_nd_post", "_cib_nd_text", "_cib_nd_sh", "_cib_nd_cluster"):
            con.execute(f"DROP TABLE IF EXISTS {t}")


def oph_signatures(tid: np.ndarray, h: np.ndarray, n_text: int, n_bins: int) -> np.ndarray:
    """Densified one-permutation MinHash signatures, shape (n_text, n_bins), uint32.

    Rows of texts without shingles stay all-MAX (they are never candidates).
    """
    sig = np.full(n_text * n_bins, _MAX, dtype=np.uint32)
    if h.size:
        bins = (h % np.uint64(n_bins)).astype(np.int64)
        vals = (h >> np.uint64(32)).astype(np.uint32)
        np.minimum.at(sig, tid * n_bins + bins, vals)
    sig = sig.reshape(n_text, n_bins)
    out = np.empty_like(sig)
    cols = np.arange(2 * n_bins, dtype=np.int32)
    step = 100_000
    for lo in range(0, n_text, step):  # chunks bound memory (n_text x 2 n_bins int32)
        s = sig[lo : lo + step]
        full = ~(s == _MAX)
        ext = np.concatenate([full, full], axis=1)
        idx = np.where(ext, cols, 2 * n_bins).astype(np.int32)
        nxt = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1][:, :n_bins]
        has = full.any(axis=1)
        nxt = np.where(has[:, None], nxt, np.arange(n_bins, dtype=np.int32)[None, :])
        donor = nxt % n_bins
        dist = (nxt - np.arange(n_bins, dtype=np.int32)[None, :]).astype(np.uint32)
        vals = np.take_along_axis(s, donor, axis=1)
        dense = (vals.astype(np.uint64) + dist.astype(np.uint64) * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)
        out[lo : lo + step] = np.where(has[:, None], dense.astype(np.uint32), _MAX)
    return out


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
    return np.unique(pairs, axis=0)


def cluster_texts(tid: np.ndarray, h: np.ndarray, n_text: int, *, bands: int, rows: int, threshold: float) -> np.ndarray:
    """Cluster label per text (the smallest tid of its near-duplicate component)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    labels = np.arange(n_text, dtype=np.int64)
    if n_text == 0:
        return labels
    n_bins = bands * rows
    sig = oph_signatures(tid, h, n_text, n_bins)
    valid = np.zeros(n_text, dtype=bool)
    valid[tid] = True
    pairs = candidate_pairs(sig, bands, rows, valid)
    if pairs.size == 0:
        return labels
    keep = np.zeros(len(pairs), dtype=bool)
    step = 200_000
    for lo in range(0, len(pairs), step):
        p = pairs[lo : lo + step]
        sim = (sig[p[:, 0]] == sig[p[:, 1]]).mean(axis=1)
        keep[lo : lo + step] = sim >= threshold
    pairs = pairs[keep]
    if pairs.size == 0:
        return labels
    g = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n_text, n_text))
    _, comp = connected_components(g, directed=False)
    # label = smallest tid in the component: deterministic and independent of scipy's numbering
    first = np.full(comp.max() + 1, n_text, dtype=np.int64)
    np.minimum.at(first, comp, np.arange(n_text, dtype=np.int64))
    return first[comp]

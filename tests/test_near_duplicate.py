"""near_duplicate internals: the shingle SQL (DuckDB result and its Spark translation), LSH bounds.

The end-to-end pairs on hand-made texts are in tests/test_traces.py; these tests pin the parts
that make the trace portable and scalable.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
import sqlglot
from sqlglot import exp

from cibscope.sql import transpile
from cibscope.traces.near_duplicate import NearDuplicate, candidate_pairs, cluster_texts, minhash_signatures, verify_pairs


def shingles(texts: list[str], **params) -> list[set[str]]:
    """The shingles the trace's SQL makes of each (already normalised) text, as strings.

    Runs the real shingle statement on a one-column ``_cib_nd_text`` and maps each hash back
    to the candidate n-gram strings of the text (all word n-grams of every length and all
    character n-grams are hashed the same way here, so a hash identifies its string).
    """
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE _cib_nd_text (tid BIGINT, t VARCHAR)")
    con.executemany("INSERT INTO _cib_nd_text VALUES (?, ?)", list(enumerate(texts)))
    con.execute(NearDuplicate(**params).shingles_sql())
    got = con.execute("SELECT tid, h FROM _cib_nd_sh").fetchall()
    out: list[set[str]] = [set() for _ in texts]
    for tid, h in got:
        text = texts[tid]
        words = text.replace(",", " ").replace("!", " ").replace("。", " ").split()
        cand = {"w" + " ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
        cand |= {"c" + text[i:j] for i in range(len(text)) for j in range(i + 1, len(text) + 1)}
        names = [c for c in cand if con.execute("SELECT hash(?)", [c]).fetchall()[0][0] == h]
        assert len(names) == 1, (text, h, names)
        out[tid].add(names[0])
    return out


def test_word_ngrams_are_every_run_of_consecutive_words_whatever_separates_them() -> None:
    # "a b, c! d e": words a b c d e -> bigrams ab bc cd de; trigrams abc bcd cde.
    # "x y": one bigram; "solo": fewer words than n -> the whole text is one shingle.
    t = ["a b, c! d e", "x y", "solo"]
    assert shingles(t) == [{"wa b", "wb c", "wc d", "wd e"}, {"wx y"}, {"wsolo"}]
    assert shingles(t, word_ngram=3) == [{"wa b c", "wb c d", "wc d e"}, {"wx y"}, {"wsolo"}]
    assert shingles(t, word_ngram=1) == [{"wa", "wb", "wc", "wd", "we"}, {"wx", "wy"}, {"wsolo"}]


def test_cjk_runs_give_character_ngrams_and_latin_words_give_word_ngrams() -> None:
    # "香港今天。ok go": CJK run 香港今天 -> trigrams 香港今 港今天; words ok go -> bigram "ok go".
    # "天气": a run shorter than n -> the run itself.
    assert shingles(["香港今天。ok go", "天气"]) == [{"c香港今", "c港今天", "wok go"}, {"c天气"}]


def test_spark_translation_has_no_array_indexing() -> None:
    # DuckDB lists are 1-based and Spark arrays 0-based; sqlglot copies a computed index such as
    # w[i + 1] unchanged, which would pick the wrong word on Spark. The statements must not index
    # arrays at all: parse the Spark SQL and look for subscripts (exp.Bracket).
    # (Spark runs the shingle statement without DuckDB's hash: the driver hashes the strings)
    for params in ({}, {"word_ngram": 3}, {"word_ngram": 1, "char_ngram": 2}):
        nd = NearDuplicate(**params)
        for stmt in [nd.texts_sql(), nd.shingles_sql(hashed=False), nd.key_sql(), nd.sql()]:
            spark = transpile(stmt, to="spark")
            tree = sqlglot.parse_one(spark, read="spark")
            assert not list(tree.find_all(exp.Bracket)), spark
    spark = transpile(NearDuplicate(word_ngram=3).shingles_sql(hashed=False), to="spark")
    # the n-grams starting at word 1, 2 and 3: REGEXP_EXTRACT_ALL with group 0 (the whole
    # match), the leading words dropped with SUBSTRING(x, LOCATE(' ', x) + 1) (both 1-based);
    # RE2's \S spelled out for Java (whose \s also takes the vertical tab)
    assert spark.count("REGEXP_EXTRACT_ALL(") == 4  # 3 word passes + the CJK runs
    assert spark.count(", '[^\\\\t\\\\n\\\\f\\\\r ]+( [^\\\\t\\\\n\\\\f\\\\r ]+){2}', 0)") == 3
    assert "\\\\p{IsHan}" in spark and "\\\\p{Han}" not in spark
    assert "SUBSTRING(tw, LOCATE(' ', tw) + 1)" in spark
    assert "SUBSTRING(run, i, 3)" in spark


def test_the_old_indexing_form_is_what_the_test_catches() -> None:
    # control: the form this trace used before (w[i + 1]) is found by the same check
    tree = sqlglot.parse_one(transpile("SELECT w[i + 1] AS x FROM t", to="spark"), read="spark")
    assert list(tree.find_all(exp.Bracket))


def test_a_bucket_of_copies_gives_a_linear_chain_of_candidates() -> None:
    # 1,000 identical signatures share every band's bucket; each text is paired with its next 4
    # in the bucket: (n-1) + (n-2) + (n-3) + (n-4) = 3,990 distinct pairs (not n(n-1)/2 = 499,500)
    sig = np.tile(np.arange(64, dtype=np.uint32), (1000, 1))
    pairs = candidate_pairs(sig, 16, 4, np.ones(1000, dtype=bool))
    assert len(pairs) == 3990
    assert (pairs[:, 0] < pairs[:, 1]).all() and set(pairs[:, 1] - pairs[:, 0]) == {1, 2, 3, 4}
    # all of them are one cluster
    tid = np.repeat(np.arange(1000), 8)
    h = np.tile(np.arange(8, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15), 1000)
    labels, present = cluster_texts(tid, h, 1000, bands=16, rows=4, threshold=0.7, min_shingles=5)
    assert present.size == 1000 and set(labels.tolist()) == {0}


def test_minhash_is_exact_for_identical_and_disjoint_sets() -> None:
    # text 0 and 1: the same 10 shingles (in another order and with a repeat) -> equal signatures;
    # text 2: 10 other shingles -> no equal entry (the hash functions are bijections on 32 bits);
    # text 3: 4 distinct shingles < min_shingles = 5 -> left out.
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2**63, size=10, dtype=np.uint64)
    b = rng.integers(0, 2**63, size=10, dtype=np.uint64)
    tid = np.r_[[0] * 10, [1] * 11, [2] * 10, [3] * 4]
    h = np.r_[a, a[::-1], a[:1], b, b[:4]]
    texts, sig = minhash_signatures(tid, h, 64, 5)
    assert texts.tolist() == [0, 1, 2]
    assert (sig[0] == sig[1]).all()
    assert not (sig[0] == sig[2]).any()


@pytest.mark.parametrize("n_shared", [20, 14, 10])
def test_minhash_estimate_is_close_to_the_jaccard_similarity(n_shared: int) -> None:
    # two texts of 20 shingles sharing n_shared: J = n / (40 - n) = 1, 0.54, 0.33; with 64 hash
    # functions the estimate's standard error is at most 0.0625, so within 0.2 (3.2 SE) here
    rng = np.random.default_rng(n_shared)
    u = rng.integers(0, 2**63, size=40 - n_shared, dtype=np.uint64)
    tid = np.r_[[0] * 20, [1] * 20]
    h = np.r_[u[:20], u[20 - n_shared :]]
    _, sig = minhash_signatures(tid, h, 64, 1)
    j = n_shared / (40 - n_shared)
    assert abs((sig[0] == sig[1]).mean() - j) < 0.2


def test_verify_pairs_is_exact_at_the_threshold_whether_or_not_the_sketch_sees_the_differences() -> None:
    # 64 hash functions, threshold 0.7: 45 equal entries pass (45/64 = 0.703), 44 do not (0.6875).
    # Text 0 is the base signature. A "+16" edit changes an entry but not its low 4 bits (the
    # sketch filter cannot see it: only the full comparison rejects); a "+1" edit changes the
    # low bits too (the sketch filter rejects). Texts 1-3 get 20/19/18 "+16" edits, texts 4-6
    # 20/19/18 "+1" edits: equal counts 44, 45, 46 each -> pass = F, T, T both ways.
    base = np.arange(64, dtype=np.uint32) * np.uint32(32)
    rows = [base]
    for delta in (16, 1):
        for k in (20, 19, 18):
            r = base.copy()
            r[:k] += np.uint32(delta)
            rows.append(r)
    sig = np.stack(rows)
    pairs = np.array([[0, i] for i in range(1, 7)])
    assert verify_pairs(sig, pairs, 0.7).tolist() == [False, True, True, False, True, True]
    # the same from the hash-major layout minhash_signatures returns (a transposed view)
    assert verify_pairs(np.ascontiguousarray(sig.T).T, pairs, 0.7).tolist() == [False, True, True, False, True, True]


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.9, 1.0])
def test_verify_pairs_equals_comparing_every_entry(threshold: float) -> None:
    # 400 pairs (2p, 2p + 1): a random signature and a copy with k = 0..64 random entries (k = 0 for 40)
    # edited, each edit either above the sketch's 4 bits (+16) or in them (+1); the reference
    # is the plain definition: equal entries / 64 >= threshold
    rng = np.random.default_rng(7)
    sig = rng.integers(0, 2**32, size=(800, 64), dtype=np.uint64).astype(np.uint32)
    for p in range(400):
        sig[2 * p + 1] = sig[2 * p]
        at = rng.choice(64, size=0 if p < 40 else rng.integers(0, 65), replace=False)
        sig[2 * p + 1, at] += rng.choice(np.array([1, 16], dtype=np.uint32), size=at.size)
    pairs = np.arange(800).reshape(400, 2)
    expected = (sig[pairs[:, 0]] == sig[pairs[:, 1]]).sum(axis=1) / 64 >= threshold
    assert expected.sum() >= 20 and (~expected).sum() >= 20
    assert verify_pairs(sig, pairs, threshold).tolist() == expected.tolist()


def test_the_trace_tables_are_the_distinct_texts_in_text_order_and_are_dropped(tmp_path) -> None:
    # posts: "b b" twice (one normalised from upper case), "a a", an empty text after
    # normalisation (a URL only) and a retweet. Distinct texts in text order: "a a" -> tid 0,
    # "b b" -> tid 1; the URL-only text and the retweet are not texts.
    from cibscope.case import open_case
    from cibscope.testing import T0, insert_rows

    case = open_case(tmp_path / "c.duckdb")
    con = case.con
    insert_rows(con, "posts", [
        dict(post_id="1", account_id="x", created_at=T0, text="b b"),
        dict(post_id="2", account_id="y", created_at=T0, text="B B"),
        dict(post_id="3", account_id="y", created_at=T0, text="a a"),
        dict(post_id="4", account_id="z", created_at=T0, text="https://t.co/x"),
        dict(post_id="5", account_id="z", created_at=T0, text="a a", repost_of="3"),
    ])
    nd = NearDuplicate()
    con.execute(nd.texts_sql())
    assert con.execute("SELECT tid, t FROM _cib_nd_text ORDER BY tid").fetchall() == [(0, "a a"), (1, "b b")]
    nd.prepare(case)  # every text is shorter than min_shingles: no cluster, no trace row
    assert con.execute(f"SELECT count(*) FROM ({nd.sql()})").fetchall() == [(0,)]
    temp = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}
    assert temp == {"_cib_nd_key"}  # prepare keeps only what sql() reads
    nd.cleanup(case)
    assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()[0][0]
    case.close()
